// Model-based test of live collections: random sequences of upserts,
// replacements, deletes, flushes, merges, optimizes and reopens against an
// in-memory model. After every step every exact algorithm must return the
// model's brute-force top-k (ids and scores, ties by id), and count/get must
// agree with the model.
#include <gtest/gtest.h>

#include <algorithm>
#include <map>
#include <random>
#include <set>

#include "spindle/collection/collection.hpp"
#include "spindle/common/error.hpp"
#include "spindle/io/file_util.hpp"
#include "test_util.hpp"

namespace spindle {
namespace {

using test::TempDir;

struct ModelPoint {
    std::map<std::string, float> a;  // vector "a" (tokens)
    std::map<std::uint32_t, float> b;  // vector "b" (indices)
    std::string payload;
};
using Model = std::map<PointId, ModelPoint>;

CollectionConfig model_config(std::mt19937_64& rng) {
    CollectionConfig c;
    SparseVectorConfig a;
    a.weight_type = WeightType::f32;
    a.range_block = 1 + static_cast<std::uint32_t>(rng() % 8);
    SparseVectorConfig b;
    b.keys = VectorKeys::indices;
    b.weight_type = WeightType::f32;
    c.vectors.emplace("a", a);
    c.vectors.emplace("b", b);
    c.segments.flush_docs = 10 + rng() % 60;
    c.segments.memory_merge_factor = 2 + static_cast<std::uint32_t>(rng() % 3);
    c.segments.merge_factor = 2 + static_cast<std::uint32_t>(rng() % 3);
    c.segments.tier_floor_docs = 10 + rng() % 30;
    c.segments.max_deleted_fraction = 0.3 + 0.5 * static_cast<double>(rng() % 2);
    return c;
}

PointId random_id(std::mt19937_64& rng, std::size_t universe) {
    const std::uint64_t n = rng() % universe;
    if (n % 3 == 0) return PointId::key("doc-" + std::to_string(n));
    return PointId(n);
}

float random_weight(std::mt19937_64& rng) {
    // Few distinct values: many tied scores.
    return static_cast<float>(1 + rng() % 4) * 0.5F;
}

Point random_point(std::mt19937_64& rng, std::size_t universe, ModelPoint& m) {
    Point p;
    p.id = random_id(rng, universe);
    m = {};
    const std::size_t na = rng() % 7;
    SparseVector a;
    std::set<std::string> used;
    for (std::size_t i = 0; i < na; ++i) {
        // Zipf-like: low token numbers are frequent.
        const auto t = static_cast<std::size_t>(std::pow(static_cast<double>(rng() % 1000) / 1000.0, 3.0) * 40);
        const std::string tok = "w" + std::to_string(t);
        if (!used.insert(tok).second) continue;
        const float w = rng() % 10 == 0 ? 0.0F : random_weight(rng);
        a.tokens.push_back(tok);
        a.values.push_back(w);
        if (w > 0) m.a[tok] = w;
    }
    if (!a.values.empty() || rng() % 2 == 0) p.vectors.emplace("a", std::move(a));
    if (rng() % 3 != 0) {
        SparseVector b;
        const std::size_t nb = 1 + rng() % 4;
        for (std::size_t i = 0; i < nb; ++i) {
            const auto dim = static_cast<std::uint32_t>(rng() % 2 == 0 ? rng() % 8 : 1000000 + rng() % 20);
            if (m.b.contains(dim)) continue;
            const float w = random_weight(rng);
            b.indices.push_back(dim);
            b.values.push_back(w);
            m.b[dim] = w;
        }
        p.vectors.emplace("b", std::move(b));
    }
    if (rng() % 2 == 0) p.payload = "{\"n\":" + std::to_string(rng() % 100) + "}";
    m.payload = p.payload;
    return p;
}

struct Expected {
    PointId id;
    double score;
};

/// Brute force over the model with the library's scoring function.
std::vector<Expected> brute_force(const Model& model, const Index& idx, const std::string& vector,
                                  const TextQuery& q, std::size_t k) {
    const QueryPlan plan = plan_query(idx, q);
    std::map<termid_t, QueryWeight> qw;
    for (std::size_t i = 0; i < plan.terms.size(); ++i) qw[plan.terms[i].term] = plan.weights[i];
    std::vector<Expected> all;
    for (const auto& [id, p] : model) {
        score_t s = 0;
        auto add = [&](const std::string& tok, float w) {
            const auto t = idx.vocabulary().find(tok);
            if (!t) return;
            const auto it = qw.find(*t);
            if (it != qw.end()) s += contrib<float>(it->second, w);
        };
        if (vector == "a") {
            for (const auto& [tok, w] : p.a) add(tok, w);
        } else {
            for (const auto& [dim, w] : p.b) add(std::to_string(dim), w);
        }
        if (s > 0) all.push_back({id, static_cast<double>(s) * plan.inv_scale});
    }
    std::sort(all.begin(), all.end(), [](const Expected& x, const Expected& y) {
        return x.score > y.score || (x.score == y.score && x.id < y.id);
    });
    if (all.size() > k) all.resize(k);
    return all;
}

SearchRequest random_query(std::mt19937_64& rng, std::string& vector) {
    SearchRequest r;
    vector = rng() % 2 == 0 ? "a" : "b";
    r.vector = vector;
    const std::size_t n = 1 + rng() % 5;
    std::set<std::string> seen;
    for (std::size_t i = 0; i < n; ++i) {
        if (vector == "a") {
            const std::string tok = "w" + std::to_string(rng() % 45);
            if (!seen.insert(tok).second) continue;
            r.query.tokens.push_back(tok);
        } else {
            const auto dim = static_cast<std::uint32_t>(rng() % 2 == 0 ? rng() % 8 : 1000000 + rng() % 20);
            if (!seen.insert(std::to_string(dim)).second) continue;
            r.query.indices.push_back(dim);
        }
        r.query.values.push_back(random_weight(rng));
    }
    r.k = 1 + rng() % 12;
    return r;
}

void check_against_model(const Collection& c, const Model& model, std::mt19937_64& rng, const std::string& where) {
    ASSERT_EQ(c.count(), model.size()) << where;
    const auto snap = c.snapshot();
    for (int qi = 0; qi < 3; ++qi) {
        std::string vector;
        SearchRequest r = random_query(rng, vector);
        TextQuery tq = query_tokens(r, c.config().vectors.at(vector), vector);
        const auto idx = snap->index(vector);
        const auto want = brute_force(model, *idx, vector, tq, r.k + r.offset);
        for (Algorithm alg : {Algorithm::exhaustive, Algorithm::maxscore, Algorithm::bmw, Algorithm::bmp}) {
            r.algorithm = alg;
            const SearchResult got = c.search(r);
            ASSERT_EQ(got.points.size(), want.size()) << where << " " << to_string(alg) << " vector " << vector;
            for (std::size_t i = 0; i < want.size(); ++i) {
                ASSERT_EQ(got.points[i].id, want[i].id) << where << " " << to_string(alg) << " rank " << i;
                ASSERT_EQ(got.points[i].score, want[i].score) << where << " " << to_string(alg) << " rank " << i;
            }
        }
    }
    // get agrees on a few ids (present or not).
    std::vector<PointId> ids;
    for (int i = 0; i < 4; ++i) ids.push_back(random_id(rng, 300));
    const auto got = c.get(ids);
    for (std::size_t i = 0; i < ids.size(); ++i) {
        const auto it = model.find(ids[i]);
        ASSERT_EQ(got[i].has_value(), it != model.end()) << where << " get " << ids[i].text();
        if (!got[i]) continue;
        EXPECT_EQ(got[i]->payload, it->second.payload) << where;
        std::map<std::string, float> a;
        if (got[i]->vectors.contains("a")) {
            const auto& v = got[i]->vectors.at("a");
            for (std::size_t k = 0; k < v.values.size(); ++k) a[v.tokens[k]] = v.values[k];
        }
        EXPECT_EQ(a, it->second.a) << where << " get " << ids[i].text();
    }
}

void run_model(std::uint64_t seed, OpenOptions opts) {
    skip_fsync_for_tests();  // logic, not power loss: the crash tests keep fsync
    std::mt19937_64 rng(seed * 7919 + 13);
    TempDir tmp;
    const std::string dir = tmp / "coll";
    const CollectionConfig cfg = model_config(rng);
    auto c = Collection::create(dir, cfg, opts);
    Model model;
    const std::size_t universe = 40 + rng() % 260;
    const int steps = 200;
    for (int step = 0; step < steps; ++step) {
        const std::string where = "seed " + std::to_string(seed) + " step " + std::to_string(step);
        const auto op = rng() % 100;
        if (op < 55) {
            std::vector<Point> batch;
            std::vector<std::pair<PointId, ModelPoint>> updates;
            const std::size_t n = 1 + rng() % 12;
            for (std::size_t i = 0; i < n; ++i) {
                ModelPoint mp;
                batch.push_back(random_point(rng, universe, mp));
                updates.emplace_back(batch.back().id, mp);
            }
            c->upsert(batch, {.wait = rng() % 2 == 0});
            for (auto& [id, mp] : updates) model[id] = mp;
        } else if (op < 75) {
            std::vector<PointId> ids;
            const std::size_t n = 1 + rng() % 8;
            for (std::size_t i = 0; i < n; ++i) ids.push_back(random_id(rng, universe));
            std::uint64_t present = 0;
            std::set<PointId> distinct(ids.begin(), ids.end());
            for (const auto& id : distinct) present += model.erase(id);
            const WriteResult w = c->remove(ids);
            EXPECT_EQ(w.applied, present) << where;
        } else if (op < 82) {
            c->flush();
        } else if (op < 86) {
            c->optimize(1 + rng() % 3);
        } else if (op < 90) {
            c->maintain();
        } else {
            c.reset();
            c = Collection::open(dir, opts);
        }
        ASSERT_NO_THROW(c->check()) << where;
        check_against_model(*c, model, rng, where);
        if (::testing::Test::HasFatalFailure()) return;
    }
    // A read-only open sees the same points.
    const auto ro = Collection::open(dir, {.read_only = true});
    EXPECT_EQ(ro->count(), model.size());
}

class CollectionModel : public ::testing::TestWithParam<int> {};

TEST_P(CollectionModel, RandomOperationsMatchTheModel) { run_model(static_cast<std::uint64_t>(GetParam()), {}); }

// In-memory tiers and flushes on the background thread: whatever it has
// done when a step checks, every search and get agree with the model.
TEST_P(CollectionModel, RandomOperationsMatchTheModelWithBackgroundFlush) {
    run_model(static_cast<std::uint64_t>(GetParam()) + 1000, {.background_flush = true});
}

// 20 seeds by default (about 2 minutes of CPU under ASan); SPINDLE_TEST_SEEDS=N for more.
INSTANTIATE_TEST_SUITE_P(Seeds, CollectionModel, ::testing::Range(0, test::test_seeds(20)));

}  // namespace
}  // namespace spindle
