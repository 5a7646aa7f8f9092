#pragma once
#include <string>
#include <string_view>

namespace spindle {

/// Query algorithms selectable at run time.
enum class Algorithm { exhaustive, maxscore, bmw, bmp, approx };

/// "exhaustive", "maxscore", "bmw", "bmp" or "approx"; throws InvalidArgument listing them.
Algorithm parse_algorithm(std::string_view name);
std::string_view to_string(Algorithm a);
/// Every algorithm name, comma separated (for --help).
std::string algorithm_names();

}  // namespace spindle
