#pragma once
// Payload filters in Qdrant's JSON shape (docs/format.md, "Filters"):
//
//   {"must": [C...], "should": [C...], "must_not": [C...],
//    "min_should": {"conditions": [C...], "min_count": n}}
//
// where a condition C is a nested filter (an object with any of the four
// clauses) or one of
//   {"key": K, "match": {"value": V}}        V a string, integer or bool
//   {"key": K, "match": {"any": [V...]}}
//   {"key": K, "match": {"except": [V...]}}
//   {"key": K, "range": {"gt"|"gte"|"lt"|"lte": N}}  N a number, or an RFC 3339 string
//   {"has_id": [id...]}                      ids as numbers or strings
//   {"is_empty": {"key": K}}
//   {"is_null": {"key": K}}
// A point matches when every `must` condition does, at least one `should`
// condition does (if any are given), no `must_not` condition does and at
// least `min_count` of the `min_should` conditions do. An empty filter
// matches every point. How values are read from payloads (dotted keys,
// arrays, types of indexed fields): spindle/index/payload_index.hpp.
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include <nlohmann/json.hpp>

#include "spindle/collection/point.hpp"
#include "spindle/common/bitmap.hpp"
#include "spindle/index/payload_index.hpp"

namespace spindle {

struct SegmentData;
struct Filter;

/// A value of `match`: a string, an integer or a bool.
using MatchValue = std::variant<std::string, std::int64_t, bool>;

struct Condition {
    enum class Kind : std::uint8_t { match_value, match_any, match_except, range, has_id, is_empty, is_null, filter };
    Kind kind = Kind::filter;
    std::string key;
    std::vector<MatchValue> values;   ///< match_value (one), match_any, match_except
    std::optional<double> gt, gte, lt, lte;  ///< range (datetimes as microseconds since the epoch)
    std::vector<PointId> ids;         ///< has_id
    std::shared_ptr<const Filter> filter;  ///< a nested filter
};

struct Filter {
    std::vector<Condition> must, should, must_not;
    std::vector<Condition> min_should;  ///< min_should.conditions
    std::size_t min_count = 0;          ///< min_should.min_count
    [[nodiscard]] bool empty() const {
        return must.empty() && should.empty() && must_not.empty() && min_should.empty();
    }
};

/// Parses a filter; throws InvalidArgument naming the path of the problem
/// ("filter: must[2].range.gte: expected a number or an RFC 3339 date-time").
Filter parse_filter(std::string_view json_text);
/// The same, from parsed JSON (a server request body).
Filter parse_filter_json(const nlohmann::json& j);

/// Does a point (id, payload JSON; null for none) match? Reads the payload
/// directly, with indexed fields typed by `schema`: the reference semantics
/// the segment evaluation below must reproduce.
bool filter_matches(const Filter& f, const PointId& id, const nlohmann::json& payload, const PayloadSchema& schema);

/// The documents of `seg` that match `f` and are not in `deleted`.
/// Conditions on indexed fields read the segment's payload index; others
/// parse the stored payloads (once per evaluation, only when needed).
Bitmap evaluate_filter(const Filter& f, const SegmentData& seg, const Bitmap& deleted, const PayloadSchema& schema);

}  // namespace spindle
