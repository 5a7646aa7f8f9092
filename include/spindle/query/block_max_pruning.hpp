#pragma once
// Block-max pruning (Mallia, Suel & Tonellotto, SIGIR 2024): documents are
// grouped in ranges of consecutive docids; each term stores the maximum weight
// it takes in every range it occurs in. A query first sums these maxima into
// one upper bound per range, then visits ranges in decreasing bound order,
// scoring their documents through the forward index, and stops at the first
// range that cannot beat the k-th score. alpha < 1 shrinks the bounds
// (approximate); alpha == 1 is exact.
#include <algorithm>
#include <utility>
#include <vector>

#include "spindle/codec/docid_codec.hpp"
#include "spindle/index/segment.hpp"
#include "spindle/query/scoring.hpp"
#include "spindle/query/search_stats.hpp"
#include "spindle/query/topk.hpp"

namespace spindle {

/// Per-thread buffers reused across queries.
struct BmpScratch {
    std::vector<score_t> upper;
    std::vector<std::uint32_t> ids;
    std::vector<std::pair<score_t, std::uint32_t>> order;
    std::vector<QueryWeight> dense;  ///< query weight by term id (zero elsewhere)
    std::vector<termid_t> doc_terms;
};

template <class W>
score_t score_document(const ForwardView<W>& fwd, docid_t d, const std::vector<QueryWeight>& dense,
                       std::vector<termid_t>& terms, SearchStats& stats) {
    const std::uint64_t b = fwd.doc_term_begin[d];
    const auto n = static_cast<std::uint32_t>(fwd.doc_term_begin[d + 1] - b);
    if (n == 0) return 0;
    terms.resize(n);
    codec::decode_increasing(fwd.term_stream.data() + fwd.doc_byte_begin[d], terms.data(), n, 0);
    const W* w = fwd.weights.data() + b;
    const auto limit = static_cast<termid_t>(dense.size());
    score_t s = 0;
    for (std::uint32_t i = 0; i < n; ++i) {
        if (terms[i] < limit) s += contrib<W>(dense[terms[i]], w[i]);
    }
    stats.postings_scored += n;
    return s;
}

template <class W>
void block_max_pruning_search(const SegmentViews<W>& v, const QueryPlan& plan, TopK& topk, BmpScratch& s,
                              SearchStats& stats, double alpha) {
    const auto& inv = v.inv;
    const docid_t N = inv.num_docs;
    const std::uint32_t R = inv.range_block;
    const std::uint64_t nranges = (std::uint64_t{N} + R - 1) / R;
    s.upper.assign(nranges, 0);
    // All-zero between queries: only the query's own entries are set and reset,
    // so the per-query cost does not grow with the vocabulary.
    if (s.dense.size() < inv.num_terms) s.dense.resize(inv.num_terms);
    for (std::size_t i = 0; i < plan.terms.size(); ++i) {
        const termid_t t = plan.terms[i].term;
        if (t >= inv.num_terms) continue;
        const QueryWeight q = plan.weights[i];
        s.dense[t] = q;
        const std::uint64_t rb = inv.term_range_begin[t];
        const auto count = static_cast<std::uint32_t>(inv.term_range_begin[t + 1] - rb);
        s.ids.resize(count);
        codec::decode_increasing(inv.range_stream.data() + inv.term_range_byte_begin[t], s.ids.data(), count, 0);
        for (std::uint32_t j = 0; j < count; ++j) {
            const std::uint32_t r = s.ids[j];
            if (r < nranges) s.upper[r] += contrib<W>(q, inv.range_max[rb + j]);
        }
    }
    s.order.clear();
    for (std::uint32_t r = 0; r < nranges; ++r) {
        if (s.upper[r] > 0) s.order.emplace_back(s.upper[r], r);
    }
    std::sort(s.order.begin(), s.order.end(),
              [](const auto& a, const auto& b) { return a.first > b.first || (a.first == b.first && a.second < b.second); });
    for (std::size_t i = 0; i < s.order.size(); ++i) {
        const auto [ub, r] = s.order[i];
        const score_t bound = alpha < 1.0 ? static_cast<score_t>(static_cast<double>(ub) * alpha) : ub;
        // Blocks come in decreasing bound order (ties by ascending first docid),
        // so once one cannot enter, none of the rest can.
        if (!topk.would_enter(bound, r * R)) {
            stats.blocks_skipped += s.order.size() - i;
            break;
        }
        const docid_t end = static_cast<docid_t>(std::min<std::uint64_t>(N, std::uint64_t{r} * R + R));
        for (docid_t d = r * R; d < end; ++d) {
            const score_t score = score_document(v.fwd, d, s.dense, s.doc_terms, stats);
            ++stats.docs_evaluated;
            topk.push(score, d);
        }
    }
    for (const auto& t : plan.terms) {
        if (t.term < inv.num_terms) s.dense[t.term] = QueryWeight{};
    }
}

}  // namespace spindle
