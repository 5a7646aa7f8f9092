#pragma once
// Dense vectors in a live collection (internal): normalizing cosine vectors
// and searching a snapshot's dense vectors (collection_dense.cpp).
#include <cstddef>
#include <optional>
#include <string>

#include "spindle/collection/collection.hpp"

namespace spindle::detail {

class Snapshot;

/// Scales v to unit length in place (the norm computed in double); a zero
/// vector stays zero.
void normalize(float* v, std::size_t n);

/// The dense vector `r` asks for: `r.vector` when it names one; with no
/// name, the only dense vector when `r.dense_query` is given or the
/// collection has no sparse vector. nullopt: a sparse search.
std::optional<std::string> dense_vector_of(const Snapshot& snap, const SearchRequest& r);

/// Top k + offset of a dense vector: every segment searched exactly, or over
/// its HNSW graph when it has one and neither `r.exact` nor a small
/// allow-set asks for exact scoring; merged by score (distance ascending
/// for Euclid), then id.
SearchResult search_dense(const Snapshot& snap, const SearchRequest& r, const std::string& vector);

}  // namespace spindle::detail
