// spindle eval: trec_eval-compatible evaluation of a TREC run against qrels.
#include <fmt/format.h>

#include <memory>
#include <string>
#include <vector>

#include "cli_options.hpp"
#include "commands.hpp"
#include "spindle/io/line_reader.hpp"
#include "spindle/common/error.hpp"
#include "spindle/eval/evaluate.hpp"
#include "spindle/eval/qrels.hpp"
#include "spindle/eval/run.hpp"
#include "spindle/eval/trec_eval_format.hpp"

namespace spindle::cli {
namespace {

struct EvalArgs {
    std::string qrels;
    std::string run;
    std::vector<std::string> files;  // trec_eval's positional form: QRELS RUN
    std::vector<std::string> measures;
    bool per_query = false;
    bool complete = false;
    bool no_summary = false;
    long level = 1;
    long max_results = 0;  // 0: no limit (trec_eval's default)
};

void run_eval(EvalArgs a) {
    if (!a.files.empty()) {
        if (a.files.size() != 2 || !a.qrels.empty() || !a.run.empty()) {
            throw InvalidArgument("give the qrels and the run either as --qrels Q --run R or as two positional "
                                  "arguments (QRELS RUN, as trec_eval), not both");
        }
        a.qrels = a.files[0];
        a.run = a.files[1];
    }
    if (a.qrels.empty() || a.run.empty()) throw InvalidArgument("eval needs a qrels file and a run file (--qrels, --run)");
    eval::EvalOptions opts;
    opts.relevance_level = a.level;
    if (a.max_results < 0) throw InvalidArgument("-M must be positive, got " + std::to_string(a.max_results));
    if (a.max_results > 0) opts.max_results = static_cast<std::size_t>(a.max_results);
    opts.average_complete = a.complete;
    opts.validate();
    const auto measures = eval::MeasureSet::parse(split_measure_lists(a.measures));  // before reading: bad -m fails fast
    const auto qrels = eval::read_qrels(a.qrels);
    const auto run = eval::read_run(a.run);
    const auto e = eval::evaluate(qrels, run, measures, opts);
    if (e.ignored_run_queries > 0) {
        fmt::print(stderr, "warning: {} of {} queries of {} are absent from {} and were ignored (as trec_eval does)\n",
                   e.ignored_run_queries, run.queries.size(), a.run, a.qrels);
    }
    if (e.num_q == 0) throw InvalidArgument("no query of " + a.run + " has judgments in " + a.qrels);
    // stdout is trec_eval's format, byte for byte: notes go to stderr.
    if (const std::string b = LineReader::bom_note({a.qrels, a.run}); !b.empty()) fmt::print(stderr, "note: {}\n", b);
    fmt::print("{}", eval::format_trec_eval(e, {a.per_query, !a.no_summary}));
}

}  // namespace

void register_eval(CLI::App& app) {
    auto args = std::make_shared<EvalArgs>();
    auto* cmd = app.add_subcommand("eval", "Evaluate a TREC run against qrels (trec_eval-compatible output)");
    cmd->footer(
        "Same semantics and output as trec_eval: documents re-ranked by score (ties by docno,\n"
        "decreasing), only queries in both files evaluated (run queries absent from the qrels are\n"
        "ignored, with a warning giving their count), -c averages over every qrels query.\n"
        "Measures: " + eval::measure_names() + "\n\n"
        "Example: spindle eval --qrels qrels.txt --run run.trec -m map -m ndcg_cut.10 -m P.5,10 -q\n"
        "         spindle eval -q -c -M1000 qrels.txt run.trec      (trec_eval's argument order)");
    cmd->add_option("--qrels", args->qrels, "Relevance judgments (qid iter docno rel)");
    cmd->add_option("--run", args->run, "TREC run (qid iter docno rank score runid)");
    cmd->add_option("files", args->files, "QRELS RUN, as trec_eval takes them (instead of --qrels/--run)")
        ->expected(0, 2);
    cmd->add_option("-m,--measure", args->measures,
                    "Measure, with optional parameters (map, P.5,10, ndcg_cut.10, official, all_trec); repeatable, or "
                    "several separated by commas (map,P.5,10: a comma not followed by a letter continues the parameters)")
        ->allow_extra_args(false);
    cmd->add_flag("-q,--per-query", args->per_query, "Also print each query's values");
    cmd->add_flag("-c,--complete", args->complete, "Average over every query of the qrels (missing ones score 0)");
    cmd->add_flag("-n,--no-summary", args->no_summary, "Do not print the 'all' lines");
    cmd->add_option("-l,--level", args->level, "Relevance level: judged rel >= level is relevant")
        ->capture_default_str();
    cmd->add_option("-M,--max-results", args->max_results, "Documents per query evaluated (default: all)");
    cmd->callback([args] { run_eval(*args); });
}

}  // namespace spindle::cli
