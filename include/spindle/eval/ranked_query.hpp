#pragma once
// One query's run joined with its judgments, ranked as trec_eval ranks it:
// score descending, ties by docno in decreasing byte order, cut to the first
// `max_results` documents.
#include <cstddef>
#include <vector>

#include "spindle/eval/qrels.hpp"
#include "spindle/eval/run.hpp"

namespace spindle::eval {

/// Relevance of a retrieved document that is not in the qrels.
inline constexpr long kNotInPool = -1;
/// Relevance of a retrieved document the qrels list with a negative value
/// (in the pool but not judged).
inline constexpr long kUnjudged = -2;

struct RankedQuery {
    std::vector<long> rels;  ///< relevance of the document at each rank (0-based)
    long num_ret = 0;
    long num_rel = 0;          ///< judged documents with rel >= relevance level
    long num_rel_ret = 0;      ///< ... among the retrieved ones
    long num_nonrel = 0;       ///< judged documents with 0 <= rel < relevance level
    /// Relevance values >= 0 of every judged document, descending (ideal ranking).
    std::vector<long> judged_desc;
    long relevance_level = 1;
    std::vector<long> rel_prefix;  ///< rel_prefix[i]: relevant documents among the first i

    [[nodiscard]] bool relevant(std::size_t rank) const { return rels[rank] >= relevance_level; }
    /// Relevant documents among the first `k` (k >= 0).
    [[nodiscard]] long rel_in_top(long k) const {
        return rel_prefix[static_cast<std::size_t>(k < num_ret ? k : num_ret)];
    }
};

/// Ranks `docs` (any order) against `judged`. Throws InvalidArgument if a
/// docno appears twice among the first `max_results`.
RankedQuery rank_query(const std::vector<ScoredDoc>& docs, const QueryJudgments& judged, long relevance_level,
                       std::size_t max_results);

}  // namespace spindle::eval
