#include "spindle/query/algorithm.hpp"

#include <array>

#include "spindle/common/error.hpp"

namespace spindle {
namespace {
constexpr std::array<std::pair<std::string_view, Algorithm>, 5> kNames{{
    {"exhaustive", Algorithm::exhaustive},
    {"maxscore", Algorithm::maxscore},
    {"bmw", Algorithm::bmw},
    {"bmp", Algorithm::bmp},
    {"approx", Algorithm::approx},
}};
}

Algorithm parse_algorithm(std::string_view name) {
    for (const auto& [n, a] : kNames) {
        if (n == name) return a;
    }
    throw InvalidArgument("unknown algorithm '" + std::string(name) + "' (valid: " + algorithm_names() + ")");
}

std::string_view to_string(Algorithm a) {
    for (const auto& [n, x] : kNames) {
        if (x == a) return n;
    }
    return "unknown";
}

std::string algorithm_names() {
    std::string s;
    for (const auto& [n, a] : kNames) {
        if (!s.empty()) s += ", ";
        s += n;
    }
    return s;
}

}  // namespace spindle
