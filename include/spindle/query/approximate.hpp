#pragma once
// Approximate top-k over a segment's approx.bin (Seismic: Bruch, Nardini,
// Rulli & Venturini, SIGIR 2024; graph refinement: Bruch et al., CIKM 2024).
//
// 1. Summaries: every block of the posting lists of the query's `query_cut`
//    largest terms gets an estimate, the dot product of the query with the
//    block's summary vector.
// 2. Blocks are visited best estimate first; the traversal stops at the first
//    block whose estimate is below theta / heap_factor (theta: the current
//    k-th score, 0 until k documents are found). Each document of a visited
//    block not scored yet is scored exactly through the forward index (the
//    documents of consecutive blocks gathered in batches whose forward data
//    is prefetched before any of them is scored).
// 3. Graph refinement (`knn` > 0, index built with a kNN graph): the first
//    `knn` neighbours of every result not scored yet are scored and offered to
//    the top-k.
//
// Summaries never underestimate a block's per-term maxima (codes are rounded
// up) and an estimate carries a relative slack of 1e-9, so with no static
// pruning, alpha_mass 1, query_cut >= the query's terms and heap_factor 1 the
// result is exactly the exhaustive top-k.
#include <algorithm>
#include <cstdint>
#include <type_traits>
#include <vector>

#include "spindle/index/approx_format.hpp"
#include "spindle/index/segment.hpp"
#include "spindle/query/block_max_pruning.hpp"
#include "spindle/query/scoring.hpp"
#include "spindle/query/search_stats.hpp"
#include "spindle/query/topk.hpp"

namespace spindle {

/// Query-time knobs of approximate search.
struct ApproxParams {
    std::size_t query_cut = 10;  ///< the query's largest terms whose blocks are considered (>= 1)
    double heap_factor = 0.9;    ///< (0, kMaxHeapFactor]: a block is visited while estimate >= theta / heap_factor
    std::size_t knn = 0;         ///< graph neighbours of each result scored in refinement (0: none)
};

/// Per-thread buffers reused across queries.
struct ApproxScratch {
    std::vector<std::uint32_t> dense_int;  ///< integer multipliers by term id (+1 zero slot)
    std::vector<double> dense_real;        ///< f32 multipliers by term id (+1 zero slot)
    std::vector<std::uint64_t> seen;       ///< bit per document: scored by this query
    std::vector<docid_t> seen_list;        ///< documents whose bit is set (cleared after the query)
    std::vector<docid_t> batch;            ///< one block's documents still to score
    std::vector<docid_t> expanded;         ///< results whose graph neighbours were taken
    std::vector<std::pair<double, std::uint64_t>> blocks;  ///< (estimate, block), best first
    std::vector<termid_t> doc_terms;
    std::vector<std::size_t> order;        ///< query term positions, decreasing weight
};

namespace approx_detail {

/// Documents gathered (from consecutive blocks) before they are scored.
inline constexpr std::size_t kBatchDocs = 48;
/// Graph refinement stops after this many rounds even if results still change.
inline constexpr int kMaxGraphRounds = 4;

inline void prefetch_range(const void* p, std::size_t bytes) {
    const auto first = reinterpret_cast<std::uintptr_t>(p) & ~std::uintptr_t{63};
    const auto last = reinterpret_cast<std::uintptr_t>(p) + bytes;
    for (std::uintptr_t a = first; a < last; a += 64) __builtin_prefetch(reinterpret_cast<const void*>(a));
}

/// Brings a document's forward data towards the cache (its offsets must be
/// cached or cheap: they were prefetched a batch earlier).
template <class W>
void prefetch_document(const ForwardView<W>& fwd, docid_t d) {
    const std::uint64_t b = fwd.doc_term_begin[d];
    const std::uint64_t n = fwd.doc_term_begin[d + 1] - b;
    const std::uint64_t sb = fwd.doc_byte_begin[d];
    prefetch_range(fwd.term_stream.data() + sb, fwd.doc_byte_begin[d + 1] - sb);
    prefetch_range(fwd.weights.data() + b, n * sizeof(W));
}

/// Dot product of the query with block b's summary, before scaling:
/// integer for integer weights (exact), double for f32.
template <class Id, class Q>
auto summary_dot(const std::uint64_t* begin, const Id* terms, const std::uint8_t* codes, const Q* q, std::uint64_t b) {
    using Acc = std::conditional_t<std::is_integral_v<Q>, std::uint64_t, double>;
    Acc acc = 0;
    for (std::uint64_t e = begin[b]; e < begin[b + 1]; ++e) acc += static_cast<Acc>(q[terms[e]]) * static_cast<Acc>(codes[e]);
    return acc;
}

}  // namespace approx_detail

template <class W>
void approximate_search(const SegmentViews<W>& v, const ApproxView& a, const QueryPlan& plan, const ApproxParams& p,
                        TopK& topk, ApproxScratch& s, SearchStats& stats) {
    using namespace approx_detail;
    const std::uint64_t T = v.inv.num_terms;
    const auto limit = static_cast<termid_t>(T);
    const docid_t N = v.inv.num_docs;
    fill_dense<W>(s, plan, T);
    if (s.seen.size() < (N + 63) / 64) s.seen.resize((N + 63) / 64, 0);
    s.order.clear();
    for (std::size_t i = 0; i < plan.terms.size(); ++i) {
        if (plan.terms[i].term < T) s.order.push_back(i);
    }
    std::sort(s.order.begin(), s.order.end(), [&](std::size_t x, std::size_t y) {
        const QueryTerm& l = plan.terms[x];
        const QueryTerm& r = plan.terms[y];
        return l.weight > r.weight || (l.weight == r.weight && l.term < r.term);
    });
    if (s.order.size() > p.query_cut) s.order.resize(p.query_cut);

    // 1. Estimates of every block of the chosen lists (under a filter, of
    //    the blocks holding an allowed document: checking its few docids is
    //    cheaper than the summary, and the others cannot contribute).
    s.blocks.clear();
    const auto* q = dense_table<W>(s).data();
    const AllowSet* allowed = topk.allowed();
    auto holds_allowed = [&](std::uint64_t b) {
        for (std::uint64_t j = a.block_doc_begin[b]; j < a.block_doc_begin[b + 1]; ++j) {
            if (allowed->contains(a.block_docs[j])) return true;
        }
        return false;
    };
    for (const std::size_t qi : s.order) {
        const termid_t t = plan.terms[qi].term;
        for (std::uint64_t b = a.term_block_begin[t]; b < a.term_block_begin[t + 1]; ++b) {
            if (allowed != nullptr && !holds_allowed(b)) {
                ++stats.blocks_skipped;
                continue;
            }
            const auto dot = a.summary_terms16.empty()
                                 ? summary_dot(a.summary_begin.data(), a.summary_terms32.data(), a.summary_codes.data(), q, b)
                                 : summary_dot(a.summary_begin.data(), a.summary_terms16.data(), a.summary_codes.data(), q, b);
            const double est = static_cast<double>(dot) * static_cast<double>(a.summary_scale[b]) * (1.0 + 1e-9);
            // Kept even at 0 (the summary dropped the query's terms): visited
            // last, and only while fewer than k documents were found, so that
            // approx never returns fewer than k when k documents share a kept
            // posting with the query.
            s.blocks.emplace_back(est, b);
        }
    }
    stats.summaries += s.blocks.size();
    const auto zero = std::partition(s.blocks.begin(), s.blocks.end(), [](const auto& x) { return x.first > 0.0; });
    std::sort(s.blocks.begin(), zero,
              [](const auto& x, const auto& y) { return x.first > y.first || (x.first == y.first && x.second < y.second); });

    // Scores `s.batch` (unseen documents, already marked), prefetching ahead.
    auto score_batch = [&] {
        const std::size_t n = s.batch.size();
        for (std::size_t i = 0; i < n; ++i) prefetch_document(v.fwd, s.batch[i]);
        for (std::size_t i = 0; i < n; ++i) {
            const docid_t d = s.batch[i];
            topk.push(score_with_dense(v.fwd, d, s, limit, stats), d);
        }
        stats.docs_evaluated += n;
    };
    auto take = [&](docid_t d) {
        if (allowed != nullptr && !allowed->contains(d)) return;  // outside the filter: never scored
        std::uint64_t& word = s.seen[d >> 6U];
        const std::uint64_t bit = std::uint64_t{1} << (d & 63U);
        if (word & bit) return;
        word |= bit;
        s.seen_list.push_back(d);
        s.batch.push_back(d);
        __builtin_prefetch(&v.fwd.doc_term_begin[d]);
        __builtin_prefetch(&v.fwd.doc_byte_begin[d]);
    };

    // 2. Blocks best first, until one cannot reach theta / heap_factor. The
    // documents of consecutive blocks are gathered into batches of about
    // kBatchDocs (theta is checked before each block, updated after each
    // batch) so that their forward data is fetched many documents ahead.
    std::size_t i = 0;
    bool stopped = false;
    while (i < s.blocks.size() && !stopped) {
        s.batch.clear();
        while (i < s.blocks.size() && s.batch.size() < kBatchDocs) {
            const auto [est, b] = s.blocks[i];
            if (topk.full() && est * p.heap_factor < static_cast<double>(topk.kth().score)) {
                stopped = true;
                break;
            }
            ++stats.blocks_decoded;
            for (std::uint64_t j = a.block_doc_begin[b]; j < a.block_doc_begin[b + 1]; ++j) take(a.block_docs[j]);
            ++i;
        }
        score_batch();
    }
    stats.blocks_skipped += s.blocks.size() - i;

    // 3. Graph refinement: neighbours of the results, again for results that
    // entered in the previous round, until no new document enters.
    if (p.knn > 0 && a.header.knn_k > 0) {
        const std::size_t per = std::min<std::size_t>(p.knn, a.header.knn_k);
        s.expanded.clear();
        for (int round = 0; round < kMaxGraphRounds; ++round) {
            s.batch.clear();
            for (const ScoredDoc& r : topk.sorted()) {
                if (std::find(s.expanded.begin(), s.expanded.end(), r.doc) != s.expanded.end()) continue;
                s.expanded.push_back(r.doc);
                const docid_t* nb = a.knn.data() + static_cast<std::uint64_t>(r.doc) * a.header.knn_k;
                for (std::size_t j = 0; j < per; ++j) {
                    if (nb[j] != kNoNeighbour) take(nb[j]);
                }
            }
            if (s.batch.empty()) break;
            ++stats.graph_rounds;
            score_batch();
        }
    }

    for (const docid_t d : s.seen_list) s.seen[d >> 6U] = 0;
    s.seen_list.clear();
    clear_dense<W>(s, plan, T);
}

}  // namespace spindle
