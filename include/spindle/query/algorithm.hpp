#pragma once
#include <string>
#include <string_view>

namespace spindle {

/// Query algorithms selectable at run time.
enum class Algorithm { exhaustive, maxscore, bmw, bmp, approx };

/// "exhaustive", "maxscore", "bmw", "bmp" or "approx"; throws InvalidArgument listing them.
Algorithm parse_algorithm(std::string_view name);
std::string_view to_string(Algorithm a);
/// What `auto` runs: bmp, the fastest exact algorithm on learned sparse
/// vectors; maxscore for BM25 text vectors, whose queries have few terms with
/// short lists (docs/BENCHMARKS.md).
[[nodiscard]] inline Algorithm auto_algorithm(bool text_vector) {
    return text_vector ? Algorithm::maxscore : Algorithm::bmp;
}

/// Every algorithm name, comma separated (for --help).
std::string algorithm_names();

}  // namespace spindle
