#pragma once
// Reads the query file of `search` and `bench`: vector queries as they are,
// raw text analyzed with the analyzer recorded in a text (BM25) index.
#include <string>
#include <vector>

#include "spindle/formats/input_format.hpp"
#include "spindle/index/index.hpp"

namespace spindle::cli {

struct QueryFileOptions {
    std::string path;
    std::string format = "auto";   ///< vector formats, or beir/trec/smart/tsv for text
    bool text = false;             ///< raw-text queries (implied by a text index)
    bool number_queries = false;   ///< text queries get ids 1..n in file order (Cranfield)
};

/// Throws InvalidArgument when text queries are asked of a vector index.
std::vector<TextQuery> load_queries(const QueryFileOptions& q, const Index& index);

}  // namespace spindle::cli
