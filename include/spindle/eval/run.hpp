#pragma once
// A retrieval run: per query, the retrieved documents with their scores.
// Read from a TREC run file ("qid iter docno rank score runid") or built in
// memory (spindle search --qrels).
#include <map>
#include <string>
#include <vector>

namespace spindle::eval {

struct ScoredDoc {
    std::string docno;
    double score = 0;
};

struct Run {
    std::string runid;  ///< last column of the first line of a run file
    /// Retrieved documents per query id, in file order; evaluation re-ranks
    /// them by score (trec_eval ignores the rank column).
    std::map<std::string, std::vector<ScoredDoc>> queries;
};

/// Reads a TREC run file (gzip-aware). At least six whitespace-separated
/// columns (more are ignored, as trec_eval does); rank must be an integer and
/// score a finite number. Throws
/// ParseError naming file:line and the value, also for a document retrieved
/// twice for one query (trec_eval refuses those too) and for a file without
/// results; IoError if it cannot be read.
Run read_run(const std::string& path);

}  // namespace spindle::eval
