#pragma once
// Top-k search of one segment's dense vectors: exact (every allowed
// document scored) or over the segment's HNSW graph with a candidate list
// of `ef` (filters checked during traversal: a node that is not allowed is
// still expanded, but never returned). Similarities are higher-is-better:
// the dot product, or minus the squared Euclidean distance; the collection
// turns them into scores.
#include <cstddef>
#include <vector>

#include "spindle/common/bitmap.hpp"
#include "spindle/index/dense_segment.hpp"
#include "spindle/query/allow_set.hpp"
#include "spindle/query/search_stats.hpp"

namespace spindle {

struct DenseHit {
    float sim;
    docid_t doc;
};

/// Similarity of a prepared query (normalized for cosine) with document d.
float similarity(const DenseSegment& seg, const float* q, docid_t d);

/// Which documents a search may return: present, not deleted, allowed.
struct DenseAccept {
    const DenseSegment* seg = nullptr;
    const Bitmap* deleted = nullptr;  ///< null or empty: none
    const AllowSet* allow = nullptr;  ///< null: every document
    [[nodiscard]] bool operator()(docid_t d) const {
        return seg->present(d) && (allow == nullptr || allow->contains(d)) && (deleted == nullptr || !deleted->contains(d));
    }
};

/// Exact top-k; every document tied with the k-th best is returned too (the
/// caller breaks ties by point id). `out` is replaced, best first.
void dense_exact(const DenseSegment& seg, const float* q, std::size_t k, const DenseAccept& ok, std::vector<DenseHit>& out,
                 SearchStats& stats);
/// Approximate top-k over the graph (seg.has_graph()), candidate list max(ef, k).
void dense_hnsw(const DenseSegment& seg, const float* q, std::size_t k, std::size_t ef, const DenseAccept& ok,
                std::vector<DenseHit>& out, SearchStats& stats);

}  // namespace spindle
