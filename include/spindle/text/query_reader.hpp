#pragma once
// Readers of raw-text query sets: (id, text) pairs in file order.
//   beir   queries.jsonl {"_id", "text"} (also {"id", "contents"})
//   trec   TREC topics: <top> <num> Number: N ... <title> text (title only,
//          as Anserini's default), or CACM-style <DOC><DOCNO> N </DOCNO> text </DOC>
//   smart  .I / .T / .W records (text = .T + " " + .W)
//   tsv    qid<TAB>text
#include <string>
#include <string_view>
#include <vector>

namespace spindle::text {

enum class QueryFormat { automatic, beir, trec, smart, tsv };

struct RawQuery {
    std::string id;
    std::string text;
};

struct QueryReadOptions {
    /// Replace record ids by 1, 2, ... in file order. Cranfield needs it:
    /// cran.qry numbers its queries 001..365 with gaps, cranqrel 1..225.
    bool number_in_file_order = false;
};

/// "auto", "beir", "trec", "smart" or "tsv"; InvalidArgument lists them otherwise.
QueryFormat parse_query_format(std::string_view name);
/// Reads all queries of `path`; ParseError names file:line of a malformed one.
std::vector<RawQuery> read_text_queries(const std::string& path, QueryFormat fmt = QueryFormat::automatic,
                                        QueryReadOptions opts = {});

}  // namespace spindle::text
