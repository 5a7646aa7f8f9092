#pragma once
// Private to the server layer: reading Qdrant-shaped JSON requests into
// library types and writing library results as Qdrant-shaped JSON.
#include <cstddef>
#include <cstdint>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "spindle/collection/collection.hpp"

namespace spindle::server {

using json = nlohmann::json;

/// A request error with its HTTP status and the exact message of the
/// response's status.error.
class ApiError : public std::runtime_error {
public:
    ApiError(int status, std::string message) : std::runtime_error(std::move(message)), status_(status) {}
    [[nodiscard]] int status() const { return status_; }

private:
    int status_;
};

/// 400 "Wrong input: <what>".
[[noreturn]] void bad_input(const std::string& what);

/// Parses a body as JSON, bounded in nesting depth and array length (400
/// naming the bound). An empty body is an empty object.
json parse_body(std::string_view body, std::size_t max_depth, std::size_t max_array_items);

/// The member `key` of object `o`, or nullptr when absent or null.
const json* member(const json& o, std::string_view key);
/// Typed members; absent or null gives `def`; a wrong type is a 400 naming `where.key`.
bool get_bool(const json& o, std::string_view key, bool def, const std::string& where);
std::optional<double> get_number(const json& o, std::string_view key, const std::string& where);
std::optional<std::uint64_t> get_uint(const json& o, std::string_view key, const std::string& where);
std::optional<std::string> get_string(const json& o, std::string_view key, const std::string& where);
/// Throws 400 unless j is an object.
void require_object(const json& j, const std::string& where);

/// A point id: an unsigned integer or a string (UUIDs normalized to
/// lower-case hyphenated form; other strings are spindle keys).
PointId parse_point_id(const json& j, const std::string& where);
json point_id_json(const PointId& id);

/// A sparse vector in the form its vector is keyed by: {"indices": [...],
/// "values": [...]} (indices) or {"token": weight, ...} (tokens).
SparseVector parse_sparse_vector(const json& j, VectorKeys keys, const std::string& where);
/// A dense vector: a JSON array of numbers (finite, as floats).
std::vector<float> parse_dense_vector(const json& j, const std::string& where);
/// Qdrant's dense vector parameters ({"size", "distance", "datatype",
/// "hnsw_config", "on_disk"}, plus spindle's {"spindle": {"min_docs", "ef"}})
/// over `base` (the collection-level hnsw_config already applied).
DenseVectorConfig parse_dense_params(const json& j, DenseVectorConfig base, const std::string& where);
/// Qdrant's hnsw_config ({"m", "ef_construct", "full_scan_threshold", ...}) into `h`.
void apply_hnsw_config(const json& j, HnswSettings& h, const std::string& where);
/// "Cosine", "Dot", "Euclid" (Qdrant's spelling).
std::string qdrant_distance(DenseDistance d);
json sparse_vector_json(const SparseVector& v, VectorKeys keys);

/// with_payload: true/false, a list of keys, {"include": [...]} or {"exclude": [...]}.
struct PayloadSelector {
    bool any = false;
    std::vector<std::string> include;  ///< empty with any: every key
    std::vector<std::string> exclude;
    /// The payload (JSON text) as the selector shows it.
    [[nodiscard]] json apply(std::string_view payload_text) const;
};
PayloadSelector parse_payload_selector(const json* j, bool def, const std::string& where);

/// with_vector: true/false or a list of vector names.
struct VectorSelector {
    bool any = false;
    std::vector<std::string> names;  ///< empty with any: every vector
    [[nodiscard]] bool wants(const std::string& name) const;
};
VectorSelector parse_vector_selector(const json* j, const std::string& where);

/// The "vector" member of a Record or ScoredPoint.
json point_vectors_json(const Point& p, const CollectionConfig& config, const VectorSelector& sel);

}  // namespace spindle::server
