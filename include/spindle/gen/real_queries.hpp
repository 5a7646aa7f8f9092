#pragma once
// The real SPLADE++ ED query vectors (Anserini impact TSV) that calibrate the
// generator: their tokens name the vocabulary, their document frequencies shape
// term popularity, and each query seeds one topic of the topic model.
#include <cstdint>
#include <string>
#include <utility>
#include <vector>

namespace spindle::gen {

/// One real query: (token index into RealQueries::tokens, integer weight),
/// heaviest first (ties by token index).
using RealQuery = std::vector<std::pair<std::uint32_t, std::uint32_t>>;

struct RealQueries {
    std::string path;
    std::vector<std::string> tokens;  ///< distinct tokens, most frequent (in queries) first, ties by string
    std::vector<std::uint32_t> df;    ///< number of queries containing tokens[i]
    std::vector<RealQuery> queries;   ///< in file order
};

/// Reads an impact TSV ("qid<TAB>tok tok ...", a token repeated n times has
/// weight n; .gz read directly). Throws IoError / ParseError naming path:line.
RealQueries load_real_queries(const std::string& path);

/// The default location relative to the shared data folder.
inline constexpr const char* kRealQueriesRelative = "msmarco/topics.msmarco-passage.dev-subset.splade-pp-ed.tsv.gz";

}  // namespace spindle::gen
