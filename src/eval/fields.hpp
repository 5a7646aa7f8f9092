#pragma once
// Internal helpers of the qrels and run readers: whitespace splitting and
// strict number parsing with messages naming file:line and the value.
#include <string>
#include <string_view>
#include <vector>

#include "spindle/io/line_reader.hpp"

namespace spindle::eval::detail {

/// Splits on spaces and tabs; empty fields are dropped.
void split_fields(std::string_view line, std::vector<std::string_view>& out);

/// True for an empty/whitespace-only line or a '#' comment (trec_eval skips those).
bool skippable(std::string_view line);

/// Throws ParseError "<file:line>: <what> '<value>'".
[[noreturn]] void fail(const LineReader& in, const std::string& what, std::string_view value);

/// A whole-field integer; ParseError naming `what` otherwise.
long parse_long(const LineReader& in, std::string_view field, const char* what);

/// A whole-field finite number; ParseError naming `what` otherwise.
double parse_double(const LineReader& in, std::string_view field, const char* what);

}  // namespace spindle::eval::detail
