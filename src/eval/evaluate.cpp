#include "spindle/eval/evaluate.hpp"

#include <algorithm>
#include <cmath>

#include "spindle/common/error.hpp"

namespace spindle::eval {
namespace {
constexpr double kMinGeoMean = 0.00001;  // trec_eval's floor before taking logs
}

void EvalOptions::validate() const {
    if (relevance_level < 0) {
        throw InvalidArgument("relevance level must be >= 0, got " + std::to_string(relevance_level));
    }
    if (max_results == 0) throw InvalidArgument("max results per query must be at least 1");
}

Evaluation evaluate(const Qrels& qrels, const Run& run, const MeasureSet& measures, const EvalOptions& options) {
    options.validate();
    Evaluation e;
    e.runid = run.runid;
    e.values = measures.values();
    e.print_runid = measures.prints_runid();
    e.print_num_q = measures.prints_num_q();
    const std::vector<ScoredDoc> no_docs;
    for (const auto& [qid, docs] : run.queries) {
        if (!qrels.queries.contains(qid)) ++e.ignored_run_queries;
    }
    // Both maps are in qid byte order: walk the qrels queries and look the run up.
    for (const auto& [qid, judged] : qrels.queries) {
        const auto it = run.queries.find(qid);
        if (it == run.queries.end()) {
            ++e.missing_run_queries;
            if (!options.average_complete) continue;
        }
        const auto& docs = it == run.queries.end() ? no_docs : it->second;
        RankedQuery ranked;
        try {
            ranked = rank_query(docs, judged, options.relevance_level, options.max_results);
        } catch (const InvalidArgument& err) {
            throw InvalidArgument("query '" + qid + "': " + err.what());
        }
        QueryEvaluation qe;
        qe.qid = qid;
        measures.compute(ranked, qe.values, qe.texts);
        e.queries.push_back(std::move(qe));
    }
    const bool any_evaluated = e.queries.size() > (options.average_complete ? e.missing_run_queries : 0);
    e.num_q = any_evaluated ? e.queries.size() : 0;
    e.summary.assign(e.values.size(), 0.0);
    for (std::size_t v = 0; v < e.values.size(); ++v) {
        double acc = 0;
        for (const auto& q : e.queries) {
            acc += e.values[v].aggregate == Aggregate::GeoMean ? std::log(std::max(q.values[v], kMinGeoMean))
                                                               : q.values[v];
        }
        const double n = static_cast<double>(e.num_q);
        switch (e.values[v].aggregate) {
            case Aggregate::Sum: e.summary[v] = acc; break;
            case Aggregate::Mean: e.summary[v] = e.num_q > 0 ? acc / n : 0.0; break;
            case Aggregate::GeoMean: e.summary[v] = e.num_q > 0 ? std::exp(acc / n) : 0.0; break;
            case Aggregate::None: break;
        }
    }
    return e;
}

Evaluation evaluate(const Qrels& qrels, const Run& run, const std::vector<std::string>& measures,
                    const EvalOptions& options) {
    return evaluate(qrels, run, MeasureSet::parse(measures), options);
}

}  // namespace spindle::eval
