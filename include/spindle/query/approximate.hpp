#pragma once
// Approximate top-k over a segment's approx.bin (Seismic: Bruch, Nardini,
// Rulli & Venturini, SIGIR 2024). The query's `query_cut` largest terms are
// visited in decreasing query weight; for each, every block of its (pruned,
// clustered) posting list is skipped when the dot product of the query with
// the block's summary is below theta / heap_factor (theta: the current k-th
// score, 0 until k documents are found); otherwise each document of the block
// not scored yet is scored exactly through the forward index.
//
// Summaries never underestimate a block's per-term maxima (codes are rounded
// up) and a summary product is compared with a relative slack of 1e-9, so
// with no static pruning, alpha_mass 1, query_cut >= the query's terms and
// heap_factor 1 the result is exactly the exhaustive top-k.
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

/// Per-thread buffers reused across queries.
struct ApproxScratch {
    std::vector<std::uint32_t> dense_int;  ///< integer multipliers by term id (+1 zero slot)
    std::vector<double> dense_real;        ///< f32 multipliers by term id (+1 zero slot)
    std::vector<double> summary_q;         ///< multiplier as double, for summary products
    std::vector<std::uint32_t> visited;    ///< epoch at which a document was last scored
    std::uint32_t epoch = 0;
    std::vector<termid_t> doc_terms;
    std::vector<std::size_t> order;        ///< query term positions, decreasing weight
};

template <class W>
void approximate_search(const SegmentViews<W>& v, const ApproxView& a, const QueryPlan& plan, std::size_t query_cut,
                        double heap_factor, TopK& topk, ApproxScratch& s, SearchStats& stats) {
    constexpr bool kIntegral = std::is_integral_v<W>;
    const std::uint64_t T = v.inv.num_terms;
    const auto limit = static_cast<termid_t>(T);
    if constexpr (kIntegral) {
        if (s.dense_int.size() < T + 1) s.dense_int.resize(T + 1, 0);
    } else {
        if (s.dense_real.size() < T + 1) s.dense_real.resize(T + 1, 0.0);
    }
    if (s.summary_q.size() < T + 1) s.summary_q.resize(T + 1, 0.0);
    if (s.visited.size() < v.inv.num_docs) s.visited.resize(v.inv.num_docs, 0);
    if (++s.epoch == 0) {  // wrapped: forget every old stamp
        std::fill(s.visited.begin(), s.visited.end(), 0);
        s.epoch = 1;
    }
    s.order.clear();
    for (std::size_t i = 0; i < plan.terms.size(); ++i) {
        const termid_t t = plan.terms[i].term;
        if (t >= T) continue;
        if constexpr (kIntegral) {
            s.dense_int[t] = static_cast<std::uint32_t>(plan.weights[i].qi);
            s.summary_q[t] = static_cast<double>(plan.weights[i].qi);
        } else {
            s.dense_real[t] = plan.weights[i].qd;
            s.summary_q[t] = plan.weights[i].qd;
        }
        s.order.push_back(i);
    }
    std::sort(s.order.begin(), s.order.end(), [&](std::size_t x, std::size_t y) {
        const QueryTerm& p = plan.terms[x];
        const QueryTerm& q = plan.terms[y];
        return p.weight > q.weight || (p.weight == q.weight && p.term < q.term);
    });
    if (s.order.size() > query_cut) s.order.resize(query_cut);

    for (const std::size_t qi : s.order) {
        const termid_t t = plan.terms[qi].term;
        for (std::uint64_t b = a.term_block_begin[t]; b < a.term_block_begin[t + 1]; ++b) {
            double dot = 0.0;
            for (std::uint64_t e = a.summary_begin[b]; e < a.summary_begin[b + 1]; ++e) {
                dot += s.summary_q[a.summary_terms[e]] * static_cast<double>(a.summary_codes[e]);
            }
            dot *= static_cast<double>(a.summary_scale[b]) * (1.0 + 1e-9);
            const double theta = topk.full() ? static_cast<double>(topk.kth().score) : 0.0;
            if (!(dot > 0.0) || dot * heap_factor < theta) {
                ++stats.blocks_skipped;
                continue;
            }
            ++stats.blocks_decoded;
            for (std::uint64_t j = a.block_doc_begin[b]; j < a.block_doc_begin[b + 1]; ++j) {
                const docid_t d = a.block_docs[j];
                if (s.visited[d] == s.epoch) continue;
                s.visited[d] = s.epoch;
                const score_t score = score_with_dense(v.fwd, d, s, limit, stats);
                ++stats.docs_evaluated;
                topk.push(score, d);
            }
        }
    }
    for (const QueryTerm& q : plan.terms) {
        if (q.term >= T) continue;
        if constexpr (kIntegral) {
            s.dense_int[q.term] = 0;
        } else {
            s.dense_real[q.term] = 0.0;
        }
        s.summary_q[q.term] = 0.0;
    }
}

}  // namespace spindle
