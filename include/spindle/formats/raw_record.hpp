#pragma once
// What every collection/query reader produces: one record (document or query)
// with an id and its non-zero entries, either as tokens (JSONL, TSV) or as
// numeric term ids (CSR). Weights are validated (finite, >= 0) by the reader.
#include <cstdint>
#include <functional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "spindle/common/types.hpp"

namespace spindle {

struct RawRecord {
    std::string_view id;
    std::vector<std::pair<std::string_view, float>> tokens;  ///< text formats
    std::vector<std::pair<termid_t, float>> ids;              ///< CSR format
    bool numeric = false;                                     ///< true: use `ids`
    std::string payload;  ///< JSONL: the record's "payload" object as compact JSON ("" = none)
    std::string filter;   ///< JSONL queries: the record's "filter" object as compact JSON ("" = none)
    std::string_view file;
    std::uint64_t line = 0;  ///< 1-based line (JSONL/TSV) or row (CSR)

    /// "file:line" (or "file:row N") for error messages.
    [[nodiscard]] std::string where() const;
};

/// Called once per record; the record's views are valid only during the call.
using RecordCallback = std::function<void(const RawRecord&)>;
/// Progress report: (bytes consumed, total bytes).
using ProgressCallback = std::function<void(std::uint64_t, std::uint64_t)>;

/// Checks a weight read from `where` for `token`: finite and >= 0, else ParseError.
float checked_weight(double w, std::string_view token, const RawRecord& rec);

}  // namespace spindle
