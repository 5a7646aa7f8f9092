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
    /// Accept, for a text vector, a file that looks like impact-format vector
    /// queries (search --allow-empty); refused otherwise.
    bool allow_impact_like = false;
};

/// Whether raw query text looks like an Anserini impact query (tokens
/// repeated by their weight, "s s s s his his ..."): at least 4 tokens, two
/// or more runs of equal consecutive tokens, one of them at least 3 long, and
/// at least half of the tokens in such runs. Natural-language queries almost
/// never are ("very very very brown dogs" is not: one run). On the MS MARCO
/// dev subset it flags 6980 of the 6980 SPLADE++ impact topics and none of
/// the 6980 natural-language ones (tests/cli_input_test.cpp).
[[nodiscard]] bool looks_like_impact_query(std::string_view text);

/// Throws InvalidArgument when text queries are asked of a vector that was
/// not built from text, and when at least half of the queries given to a
/// text vector look like impact-format vector queries (looks_like_impact_query)
/// unless `allow_impact_like`.
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
