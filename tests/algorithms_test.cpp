// Differential tests: every exact algorithm returns exactly the exhaustive
// top-k (same documents, same scores, ties by ascending docid) over many seeds,
// sizes, skews, tie-heavy weights, values of k and all three weight types.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <map>
#include <set>

#include "asserting_cursor.hpp"
#include "spindle/gen/corpus_model.hpp"
#include "spindle/index/index.hpp"
#include "spindle/query/block_cursor.hpp"
#include "spindle/query/block_max_wand.hpp"
#include "spindle/query/exhaustive.hpp"
#include "spindle/query/maxscore.hpp"
#include "spindle/query/searcher.hpp"
#include "test_util.hpp"

namespace spindle::test {
namespace {

constexpr WeightType kWeightTypes[] = {WeightType::f32, WeightType::u16, WeightType::u8};
constexpr Algorithm kPruning[] = {Algorithm::maxscore, Algorithm::bmw, Algorithm::bmp};
constexpr std::size_t kKs[] = {1, 3, 10, 1000};

std::vector<Hit> run(const Index& idx, const QueryPlan& plan, Algorithm a, std::size_t k, double alpha = 1.0) {
    SearchOptions o;
    o.algorithm = a;
    o.k = k;
    o.bmp_alpha = alpha;
    return search_once(idx, plan, o);
}

struct Case {
    std::uint64_t seed;
    CorpusParams params;
};

std::vector<Case> cases() {
    std::vector<Case> out;
    const std::size_t sizes[] = {0, 1, 2, 7, 130, 600, 2500};
    std::uint64_t seed = 1;
    for (std::size_t n : sizes) {
        for (int variant = 0; variant < 3; ++variant) {
            CorpusParams p;
            p.docs = n;
            p.vocab = variant == 2 ? 12 : 150;   // tiny vocabulary: terms in almost every doc
            p.zipf = variant == 1 ? 1.6 : 1.0;
            p.mean_len = variant == 2 ? 6 : 15;
            p.everywhere = variant == 0 ? 2 : 0;
            p.discrete_weights = variant != 1;
            out.push_back({seed++, p});
        }
    }
    return out;
}

TEST(Algorithms, AllMatchExhaustiveOnRandomSkewedData) {
    std::size_t compared = 0;
    for (const auto& c : cases()) {
        const auto docs = random_corpus(c.seed, c.params);
        for (WeightType wt : kWeightTypes) {
            TempDir dir;
            BuildOptions bo;
            bo.weight_type = wt;
            bo.range_block = 1 + static_cast<std::uint32_t>(c.seed % 3) * 16;  // 1, 17, 33 docids per range
            // Dense range maxima for no term, frequent terms, or every term.
            constexpr double kDense[] = {1.0, 1.0 / 16, 0.0};
            bo.dense_ranges = kDense[(c.seed / 3) % 3];
            if (c.seed % 2 == 1) {
                bo.reorder = Reorder::bp;
                bo.bisection.leaf_docs = 2 + static_cast<std::uint32_t>(c.seed % 7);
                bo.bisection.iterations = 3;
            }
            build_index(dir / "idx", docs, bo);
            const Index idx(dir / "idx");
            for (bool integer : {true, false}) {
                for (const auto& qv : random_queries(c.seed, 12, c.params.vocab, integer)) {
                    const QueryPlan plan = plan_query(idx, to_query(qv));
                    for (std::size_t k : kKs) {
                        const auto want = run(idx, plan, Algorithm::exhaustive, k);
                        for (Algorithm a : kPruning) {
                            expect_same(want, run(idx, plan, a, k),
                                        std::string(to_string(a)) + " seed " + std::to_string(c.seed) + " n " +
                                            std::to_string(c.params.docs) + " " + std::string(to_string(wt)) +
                                            " k " + std::to_string(k) + " " + qv.id);
                            ++compared;
                        }
                    }
                }
            }
        }
    }
    EXPECT_GT(compared, 5000U);
}

// Topical data (spindle generate --topics): documents of one topic share
// terms and score alike, so block-max bounds are loose and many documents sit
// near the threshold; weights rounded to quarters add ties.
TEST(Algorithms, AllMatchExhaustiveOnTopicalDataWithTies) {
    gen::TopicalOptions t;
    t.topics = 5;
    t.topic_terms = 60;
    const gen::CorpusModel model(gen::topical_params(t), 17, nullptr);
    gen::CorpusModel::Sampler sampler(model);
    std::vector<Vec> docs(1500);
    gen::SparseRow row;
    for (std::size_t d = 0; d < docs.size(); ++d) {
        sampler.document(d, row);
        docs[d].id = "D" + std::to_string(d);
        for (std::size_t i = 0; i < row.ids.size(); ++i) {
            const float w = std::max(0.25F, std::round(row.weights[i] * 4.0F) / 4.0F);
            docs[d].terms.emplace_back(model.vocabulary()[row.ids[i]], w);
        }
    }
    std::vector<Vec> queries(12);
    gen::ImpactQuery iq;
    for (std::size_t q = 0; q < queries.size(); ++q) {
        sampler.query(q, iq);
        queries[q].id = "q" + std::to_string(q);
        // Coarse integer weights: many equal query weights as well.
        for (std::size_t i = 0; i < iq.ids.size(); ++i)
            queries[q].terms.emplace_back(model.vocabulary()[iq.ids[i]], static_cast<float>(1 + iq.weights[i] / 500));
    }
    std::size_t compared = 0;
    for (WeightType wt : kWeightTypes) {
        for (bool bp : {false, true}) {
            TempDir dir;
            BuildOptions bo = with_weights(wt);
            if (bp) bo.reorder = Reorder::bp;
            build_index(dir / "idx", docs, bo);
            const Index idx(dir / "idx");
            for (const auto& qv : queries) {
                const QueryPlan plan = plan_query(idx, to_query(qv));
                for (std::size_t k : {1UL, 10UL, 100UL}) {
                    const auto want = run(idx, plan, Algorithm::exhaustive, k);
                    ASSERT_EQ(want.size(), k) << "topical queries match many documents";
                    for (Algorithm a : kPruning) {
                        expect_same(want, run(idx, plan, a, k),
                                    std::string(to_string(a)) + " topical " + std::string(to_string(wt)) +
                                        (bp ? " bp" : "") + " k " + std::to_string(k) + " " + qv.id);
                        ++compared;
                    }
                }
            }
        }
    }
    EXPECT_EQ(compared, 3U * 2U * 12U * 3U * 3U);
}

// k larger than the number of matching documents returns every match.
TEST(Algorithms, LargeKReturnsEveryMatch) {
    CorpusParams p;
    p.docs = 300;
    const auto docs = random_corpus(99, p);
    TempDir dir;
    build_index(dir / "idx", docs, {});
    const Index idx(dir / "idx");
    for (const auto& qv : random_queries(99, 20, p.vocab, false)) {
        std::set<std::string> toks;
        for (const auto& [t, w] : qv.terms) toks.insert(t);
        std::size_t matches = 0;
        for (const auto& d : docs) {
            matches += std::any_of(d.terms.begin(), d.terms.end(), [&](const auto& tw) { return toks.count(tw.first) > 0; });
        }
        for (Algorithm a : {Algorithm::exhaustive, Algorithm::maxscore, Algorithm::bmw, Algorithm::bmp}) {
            EXPECT_EQ(run(idx, plan_query(idx, to_query(qv)), a, 100000).size(), matches) << to_string(a) << " " << qv.id;
        }
    }
}

// The exhaustive reference itself agrees with a plain floating-point dot
// product over the dequantized stored weights.
TEST(Algorithms, ExhaustiveMatchesBruteForceDotProduct) {
    CorpusParams p;
    p.docs = 400;
    p.discrete_weights = false;
    const auto docs = random_corpus(7, p);
    for (WeightType wt : kWeightTypes) {
        TempDir dir;
        build_index(dir / "idx", docs, with_weights(wt));
        const Index idx(dir / "idx");
        const double scale = idx.segment(0).header().scale;
        auto stored = [&](float w) {
            if (wt == WeightType::f32) return static_cast<double>(w);
            const double max_code = wt == WeightType::u8 ? 255.0 : 65535.0;
            // Rounded up, at least one code (docs/format.md, "Quantization").
            return std::clamp(std::ceil(static_cast<double>(w) / scale), 1.0, max_code) * scale;
        };
        for (const auto& qv : random_queries(7, 25, p.vocab, false)) {
            std::map<std::string, double> qw;
            for (const auto& [t, w] : qv.terms) qw[t] += static_cast<double>(w);
            std::vector<std::pair<double, std::size_t>> brute;
            for (std::size_t d = 0; d < docs.size(); ++d) {
                double s = 0;
                for (const auto& [t, w] : docs[d].terms) {
                    if (auto it = qw.find(t); it != qw.end()) s += it->second * stored(w);
                }
                if (s > 1e-9) brute.emplace_back(s, d);
            }
            std::sort(brute.begin(), brute.end(), [](auto a, auto b) { return a.first > b.first || (a.first == b.first && a.second < b.second); });
            const auto hits = run(idx, plan_query(idx, to_query(qv)), Algorithm::exhaustive, 10);
            ASSERT_EQ(hits.size(), std::min<std::size_t>(10, brute.size())) << qv.id;
            for (std::size_t r = 0; r < hits.size(); ++r) {
                EXPECT_NEAR(hits[r].score, brute[r].first, 1e-4 * brute[r].first + 1e-6) << qv.id << " rank " << r;
            }
        }
    }
}

// Several segments merge into the same top-k as one segment (f32: no
// per-segment quantization scale, so scores are comparable bit for bit).
TEST(Algorithms, MultiSegmentSearchMergesTopK) {
    CorpusParams p;
    p.docs = 1000;
    const auto docs = random_corpus(11, p);
    TempDir dir;
    BuildOptions one;
    one.weight_type = WeightType::f32;
    build_index(dir / "one", docs, one);
    BuildOptions many = one;
    many.segment_docs = 137;
    const auto m = build_index(dir / "many", docs, many);
    ASSERT_EQ(m.segments.size(), 8U);
    const Index a(dir / "one");
    const Index b(dir / "many");
    for (const auto& qv : random_queries(11, 30, p.vocab, true)) {
        for (Algorithm alg : {Algorithm::exhaustive, Algorithm::maxscore, Algorithm::bmw, Algorithm::bmp}) {
            for (std::size_t k : {1UL, 10UL, 50UL}) {
                const auto x = run(a, plan_query(a, to_query(qv)), alg, k);
                const auto y = run(b, plan_query(b, to_query(qv)), alg, k);
                ASSERT_EQ(x.size(), y.size());
                for (std::size_t r = 0; r < x.size(); ++r) {
                    EXPECT_EQ(x[r].global_doc, y[r].global_doc) << to_string(alg) << " " << qv.id << " rank " << r;
                    EXPECT_DOUBLE_EQ(x[r].score, y[r].score);
                }
            }
        }
    }
}

// The algorithms run over cursors that check their own contract.
template <class W>
void run_with_asserting_cursors(const Index& idx, const QueryPlan& plan, std::size_t k, std::uint64_t& checks) {
    const auto& v = std::get<SegmentViews<W>>(idx.segment(0).views());
    using Inner = ScoredBlockCursor<W>;
    using Checked = AssertingCursor<Inner>;
    auto make = [&] {
        std::vector<Checked> cs;
        for (std::size_t i = 0; i < plan.terms.size(); ++i) {
            if (v.inv.df(plan.terms[i].term) == 0) continue;
            Inner c(v.inv, plan.terms[i].term, plan.weights[i], nullptr);
            if (c.max_score() == 0) continue;
            cs.emplace_back(c, Inner(v.inv, plan.terms[i].term, plan.weights[i], nullptr), v.inv.num_docs);
        }
        return cs;
    };
    SearchStats stats;
    std::vector<score_t> acc;
    TopK ref(k), ms(k), bmw(k);
    auto c1 = make();
    exhaustive_search(c1, v.inv.num_docs, ref, acc, stats);
    auto c2 = make();
    maxscore_search(c2, v.inv.num_docs, ms, stats);
    auto c3 = make();
    block_max_wand_search(c3, v.inv.num_docs, bmw, stats);
    const auto want = ref.take_sorted();
    for (auto* got : {&ms, &bmw}) {
        const auto g = got->take_sorted();
        ASSERT_EQ(want.size(), g.size());
        for (std::size_t i = 0; i < want.size(); ++i) {
            EXPECT_EQ(want[i].doc, g[i].doc);
            EXPECT_EQ(want[i].score, g[i].score);
        }
    }
    for (const auto* cs : {&c1, &c2, &c3}) {
        for (const auto& c : *cs) checks += c.checks();
    }
}

TEST(Algorithms, CursorContractHoldsInsideEveryAlgorithm) {
    std::uint64_t checks = 0;
    for (std::uint64_t seed = 20; seed < 26; ++seed) {
        CorpusParams p;
        p.docs = 3000;
        p.zipf = seed % 2 ? 1.4 : 0.9;
        const auto docs = random_corpus(seed, p);
        for (WeightType wt : kWeightTypes) {
            TempDir dir;
            build_index(dir / "idx", docs, with_weights(wt));
            const Index idx(dir / "idx");
            for (const auto& qv : random_queries(seed, 10, p.vocab, seed % 3 == 0)) {
                const QueryPlan plan = plan_query(idx, to_query(qv));
                for (std::size_t k : {1UL, 10UL}) {
                    switch (wt) {
                        case WeightType::f32: run_with_asserting_cursors<float>(idx, plan, k, checks); break;
                        case WeightType::u16: run_with_asserting_cursors<std::uint16_t>(idx, plan, k, checks); break;
                        case WeightType::u8: run_with_asserting_cursors<std::uint8_t>(idx, plan, k, checks); break;
                    }
                }
            }
        }
    }
    EXPECT_GT(checks, 100000U);
}

// bmp with alpha < 1 is approximate. Stated floors of approximate bmp (alpha 0.9) on unclustered random data:
// recall@10 >= 0.90 with ranges of 64 docids, >= 0.85 with the default 8
// (tighter bounds leave alpha less slack).
TEST(Algorithms, BmpAlphaKeepsRecallFloor) {
    CorpusParams p;
    p.docs = 3000;
    p.discrete_weights = false;
    const auto docs = random_corpus(5, p);
    for (const auto& [range, floor] : {std::pair{64U, 0.90}, std::pair{8U, 0.85}}) {
        TempDir dir;
        BuildOptions bo;
        bo.range_block = range;
        build_index(dir / "idx", docs, bo);
        const Index idx(dir / "idx");
        std::size_t n = 0;
        const double mean = mean_recall_at_k(
            idx, random_queries(5, 100, p.vocab, false), 10,
            [&](const QueryPlan& plan) { return run(idx, plan, Algorithm::bmp, 10, 0.9); }, n);
        ASSERT_GT(n, 50U);
        EXPECT_GE(mean, floor) << "range " << range;
    }
}

TEST(Algorithms, QueriesWithoutKnownTermsReturnNothing) {
    CorpusParams p;
    p.docs = 50;
    TempDir dir;
    build_index(dir / "idx", random_corpus(3, p), {});
    const Index idx(dir / "idx");
    std::uint64_t unknown = 0;
    TextQuery q{"q", {{"nope", 1.0F}, {"also-nope", 2.0F}}, {}};
    const QueryPlan plan = plan_query(idx, q, &unknown);
    EXPECT_EQ(unknown, 2U);
    for (Algorithm a : {Algorithm::exhaustive, Algorithm::maxscore, Algorithm::bmw, Algorithm::bmp}) {
        EXPECT_TRUE(run(idx, plan, a, 10).empty());
    }
}

TEST(Algorithms, BadSearchOptionsAreRejected) {
    SearchOptions o;
    o.k = 0;
    EXPECT_THROW(o.validate(), InvalidArgument);
    o.k = 10;
    o.bmp_alpha = 0.0;
    EXPECT_THROW(o.validate(), InvalidArgument);
    o.bmp_alpha = 1.5;
    EXPECT_THROW(o.validate(), InvalidArgument);
    EXPECT_THROW(parse_algorithm("wand2"), InvalidArgument);
}

// Scratch buffers reused across queries (as each search thread does) leave no
// state behind: results equal those of a fresh scratch, query after query.
TEST(Algorithms, ReusedScratchKeepsNoStateBetweenQueries) {
    CorpusParams p;
    p.docs = 800;
    const auto docs = random_corpus(31, p);
    TempDir dir;
    build_index(dir / "idx", docs, {});  // one segment: buffers keep their size between queries
    const Index idx(dir / "idx");
    for (Algorithm a : {Algorithm::exhaustive, Algorithm::maxscore, Algorithm::bmw, Algorithm::bmp}) {
        SearchScratch shared;
        SearchOptions o;
        o.algorithm = a;
        for (const auto& qv : random_queries(31, 40, p.vocab, false)) {
            const QueryPlan plan = plan_query(idx, to_query(qv));
            SearchStats stats;
            expect_same(run(idx, plan, Algorithm::exhaustive, 10), search(idx, plan, o, shared, stats),
                        std::string(to_string(a)) + " " + qv.id);
        }
    }
}

}  // namespace
}  // namespace spindle::test
