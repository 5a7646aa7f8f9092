#pragma once
// Payload indexes of a collection segment (payload_index.bin, kind PIDX):
// for every field the collection declares indexed, the values its documents
// hold, extracted from their JSON payloads so that filters need not parse
// them. Keyword and bool fields keep one bitmap per distinct value; integer,
// float and datetime fields keep a column of (value, docid) sorted by value
// (a range is two binary searches). Every field also keeps the documents for
// which it is empty (missing, null, [] or only nulls) and null.
//
// How a value is read from a payload (the same rules whether a field is
// indexed or a filter reads stored payloads):
//   - a key is a path of object members separated by dots ("meta.lang");
//     an array met on the way is walked into (each element that is an
//     object continues the path);
//   - the value found is the field's value; an array holds several values
//     (nested arrays are flattened); a document matches a condition when any
//     value does;
//   - an indexed field sees only values of its type: keyword = strings,
//     integer = JSON integers (in [-2^63, 2^63)), float = any number,
//     bool = true/false, datetime = RFC 3339 strings (as microseconds since
//     the epoch, UTC). Values of other types are ignored.
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "spindle/common/bitmap.hpp"
#include "spindle/common/types.hpp"

namespace spindle {

enum class PayloadType : std::uint8_t { keyword, integer, floating, boolean, datetime };
/// "keyword", "integer", "float", "bool", "datetime".
std::string_view to_string(PayloadType t);
/// Throws InvalidArgument naming the valid types.
PayloadType parse_payload_type(std::string_view s);
/// Indexed payload fields: key -> type.
using PayloadSchema = std::map<std::string, PayloadType, std::less<>>;
/// Throws InvalidArgument unless `key` is a valid field key: 1..256 bytes,
/// dot-separated non-empty parts, no control characters.
void check_payload_key(std::string_view key);

/// Parses an RFC 3339 date-time ("2024-05-01T12:00:00Z", fractional seconds
/// and a numeric offset allowed; a date alone "2024-05-01" means midnight
/// UTC) into microseconds since the epoch; nullopt when `s` is not one.
std::optional<std::int64_t> parse_rfc3339(std::string_view s);

/// The values at `key` in `payload` (see above): the JSON values reached,
/// arrays flattened, nulls and objects included as found.
void payload_values(const nlohmann::json& payload, std::string_view key, std::vector<const nlohmann::json*>& out);

/// The number a value stands for under `type` (nullopt: the field is not
/// indexed): integer = JSON integers, float = numbers, datetime = RFC 3339
/// strings; not indexed = numbers, and RFC 3339 strings as datetimes.
/// nullopt for other values and for keyword and bool fields.
std::optional<double> payload_number(const nlohmann::json& v, std::optional<PayloadType> type);

/// One field's extracted values in a segment.
struct FieldIndex {
    PayloadType type = PayloadType::keyword;
    /// keyword: string -> documents; bool: "false"/"true" -> documents.
    std::map<std::string, Bitmap, std::less<>> terms;
    /// integer, float, datetime: values ascending (ties by docid), parallel to `docs`.
    std::vector<double> values;
    std::vector<docid_t> docs;
    Bitmap empty;  ///< documents where the field is missing, null, [] or only nulls
    Bitmap null;   ///< documents where a null was reached at the key
    /// The documents of every kChunk consecutive entries of the value column
    /// (built when the index is built or loaded, not stored): a wide range is
    /// the union of the chunks it covers plus its two partial ends.
    std::vector<Bitmap> chunks;
    static constexpr std::size_t kChunk = 4096;
    /// The documents with at least one value (the union of the chunks;
    /// built with them): a range spanning every value is this, not a union
    /// of all the chunks (4 ms per query at 1M documents).
    Bitmap valued;
    void build_chunks();
    /// Documents with a value in [lo, hi] (each end inclusive or not).
    [[nodiscard]] Bitmap range(double lo, bool lo_incl, double hi, bool hi_incl) const;
};

class PayloadIndex {
public:
    PayloadIndex() = default;
    /// Extracts `schema`'s fields from `payloads` (JSON text per document,
    /// "" for none). Payloads that do not parse count as empty.
    static PayloadIndex build(const std::vector<std::string_view>& payloads, const PayloadSchema& schema);
    /// Reads and checks `path` (a segment of `num_docs` documents): throws
    /// CorruptIndex naming the file when it is damaged, IncompatibleVersion
    /// for an unknown layout version.
    static PayloadIndex load(const std::string& path, std::uint64_t num_docs);
    /// Writes the container at `path` (fsynced); returns its size.
    std::uint64_t write(const std::string& path) const;

    [[nodiscard]] const FieldIndex* field(std::string_view key) const {
        const auto it = fields_.find(key);
        return it == fields_.end() ? nullptr : &it->second;
    }
    [[nodiscard]] const std::map<std::string, FieldIndex, std::less<>>& fields() const { return fields_; }
    [[nodiscard]] std::uint64_t num_docs() const { return num_docs_; }

private:
    std::map<std::string, FieldIndex, std::less<>> fields_;
    std::uint64_t num_docs_ = 0;
};

/// Layout version of payload_index.bin's schema section (docs/format.md).
inline constexpr std::uint32_t kPayloadIndexVersion = 1;

}  // namespace spindle
