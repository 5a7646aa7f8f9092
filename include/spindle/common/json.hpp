#pragma once
// JSON string literals for the files spindle writes (generated corpora,
// benchmark reports).
#include <string>
#include <string_view>

namespace spindle {

/// JSON string literal of `s` (quotes included, control characters escaped).
std::string json_quote(std::string_view s);

}  // namespace spindle
