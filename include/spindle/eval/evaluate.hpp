#pragma once
// Evaluates a run against qrels with trec_eval's semantics: only queries
// present in both are evaluated (run queries absent from the qrels are
// ignored and counted); with `average_complete` (-c) queries of the qrels
// absent from the run count as empty rankings.
#include <cstddef>
#include <limits>
#include <string>
#include <vector>

#include "spindle/eval/measures.hpp"
#include "spindle/eval/qrels.hpp"
#include "spindle/eval/run.hpp"

namespace spindle::eval {

struct EvalOptions {
    long relevance_level = 1;  ///< -l: judged rel >= this is relevant
    /// -M: documents per query considered after ranking (trec_eval: no limit).
    std::size_t max_results = std::numeric_limits<std::size_t>::max();
    bool average_complete = false;  ///< -c: average over every query of the qrels
    void validate() const;          ///< InvalidArgument for a negative level or max_results 0
};

struct QueryEvaluation {
    std::string qid;
    std::vector<double> values;  ///< parallel to Evaluation::values
    std::vector<std::string> texts;  ///< text values (relstring), same indices; empty if none
};

struct Evaluation {
    std::string runid;
    std::vector<ValueInfo> values;
    bool print_runid = false;
    bool print_num_q = false;
    std::vector<QueryEvaluation> queries;  ///< in qid byte order
    std::vector<double> summary;           ///< the "all" line of each value
    std::size_t num_q = 0;                 ///< queries averaged over
    std::size_t ignored_run_queries = 0;   ///< run queries absent from the qrels
    std::size_t missing_run_queries = 0;   ///< qrels queries absent from the run
};

Evaluation evaluate(const Qrels& qrels, const Run& run, const MeasureSet& measures, const EvalOptions& options = {});

/// Convenience: measures given as -m strings ("map", "ndcg_cut.10", ...).
Evaluation evaluate(const Qrels& qrels, const Run& run, const std::vector<std::string>& measures,
                    const EvalOptions& options = {});

}  // namespace spindle::eval
