// Fusion (spindle/query/fusion.hpp) against hand-computed values, and query
// trees (Collection::query) on a collection with two named sparse vectors
// against the formulas recomputed here from brute-force per-list rankings.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <map>
#include <nlohmann/json.hpp>
#include <optional>
#include <random>
#include <set>

#include "spindle/collection/collection.hpp"
#include "spindle/collection/filter.hpp"
#include "spindle/common/error.hpp"
#include "spindle/io/file_util.hpp"
#include "spindle/query/fusion.hpp"
#include "test_util.hpp"

namespace spindle {
namespace {

using test::TempDir;

// FusionParams without designated initializers (-Wmissing-field-initializers).
FusionParams fp(FusionMethod m, std::vector<double> weights = {}, std::optional<double> alpha = std::nullopt,
                ScoreNormalization n = ScoreNormalization::min_max, std::size_t k = 2) {
    FusionParams p;
    p.method = m;
    p.weights = std::move(weights);
    p.alpha = alpha;
    p.normalization = n;
    p.rrf_k = k;
    return p;
}

RankedList list(std::initializer_list<std::pair<std::uint64_t, double>> hits) {
    RankedList l;
    for (const auto& [i, s] : hits) l.push_back({i, s});
    return l;
}

void expect_hits(const std::vector<FusionHit>& got, std::initializer_list<std::pair<std::uint64_t, double>> want) {
    ASSERT_EQ(got.size(), want.size());
    std::size_t r = 0;
    for (const auto& [i, s] : want) {
        EXPECT_EQ(got[r].item, i) << "rank " << r;
        EXPECT_NEAR(got[r].score, s, 1e-12) << "rank " << r;
        ++r;
    }
}

// --- formulas ---------------------------------------------------------------------

TEST(FusionFormula, RrfDefaultK) {
    const std::vector<RankedList> l = {list({{1, 9}, {2, 8}, {3, 7}}), list({{3, 0.5}, {1, 0.1}})};
    // 1: 1/2 + 1/3; 3: 1/4 + 1/2; 2: 1/3 (ranks from 0, k = 2).
    expect_hits(fuse_rrf(l, 2), {{1, 1.0 / 2 + 1.0 / 3}, {3, 0.75}, {2, 1.0 / 3}});
    expect_hits(fuse_rrf(l, 60), {{1, 1.0 / 60 + 1.0 / 61}, {3, 1.0 / 62 + 1.0 / 60}, {2, 1.0 / 61}});
}

TEST(FusionFormula, RrfTiesEmptyAndSingle) {
    // Equal fused scores: smaller item first, whichever list it came from.
    const std::vector<RankedList> a = {list({{7, 1}}), list({{4, 1}})};
    expect_hits(fuse_rrf(a, 2), {{4, 0.5}, {7, 0.5}});
    EXPECT_TRUE(fuse_rrf(std::vector<RankedList>{}, 2).empty());
    const std::vector<RankedList> b = {RankedList{}, list({{5, 3}})};
    expect_hits(fuse_rrf(b, 2), {{5, 0.5}});
    // Input scores do not matter, only positions.
    const std::vector<RankedList> c = {list({{1, 100}, {2, 99.999}})};
    expect_hits(fuse_rrf(c, 2), {{1, 0.5}, {2, 1.0 / 3}});
}

TEST(FusionFormula, WeightedRrfAsQdrant) {
    // score = 1 / ((rank + 1) / w + k - 1): w 3 -> 1/(1/3 + 1), 1/(2/3 + 1); w 1 -> 1/2, 1/3.
    const std::vector<RankedList> l = {list({{1, 5}, {2, 4}}), list({{3, 5}, {4, 4}})};
    const double w[] = {3.0, 1.0};
    expect_hits(fuse_rrf(l, 2, w), {{1, 0.75}, {2, 0.6}, {3, 0.5}, {4, 1.0 / 3}});
    // A weight of 0 adds nothing, but its hits stay candidates.
    const double z[] = {1.0, 0.0};
    expect_hits(fuse_rrf(l, 2, z), {{1, 0.5}, {2, 1.0 / 3}, {3, 0.0}, {4, 0.0}});
    const double bad[] = {1.0};
    test::expect_message([&] { (void)fuse_rrf(l, 2, bad); }, "rrf: 1 weights for 2 prefetch lists");
    test::expect_message([&] { (void)fuse_rrf(l, 0); }, "rrf: k must be at least 1");
}

TEST(FusionFormula, DbsfNormalization) {
    // [3, 2, 1]: mean 2, sample sd 1, so (s - (2 - 3)) / 6.
    const auto n = dbsf_normalize(list({{1, 3}, {2, 2}, {3, 1}}));
    ASSERT_EQ(n.size(), 3U);
    EXPECT_NEAR(n[0], 4.0 / 6, 1e-12);
    EXPECT_NEAR(n[1], 3.0 / 6, 1e-12);
    EXPECT_NEAR(n[2], 2.0 / 6, 1e-12);
    // Zero variance and single hits: 0.5; empty: nothing.
    EXPECT_EQ(dbsf_normalize(list({{1, 4}, {2, 4}})), (std::vector<double>{0.5, 0.5}));
    EXPECT_EQ(dbsf_normalize(list({{1, 4}})), (std::vector<double>{0.5}));
    EXPECT_TRUE(dbsf_normalize({}).empty());
    // Ascending scores (distances): mirrored, the first hit still best.
    const auto m = dbsf_normalize(list({{1, 1}, {2, 2}, {3, 3}}));
    EXPECT_NEAR(m[0], 4.0 / 6, 1e-12);
    EXPECT_NEAR(m[2], 2.0 / 6, 1e-12);
    // Not clamped: an outlier falls outside [0, 1]. [10, 0 x 9]: mean 1, sd sqrt(10).
    RankedList out = list({{0, 10}});
    for (std::uint64_t i = 1; i < 10; ++i) out.push_back({i, 0.0});
    const double sd = std::sqrt(10.0);
    EXPECT_NEAR(dbsf_normalize(out)[0], (10 - (1 - 3 * sd)) / (6 * sd), 1e-12);
    EXPECT_GT(dbsf_normalize(out)[0], 0.97);
}

TEST(FusionFormula, DbsfSum) {
    const std::vector<RankedList> l = {list({{1, 3}, {2, 2}, {3, 1}}), list({{3, 10}, {4, 10}}), list({{9, 0.1}})};
    // 3: 2/6 + 0.5; 1: 4/6; 4: 0.5; 9: 0.5; 2: 3/6.
    expect_hits(fuse_dbsf(l), {{3, 2.0 / 6 + 0.5}, {1, 4.0 / 6}, {2, 0.5}, {4, 0.5}, {9, 0.5}});
    EXPECT_TRUE(fuse_dbsf(std::vector<RankedList>{RankedList{}, RankedList{}}).empty());
}

TEST(FusionFormula, ConvexMinMax) {
    const std::vector<RankedList> l = {list({{1, 4}, {2, 2}, {3, 0}}), list({{3, 10}, {4, 5}})};
    // min-max: A 1, .5, 0; B 1 (3), 0 (4); absent counts as 0.
    FusionParams p = fp(FusionMethod::convex, {}, 0.7);
    expect_hits(fuse(l, p), {{1, 0.7}, {2, 0.35}, {3, 0.3}, {4, 0.0}});
    // Equal scores (or one hit) normalize to 1.
    const std::vector<RankedList> e = {list({{1, 2}, {2, 2}}), list({{3, 7}})};
    p.alpha = 0.25;
    expect_hits(fuse(e, p), {{3, 0.75}, {1, 0.25}, {2, 0.25}});
    // Weights are scaled to sum to 1.
    const FusionParams w = fp(FusionMethod::convex, {7, 3});
    expect_hits(fuse(l, w), {{1, 0.7}, {2, 0.35}, {3, 0.3}, {4, 0.0}});
}

TEST(FusionFormula, ConvexZScore) {
    const std::vector<RankedList> l = {list({{1, 3}, {2, 2}, {3, 1}}), list({{3, 10}, {4, 10}})};
    // z: A 1, 0, -1 (absent -1); B sd 0: 0 (absent 0).
    const FusionParams p = fp(FusionMethod::convex, {}, std::nullopt, ScoreNormalization::z_score);
    expect_hits(fuse(l, p), {{1, 0.5}, {2, 0.0}, {3, -0.5}, {4, -0.5}});
}

TEST(FusionFormula, ConvexMirrorsAscendingLists) {
    // Distances 1, 2, 3: min-max 1, .5, 0 (the first best); z 1, 0, -1.
    const std::vector<RankedList> l = {list({{1, 1}, {2, 2}, {3, 3}}), list({{3, 10}})};
    expect_hits(fuse(l, fp(FusionMethod::convex, {}, 1.0)), {{1, 1.0}, {2, 0.5}, {3, 0.0}});
    expect_hits(fuse(l, fp(FusionMethod::convex, {1, 0}, std::nullopt, ScoreNormalization::z_score)),
                {{1, 1.0}, {2, 0.0}, {3, -1.0}});
}

TEST(FusionFormula, Validation) {
    test::expect_message([] { validate_fusion(fp(FusionMethod::convex, {}, 1.5), 2); }, "alpha must be in [0, 1]");
    test::expect_message([] { validate_fusion(fp(FusionMethod::convex, {}, 0.5), 3); }, "alpha weighs two prefetch lists, got 3");
    test::expect_message([] { validate_fusion(fp(FusionMethod::convex, {1, -1}), 2); }, "weights[1] is negative");
    test::expect_message([] { validate_fusion(fp(FusionMethod::convex, {0, 0}), 2); }, "the weights sum to 0");
    test::expect_message([] { validate_fusion(fp(FusionMethod::dbsf, {1, NAN}), 2); }, "weights[1] is not a finite number");
    test::expect_message([] { validate_fusion(fp(FusionMethod::rrf, {}, std::nullopt, ScoreNormalization::min_max, 0), 2); }, "rrf: k must be at least 1");
    test::expect_message([] { validate_fusion({}, 0); }, "fusion rrf needs at least one prefetch");
    test::expect_message([] { (void)parse_fusion_method("rff"); }, "unknown fusion `rff` (valid: rrf, dbsf, convex)");
}

// --- query trees on a collection ------------------------------------------------------

using Ranked = std::vector<std::pair<PointId, double>>;

// The oracle formulas, written out again over (id, score) lists.
Ranked sorted(std::map<PointId, double> m) {
    Ranked r(m.begin(), m.end());
    std::stable_sort(r.begin(), r.end(), [](const auto& a, const auto& b) { return a.second > b.second; });
    return r;
}

Ranked oracle_rrf(const std::vector<Ranked>& ls, double k, const std::vector<double>& w = {}) {
    std::map<PointId, double> m;
    for (std::size_t i = 0; i < ls.size(); ++i) {
        const double wi = w.empty() ? 1.0 : w[i];
        for (std::size_t r = 0; r < ls[i].size(); ++r) m[ls[i][r].first] += 1.0 / ((static_cast<double>(r) + 1) / wi + k - 1);
    }
    return sorted(m);
}

Ranked oracle_dbsf(const std::vector<Ranked>& ls) {
    std::map<PointId, double> m;
    for (const Ranked& l : ls) {
        const double n = static_cast<double>(l.size());
        double mean = 0;
        for (const auto& [_, s] : l) mean += s / n;
        double var = 0;
        for (const auto& [_, s] : l) var += (s - mean) * (s - mean);
        const double sd = l.size() > 1 ? std::sqrt(var / (n - 1)) : 0.0;
        for (const auto& [id, s] : l) m[id] += sd == 0 ? 0.5 : (s - mean + 3 * sd) / (6 * sd);
    }
    return sorted(m);
}

Ranked oracle_convex_minmax(const std::vector<Ranked>& ls, const std::vector<double>& w) {
    std::map<PointId, double> m;
    for (const Ranked& l : ls) {
        for (const auto& [id, _] : l) m[id] += 0.0;
    }
    for (std::size_t i = 0; i < ls.size(); ++i) {
        if (ls[i].empty()) continue;
        const double hi = ls[i].front().second;
        const double lo = ls[i].back().second;
        for (const auto& [id, s] : ls[i]) m[id] += w[i] * (hi == lo ? 1.0 : (s - lo) / (hi - lo));
    }
    return sorted(m);
}

Ranked head(Ranked r, std::size_t offset, std::size_t limit) {
    r.erase(r.begin(), r.begin() + static_cast<std::ptrdiff_t>(std::min(offset, r.size())));
    if (r.size() > limit) r.resize(limit);
    return r;
}

void expect_ranked(const QueryResult& got, const Ranked& want, const std::string& what) {
    ASSERT_EQ(got.points.size(), want.size()) << what;
    for (std::size_t i = 0; i < want.size(); ++i) {
        EXPECT_EQ(got.points[i].id, want[i].first) << what << " rank " << i;
        EXPECT_NEAR(got.points[i].score, want[i].second, 1e-9) << what << " rank " << i;
    }
}

class HybridCollection : public ::testing::Test {
protected:
    static constexpr std::size_t kPoints = 400;
    static constexpr std::uint32_t kDims = 40;

    void SetUp() override {
        skip_fsync_for_tests();
        CollectionConfig cfg;
        SparseVectorConfig v;
        v.keys = VectorKeys::indices;
        v.weight_type = WeightType::f32;
        cfg.vectors.emplace("a", v);
        cfg.vectors.emplace("b", v);
        cfg.segments.flush_docs = 90;  // a few disk segments and an in-memory one
        c_ = Collection::create(tmp_ / "coll", cfg);
        std::mt19937_64 rng(20261204);
        std::vector<Point> batch;
        for (std::size_t i = 0; i < kPoints; ++i) {
            Point p;
            p.id = PointId(i);
            for (const char* name : {"a", "b"}) {
                if (rng() % 10 == 0) continue;  // some points leave a vector out
                p.vectors.emplace(name, random_vector(rng, 2 + rng() % 5));
            }
            p.payload = nlohmann::json{{"even", i % 2 == 0}}.dump();
            vecs_.emplace(p.id, p.vectors);
            batch.push_back(std::move(p));
            if (batch.size() == 50) {
                c_->upsert(batch);
                batch.clear();
            }
        }
        c_->upsert(batch);
        std::vector<PointId> gone = {PointId(3), PointId(77), PointId(150)};
        c_->remove(gone);
        for (const auto& id : gone) vecs_.erase(id);
    }

    static SparseVector random_vector(std::mt19937_64& rng, std::size_t nnz) {
        std::set<std::uint32_t> dims;
        while (dims.size() < nnz) dims.insert(static_cast<std::uint32_t>(rng() % kDims));
        SparseVector s;
        for (const auto d : dims) {
            s.indices.push_back(d);
            s.values.push_back(static_cast<float>(1 + rng() % 16) / 8.0F);
        }
        return s;
    }

    // The exact ranking of one vector by brute force over the points' own
    // vectors (only points that share a term), checked against the search.
    Ranked brute(const std::string& vector, const SparseVector& q, std::size_t limit, bool even_only = false) const {
        Ranked all;
        for (const auto& [id, vs] : vecs_) {
            if (even_only && id.number() % 2 != 0) continue;
            const auto it = vs.find(vector);
            if (it == vs.end()) continue;
            double s = 0;
            bool shared = false;
            for (std::size_t i = 0; i < q.indices.size(); ++i) {
                for (std::size_t j = 0; j < it->second.indices.size(); ++j) {
                    if (q.indices[i] == it->second.indices[j]) {
                        s += static_cast<double>(q.values[i]) * static_cast<double>(it->second.values[j]);
                        shared = true;
                    }
                }
            }
            if (shared && s > 0) all.emplace_back(id, s);
        }
        std::sort(all.begin(), all.end(), [](const auto& x, const auto& y) {
            return x.second > y.second || (x.second == y.second && x.first < y.first);
        });
        if (all.size() > limit) all.resize(limit);
        return all;
    }

    static QueryRequest leaf(const std::string& vector, const SparseVector& q, std::size_t limit) {
        QueryRequest r;
        r.search = SearchRequest{};
        r.search->vector = vector;
        r.search->query = q;
        r.limit = limit;
        return r;
    }

    TempDir tmp_;
    std::unique_ptr<Collection> c_;
    std::map<PointId, std::map<std::string, SparseVector>> vecs_;
};

TEST_F(HybridCollection, LeafEqualsBruteForce) {
    std::mt19937_64 rng(1);
    for (int t = 0; t < 10; ++t) {
        const SparseVector q = random_vector(rng, 4);
        for (const char* v : {"a", "b"}) expect_ranked(c_->query(leaf(v, q, 25)), brute(v, q, 25), std::string("leaf ") + v);
    }
}

TEST_F(HybridCollection, FusionsEqualTheFormulas) {
    std::mt19937_64 rng(2);
    for (int t = 0; t < 12; ++t) {
        const SparseVector qa = random_vector(rng, 4);
        const SparseVector qb = random_vector(rng, 3);
        const std::size_t la = 10 + rng() % 30;
        const std::size_t lb = 10 + rng() % 30;
        const std::vector<Ranked> lists = {brute("a", qa, la), brute("b", qb, lb)};
        QueryRequest q;
        q.prefetch = {leaf("a", qa, la), leaf("b", qb, lb)};
        q.limit = 15;

        q.fusion = FusionParams{};
        expect_ranked(c_->query(q), head(oracle_rrf(lists, 2), 0, 15), "rrf");
        q.fusion = fp(FusionMethod::rrf, {3.0, 1.0}, std::nullopt, ScoreNormalization::min_max, 5);
        expect_ranked(c_->query(q), head(oracle_rrf(lists, 5, {3.0, 1.0}), 0, 15), "weighted rrf");
        q.fusion = fp(FusionMethod::dbsf);
        expect_ranked(c_->query(q), head(oracle_dbsf(lists), 0, 15), "dbsf");
        q.fusion = fp(FusionMethod::convex, {}, 0.3);
        expect_ranked(c_->query(q), head(oracle_convex_minmax(lists, {0.3, 0.7}), 0, 15), "convex");

        // offset and score_threshold apply to the fused ranking.
        q.fusion = FusionParams{};
        q.offset = 4;
        q.limit = 6;
        const Ranked all = oracle_rrf(lists, 2);
        expect_ranked(c_->query(q), head(all, 4, 6), "rrf offset");
        q.offset = 0;
        q.limit = 1000;
        q.score_threshold = 0.3;
        Ranked above;
        for (const auto& e : all) {
            if (e.second >= 0.3) above.push_back(e);
        }
        expect_ranked(c_->query(q), above, "rrf threshold");
    }
}

TEST_F(HybridCollection, RescoringRanksTheCandidatesExactly) {
    std::mt19937_64 rng(3);
    for (int t = 0; t < 10; ++t) {
        const SparseVector qa = random_vector(rng, 4);
        const SparseVector qb = random_vector(rng, 4);
        QueryRequest q = leaf("b", qb, 12);
        q.prefetch = {leaf("a", qa, 30)};
        std::set<PointId> cands;
        for (const auto& [id, _] : brute("a", qa, 30)) cands.insert(id);
        Ranked want;
        for (const auto& e : brute("b", qb, kPoints)) {
            if (cands.count(e.first) != 0U) want.push_back(e);
        }
        expect_ranked(c_->query(q), head(want, 0, 12), "rescore");
    }
}

TEST_F(HybridCollection, FiltersPropagateAndPrefetchesNest) {
    std::mt19937_64 rng(4);
    const auto even = std::make_shared<Filter>(parse_filter(R"({"must": [{"key": "even", "match": {"value": true}}]})"));
    for (int t = 0; t < 8; ++t) {
        const SparseVector qa = random_vector(rng, 4);
        const SparseVector qb = random_vector(rng, 4);
        // The root's filter reaches every prefetch below it.
        QueryRequest q;
        q.filter = even;
        q.fusion = FusionParams{};
        q.prefetch = {leaf("a", qa, 20), leaf("b", qb, 20)};
        expect_ranked(c_->query(q), head(oracle_rrf({brute("a", qa, 20, true), brute("b", qb, 20, true)}, 2), 0, 10), "filtered rrf");

        // Nested: dbsf over (rrf of a and b) and b alone.
        QueryRequest inner;
        inner.fusion = FusionParams{};
        inner.limit = 15;
        inner.prefetch = {leaf("a", qa, 20), leaf("b", qb, 20)};
        QueryRequest root;
        root.fusion = fp(FusionMethod::dbsf);
        root.prefetch = {inner, leaf("b", qb, 10)};
        const Ranked fused_inner = head(oracle_rrf({brute("a", qa, 20), brute("b", qb, 20)}, 2), 0, 15);
        expect_ranked(c_->query(root), head(oracle_dbsf({fused_inner, brute("b", qb, 10)}), 0, 10), "nested");
    }
}

TEST_F(HybridCollection, BatchPayloadsAndEmptyResults) {
    std::mt19937_64 rng(5);
    std::vector<QueryRequest> qs;
    for (int t = 0; t < 6; ++t) {
        QueryRequest q;
        q.fusion = fp(t % 2 == 0 ? FusionMethod::rrf : FusionMethod::dbsf);
        q.prefetch = {leaf("a", random_vector(rng, 3), 20), leaf("b", random_vector(rng, 3), 20)};
        q.with_payload = true;
        qs.push_back(std::move(q));
    }
    const auto batch = c_->query_batch(qs, 3);
    ASSERT_EQ(batch.size(), qs.size());
    for (std::size_t i = 0; i < qs.size(); ++i) {
        const QueryResult one = c_->query(qs[i]);
        ASSERT_EQ(one.points.size(), batch[i].points.size());
        EXPECT_EQ(one.searches, 2U);
        for (std::size_t r = 0; r < one.points.size(); ++r) {
            EXPECT_EQ(one.points[r].id, batch[i].points[r].id);
            EXPECT_EQ(one.points[r].score, batch[i].points[r].score);
            const bool even = one.points[r].id.number() % 2 == 0;
            EXPECT_EQ(one.points[r].payload, (nlohmann::json{{"even", even}}.dump()));
        }
    }
    // A query sharing no term with anything: empty lists fuse to nothing,
    // and re-scoring no candidates runs no search.
    SparseVector none;
    none.indices = {kDims + 5};
    none.values = {1.0F};
    QueryRequest q;
    q.fusion = FusionParams{};
    q.prefetch = {leaf("a", none, 10), leaf("b", none, 10)};
    EXPECT_TRUE(c_->query(q).points.empty());
    QueryRequest re = leaf("b", none, 10);
    re.prefetch = {leaf("a", none, 10)};
    const QueryResult r = c_->query(re);
    EXPECT_TRUE(r.points.empty());
    EXPECT_EQ(r.searches, 1U);
}

TEST_F(HybridCollection, BadRequestsNameTheNode) {
    SparseVector q;
    q.indices = {1};
    q.values = {1.0F};
    QueryRequest f;
    f.fusion = FusionParams{};
    test::expect_message([&] { (void)c_->query(f); }, "fusion rrf needs prefetches to fuse (none given)");
    QueryRequest none;
    test::expect_message([&] { (void)c_->query(none); }, "a query is required");
    QueryRequest two = leaf("a", q, 5);
    two.fusion = FusionParams{};
    test::expect_message([&] { (void)c_->query(two); }, "give either a vector query or a fusion, not both");
    f.prefetch = {leaf("a", q, 5), leaf("nope", q, 5)};
    test::expect_message([&] { (void)c_->query(f); }, "prefetch[1]: ");
    test::expect_message([&] { (void)c_->query(f); }, "nope");
    f.prefetch = {leaf("a", q, 5), leaf("b", q, 5)};
    f.fusion = fp(FusionMethod::rrf, {1, 2, 3});
    test::expect_message([&] { (void)c_->query(f); }, "rrf: 3 weights for 2 prefetch lists");
    f.fusion = FusionParams{};
    f.prefetch[0].limit = 0;
    test::expect_message([&] { (void)c_->query(f); }, "prefetch[0]: limit must be at least 1");
    f.prefetch[0].limit = 5;
    f.prefetch[1].search->filter = std::make_shared<Filter>();
    test::expect_message([&] { (void)c_->query(f); }, "prefetch[1]: the filter of a vector query is set on the QueryRequest");
    // Depth: kMaxQueryDepth levels of prefetch run, one more is refused.
    QueryRequest deep = leaf("a", q, 5);
    for (std::size_t d = 0; d < kMaxQueryDepth; ++d) {
        QueryRequest up;
        up.fusion = FusionParams{};
        up.prefetch = {deep};
        deep = std::move(up);
    }
    EXPECT_NO_THROW((void)c_->query(deep));
    QueryRequest deeper;
    deeper.fusion = FusionParams{};
    deeper.prefetch = {deep};
    test::expect_message([&] { (void)c_->query(deeper); }, "prefetches nest more than 8 levels deep");
    // A batch names the query.
    std::vector<QueryRequest> qs = {leaf("a", q, 5), none};
    test::expect_message([&] { (void)c_->query_batch(qs); }, "queries[1]: a query is required");
}

}  // namespace
}  // namespace spindle
