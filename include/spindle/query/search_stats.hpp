#pragma once
// Per-query work counters exposed by every algorithm.
#include <cstdint>

namespace spindle {

struct SearchStats {
    std::uint64_t postings_scored = 0;  ///< (doc, term) contributions computed
    std::uint64_t docs_evaluated = 0;   ///< candidate documents offered to the top-k
    std::uint64_t blocks_decoded = 0;   ///< posting blocks decompressed
    std::uint64_t blocks_skipped = 0;   ///< blocks / ranges skipped by block-max bounds
    std::uint64_t unknown_terms = 0;    ///< query tokens not in the vocabulary
    std::uint64_t sparse_bounds = 0;    ///< bmp: sparse (term, range) maxima summed
    std::uint64_t dense_bounds = 0;     ///< bmp: dense (term, range) maxima summed
    std::uint64_t summaries = 0;        ///< approx: blocks whose summary estimate is positive (the candidates)
    std::uint64_t graph_rounds = 0;     ///< approx: graph refinement rounds that scored documents
    std::uint64_t direct_segments = 0;  ///< filtered: segments whose allowed documents were scored directly
    /// filtered approx: segments searched exactly (bmp) because their kept
    /// postings hold too few allowed documents (kApproxMinAllowedPerList)
    std::uint64_t exact_segments = 0;
    std::uint64_t matched = 0;          ///< filtered: documents the filter allows (all segments)

    SearchStats& operator+=(const SearchStats& o) {
        postings_scored += o.postings_scored;
        docs_evaluated += o.docs_evaluated;
        blocks_decoded += o.blocks_decoded;
        blocks_skipped += o.blocks_skipped;
        unknown_terms += o.unknown_terms;
        sparse_bounds += o.sparse_bounds;
        dense_bounds += o.dense_bounds;
        summaries += o.summaries;
        graph_rounds += o.graph_rounds;
        direct_segments += o.direct_segments;
        exact_segments += o.exact_segments;
        matched += o.matched;
        return *this;
    }
};

}  // namespace spindle
