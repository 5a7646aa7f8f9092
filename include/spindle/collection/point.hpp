#pragma once
// Points of a live collection: an external id, one sparse vector per named
// sparse vector, one float array per named dense vector, and an optional
// JSON payload.
#include <compare>
#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

namespace spindle {

/// A point's external id: an unsigned 64-bit integer or a string key (a UUID,
/// a document id). Compared exactly; numbers order before strings, numbers by
/// value, strings byte by byte (the tie-break of search results).
class PointId {
public:
    PointId() = default;
    PointId(std::uint64_t n) : v_(n) {}  // NOLINT(google-explicit-constructor): ids read as numbers
    /// A string id: non-empty, at most 1024 bytes of valid UTF-8 without
    /// whitespace or control characters (so TREC runs and logs keep one
    /// token per id); throws InvalidArgument naming the problem.
    static PointId key(std::string s);
    /// The id stored as (is_number, text): a number's decimal digits, or the string.
    static PointId from_stored(bool is_number, std::string_view text);

    [[nodiscard]] bool is_number() const { return std::holds_alternative<std::uint64_t>(v_); }
    [[nodiscard]] std::uint64_t number() const { return std::get<std::uint64_t>(v_); }
    [[nodiscard]] const std::string& str() const { return std::get<std::string>(v_); }
    /// The number's decimal digits, or the string.
    [[nodiscard]] std::string text() const;

    friend bool operator==(const PointId& a, const PointId& b) { return a.v_ == b.v_; }
    friend std::strong_ordering operator<=>(const PointId& a, const PointId& b) {
        if (a.is_number() != b.is_number()) return a.is_number() ? std::strong_ordering::less : std::strong_ordering::greater;
        if (a.is_number()) return a.number() <=> b.number();
        const int c = a.str().compare(b.str());
        return c < 0 ? std::strong_ordering::less : (c > 0 ? std::strong_ordering::greater : std::strong_ordering::equal);
    }

private:
    std::variant<std::uint64_t, std::string> v_{std::uint64_t{0}};
};

struct PointIdHash {
    std::size_t operator()(const PointId& id) const noexcept {
        return id.is_number() ? std::hash<std::uint64_t>{}(id.number()) : std::hash<std::string>{}(id.str());
    }
};

/// A sparse vector: dimensions named by `tokens` (token-keyed vectors) or by
/// `indices` (integer-keyed vectors), with `values` parallel to them.
/// Values must be finite and >= 0; a dimension may appear once. Zeros are
/// allowed and not stored.
struct SparseVector {
    std::vector<std::uint32_t> indices;
    std::vector<std::string> tokens;
    std::vector<float> values;
    [[nodiscard]] std::size_t size() const { return values.size(); }
};

struct Point {
    PointId id;
    std::map<std::string, SparseVector> vectors;  ///< by vector name; a point may leave a vector out
    /// Dense vectors by name (each of the configured dimension, finite
    /// values); a point may leave one out. Cosine vectors are normalized
    /// when stored, so `get` returns them normalized.
    std::map<std::string, std::vector<float>> dense;
    /// A JSON object as compact text (empty: no payload).
    std::string payload;
};

}  // namespace spindle
