#pragma once
// Dense query files: one query a line, "qid<TAB>v1 v2 ... vd" (the values
// separated by spaces, tabs or commas; decimal or scientific notation, as
// strtof reads them). Blank lines are skipped; .gz is read directly.
// Every query must have the vector's dimension and finite values; a
// malformed line throws ParseError naming file:line and the value.
#include <cstdint>
#include <string>
#include <vector>

namespace spindle {

struct DenseQuery {
    std::string id;
    std::vector<float> values;
    std::uint64_t line = 0;  ///< 1-based line of the query
};

/// Reads every query of `path`; `dim` (at least 1) is the dimension each
/// must have, `vector` names it in messages. Throws
/// ParseError (file:line) for a missing tab, an empty id, a repeated id, a
/// value that is not a finite number, or a wrong number of values.
[[nodiscard]] std::vector<DenseQuery> read_dense_queries(const std::string& path, std::size_t dim,
                                                         const std::string& vector);

}  // namespace spindle
