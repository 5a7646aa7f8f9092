// Document reordering by graph bisection: a permutation, deterministic,
// effective on clustered data, and invisible in search results.
#include <gtest/gtest.h>

#include <algorithm>
#include <map>
#include <numeric>
#include <random>

#include "spindle/common/error.hpp"
#include "spindle/index/index.hpp"
#include "spindle/index/reorder.hpp"
#include "spindle/query/searcher.hpp"
#include "test_util.hpp"

namespace spindle::test {
namespace {

struct Forward {
    std::vector<std::uint64_t> begin{0};
    std::vector<termid_t> terms;
    std::size_t num_terms = 0;
};

/// `clusters` groups of documents, interleaved (doc i is in cluster i % clusters);
/// each document takes most of its terms from its cluster's own term range and
/// a few from a shared pool.
Forward clustered(std::size_t docs, std::size_t clusters, std::uint64_t seed) {
    std::mt19937_64 rng(seed);
    Forward f;
    const std::size_t per_cluster = 40;
    const std::size_t shared = 50;
    f.num_terms = clusters * per_cluster + shared;
    for (std::size_t d = 0; d < docs; ++d) {
        const std::size_t c = d % clusters;
        std::vector<termid_t> t;
        for (int i = 0; i < 12; ++i) t.push_back(static_cast<termid_t>(c * per_cluster + rng() % per_cluster));
        for (int i = 0; i < 3; ++i) t.push_back(static_cast<termid_t>(clusters * per_cluster + rng() % shared));
        std::sort(t.begin(), t.end());
        t.erase(std::unique(t.begin(), t.end()), t.end());
        f.terms.insert(f.terms.end(), t.begin(), t.end());
        f.begin.push_back(f.terms.size());
    }
    return f;
}

bool is_permutation_of_n(const std::vector<docid_t>& order, std::size_t n) {
    if (order.size() != n) return false;
    std::vector<docid_t> sorted = order;
    std::sort(sorted.begin(), sorted.end());
    for (std::size_t i = 0; i < n; ++i) {
        if (sorted[i] != i) return false;
    }
    return true;
}

TEST(Reorder, ReturnsAPermutationForEverySize) {
    for (std::size_t n : {0U, 1U, 2U, 3U, 7U, 8U, 9U, 64U, 257U, 1000U}) {
        const Forward f = clustered(n, 5, n);
        for (std::uint32_t leaf : {2U, 3U, 8U, 16U}) {
            BisectionOptions o;
            o.leaf_docs = leaf;
            o.iterations = 4;
            EXPECT_TRUE(is_permutation_of_n(graph_bisection_order(f.begin, f.terms, f.num_terms, o), n))
                << "n " << n << " leaf " << leaf;
        }
    }
}

TEST(Reorder, SameOrderWhateverTheThreadCount) {
    const Forward f = clustered(3000, 17, 5);
    BisectionOptions o;
    o.threads = 1;
    const auto one = graph_bisection_order(f.begin, f.terms, f.num_terms, o);
    for (unsigned t : {2U, 3U, 4U}) {
        o.threads = t;
        EXPECT_EQ(graph_bisection_order(f.begin, f.terms, f.num_terms, o), one) << t << " threads";
    }
}

TEST(Reorder, GroupsInterleavedClustersAndLowersTheLogGapCost) {
    const std::size_t clusters = 16;
    const Forward f = clustered(4096, clusters, 9);
    BisectionOptions o;
    std::uint64_t last_report = 0;
    o.progress = [&](std::uint64_t done, std::uint64_t total) {
        EXPECT_EQ(total, 4096U);
        EXPECT_GE(done, last_report);
        last_report = done;
    };
    const auto order = graph_bisection_order(f.begin, f.terms, f.num_terms, o);
    EXPECT_EQ(last_report, 4096U);
    const double before = log_gap_cost(f.begin, f.terms, f.num_terms);
    const double after = log_gap_cost(f.begin, f.terms, f.num_terms, order);
    EXPECT_LT(after, 0.75 * before) << "before " << before << " after " << after;
    // Blocks of 64 consecutive new docids should be (nearly) single-cluster:
    // the input order mixes all 16 clusters in every block.
    std::size_t pure = 0;
    for (std::size_t b = 0; b + 64 <= order.size(); b += 64) {
        std::map<std::size_t, std::size_t> count;
        for (std::size_t i = b; i < b + 64; ++i) ++count[order[i] % clusters];
        std::size_t top = 0;
        for (const auto& [c, n] : count) top = std::max(top, n);
        pure += top >= 60 ? 1 : 0;
    }
    EXPECT_GE(pure, 48U) << "of 64 blocks";
}

TEST(Reorder, RejectsBadOptionsAndInput) {
    const Forward f = clustered(10, 2, 1);
    BisectionOptions o;
    o.iterations = 0;
    EXPECT_THROW(graph_bisection_order(f.begin, f.terms, f.num_terms, o), InvalidArgument);
    o = {};
    o.leaf_docs = 1;
    EXPECT_THROW(graph_bisection_order(f.begin, f.terms, f.num_terms, o), InvalidArgument);
    o = {};
    EXPECT_THROW(graph_bisection_order(f.begin, f.terms, f.num_terms - 1, o), InvalidArgument);
    EXPECT_THROW(parse_reorder("random"), InvalidArgument);
    EXPECT_EQ(parse_reorder("bp"), Reorder::bp);
}

// The same collection indexed with and without reordering answers every
// query with the same scores, and each returned document carries its own
// score in the other index.
TEST(Reorder, SearchResultsDoNotDependOnTheDocumentOrder) {
    CorpusParams p;
    p.docs = 1500;
    const auto docs = random_corpus(21, p);
    TempDir dir;
    BuildOptions plain = with_weights(WeightType::u8);
    BuildOptions bp = plain;
    bp.reorder = Reorder::bp;
    build_index(dir / "plain", docs, plain);
    const Manifest m = build_index(dir / "bp", docs, bp);
    EXPECT_EQ(m.reorder, Reorder::bp);
    const Index a(dir / "plain");
    const Index b(dir / "bp");
    EXPECT_EQ(b.manifest().reorder, Reorder::bp);
    SearchScratch scratch;
    SearchStats stats;
    for (const auto& qv : random_queries(21, 30, p.vocab, true)) {
        const auto qa = plan_query(a, to_query(qv));
        const auto qb = plan_query(b, to_query(qv));
        SearchOptions all;
        all.algorithm = Algorithm::exhaustive;
        all.k = docs.size();
        std::map<std::string, score_t> score_in_a;
        for (const auto& h : search(a, qa, all, scratch, stats)) {
            score_in_a[std::string(a.segment(h.segment).doc_id(h.doc))] = h.raw;
        }
        for (Algorithm alg : {Algorithm::exhaustive, Algorithm::maxscore, Algorithm::bmw, Algorithm::bmp}) {
            SearchOptions o;
            o.algorithm = alg;
            o.k = 10;
            const auto ha = search(a, qa, o, scratch, stats);
            const auto hb = search(b, qb, o, scratch, stats);
            ASSERT_EQ(ha.size(), hb.size()) << to_string(alg) << " " << qv.id;
            for (std::size_t i = 0; i < ha.size(); ++i) {
                EXPECT_EQ(ha[i].raw, hb[i].raw) << to_string(alg) << " " << qv.id << " rank " << i;
                const std::string id(b.segment(hb[i].segment).doc_id(hb[i].doc));
                ASSERT_TRUE(score_in_a.count(id)) << id;
                EXPECT_EQ(score_in_a[id], hb[i].raw) << id;
            }
        }
    }
}

}  // namespace
}  // namespace spindle::test
