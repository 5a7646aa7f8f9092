#include "fields.hpp"

#include <charconv>
#include <cmath>
#include <cstdlib>

#include "spindle/common/error.hpp"

namespace spindle::eval::detail {

void split_fields(std::string_view line, std::vector<std::string_view>& out) {
    out.clear();
    std::size_t i = 0;
    while (i < line.size()) {
        while (i < line.size() && (line[i] == ' ' || line[i] == '\t')) ++i;
        const std::size_t start = i;
        while (i < line.size() && line[i] != ' ' && line[i] != '\t') ++i;
        if (i > start) out.push_back(line.substr(start, i - start));
    }
}

bool skippable(std::string_view line) {
    const auto first = line.find_first_not_of(" \t");
    return first == std::string_view::npos || line[0] == '#';
}

void fail(const LineReader& in, const std::string& what, std::string_view value) {
    throw ParseError(in.where() + ": " + what + " '" + std::string(value) + "'");
}

long parse_long(const LineReader& in, std::string_view field, const char* what) {
    long v = 0;
    const char* end = field.data() + field.size();
    const auto [ptr, ec] = std::from_chars(field.data() + (field.starts_with('+') ? 1 : 0), end, v);
    if (ec != std::errc{} || ptr != end) fail(in, std::string(what) + " is not an integer:", field);
    return v;
}

double parse_double(const LineReader& in, std::string_view field, const char* what) {
    const std::string s(field);
    char* end = nullptr;
    const double v = std::strtod(s.c_str(), &end);
    if (s.empty() || end != s.c_str() + s.size()) fail(in, std::string(what) + " is not a number:", field);
    if (!std::isfinite(v)) fail(in, std::string(what) + " is not finite:", field);
    return v;
}

}  // namespace spindle::eval::detail
