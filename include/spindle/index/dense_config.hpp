#pragma once
// Settings of a named dense vector of a collection: dimension, distance,
// storage type and the HNSW graph built per immutable segment.
#include <cstdint>
#include <string>
#include <string_view>

namespace spindle {

/// How two dense vectors are compared (Qdrant's names).
///   dot:    score = <q, v>, higher first.
///   cosine: vectors (stored and query) are normalized to unit length, then
///           score = <q, v>, higher first (zero vectors stay zero).
///   euclid: score = ||q - v|| (the distance, as Qdrant returns it), SMALLER
///           first; a score_threshold is then a largest distance.
enum class DenseDistance : std::uint8_t { cosine = 0, dot = 1, euclid = 2 };
std::string_view to_string(DenseDistance d);
/// "cosine", "dot", "euclid" (any case; "l2" and "euclidean" too).
DenseDistance parse_dense_distance(std::string_view s);

/// Element type on disk and in memory: f32, or IEEE half precision (f16,
/// rounded to nearest even; half the bytes, ~3 significant digits).
enum class DenseStorage : std::uint8_t { f32 = 0, f16 = 1 };
std::string_view to_string(DenseStorage s);
DenseStorage parse_dense_storage(std::string_view s);

struct HnswSettings {
    std::uint32_t m = 16;              ///< links per node on upper levels (2m on level 0)
    std::uint32_t ef_construct = 100;  ///< candidate list while building
    /// Segments with fewer documents get no graph and are searched exactly;
    /// a filtered search whose allow-set has fewer documents is exact too.
    std::uint64_t min_docs = 10'000;
    std::uint32_t ef = 64;             ///< default candidate list of a query (SearchRequest::ef overrides)
};

struct DenseVectorConfig {
    std::uint32_t dim = 0;  ///< in [1, 65536]
    DenseDistance distance = DenseDistance::cosine;
    DenseStorage storage = DenseStorage::f32;
    HnswSettings hnsw;
    /// Throws InvalidArgument naming the vector and the bad field.
    void validate(const std::string& name) const;
};

/// What the manifest records of a segment's dense file.
struct DenseFileInfo {
    std::uint64_t bytes = 0;
    std::uint64_t present = 0;       ///< documents with the vector
    bool graph = false;              ///< holds an HNSW graph
    double graph_seconds = 0.0;      ///< time to build it
};

}  // namespace spindle
