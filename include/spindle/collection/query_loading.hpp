#pragma once
// Reads the query file of `search`, `bench` and `tune` for one vector:
// vector queries as they are, raw text analyzed with the analyzer recorded
// for a text (BM25) vector; and turns queries into search requests keyed as
// the vector is.
#include <cstdint>
#include <string>
#include <vector>

#include "spindle/collection/collection.hpp"
#include "spindle/formats/input_format.hpp"
#include "spindle/index/index.hpp"

namespace spindle {

struct QueryFileOptions {
    std::string path;
    std::string format = "auto";   ///< vector formats, or beir/trec/smart/tsv for text
    bool text = false;             ///< raw-text queries (implied by a text vector)
    bool number_queries = false;   ///< text queries get ids 1..n in file order (Cranfield)
};

/// Throws InvalidArgument when text queries are asked of a vector that was not built from text.
std::vector<TextQuery> load_queries(const QueryFileOptions& q, const Index& index);

/// Search requests for `queries` on `vector` (configured as `v`), each a copy
/// of `base` with its query set: tokens for a token vector; for an integer
/// vector, tokens that are decimal numbers become indices and the others are
/// dropped and counted in `dropped`. A query read with a "filter" object
/// (JSONL) gets it as its filter (with base.filter too, both must hold);
/// a bad one throws InvalidArgument naming the query and the filter path.
std::vector<SearchRequest> to_requests(const std::vector<TextQuery>& queries, const SparseVectorConfig& v,
                                       const std::string& vector, const SearchRequest& base,
                                       std::uint64_t* dropped = nullptr);

}  // namespace spindle
