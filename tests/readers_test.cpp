// Collection and query readers: accepted shapes and clear errors naming the
// file, line and value for bad input.
#include <gtest/gtest.h>
#include <zlib.h>

#include "spindle/common/error.hpp"
#include "spindle/formats/csr.hpp"
#include "spindle/formats/input_format.hpp"
#include "spindle/formats/jsonl_reader.hpp"
#include "spindle/build/index_builder.hpp"
#include "test_util.hpp"

namespace spindle::test {
namespace {

std::vector<TextQuery> read_jsonl(const std::string& path) { return read_queries(path, InputFormat::jsonl); }

template <class E = ParseError>
void expect_error(const std::function<void()>& f, const std::vector<std::string>& needles) {
    try {
        f();
        FAIL() << "expected an error";
    } catch (const E& e) {
        for (const auto& n : needles) EXPECT_NE(std::string(e.what()).find(n), std::string::npos) << e.what() << " lacks " << n;
    }
}

TEST(JsonlReader, AcceptsAnseriniShapes) {
    TempDir dir;
    const auto p = dir / "docs.jsonl";
    write_text(p,
               "{\"id\": \"a\", \"contents\": \"text\", \"vector\": {\"x\": 1, \"y\": 0.5}}\n"
               "\n"
               "{\"_id\": 17, \"vector\": {}}\r\n"
               "{\"vector\": {\"z\": 2.5e0}, \"id\": \"c\"}");
    const auto qs = read_jsonl(p);
    ASSERT_EQ(qs.size(), 3U);
    EXPECT_EQ(qs[0].id, "a");
    ASSERT_EQ(qs[0].terms.size(), 2U);
    EXPECT_EQ(qs[0].terms[0].first, "x");
    EXPECT_FLOAT_EQ(qs[0].terms[1].second, 0.5F);
    EXPECT_EQ(qs[1].id, "17");
    EXPECT_TRUE(qs[1].terms.empty());
    EXPECT_EQ(qs[2].id, "c");
}

TEST(JsonlReader, ReadsGzipDirectly) {
    TempDir dir;
    const auto p = dir / "docs.jsonl.gz";
    gzFile f = gzopen(p.c_str(), "wb");
    ASSERT_NE(f, nullptr);
    const std::string line = "{\"id\": \"g\", \"vector\": {\"t\": 3}}\n";
    for (int i = 0; i < 3; ++i) gzwrite(f, line.data(), static_cast<unsigned>(line.size()));
    gzclose(f);
    const auto qs = read_queries(p);
    ASSERT_EQ(qs.size(), 3U);
    EXPECT_EQ(qs[2].terms[0].first, "t");
}

TEST(JsonlReader, BadLinesAreNamed) {
    TempDir dir;
    const auto p = dir / "bad.jsonl";
    const std::string good = "{\"id\": \"a\", \"vector\": {\"x\": 1}}\n";
    struct Bad {
        std::string line;
        std::vector<std::string> needles;
    };
    const std::vector<Bad> bad{
        {"{\"id\": \"b\", \"vector\": {\"x\": 1}", {":2:", "malformed JSON"}},
        {"{\"id\": \"b\", \"vector\": {\"x\": NaN}}", {":2:", "malformed JSON"}},
        {"{\"id\": \"b\", \"vector\": {\"x\": -0.5}}", {":2:", "'x'", "negative"}},
        {"{\"id\": \"b\", \"vector\": {\"x\": 1e999}}", {":2:"}},
        {"{\"id\": \"b\", \"vector\": {\"x\": \"1\"}}", {":2:", "'x'", "not a number"}},
        {"{\"vector\": {\"x\": 1}}", {":2:", "no \"id\""}},
        {"{\"id\": \"b\"}", {":2:", "no \"vector\""}},
        {"{\"id\": [1], \"vector\": {}}", {":2:", "string or an integer"}},
        {"[1, 2]", {":2:", "JSON object"}},
    };
    for (const auto& b : bad) {
        std::filesystem::remove(p);
        write_text(p, good + b.line + "\n");
        auto needles = b.needles;
        needles.push_back(p);
        expect_error([&] { read_jsonl(p); }, needles);
    }
}

TEST(QueryTsv, RepeatedTokensAreWeights) {
    TempDir dir;
    const auto p = dir / "q.tsv";
    write_text(p, "1\ta a b a c c\n2\t\n\n3\tsolo\n");
    const auto qs = read_queries(p);
    ASSERT_EQ(qs.size(), 3U);
    ASSERT_EQ(qs[0].terms.size(), 3U);
    EXPECT_EQ(qs[0].terms[0].first, "a");
    EXPECT_FLOAT_EQ(qs[0].terms[0].second, 3.0F);
    EXPECT_FLOAT_EQ(qs[0].terms[2].second, 2.0F);
    EXPECT_TRUE(qs[1].terms.empty());
    EXPECT_EQ(qs[2].id, "3");
    write_text(dir / "bad.tsv", "1\ta\nno-tab-here\n");
    expect_error([&] { read_queries(dir / "bad.tsv"); }, {"bad.tsv:2", "no tab"});
}

TEST(RealQueries, MsmarcoSpladeTopicsParse) {
    const std::string p = shared_data() + "/msmarco/topics.msmarco-passage.dev-subset.splade-pp-ed.tsv.gz";
    if (!std::filesystem::exists(p)) GTEST_SKIP() << "shared data absent: " << p;
    const auto qs = read_queries(p);
    ASSERT_EQ(qs.size(), 6980U);
    double distinct = 0;
    for (const auto& q : qs) distinct += static_cast<double>(q.terms.size());
    distinct /= static_cast<double>(qs.size());
    EXPECT_GT(distinct, 35.0);
    EXPECT_LT(distinct, 55.0);
}

TEST(Csr, RoundTripAndValidation) {
    TempDir dir;
    CsrMatrix m;
    m.ncol = 10;
    m.indices = {1, 3, 9, 0};
    m.data = {0.5F, 1.0F, 2.0F, 0.25F};
    m.indptr = {0, 3, 3, 4};
    const auto p = dir / "m.csr";
    write_csr(p, m);
    const auto qs = read_queries(p);
    ASSERT_EQ(qs.size(), 3U);
    EXPECT_EQ(qs[0].id, "0");
    EXPECT_EQ(qs[0].terms[2].first, "9");
    EXPECT_TRUE(qs[1].terms.empty());
    // Column out of range.
    m.indices[3] = 10;
    write_csr(dir / "badcol.csr", m);
    expect_error([&] { read_queries(dir / "badcol.csr"); }, {"badcol.csr:row 2", "column 10"});
    m.indices[3] = 0;
    m.data[0] = -1.0F;
    write_csr(dir / "neg.csr", m);
    expect_error([&] { read_queries(dir / "neg.csr"); }, {"neg.csr:row 0", "negative"});
    // Truncated file.
    write_text(dir / "short.csr", std::string(30, '\0'));
    expect_error([&] { read_queries(dir / "short.csr"); }, {"short.csr"});
}

TEST(InputFormat, UnknownNamesAndExtensions) {
    EXPECT_THROW(parse_input_format("xml"), InvalidArgument);
    EXPECT_THROW(detect_input_format("docs.parquet"), InvalidArgument);
    EXPECT_EQ(detect_input_format("a.jsonl.gz"), InputFormat::jsonl);
    EXPECT_EQ(detect_input_format("a.tsv"), InputFormat::tsv);
    EXPECT_EQ(detect_input_format("a.csr"), InputFormat::csr);
    EXPECT_THROW(read_queries("/nonexistent/q.tsv"), IoError);
}

TEST(IndexBuilder, DuplicateIdsAndTokensAreRejectedAndNothingIsLeftBehind) {
    TempDir dir;
    write_text(dir / "dup.jsonl",
               "{\"id\": \"a\", \"vector\": {\"x\": 1}}\n{\"id\": \"b\", \"vector\": {}}\n{\"id\": \"a\", \"vector\": {\"y\": 1}}\n");
    write_text(dir / "duptok.jsonl", "{\"id\": \"a\", \"vector\": {\"x\": 1, \"x\": 2}}\n");
    for (const auto& [file, needle] : {std::pair{"dup.jsonl", "duplicate document id 'a'"},
                                       std::pair{"duptok.jsonl", "'x' appears twice"}}) {
        expect_error(
            [&, f = std::string(file)] {
                IndexBuilder b(dir / "idx", {});
                read_records(dir / f, InputFormat::automatic, [&](const RawRecord& r) { b.add(r); });
                b.finish();
            },
            {needle, file});
        EXPECT_FALSE(std::filesystem::exists(dir / "idx"));
        for (const auto& e : std::filesystem::directory_iterator(dir.path())) {
            EXPECT_EQ(e.path().filename().string().find(".idx.tmp"), std::string::npos) << "staging left behind";
        }
    }
}

}  // namespace
}  // namespace spindle::test
