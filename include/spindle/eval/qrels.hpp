#pragma once
// TREC relevance judgments ("qrels"): "qid iter docno rel" per line, as
// trec_eval reads them, or BEIR's three columns "query-id corpus-id score"
// (header line skipped), told apart by the first line. Lines starting with
// '#' are comments.
#include <map>
#include <string>
#include <vector>

namespace spindle::eval {

struct Judgment {
    std::string docno;
    long rel = 0;  ///< negative: in the pool but not judged (trec_eval's -1)
};

/// The judgments of one query, sorted by docno, no docno twice.
struct QueryJudgments {
    std::vector<Judgment> docs;
    /// Relevance of `docno`, or nullptr if it is not in the qrels.
    [[nodiscard]] const Judgment* find(const std::string& docno) const;
};

/// All judgments, keyed by query id (byte order, as trec_eval sorts them).
struct Qrels {
    std::map<std::string, QueryJudgments> queries;
};

/// Reads a qrels file (gzip-aware). Throws ParseError naming file:line and
/// the value for a wrong column count, a non-integer relevance, a docno
/// judged twice for one query, or a file without judgments; IoError if it
/// cannot be read.
Qrels read_qrels(const std::string& path);

}  // namespace spindle::eval
