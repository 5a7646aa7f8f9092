// spindle tune: choose the approximate-search settings of an index (the
// fastest reaching a target recall on sample queries, checked on held-out
// queries) and store them as its query defaults.
#include <fmt/format.h>

#include <algorithm>
#include <chrono>
#include <fstream>
#include <memory>
#include <string>
#include <vector>

#include "bench_curve.hpp"
#include "bench_report.hpp"
#include "cli_options.hpp"
#include "commands.hpp"
#include "progress.hpp"
#include "svg_plot.hpp"
#include "spindle/collection/collection.hpp"
#include "spindle/collection/query_loading.hpp"
#include "spindle/common/error.hpp"
#include "spindle/index/index.hpp"
#include "spindle/query/approx_settings.hpp"
#include "spindle/query/approx_tuning.hpp"

namespace spindle::cli {
namespace {

/// How the held-out refusal (accept_tuning) ends: the options that fix it.
constexpr std::string_view kLargerSample = "(more --queries, or a larger --held-out share), or pass --force to store the setting anyway";

/// The library's tuning defaults (one place each), shown in --help.
const TuneOptions kTuneDefaults{};

struct TuneArgs {
    std::string index;
    std::string vector;
    std::string queries;
    std::string format = "auto";
    bool text = false;
    bool number_queries = false;
    double target_recall = kTuneDefaults.target_recall;
    std::size_t k = kTuneDefaults.k;
    double held_out = 0.5;
    unsigned runs = kTuneDefaults.runs;
    std::uint64_t seed = 42;
    bool dry_run = false;
    bool force = false;  // store a setting even when the held-out check misses the target by more than the margin
    std::string json;
    std::string svg;
    bool quiet = false;
    bool in_memory = false;
};

/// The Pareto front of the timed settings as a line, the other timed
/// settings as hollow markers, the chosen one as a labelled point and the
/// target recall as a dashed horizontal line.
void write_svg(const TuneArgs& a, const TuneResult& r) {
    const std::vector<PlotSeries> series = tune_plot_series(r.points, r.chosen, r.heldout_recall);
    PlotText text;
    text.title = fmt::format("spindle tune: recall@{} / latency, target {:g}", a.k, a.target_recall);
    text.subtitle = {fmt::format("index {}, queries {}", a.index, a.queries),
                     "tuning queries; one thread, median of " + std::to_string(a.runs) + " runs per query"};
    text.y_title = fmt::format("recall@{}", a.k);
    text.recall_lines.push_back({a.target_recall, fmt::format("target recall@{} {:g}", a.k, a.target_recall)});
    write_recall_latency_svg(a.svg, text, series);
    fmt::print("wrote {}\n", a.svg);
}

void print_curve(const TuneResult& r) {
    std::vector<std::size_t> order(r.points.size());
    for (std::size_t i = 0; i < order.size(); ++i) order[i] = i;
    std::sort(order.begin(), order.end(), [&](std::size_t a, std::size_t b) { return r.points[a].mean_ms < r.points[b].mean_ms; });
    fmt::print("recall/latency on the tuning queries, fastest first (* Pareto front, > chosen; ~ not timed: the "
               "recall pass's time, beyond the speed of interest):\n ");
    for (const auto& knob : approx_knobs()) fmt::print(" {:>12}", knob.name);
    fmt::print(" {:>9} {:>9}\n", "recall", "mean ms");
    for (std::size_t i : order) {
        const TunePoint& p = r.points[i];
        fmt::print("{}", r.chosen && *r.chosen == i ? ">" : p.pareto ? "*" : " ");
        for (const auto& knob : approx_knobs()) fmt::print(" {:>12g}", knob.get(p.opts));
        fmt::print(" {:>9.4f} {:>9}\n", p.recall, fmt::format("{}{:.3f}", p.timed ? "" : "~", p.mean_ms));
    }
}

void write_json(const TuneArgs& a, const TuneResult& r, std::size_t tuning, std::size_t heldout) {
    const auto knobs_of = [](const SearchOptions& o) {
        nlohmann::ordered_json k = nlohmann::ordered_json::object();
        for (const auto& knob : approx_knobs()) k[std::string(knob.name)] = knob_json(knob.get(o));
        return k;
    };
    nlohmann::ordered_json j;
    j["tool"] = "spindle tune";
    j["index"] = a.index;
    j["queries"] = a.queries;
    j["k"] = a.k;
    j["target_recall"] = a.target_recall;
    j["tuning_queries"] = tuning;
    j["heldout_queries"] = heldout;
    j["seed"] = a.seed;
    j["runs"] = a.runs;
    auto& points = j["points"] = nlohmann::ordered_json::array();
    for (const TunePoint& p : r.points) {
        nlohmann::ordered_json e = knobs_of(p.opts);
        e["recall"] = rounded(p.recall, 5);
        e["mean_ms"] = rounded(p.mean_ms, 4);
        e["timed"] = p.timed;
        e["pareto"] = p.pareto;
        points.push_back(std::move(e));
    }
    if (r.chosen) {
        nlohmann::ordered_json c = knobs_of(r.points[*r.chosen].opts);
        c["tuning_recall"] = rounded(r.points[*r.chosen].recall, 5);
        c["tuning_mean_ms"] = rounded(r.points[*r.chosen].mean_ms, 4);
        c["heldout_recall"] = rounded(r.heldout_recall, 5);
        c["heldout_mean_ms"] = rounded(r.heldout_mean_ms, 4);
        j["chosen"] = std::move(c);
    } else {
        j["chosen"] = nullptr;
    }
    j["stored"] = r.chosen && !a.dry_run;
    j["seconds"] = {{"exact", rounded(r.exact_seconds, 3)},
                    {"sweep", rounded(r.sweep_seconds, 3)},
                    {"heldout_check", rounded(r.timing_seconds, 3)}};
    write_json_report(a.json, j);
}

void run_tune(const TuneArgs& a) {
    const auto start = std::chrono::steady_clock::now();
    TuneOptions opts;
    opts.target_recall = a.target_recall;
    opts.k = a.k;
    opts.runs = a.runs;
    if (!(a.target_recall > 0.0 && a.target_recall <= 1.0)) {
        throw InvalidArgument(fmt::format("--target-recall must be in (0, 1], got {}", a.target_recall));
    }
    opts.validate();
    // A read-only snapshot: flushed segments and what the log still holds.
    const auto coll = Collection::open(a.index, {.read_only = true, .in_memory = a.in_memory});
    const auto snap = coll->snapshot();
    const auto index_ptr = snap->index(a.vector);
    const Index& index = *index_ptr;
    if (!index.manifest().approx) {
        throw InvalidArgument("index " + a.index + " has no approximate structures; add them first with spindle build-approx --index " +
                              a.index);
    }
    const auto queries = load_queries({a.queries, a.format, a.text, a.number_queries}, index);
    if (queries.size() < 2) {
        throw InvalidArgument(a.queries + ": tuning needs at least 2 queries (some to tune on, some held out), got " +
                              std::to_string(queries.size()));
    }
    const auto [tune_idx, held_idx] = split_queries(queries.size(), a.held_out, a.seed);
    std::vector<QueryPlan> tuning;
    std::vector<QueryPlan> heldout;
    for (std::size_t i : tune_idx) tuning.push_back(plan_query(index, queries[i]));
    for (std::size_t i : held_idx) heldout.push_back(plan_query(index, queries[i]));
    fmt::print("tuning approx on {}: {} queries ({} to tune on, {} held out, seed {}), target recall@{} {:g}\n", a.index,
               queries.size(), tuning.size(), heldout.size(), a.seed, a.k, a.target_recall);

    PhaseProgress bar("", a.quiet);
    opts.progress = [&](std::string_view phase, std::uint64_t done, std::uint64_t total) { bar.update(phase, done, total); };
    opts.log = [&](const std::string& line) {
        if (!a.quiet) fmt::print(stderr, "{}\n", line);
    };
    if (!a.quiet) fmt::print(stderr, "sweep (staircase: query_cut up, heap_factor down; ~ = not timed, recall pass time):\n");
    const TuneResult r = tune_approx(index, tuning, heldout, opts);
    bar.finish();

    print_curve(r);
    const std::string timing = fmt::format("{} settings tried in {:.2f} s (exact top-k {:.2f} s, sweep {:.2f} s, held-out check {:.2f} s)",
                                           r.points.size(), seconds_since(start), r.exact_seconds, r.sweep_seconds,
                                           r.timing_seconds);
    if (!a.json.empty()) write_json(a, r, tuning.size(), heldout.size());
    if (!a.svg.empty()) write_svg(a, r);
    if (!r.chosen) {
        fmt::print("{}\n", timing);
        (void)accept_tuning(r, opts, !a.dry_run, a.force, kLargerSample);  // throws: nothing reached the target
    }
    const TunePoint& c = r.points[*r.chosen];
    fmt::print("chosen {}: recall@{} {:.4f} on the tuning queries, {:.4f} on the held-out queries; mean {:.3f} ms "
               "(held-out {:.3f} ms; passes back to back, warm caches: bench --sequential measures the same way, "
               "bench's default interleaving measures higher)\n",
               describe_approx(c.opts), a.k, c.recall, r.heldout_recall, c.mean_ms, r.heldout_mean_ms);
    // The accept/refuse rule is the library's (spindle.tune applies the same).
    const TuneVerdict v = accept_tuning(r, opts, !a.dry_run, a.force, kLargerSample);
    if (v.note == TuneVerdict::Note::forced) {
        fmt::print("warning: --force: storing a setting whose held-out recall {:.4f} misses the target {:g} by more "
                   "than {:g}\n", r.heldout_recall, a.target_recall, kTuneHeldOutMargin);
    } else if (v.note == TuneVerdict::Note::below_target) {
        fmt::print("warning: the held-out recall {:.4f} is below the target {:g}: the queries may be too few or unlike; "
                   "consider a slightly higher --target-recall\n",
                   r.heldout_recall, a.target_recall);
    }
    if (a.dry_run) {
        fmt::print("dry run: index defaults not changed\n");
    } else {
        Collection::open(a.index)->set_approx_defaults(index.vector(), v.defaults);
        fmt::print("stored as the query defaults of {} (spindle search/bench -a approx use them)\n", a.index);
    }
    fmt::print("{}\n", timing);
}

}  // namespace

void register_tune(CLI::App& app) {
    auto args = std::make_shared<TuneArgs>();
    auto* cmd = app.add_subcommand("tune", "Choose and store an index's approximate-search settings for a target recall");
    cmd->footer(
        "Splits the queries (seeded) into a tuning part and a held-out part; the exact top-k comes from bmp.\n"
        "A staircase walk over query cuts (upward) and heap factors (downward) finds, for each cut, the\n"
        "smallest heap factor whose mean recall@k on the tuning queries reaches the target; every setting\n"
        "tried that is not far slower than the best is then timed as spindle bench --sequential does\n"
        "(one thread, warm-up pass, median of --runs per query).\n"
        "The fastest setting reaching the target is checked on the held-out queries and stored in the\n"
        "index manifest (atomically) as the defaults of spindle search/bench -a approx, unless --dry-run.\n"
        "Heap factors run from 0.6 to 2: above 1 blocks estimated below the k-th score are scored too\n"
        "(summaries underestimate), which is how recall 0.99 is reached.\n"
        "If no setting reaches the target, the best recall is reported and nothing is stored (exit 1),\n"
        "with the build setting that caps it: the share of missed documents that static pruning dropped\n"
        "(rebuild with spindle build-approx --overwrite --approx-lambda, twice the budget) or whose\n"
        "blocks the summaries ranked too low (--approx-alpha).\n\n"
        "Example: spindle tune --index idx/ --queries sample.tsv --target-recall 0.95 --json tune.json");
    cmd->add_option("--index,--collection", args->index, "Index directory (with approximate structures)")->required();
    cmd->add_option("--vector", args->vector, "Vector to use (default: the collection's only vector)");
    cmd->add_option("--queries", args->queries, "Sample queries (impact TSV, JSONL or CSR)")->required();
    cmd->add_option("--format", args->format, "Query format: auto, jsonl, tsv or csr; for text: auto, beir, trec, smart or tsv")
        ->capture_default_str();
    cmd->add_flag("--text", args->text, "Raw-text queries (implied by a text index)");
    cmd->add_flag("--number-queries", args->number_queries, "Text queries get ids 1..n in file order (Cranfield)");
    cmd->add_option("--target-recall", args->target_recall, "Mean recall@k to reach, in (0, 1]")->capture_default_str();
    add_k_option(cmd, args->k, "The k of recall@k");
    cmd->add_option("--held-out", args->held_out, "Fraction of the queries held out to check the choice, in (0, 1)")
        ->capture_default_str();
    cmd->add_option("--runs", args->runs, "Timed passes per setting (latency: median per query)")
        ->capture_default_str()
        ->check(CLI::Range(1U, 100U));
    cmd->add_option("--seed", args->seed, "Seed of the tuning/held-out split")->capture_default_str();
    cmd->add_flag("--dry-run", args->dry_run, "Report the choice without storing it");
    cmd->add_flag("--force", args->force,
                  fmt::format("Store the choice even when its held-out recall misses the target by more than {:g} "
                              "(refused otherwise, exit 1)",
                              kTuneHeldOutMargin));
    cmd->add_option("--json", args->json, "Also write every setting tried and the choice as JSON");
    cmd->add_option("--svg", args->svg, "Also plot the recall/latency of the timed settings as SVG: their Pareto front as a line, the others "
                    "as hollow markers, the choice labelled, the target recall as a dashed line");
    cmd->add_flag("--in-memory", args->in_memory,
                  "Read the index files into memory (2 MiB pages where the kernel allows) instead of mapping them: "
                  "slower to open, fewer TLB misses (approx searches ~15-20 % faster on 1M documents)");
    cmd->add_flag("-q,--quiet", args->quiet, "No progress output");
    cmd->callback([args] { run_tune(*args); });
}

}  // namespace spindle::cli
