#pragma once
// JSON string literals for the files spindle streams out (generated JSONL
// corpora quote each token once, then splice it into every line). Whole
// documents and reports are built as nlohmann::ordered_json instead.
#include <string>
#include <string_view>

namespace spindle {

/// JSON string literal of `s` (quotes included, control characters
/// escaped), as nlohmann::json writes it; InvalidArgument if `s` is not UTF-8.
std::string json_quote(std::string_view s);

}  // namespace spindle
