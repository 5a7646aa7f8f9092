// Adding approximate structures to an existing index (add_approx), the
// manifest's stored query defaults, and the tuner that chooses them.
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <filesystem>
#include <set>

#include "spindle/common/error.hpp"
#include "spindle/collection/collection.hpp"
#include "spindle/build/approx_update.hpp"
#include "spindle/index/index.hpp"
#include "spindle/query/approx_settings.hpp"
#include "spindle/query/approx_tuning.hpp"
#include "spindle/query/recall.hpp"
#include "spindle/query/searcher.hpp"
#include "test_util.hpp"

namespace spindle::test {
namespace {

std::vector<Hit> run(const Index& idx, const QueryPlan& plan, std::size_t query_cut, double heap_factor) {
    SearchOptions o;
    o.algorithm = Algorithm::approx;
    o.query_cut = query_cut;
    o.heap_factor = heap_factor;
    return search_once(idx, plan, o);
}

ApproxOptions small_approx() {
    ApproxOptions a;
    a.lambda = 150;
    a.block_size = 8;
    a.alpha_mass = 0.5;
    return a;
}

bool has_temp_dirs(const std::string& dir) {
    for (const auto& e : std::filesystem::recursive_directory_iterator(dir)) {
        if (e.path().filename().string().find(".tmp") != std::string::npos) return true;
    }
    return false;
}

// add_approx on an index built without approx gives the same approx.bin files
// and the same approximate results as building with approx, segment by segment.
TEST(AddApprox, SameAsBuildingWithApprox) {
    CorpusParams p;
    p.docs = 1200;
    p.discrete_weights = false;
    const auto docs = random_corpus(21, p);
    TempDir dir;
    BuildOptions plain;
    plain.segment_docs = 500;  // three segments
    build_index(dir / "added", docs, plain);
    BuildOptions with = plain;
    with.approx = small_approx();
    const Manifest want = build_index(dir / "built", docs, with);
    AddApproxOptions ao;
    ao.approx = small_approx();
    ao.threads = 2;
    std::set<std::string> reported;
    ao.on_segment = [&](std::size_t, const std::string& name, const ApproxBuildInfo& info) {
        reported.insert(name);
        EXPECT_GT(info.bytes, 0U);
    };
    const Manifest got = add_approx(dir / "added", ao);
    ASSERT_EQ(got.segments.size(), 3U);
    EXPECT_EQ(reported.size(), 3U);
    ASSERT_TRUE(got.approx.has_value());
    EXPECT_EQ(got.approx->lambda, 150U);
    EXPECT_FALSE(has_temp_dirs(dir / "added"));
    for (std::size_t s = 0; s < got.segments.size(); ++s) {
        const std::string name = got.segments[s].name;
        EXPECT_EQ(got.segments[s].approx_bytes, want.segments[s].approx_bytes) << name;
        EXPECT_EQ(read_file(dir / ("added/" + name + "/approx.bin")), read_file(dir / ("built/" + name + "/approx.bin")))
            << name;
    }
    const Index a(dir / "added");
    const Index b(dir / "built");
    EXPECT_EQ(Index(dir / "added").manifest().to_json(), got.to_json());
    for (const auto& qv : random_queries(21, 30, p.vocab, false)) {
        for (auto [cut, hf] : {std::pair<std::size_t, double>{2, 0.8}, {10, 1.0}}) {
            expect_same(run(b, plan_query(b, to_query(qv)), cut, hf), run(a, plan_query(a, to_query(qv)), cut, hf), qv.id);
        }
    }
}

// Existing structures are refused without overwrite; with it they are
// replaced, and defaults tuned for the old ones are dropped.
TEST(AddApprox, RefusesExistingStructuresWithoutOverwrite) {
    CorpusParams p;
    p.docs = 300;
    TempDir dir;
    BuildOptions with;
    with.approx = small_approx();
    build_index(dir / "idx", random_corpus(3, p), with);
    ApproxDefaults d;
    d.query_cut = 3;
    d.heap_factor = 0.8;
    d.target_recall = 0.9;
    Collection::open(dir / "idx")->set_approx_defaults("default", d);
    ASSERT_TRUE(Index(dir / "idx").manifest().approx_defaults.has_value());
    AddApproxOptions ao;
    ao.approx = small_approx();
    ao.approx.lambda = 40;
    expect_message([&] { (void)add_approx(dir / "idx", ao); }, "already has approximate structures");
    expect_message([&] { (void)add_approx(dir / "idx", ao); }, "--overwrite");
    EXPECT_EQ(Index(dir / "idx").manifest().approx->lambda, 150U);  // untouched
    ao.overwrite = true;
    const Manifest got = add_approx(dir / "idx", ao);
    EXPECT_EQ(got.approx->lambda, 40U);
    EXPECT_FALSE(got.approx_defaults.has_value());
    const Index idx(dir / "idx");
    EXPECT_EQ(idx.manifest().approx->lambda, 40U);
    EXPECT_FALSE(has_temp_dirs(dir / "idx"));
    // Bad options leave the index as it was.
    ao.approx.alpha_mass = 0;
    expect_message([&] { (void)add_approx(dir / "idx", ao); }, "alpha");
    EXPECT_EQ(Index(dir / "idx").manifest().approx->lambda, 40U);
}

Manifest with_defaults() {
    Manifest m;
    m.format_version = kLegacyIndexVersion;
    m.posting_block = 128;
    m.range_block = 8;
    m.approx = ApproxOptions{};
    ApproxDefaults d;
    d.query_cut = 5;
    d.heap_factor = 0.85;
    d.target_recall = 0.95;
    d.k = 20;
    d.recall = 0.9531;
    d.mean_ms = 0.321;
    m.approx_defaults = d;
    return m;
}

TEST(ApproxDefaults, RoundTripAndValidation) {
    const Manifest m = with_defaults();
    const std::string json = m.to_json();
    const Manifest back = Manifest::from_json(json, "idx/MANIFEST");
    ASSERT_TRUE(back.approx_defaults.has_value());
    EXPECT_EQ(back.approx_defaults->query_cut, 5U);
    EXPECT_EQ(back.approx_defaults->heap_factor, 0.85);
    EXPECT_EQ(back.approx_defaults->target_recall, 0.95);
    EXPECT_EQ(back.approx_defaults->k, 20U);
    EXPECT_NEAR(back.approx_defaults->recall, 0.9531, 1e-9);
    EXPECT_NEAR(back.approx_defaults->mean_ms, 0.321, 1e-9);
    EXPECT_EQ(back.to_json(), json);
    // Without defaults: absent, and an index without approx has none.
    Manifest plain = m;
    plain.approx_defaults.reset();
    EXPECT_FALSE(Manifest::from_json(plain.to_json(), "x").approx_defaults.has_value());
    EXPECT_EQ(plain.to_json().find("defaults"), std::string::npos);

    const std::pair<std::string, std::string> bad[] = {
        {"\"query_cut\": 5", "\"query_cut\": 0"},       {"\"query_cut\": 5", "\"query_cut\": 2.5"},
        {"\"query_cut\": 5", "\"query_cut\": -1"},      {"\"heap_factor\": 0.85", "\"heap_factor\": 4.5"},
        {"\"heap_factor\": 0.85", "\"heap_factor\": 0"},
        {"\"target_recall\": 0.95", "\"target_recall\": 0"},
        {"\"target_recall\": 0.95", "\"target_recall\": 1.01"},
        {"\"recall\": 0.9531", "\"recall\": 1.5"},    {"\"mean_ms\": 0.321", "\"mean_ms\": -1"},
        {"\"k\": 20", "\"k\": 0"},                      {"\"query_cut\": 5,", ""},
        {"\"mean_ms\": 0.321", "\"mean_ms\": \"fast\""},
    };
    for (const auto& [from, to] : bad) {
        std::string j = json;
        const auto at = j.find(from);
        ASSERT_NE(at, std::string::npos) << from << " in " << j;
        j.replace(at, from.size(), to);
        try {
            (void)Manifest::from_json(j, "idx/MANIFEST");
            ADD_FAILURE() << "accepted " << to;
        } catch (const CorruptIndex& e) {
            EXPECT_NE(std::string(e.what()).find("idx/MANIFEST"), std::string::npos) << e.what();
        }
    }
    // "defaults" of the wrong type.
    auto doc = nlohmann::json::parse(json);
    doc["approx"]["defaults"] = nlohmann::json::array({1, 2});
    EXPECT_THROW((void)Manifest::from_json(doc.dump(), "idx/MANIFEST"), CorruptIndex);
}

TEST(ApproxDefaults, LoadRejectsBadFileAndReplaceIsAtomic) {
    CorpusParams p;
    p.docs = 100;
    TempDir dir;
    BuildOptions with;
    with.approx = small_approx();
    build_index(dir / "idx", random_corpus(4, p), with);
    ApproxDefaults d = *with_defaults().approx_defaults;
    d.k = 20;
    Collection::open(dir / "idx")->set_approx_defaults("default", d);
    EXPECT_FALSE(has_temp_dirs(dir / "idx"));
    const Index idx(dir / "idx");
    ASSERT_TRUE(idx.manifest().approx_defaults.has_value());
    EXPECT_EQ(idx.manifest().approx_defaults->query_cut, 5U);
    // A bad value: the writer refuses it, and a manifest holding one written
    // by someone else is refused on load, naming the file.
    d.heap_factor = 7;
    EXPECT_THROW(Collection::open(dir / "idx")->set_approx_defaults("default", d), InvalidArgument);
    CollectionManifest cm = load_current_manifest(dir / "idx");
    cm.vectors.at("default").approx_defaults->heap_factor = 7;
    cm.generation = 99;
    std::filesystem::create_directory(dir / "bad");
    cm.save(dir / "bad");
    const std::string bad = dir / "bad/MANIFEST-000099";
    expect_message([&] { (void)CollectionManifest::load(bad); }, bad);
    expect_message([&] { (void)CollectionManifest::load(bad); }, "heap_factor");
    // Stored defaults fill only the knobs not given.
    SearchOptions o;
    o.algorithm = Algorithm::approx;
    o.query_cut = 17;
    EXPECT_TRUE(apply_stored_defaults(o, idx.manifest(), [](std::string_view opt) { return opt == "--query-cut"; }));
    EXPECT_EQ(o.query_cut, 17U);
    EXPECT_EQ(o.heap_factor, 0.85);
    EXPECT_EQ(describe_approx(o), "query_cut 17, heap_factor 0.85, knn 0");
}

// The tuning curve stored with the defaults: round trip through a real
// collection's manifest; an older manifest without it still opens; a bad
// curve is refused naming the file and the point.
TEST(ApproxDefaults, CurveRoundTripAndCorruption) {
    CorpusParams p;
    p.docs = 100;
    TempDir dir;
    BuildOptions with;
    with.approx = small_approx();
    build_index(dir / "idx", random_corpus(5, p), with);
    ApproxDefaults d = *with_defaults().approx_defaults;
    d.curve = {{1, 0.6, 0, 0.5, 0.01}, {3, 0.8, 0, 0.82, 0.03}, {5, 0.85, 0, 0.9531, 0.31}};
    Collection::open(dir / "idx")->set_approx_defaults("default", d);
    {
        const Index idx(dir / "idx");
        ASSERT_TRUE(idx.manifest().approx_defaults.has_value());
        EXPECT_EQ(idx.manifest().approx_defaults->curve, d.curve);
    }
    CollectionManifest cm = load_current_manifest(dir / "idx");
    EXPECT_EQ(cm.vectors.at("default").approx_defaults->curve, d.curve);
    EXPECT_EQ(CollectionManifest::from_json(cm.to_json(), "x").to_json(), cm.to_json());
    // Without a curve (as written before it was stored): no "curve" field, read back empty.
    CollectionManifest old = cm;
    old.vectors.at("default").approx_defaults->curve.clear();
    EXPECT_EQ(old.to_json().find("\"curve\""), std::string::npos);
    EXPECT_TRUE(CollectionManifest::from_json(old.to_json(), "x").vectors.at("default").approx_defaults->curve.empty());

    auto doc = nlohmann::json::parse(cm.to_json());
    auto& curve = doc["vectors"]["default"]["approx_defaults"]["curve"];
    ASSERT_TRUE(curve.is_array());
    const std::pair<const char*, nlohmann::json> bad[] = {
        {"recall", 1.5}, {"query_cut", 0}, {"heap_factor", 0.0}, {"mean_ms", -1.0}, {"knn", "x"}};
    for (const auto& [field, value] : bad) {
        auto j = doc;
        j["vectors"]["default"]["approx_defaults"]["curve"][1][field] = value;
        expect_message([&] { (void)CollectionManifest::from_json(j.dump(), "coll/MANIFEST-000009"); }, "coll/MANIFEST-000009");
        expect_message([&] { (void)CollectionManifest::from_json(j.dump(), "coll/MANIFEST-000009"); },
                       std::string(field) == "knn" ? "curve[1].knn" : "curve[1]");
    }
    auto not_array = doc;
    not_array["vectors"]["default"]["approx_defaults"]["curve"] = 3;
    expect_message([&] { (void)CollectionManifest::from_json(not_array.dump(), "m"); }, "curve' is not an array");
    ApproxDefaults huge = d;
    huge.curve.assign(kMaxTunedCurve + 1, d.curve[0]);
    EXPECT_THROW(Collection::open(dir / "idx")->set_approx_defaults("default", huge), InvalidArgument);
}

// SearchRequest::target_recall, resolved by the library for every surface
// (server params, Python): the tuned setting must exist and be at least as
// strong in recall and k; nothing else may choose the algorithm or knobs.
TEST(ApproxDefaults, TargetRecallUsesTheTunedSettingOrSaysWhyNot) {
    CorpusParams p;
    p.docs = 200;
    TempDir dir;
    BuildOptions with;
    with.approx = small_approx();
    build_index(dir / "idx", random_corpus(6, p), with);
    SearchRequest r;
    r.query.tokens = {token_name(0), token_name(3)};
    r.query.values = {1.0F, 0.5F};
    r.k = 10;
    r.target_recall = 0.9;
    expect_message([&] { (void)Collection::open(dir / "idx")->search(r); }, "vector `default` has no tuned approx setting");
    ApproxDefaults d = *with_defaults().approx_defaults;  // recall@20 0.95, query_cut 5, heap_factor 0.85
    Collection::open(dir / "idx")->set_approx_defaults("default", d);
    const auto c = Collection::open(dir / "idx", {.read_only = true});
    const SearchResult res = c->search(r);
    EXPECT_EQ(res.options.algorithm, Algorithm::approx);
    EXPECT_EQ(res.options.query_cut, 5U);
    EXPECT_DOUBLE_EQ(res.options.heap_factor, 0.85);
    EXPECT_FALSE(res.points.empty());
    SearchRequest stronger = r;
    stronger.target_recall = 0.99;
    expect_message([&] { (void)c->search(stronger); }, "run spindle tune --target-recall 0.99 -k 10");
    SearchRequest deeper = r;
    deeper.k = 30;
    expect_message([&] { (void)c->search(deeper); }, "recall@20 0.95");
    SearchRequest exact = r;
    exact.algorithm = Algorithm::bmp;
    expect_message([&] { (void)c->search(exact); }, "cannot be combined with algorithm bmp");
    SearchRequest knob = r;
    knob.query_cut = 3;
    expect_message([&] { (void)c->search(knob); }, "either target_recall or query_cut");
    SearchRequest out_of_range = r;
    out_of_range.target_recall = 1.5;
    expect_message([&] { (void)c->search(out_of_range); }, "target_recall must be in (0, 1]");
}

// accept_tuning stores the Pareto front of the timed settings, fastest first.
TEST(Tune, AcceptStoresTheTimedParetoFront) {
    TuneOptions opts;
    opts.target_recall = 0.9;
    opts.k = 10;
    TuneResult r;
    auto add = [&](std::size_t cut, double hf, double recall, double ms, bool timed) {
        TunePoint p;
        p.opts.algorithm = Algorithm::approx;
        p.opts.query_cut = cut;
        p.opts.heap_factor = hf;
        p.recall = recall;
        p.mean_ms = ms;
        p.timed = timed;
        r.points.push_back(p);
    };
    add(8, 0.9, 0.95, 0.40, true);   // on the front
    add(2, 0.8, 0.70, 0.10, true);   // on the front (fastest)
    add(4, 0.9, 0.80, 0.30, true);   // dominated by the next one (faster, more recall)
    add(3, 0.9, 0.85, 0.20, true);   // on the front
    add(1, 0.6, 0.99, 0.01, false);  // not timed: never on the stored curve
    add(9, 1.0, 0.95, 0.50, true);   // same recall as a faster one: dominated
    r.chosen = 0;
    r.heldout_recall = 0.94;
    r.heldout_mean_ms = 0.41;
    const TuneVerdict v = accept_tuning(r, opts, true, false, "x");
    ASSERT_EQ(v.defaults.curve.size(), 3U);
    EXPECT_EQ(v.defaults.curve[0].query_cut, 2U);
    EXPECT_EQ(v.defaults.curve[1].query_cut, 3U);
    EXPECT_EQ(v.defaults.curve[2].query_cut, 8U);
    EXPECT_DOUBLE_EQ(v.defaults.curve[2].recall, 0.95);
    EXPECT_DOUBLE_EQ(v.defaults.curve[1].mean_ms, 0.20);
    EXPECT_NO_THROW(v.defaults.validate());
}

TEST(Tune, SplitIsDeterministicAndDisjoint) {
    const auto [t1, h1] = split_queries(101, 0.5, 7);
    const auto [t2, h2] = split_queries(101, 0.5, 7);
    EXPECT_EQ(t1, t2);
    EXPECT_EQ(h1, h2);
    EXPECT_EQ(h1.size(), 51U);  // round(50.5)
    EXPECT_EQ(t1.size(), 50U);
    std::set<std::size_t> all(t1.begin(), t1.end());
    all.insert(h1.begin(), h1.end());
    EXPECT_EQ(all.size(), 101U);
    EXPECT_NE(split_queries(101, 0.5, 8).second, h1);
    const auto [t3, h3] = split_queries(2, 0.99, 1);
    EXPECT_EQ(t3.size(), 1U);
    EXPECT_EQ(h3.size(), 1U);
    expect_message([] { (void)split_queries(1, 0.5, 1); }, "at least 2 queries");
    expect_message([] { (void)split_queries(10, 0.0, 1); }, "held-out");
    expect_message([] { (void)split_queries(10, 1.0, 1); }, "held-out");
}

struct TuneFixture {
    TempDir dir;
    CorpusParams p;
    std::vector<QueryPlan> tuning, heldout;
    TuneFixture(bool approx, ApproxOptions ao = small_approx()) {
        p.docs = 3000;
        p.discrete_weights = false;
        BuildOptions bo;
        if (approx) bo.approx = ao;
        build_index(dir / "idx", random_corpus(8, p), bo);
    }
    void plan(const Index& idx, std::size_t n) {
        const auto qs = random_queries(8, n, p.vocab, false);
        const auto [t, h] = split_queries(qs.size(), 0.5, 42);
        for (std::size_t i : t) tuning.push_back(plan_query(idx, to_query(qs[i])));
        for (std::size_t i : h) heldout.push_back(plan_query(idx, to_query(qs[i])));
    }
};

// The tuner reaches the target on the tuning queries and on the held-out
// queries, with fewer recall passes than the full grid, and its choice is the
// fastest point reaching the target.
TEST(Tune, ReachesTargetOnHeldOutQueries) {
    TuneFixture f(true);
    const Index idx(f.dir / "idx");
    f.plan(idx, 120);
    TuneOptions o;
    o.target_recall = 0.9;
    o.runs = 1;
    std::size_t lines = 0;
    o.log = [&](const std::string& line) { lines += line.starts_with("  ["); };  // a line per setting tried
    const TuneResult r = tune_approx(idx, f.tuning, f.heldout, o);
    ASSERT_TRUE(r.chosen.has_value());
    const TunePoint& c = r.points[*r.chosen];
    std::printf("chose %s: tuning recall %.4f, held-out %.4f, %zu points\n", describe_approx(c.opts).c_str(), c.recall,
                r.heldout_recall, r.points.size());
    EXPECT_GE(c.recall, 0.9);
    EXPECT_GE(r.heldout_recall, 0.9);
    EXPECT_EQ(lines, r.points.size());
    EXPECT_LT(r.points.size(), 12U * 7U / 2);
    bool any_pareto = false;
    for (const auto& pt : r.points) {
        any_pareto = any_pareto || pt.pareto;
        if (pt.recall >= 0.9 && pt.timed) {
            EXPECT_GE(pt.mean_ms, c.mean_ms);
        }
        EXPECT_LE(pt.recall, r.points[r.best].recall);
    }
    EXPECT_TRUE(any_pareto);
    EXPECT_TRUE(r.points[*r.chosen].pareto);
    // Which feasible point is fastest depends on timing; on this corpus every
    // one of them reaches the target on the held-out queries too, so the
    // check above does not depend on machine noise.
    SearchOptions exact;
    exact.algorithm = Algorithm::exhaustive;
    SearchScratch scratch;
    SearchStats stats;
    for (const auto& pt : r.points) {
        if (pt.recall < 0.9) continue;
        double sum = 0;
        for (const auto& q : f.heldout) sum += recall_at_k(search(idx, q, pt.opts, scratch, stats), search(idx, q, exact, scratch, stats));
        EXPECT_GE(sum / static_cast<double>(f.heldout.size()), 0.9) << describe_approx(pt.opts);
    }
}

TEST(Tune, UnreachableTargetAndBadArgumentsAreReported) {
    ApproxOptions tiny;
    tiny.lambda = 3;
    tiny.block_size = 2;
    tiny.alpha_mass = 0.1;
    TuneFixture f(true, tiny);
    const Index idx(f.dir / "idx");
    f.plan(idx, 20);
    TuneOptions o;
    o.target_recall = 1.0;
    o.runs = 1;
    const TuneResult r = tune_approx(idx, f.tuning, f.heldout, o);
    EXPECT_FALSE(r.chosen.has_value());
    EXPECT_LT(r.points[r.best].recall, 1.0);
    // Three postings per term: most missed documents were pruned statically,
    // and the refusal names the budget to rebuild with.
    EXPECT_EQ(r.lambda, 3U);
    EXPECT_GT(r.missed, 0U);
    EXPECT_GT(2 * r.missed_not_kept, r.missed);
    expect_message([&] { (void)accept_tuning(r, o, true, false, ""); }, "--approx-lambda 6");
    // Every posting kept (lambda 0) with a thin summary: no budget to raise,
    // so the refusal names the summary mass instead.
    ApproxOptions thin;
    thin.lambda = 0;
    thin.block_size = 16;
    thin.alpha_mass = 0.02;
    TuneFixture g(true, thin);
    const Index gidx(g.dir / "idx");
    g.plan(gidx, 20);
    const TuneResult rg = tune_approx(gidx, g.tuning, g.heldout, o);
    if (!rg.chosen) {
        EXPECT_EQ(rg.lambda, 0U);
        expect_message([&] { (void)accept_tuning(rg, o, true, false, ""); }, "--approx-alpha 0.04");
    }
    for (double bad : {0.0, -0.1, 1.5}) {
        o.target_recall = bad;
        expect_message([&] { (void)tune_approx(idx, f.tuning, f.heldout, o); }, "target recall must be in (0, 1]");
    }
    TuneFixture plain(false);
    const Index pidx(plain.dir / "idx");
    plain.plan(pidx, 4);
    o.target_recall = 0.9;
    expect_message([&] { (void)tune_approx(pidx, plain.tuning, plain.heldout, o); }, "spindle build-approx");
}

// The accept/refuse rule shared by spindle tune and spindle.tune.
TEST(Tune, AcceptRuleRefusesUnreachedAndHeldOutMisses) {
    TuneOptions opts;
    opts.target_recall = 0.9;
    opts.k = 10;
    TuneResult r;
    TunePoint p;
    p.opts.algorithm = Algorithm::approx;
    p.opts.query_cut = 5;
    p.opts.heap_factor = 0.8;
    p.recall = 0.85;
    r.points.push_back(p);
    r.best = 0;
    EXPECT_THROW((void)accept_tuning(r, opts, true, false, "x"), Error);  // nothing reached the target
    r.points[0].recall = 0.93;
    r.chosen = 0;
    r.heldout_recall = 0.80;  // misses by more than the margin
    try {
        (void)accept_tuning(r, opts, true, false, "(ask for more)");
        FAIL() << "expected a refusal";
    } catch (const Error& e) {
        EXPECT_NE(std::string(e.what()).find("misses the target 0.9 by more than 0.05"), std::string::npos) << e.what();
        EXPECT_NE(std::string(e.what()).find("(ask for more)"), std::string::npos);
    }
    EXPECT_EQ(accept_tuning(r, opts, true, true, "x").note, TuneVerdict::Note::forced);
    EXPECT_EQ(accept_tuning(r, opts, false, false, "x").note, TuneVerdict::Note::below_target);  // not storing
    r.heldout_recall = 0.88;  // within the margin
    const TuneVerdict v = accept_tuning(r, opts, true, false, "x");
    EXPECT_EQ(v.note, TuneVerdict::Note::below_target);
    EXPECT_EQ(v.defaults.query_cut, 5U);
    EXPECT_DOUBLE_EQ(v.defaults.heap_factor, 0.8);
    EXPECT_DOUBLE_EQ(v.defaults.target_recall, 0.9);
    EXPECT_DOUBLE_EQ(v.defaults.recall, 0.88);
    r.heldout_recall = 0.95;
    EXPECT_EQ(accept_tuning(r, opts, true, false, "x").note, TuneVerdict::Note::none);
}

}  // namespace
}  // namespace spindle::test
