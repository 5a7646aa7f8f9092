// Bad input to the collection API: every case is a clear error naming the
// point (or the file and line) and the field, and nothing of the batch is
// applied. (Negative indices cannot be expressed in the C++ API, whose
// indices are u32; readers of text input reject them: see the CLI case.)
#include <gtest/gtest.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmath>
#include <fstream>
#include <limits>
#include <sstream>

#include "spindle/collection/collection.hpp"
#include "test_util.hpp"

namespace spindle::test {
namespace {

CollectionConfig two_vectors() {
    CollectionConfig c;
    SparseVectorConfig tok;
    tok.weight_type = WeightType::f32;
    SparseVectorConfig idx;
    idx.keys = VectorKeys::indices;
    idx.weight_type = WeightType::f32;
    c.vectors.emplace("tok", tok);
    c.vectors.emplace("idx", idx);
    return c;
}

Point good(std::uint64_t id) {
    Point p;
    p.id = PointId(id);
    p.vectors["tok"] = SparseVector{{}, {"apple", "pear"}, {1.0F, 2.0F}};
    p.vectors["idx"] = SparseVector{{3, 7}, {}, {0.5F, 0.25F}};
    return p;
}

/// Upserting {good(1), bad} fails with a message containing `part` and
/// leaves the collection as it was (only point 0).
void expect_rejected(Collection& c, const Point& bad, const std::string& part) {
    const std::vector<Point> batch{good(1), bad};
    expect_message([&] { c.upsert(batch); }, part);
    EXPECT_EQ(c.count(), 1U) << part;
    const std::vector<PointId> ids{PointId(1)};
    EXPECT_FALSE(c.get(ids)[0].has_value()) << part;
}

class CollectionBadInput : public ::testing::Test {
protected:
    void SetUp() override {
        coll_ = Collection::create(dir_ / "c", two_vectors());
        const std::vector<Point> first{good(0)};
        coll_->upsert(first);
    }
    TempDir dir_;
    std::unique_ptr<Collection> coll_;
};

TEST_F(CollectionBadInput, UnknownVectorNameIsNamedWithTheChoices) {
    Point p = good(9);
    p.vectors["splade"] = SparseVector{{}, {"x"}, {1.0F}};
    expect_rejected(*coll_, p, "point 1 (id 9): unknown vector 'splade' (the collection has: idx, tok)");
}

TEST_F(CollectionBadInput, NonFiniteAndNegativeValuesAreRejected) {
    Point nan = good(9);
    nan.vectors["tok"].values[1] = std::numeric_limits<float>::quiet_NaN();
    expect_rejected(*coll_, nan, "must be finite and non-negative");
    Point inf = good(9);
    inf.vectors["idx"].values[0] = std::numeric_limits<float>::infinity();
    expect_rejected(*coll_, inf, "must be finite and non-negative");
    Point neg = good(9);
    neg.vectors["idx"].values[1] = -0.5F;
    expect_rejected(*coll_, neg, "must be finite and non-negative");
}

TEST_F(CollectionBadInput, RepeatedDimensionsAreRejected) {
    Point ri = good(9);
    ri.vectors["idx"] = SparseVector{{3, 5, 3}, {}, {1.0F, 1.0F, 1.0F}};
    expect_rejected(*coll_, ri, "index 3 repeated");
    Point rt = good(9);
    rt.vectors["tok"] = SparseVector{{}, {"a", "b", "a"}, {1.0F, 1.0F, 1.0F}};
    expect_rejected(*coll_, rt, "token 'a' repeated");
}

TEST_F(CollectionBadInput, KeysOfTheWrongKindAndLengthMismatchesAreRejected) {
    Point wrong = good(9);
    wrong.vectors["idx"] = SparseVector{{}, {"a"}, {1.0F}};
    expect_rejected(*coll_, wrong, "is keyed by integer indices, got tokens");
    Point wrong2 = good(9);
    wrong2.vectors["tok"] = SparseVector{{1}, {}, {1.0F}};
    expect_rejected(*coll_, wrong2, "is keyed by tokens, got integer indices");
    Point len = good(9);
    len.vectors["idx"] = SparseVector{{1, 2}, {}, {1.0F}};
    expect_rejected(*coll_, len, "2 indices but 1 values");
}

TEST_F(CollectionBadInput, PayloadsMustBeJsonObjects) {
    Point p = good(9);
    p.payload = "{\"a\": ";
    expect_rejected(*coll_, p, "payload is not valid JSON");
    p.payload = "[1, 2]";
    expect_rejected(*coll_, p, "payload must be a JSON object");
}

TEST(CollectionIds, StringKeysMustBeUsableTokens) {
    expect_message([] { (void)PointId::key(""); }, "empty");
    expect_message([] { (void)PointId::key("has space"); }, "whitespace");
    expect_message([] { (void)PointId::key(std::string("tab\there")); }, "whitespace");
    expect_message([] { (void)PointId::key(std::string("\xff\xfe")); }, "UTF-8");
    EXPECT_EQ(PointId::key("550e8400-e29b-41d4-a716-446655440000").str(), "550e8400-e29b-41d4-a716-446655440000");
    // Numbers and strings are different ids, even with the same digits.
    EXPECT_NE(PointId(42), PointId::key("42"));
    EXPECT_LT(PointId(std::numeric_limits<std::uint64_t>::max()), PointId::key("0"));
}

TEST_F(CollectionBadInput, ReadOnlyCollectionsRefuseEveryWrite) {
    coll_.reset();
    const auto ro = Collection::open(dir_ / "c", {.read_only = true});
    const std::vector<Point> batch{good(5)};
    const std::vector<PointId> ids{PointId(0)};
    expect_message([&] { ro->upsert(batch); }, "is open read-only");
    expect_message([&] { ro->remove(ids); }, "is open read-only");
    expect_message([&] { ro->flush(); }, "is open read-only");
    expect_message([&] { ro->optimize(1); }, "is open read-only");
    EXPECT_EQ(ro->count(), 1U);
}

TEST_F(CollectionBadInput, ASecondWriterFailsAtOnceNamingTheHolder) {
    // The lock is per process (flock on LOCK): the second writer is a child.
    const pid_t child = ::fork();
    ASSERT_GE(child, 0);
    if (child == 0) {
        int code = 3;
        try {
            (void)Collection::open(dir_ / "c");
            code = 1;  // opened: the lock did not hold
        } catch (const IoError& e) {
            const std::string msg = e.what();
            code = msg.find("open for writing by another process (pid " + std::to_string(::getppid()) + ")") !=
                           std::string::npos
                       ? 0
                       : 2;
        } catch (...) {
            code = 4;
        }
        ::_exit(code);
    }
    int status = 0;
    ASSERT_EQ(::waitpid(child, &status, 0), child);
    ASSERT_TRUE(WIFEXITED(status));
    EXPECT_EQ(WEXITSTATUS(status), 0) << "1: second writer opened; 2: message without the pid; 3/4: other error";
    // Readers are never refused.
    EXPECT_EQ(Collection::open(dir_ / "c", {.read_only = true})->count(), 1U);
}

TEST_F(CollectionBadInput, CreateRefusesAnExistingPathAndBadConfigs) {
    expect_message([&] { (void)Collection::create(dir_ / "c", two_vectors()); }, "c");
    CollectionConfig none;
    expect_message([&] { (void)Collection::create(dir_ / "n", none); }, "vector");
    CollectionConfig bad = two_vectors();
    bad.vectors.emplace("has space", SparseVectorConfig{});
    expect_message([&] { (void)Collection::create(dir_ / "b", bad); }, "has space");
    EXPECT_FALSE(std::filesystem::exists(dir_ / "n"));
    EXPECT_FALSE(std::filesystem::exists(dir_ / "b"));
}

// Text input read by `spindle upsert`: a record without an id, an id of the
// wrong type, and a negative or non-integer index each name the file and
// line; the batch holding it is not applied.
TEST_F(CollectionBadInput, CliUpsertNamesTheFileAndLine) {
    coll_.reset();
    struct Case {
        std::string line;
        std::string part;
    };
    const std::vector<Case> cases = {
        {R"({"vector": {"a": 1.0}})", "bad.jsonl:2: record has no \"id\""},
        {R"({"id": true, "vector": {"a": 1.0}})", "bad.jsonl:2: \"id\" must be a string or an integer"},
        {R"({"id": 1.5, "vector": {"a": 1.0}})", "bad.jsonl:2: \"id\" must be a string or an integer"},
        {R"({"id": "x", "vector": {"a": -1.0}})", "bad.jsonl:2"},
        {R"({"id": "x y", "vector": {"a": 1.0}})", "bad.jsonl:2"},
    };
    for (const auto& c : cases) {
        {
            std::ofstream f(dir_ / "bad.jsonl");
            f << R"({"id": "ok", "vector": {"a": 1.0}})" << "\n" << c.line << "\n";
        }
        const std::string cmd = std::string(SPINDLE_CLI) + " upsert --collection " + (dir_ / "c") + " --vector tok --input " +
                                (dir_ / "bad.jsonl") + " --quiet 2>" + (dir_ / "err.txt");
        const int rc = std::system(cmd.c_str());
        EXPECT_NE(rc, 0) << c.line;
        std::ifstream e(dir_ / "err.txt");
        std::stringstream buf;
        buf << e.rdbuf();
        const std::string err = buf.str();
        EXPECT_NE(err.find(c.part), std::string::npos) << c.line << "\n" << err;
        EXPECT_EQ(Collection::open(dir_ / "c", {.read_only = true})->count(), 1U) << c.line;
    }
}


// add_tokens: a model's vocabulary registered up front numbers terms in its
// order (as a bulk build's preloaded vocabulary does), durably, and refuses
// what it cannot take without adding anything.
TEST(CollectionVocabulary, AddTokensNumbersInOrderDurably) {
    TempDir tmp;
    const std::vector<std::string> toks{"zebra", "pear", "apple"};
    auto ids_of = [&](const Collection& c) {
        const auto idx = c.snapshot()->index("tok");
        std::vector<std::optional<termid_t>> ids;
        for (const auto& t : toks) ids.push_back(idx->vocabulary().find(t));
        return ids;
    };
    const std::vector<std::optional<termid_t>> want{0U, 1U, 2U};
    {
        auto c = Collection::create(tmp / "c", two_vectors());
        EXPECT_EQ(c->add_tokens("tok", toks), 3U);
        EXPECT_EQ(c->add_tokens("tok", toks), 0U);  // known tokens keep their ids
        EXPECT_EQ(ids_of(*c), want);
        const std::vector<Point> pts{good(1)};  // "apple", "pear": already numbered
        c->upsert(pts);
        EXPECT_EQ(ids_of(*c), want);
        expect_message([&] { (void)c->add_tokens("idx", toks); }, "not keyed by tokens");
        expect_message([&] { (void)c->add_tokens("nope", toks); }, "has no vector 'nope'");
        const std::vector<std::string> bad{"kiwi", ""};
        expect_message([&] { (void)c->add_tokens("tok", bad); }, "token 2 of 2");
        EXPECT_FALSE(c->snapshot()->index("tok")->vocabulary().find("kiwi").has_value());  // nothing added
    }
    // Reopened without a flush: the ids hold, and the log replays onto them.
    auto c = Collection::open(tmp / "c");
    EXPECT_EQ(ids_of(*c), want);
    EXPECT_EQ(c->count(), 1U);
    SearchRequest r;
    r.vector = "tok";
    r.query.tokens = {"pear"};
    r.query.values = {1.0F};
    r.algorithm = Algorithm::bmp;
    const auto res = c->search(r);
    ASSERT_EQ(res.points.size(), 1U);
    EXPECT_EQ(res.points[0].id, PointId(1));
    c.reset();
    auto ro = Collection::open(tmp / "c", {.read_only = true});
    expect_message([&] { (void)ro->add_tokens("tok", toks); }, "read-only");
}

}  // namespace
}  // namespace spindle::test
