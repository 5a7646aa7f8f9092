#pragma once
// Turns raw query text into a weighted query for a text index: the analyzed
// terms with their counts as weights (a term repeated in the query counts
// twice, as Lucene's BooleanQuery sums duplicate clauses and Anserini boosts a
// term query by its count).
#include <string>
#include <vector>

#include "spindle/formats/input_format.hpp"
#include "spindle/text/analyzer.hpp"
#include "spindle/text/query_reader.hpp"

namespace spindle::text {

/// Analyzes `q.text` with `analyzer` into (term, count) pairs in first-occurrence order.
[[nodiscard]] TextQuery analyze_query(Analyzer& analyzer, const RawQuery& q);

/// Reads `path` (see query_reader.hpp) and analyzes every query with the analyzer named `analyzer`.
[[nodiscard]] std::vector<TextQuery> read_analyzed_queries(const std::string& path, QueryFormat fmt,
                                                           QueryReadOptions opts, std::string_view analyzer);

}  // namespace spindle::text
