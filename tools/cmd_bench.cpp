// spindle bench: latency, throughput, recall and work counters of query
// algorithms on one index, with the provenance needed to reproduce them.
//
// Method: every query is planned once; the exact top-k (exhaustive) is the
// recall reference. Then `--warmup` passes and `--runs` timed passes; within a
// pass every step runs each algorithm once, each on a different query (and a
// different algorithm first at each step), so that machine noise hits all
// algorithms alike (compare them as ratios of one run) while none finds a
// query's documents left in cache by another; --sequential runs each
// algorithm's passes back to back instead. A query's latency is the
// median of its timed runs; mean and percentiles are over queries.
#include <fmt/format.h>

#include <algorithm>
#include <atomic>
#include <cctype>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "approx_options.hpp"
#include "bench_curve.hpp"
#include "bench_filter.hpp"
#include "bench_report.hpp"
#include "build_info.hpp"
#include "cli_options.hpp"
#include "commands.hpp"
#include "progress.hpp"
#include "spindle/collection/collection.hpp"
#include "spindle/collection/query_loading.hpp"
#include "svg_plot.hpp"
#include "spindle/codec/docid_codec.hpp"
#include "spindle/common/error.hpp"
#include "spindle/formats/input_format.hpp"
#include "spindle/index/index.hpp"
#include "spindle/query/approx_settings.hpp"
#include "spindle/query/recall.hpp"
#include "spindle/query/searcher.hpp"
#include "spindle/query/timing.hpp"

namespace spindle::cli {
namespace {

struct BenchArgs {
    std::string index;
    std::string vector;
    std::string queries;
    std::string format = "auto";
    bool text = false;
    bool number_queries = false;
    std::vector<std::string> algorithms{"exhaustive", "maxscore", "bmw", "bmp"};
    std::size_t k = 10;
    unsigned runs = 3;
    unsigned warmup = 1;
    std::size_t limit = 0;
    std::string json;
    std::string svg;
    bool sequential = false;
    bool quiet = false;
    bool in_memory = false;
    std::vector<std::string> filters;  ///< --filter (repeatable): JSON, @FILE or none
    std::string direct = "auto";       ///< --filter-direct auto|yes|no
    std::string exact = "auto";        ///< --filter-exact auto|yes|no
};

/// A setting to time, and (approx) which knobs the spec set: the others come
/// from the index's stored defaults when it has them.
struct Variant : TimedVariant {
    std::set<std::string, std::less<>> given;  ///< approx knob options the spec set, e.g. "--query-cut"
    bool postfilter = false;  ///< postfilter@: approx, filtered afterwards (bench_filter.hpp)
};

/// "approx@QUERY_CUT,HEAP_FACTOR,KNN", e.g. approx@10,0.9 or approx@3,0.9,10 (any part may be omitted:
/// approx@10, approx@,0.8); `given` records the knobs the spec set.
void parse_approx_params(const std::string& spec, std::size_t at, SearchOptions& o, std::set<std::string, std::less<>>& given) {
    std::vector<std::string> parts;
    std::string rest = spec.substr(at + 1);
    for (std::size_t c = rest.find(','); c != std::string::npos; c = rest.find(',')) {
        parts.push_back(rest.substr(0, c));
        rest = rest.substr(c + 1);
    }
    parts.push_back(rest);
    auto unsigned_part = [](const std::string& x) {
        std::size_t used = 0;
        if (x.front() == '-') throw std::invalid_argument("negative");
        const auto v = std::stoul(x, &used);
        if (used != x.size()) throw std::invalid_argument("trailing characters");
        return v;
    };
    try {
        if (parts.size() > 3) throw std::invalid_argument("too many parts");
        if (!parts[0].empty()) {
            o.query_cut = unsigned_part(parts[0]);
            given.insert("--query-cut");
        }
        if (parts.size() > 1 && !parts[1].empty()) {
            std::size_t used = 0;
            o.heap_factor = std::stod(parts[1], &used);
            if (used != parts[1].size()) throw std::invalid_argument("trailing characters");
            given.insert("--heap-factor");
        }
        if (parts.size() > 2 && !parts[2].empty()) {
            o.knn = unsigned_part(parts[2]);
            given.insert("--knn");
        }
    } catch (const std::exception&) {
        throw InvalidArgument("'" + spec + "': expected approx@QUERY_CUT,HEAP_FACTOR[,KNN] (e.g. approx@10,0.9 or approx@3,0.9,10)");
    }
}

/// "bmp", "bmp@0.9" (bmp with alpha 0.9) or "approx@10,0.9" (query cut 10, heap factor 0.9).
Variant parse_variant(const std::string& spec, std::size_t k) {
    Variant v;
    v.label = spec;
    const auto at = spec.find('@');
    v.opts.algorithm = parse_algorithm(spec.substr(0, at));
    v.opts.k = k;
    if (at != std::string::npos && v.opts.algorithm == Algorithm::approx) {
        parse_approx_params(spec, at, v.opts, v.given);
    } else if (at != std::string::npos) {
        if (v.opts.algorithm != Algorithm::bmp) {
            throw InvalidArgument("'" + spec + "': only bmp takes a bound factor (bmp@ALPHA); approx takes approx@QUERY_CUT,HEAP_FACTOR");
        }
        try {
            std::size_t used = 0;
            v.opts.bmp_alpha = std::stod(spec.substr(at + 1), &used);
            if (used != spec.size() - at - 1) throw std::invalid_argument("trailing characters");
        } catch (const std::exception&) {
            throw InvalidArgument("'" + spec + "': the part after @ must be a number in (0, 1]");
        }
    }
    v.opts.validate();
    return v;
}

bool identical(const std::vector<Hit>& a, const std::vector<Hit>& b) {
    if (a.size() != b.size()) return false;
    for (std::size_t i = 0; i < a.size(); ++i) {
        if (a[i].global_doc != b[i].global_doc || a[i].raw != b[i].raw) return false;
    }
    return true;
}

void run_bench(const BenchArgs& a) {
    if (a.runs == 0) throw InvalidArgument("--runs must be at least 1");
    std::vector<Variant> variants;
    // The list is split at commas, so approx@10,0.9,5 arrives as "approx@10",
    // "0.9" and "5": a piece that starts like a number continues the approx@
    // before it (up to its three parts).
    std::vector<std::string> specs;
    for (const auto& piece : a.algorithms) {
        const bool numeric = !piece.empty() && (std::isdigit(static_cast<unsigned char>(piece[0])) || piece[0] == '.');
        if (numeric && !specs.empty() && (specs.back().starts_with("approx@") || specs.back().starts_with("postfilter@")) &&
            specs.back() != kApproxSweep &&
            std::count(specs.back().begin(), specs.back().end(), ',') < 2) {
            specs.back() += "," + piece;
        } else {
            specs.push_back(piece);
        }
    }
    // Fail before the measurements rather than after them.
    for (const auto& [flag, path] : {std::pair<const char*, const std::string&>{"--svg", a.svg}, {"--json", a.json}}) {
        if (path.empty()) continue;
        const auto parent = std::filesystem::path(path).parent_path();
        if (!parent.empty() && !std::filesystem::is_directory(parent)) {
            throw InvalidArgument(std::string(flag) + " " + path + ": directory " + parent.string() + " does not exist");
        }
    }
    const std::vector<FilterCase> filter_cases = parse_filter_cases(a.filters);
    const std::optional<bool> direct = parse_auto_yes_no("--filter-direct", a.direct);
    const std::optional<bool> approx_exact = parse_auto_yes_no("--filter-exact", a.exact);
    // A read-only snapshot: flushed segments and what the log still holds.
    const auto coll = Collection::open(a.index, {.read_only = true, .in_memory = a.in_memory});
    const auto snap = coll->snapshot();
    const auto index_ptr = snap->index(a.vector);
    const Index& index = *index_ptr;
    // approx@sweep expands into a grid of approx settings (with and without
    // graph refinement when the index has a kNN graph); a variant named twice runs once.
    const std::uint32_t graph = index.manifest().approx ? index.manifest().approx->knn_k : 0;
    std::vector<std::string> expanded;
    for (const auto& spec : specs) {
        const auto more = spec == kApproxSweep ? approx_sweep_specs(std::min<std::uint32_t>(graph, 10)) : std::vector<std::string>{spec};
        for (const auto& s : more) {
            if (std::find(expanded.begin(), expanded.end(), s) == expanded.end()) expanded.push_back(s);
        }
    }
    for (const auto& spec : expanded) {
        std::string runs_as = spec;  // postfilter@C,H runs approx@C,H
        const bool post = strip_postfilter(runs_as);
        variants.push_back(parse_variant(runs_as, a.k));
        variants.back().label = spec;
        variants.back().postfilter = post;
    }
    if (variants.empty()) throw InvalidArgument("--algorithms lists nothing to run");
    for (auto& v : variants) {
        check_searchable(index, v.opts);
        // approx knobs the spec did not set: the index's stored defaults.
        if (v.opts.algorithm == Algorithm::approx &&
            apply_stored_defaults(v.opts, index.manifest(), [&](std::string_view o) { return v.given.contains(o); })) {
            v.opts.validate();
        }
    }
    auto queries = load_queries({a.queries, a.format, a.text, a.number_queries}, index);
    if (a.limit > 0 && queries.size() > a.limit) queries.resize(a.limit);
    if (queries.empty()) throw InvalidArgument(a.queries + ": no queries");
    if (!filter_cases.empty()) {
        std::vector<FilterBenchVariant> fv;
        for (const auto& v : variants) fv.push_back({v.label, v.opts, v.postfilter});
        for (auto& v : fv) {
            v.opts.direct = direct;
            v.opts.approx_exact = approx_exact;
        }
        run_filter_bench(*coll, queries, filter_cases, fv,
                         {a.index, a.vector, a.queries, a.k, a.warmup, a.runs, a.sequential, a.quiet, a.json, a.svg});
        return;
    }
    const std::size_t nq = queries.size();
    std::vector<QueryPlan> plans;
    plans.reserve(nq);
    std::uint64_t unknown = 0;
    for (const auto& q : queries) plans.push_back(plan_query(index, q, &unknown));

    SearchScratch scratch;
    SearchStats ignored;
    // Reference top-k.
    SearchOptions exact_opts;
    exact_opts.algorithm = Algorithm::exhaustive;
    exact_opts.k = a.k;
    std::vector<std::vector<Hit>> exact(nq);
    {
        Progress bar("reference", nq, a.quiet);
        for (std::size_t i = 0; i < nq; ++i) {
            exact[i] = search(index, plans[i], exact_opts, scratch, ignored);
            bar.update(i + 1);
        }
        bar.finish();
    }
    const std::size_t nv = variants.size();
    {
        Progress bar("bench", static_cast<std::uint64_t>(a.warmup + a.runs) * nq * nv, a.quiet);
        std::vector<TimedVariant> timed(variants.begin(), variants.end());
        TimingOptions t;
        t.warmup = a.warmup;
        t.runs = a.runs;
        t.sequential = a.sequential;
        t.progress = [&](std::uint64_t done, std::uint64_t) { bar.update(done); };
        time_queries(index, plans, timed, t);
        for (std::size_t j = 0; j < nv; ++j) static_cast<TimedVariant&>(variants[j]) = std::move(timed[j]);
        bar.finish();
    }

    struct Row {
        double mean, p50, p90, p99, max, qps, recall;
        bool exact;
        double postings, docs, decoded, skipped, sparse_bounds, dense_bounds, summaries;
    };
    std::vector<Row> rows;
    const double warm = std::max(1.0, static_cast<double>(a.warmup) * static_cast<double>(nq));
    for (const auto& v : variants) {
        const std::vector<double> per_query = v.median_us();
        double sum = 0;
        double rec = 0;
        bool same = true;
        for (std::size_t i = 0; i < nq; ++i) {
            sum += per_query[i];
            rec += recall_at_k(v.results[i], exact[i]);
            same = same && identical(v.results[i], exact[i]);
        }
        Row r{};
        r.mean = sum / static_cast<double>(nq) / 1000.0;
        r.p50 = percentile(per_query, 0.5) / 1000.0;
        r.p90 = percentile(per_query, 0.9) / 1000.0;
        r.p99 = percentile(per_query, 0.99) / 1000.0;
        r.max = percentile(per_query, 1.0) / 1000.0;
        r.qps = r.mean > 0 ? 1000.0 / r.mean : 0.0;
        r.recall = rec / static_cast<double>(nq);
        r.exact = same;
        r.postings = static_cast<double>(v.stats.postings_scored) / warm;
        r.docs = static_cast<double>(v.stats.docs_evaluated) / warm;
        r.decoded = static_cast<double>(v.stats.blocks_decoded) / warm;
        r.skipped = static_cast<double>(v.stats.blocks_skipped) / warm;
        r.sparse_bounds = static_cast<double>(v.stats.sparse_bounds) / warm;
        r.dense_bounds = static_cast<double>(v.stats.dense_bounds) / warm;
        r.summaries = static_cast<double>(v.stats.summaries) / warm;
        rows.push_back(r);
    }
    double base = 0;
    for (std::size_t j = 0; j < nv; ++j) {
        if (variants[j].opts.algorithm == Algorithm::exhaustive) base = rows[j].mean;
    }

    const Manifest& m = index.manifest();
    const ComponentBytes bytes = m.component_bytes();
    const double per = m.num_postings ? 1.0 / static_cast<double>(m.num_postings) : 0.0;
    const std::string cpu = cpu_model();
    fmt::print("spindle bench  commit {} ({} build, {}, decoder {})\n", build_commit(), build_type(), build_compiler(),
               codec::decoder_name());
    fmt::print("cpu            {} ({} hardware threads), {}\n", cpu, std::thread::hardware_concurrency(), utc_now());
    fmt::print("index          {}: {} docs, {} postings, {} weights, range {} docids, reorder {}\n", a.index, m.num_docs,
               m.num_postings, to_string(m.weight_type), m.range_block, to_string(m.reorder));
    fmt::print("index bytes    total {} ({:.2f} B/posting): inverted {:.2f}, forward {:.2f} B/posting; docids {}, vocabulary {}\n",
               human_bytes(bytes.total()), static_cast<double>(bytes.total()) * per,
               static_cast<double>(bytes.inverted) * per, static_cast<double>(bytes.forward) * per,
               human_bytes(bytes.docids), human_bytes(bytes.vocabulary));
    if (m.approx) {
        double approx_s = 0;
        for (const auto& seg : m.segments) approx_s += seg.approx_seconds;
        fmt::print("approx         {} ({:.2f}x forward), built in {:.2f} s; {}, block size {}, alpha {:.3g}\n",
                   human_bytes(bytes.approx),
                   bytes.forward ? static_cast<double>(bytes.approx) / static_cast<double>(bytes.forward) : 0.0, approx_s,
                   describe_lambda(m), m.approx->block_size, m.approx->alpha_mass);
    }
    if (m.approx_defaults) {
        const ApproxDefaults& d = *m.approx_defaults;
        fmt::print("approx default {} (spindle tune: recall@{} {:.4f} for target {:g}, {:.3f} ms); used for the "
                   "knobs an approx variant does not set\n",
                   describe_approx(d), d.k, d.recall, d.target_recall, d.mean_ms);
    }
    double reorder_s = 0;
    for (const auto& seg : m.segments) reorder_s += seg.reorder_seconds;
    fmt::print("index build    {:.2f} s (reordering {:.2f} s), peak memory {} (recorded by spindle index)\n",
               m.build_seconds, reorder_s, human_bytes(m.build_peak_rss));
    fmt::print("queries        {}: {} queries ({} unknown tokens dropped), k={}, {} warm-up + {} timed runs, 1 thread, {}\n\n",
               a.queries, nq, unknown, a.k, a.warmup, a.runs, a.sequential ? "sequential" : "interleaved");
    fmt::print("{:<14} {:>9} {:>9} {:>9} {:>9} {:>9} {:>9} {:>8} {:>8} {:>11} {:>9} {:>10} {:>10} {:>11}\n", "algorithm",
               "mean ms", "p50 ms", "p90 ms", "p99 ms", "max ms", "QPS", "recall", "speedup", "postings/q",
               "docs/q", "decoded/q", "skipped/q", "bounds/q");
    for (std::size_t j = 0; j < nv; ++j) {
        const Row& r = rows[j];
        const std::string speed = base > 0 && r.mean > 0 ? fmt::format("{:.2f}x", base / r.mean) : "-";
        fmt::print("{:<14} {:>9.3f} {:>9.3f} {:>9.3f} {:>9.3f} {:>9.3f} {:>9.1f} {:>8.4f} {:>8} {:>11.0f} {:>9.0f} {:>10.0f} {:>10.0f} {:>11}{}\n",
                   variants[j].label, r.mean, r.p50, r.p90, r.p99, r.max, r.qps, r.recall, speed, r.postings, r.docs,
                   r.decoded, r.skipped,
                   r.sparse_bounds + r.dense_bounds > 0 ? fmt::format("{:.0f}+{:.0f}", r.sparse_bounds, r.dense_bounds)
                   : r.summaries > 0                     ? fmt::format("{:.0f} summ.", r.summaries)
                                                         : "-",
                   r.exact ? "" : "  (approximate)");
    }
    std::vector<CurveEntry> curve;
    for (std::size_t j = 0; j < nv; ++j) {
        curve.push_back({variants[j].label, variants[j].opts.algorithm, variants[j].opts.bmp_alpha, rows[j].mean, rows[j].recall});
    }
    fmt::print("{}", curve_table(curve));

    if (!a.json.empty()) {
        nlohmann::ordered_json j = report_provenance("spindle bench", cpu);
        j["index"] = {{"path", a.index},
                      {"docs", m.num_docs},
                      {"postings", m.num_postings},
                      {"terms", m.num_terms},
                      {"weights", to_string(m.weight_type)},
                      {"range_block", m.range_block},
                      {"reorder", to_string(m.reorder)},
                      {"segments", m.segments.size()},
                      {"bytes",
                       {{"inverted", bytes.inverted},
                        {"forward", bytes.forward},
                        {"docids", bytes.docids},
                        {"vocabulary", bytes.vocabulary},
                        {"approx", bytes.approx},
                        {"total", bytes.total()}}},
                      {"bytes_per_posting", rounded(static_cast<double>(bytes.total()) * per, 4)}};
        j["build"] = {{"seconds", rounded(m.build_seconds, 3)},
                      {"reorder_seconds", rounded(reorder_s, 3)},
                      {"peak_rss_bytes", m.build_peak_rss}};
        j["queries"] = {{"file", a.queries}, {"count", nq}, {"unknown_tokens", unknown}};
        j["k"] = a.k;
        j["warmup"] = a.warmup;
        j["runs"] = a.runs;
        j["threads"] = 1;
        j["order"] = a.sequential ? "sequential" : "interleaved";
        auto& results = j["results"] = nlohmann::ordered_json::array();
        for (std::size_t i = 0; i < nv; ++i) {
            const Row& r = rows[i];
            const SearchOptions& o = variants[i].opts;
            results.push_back({{"algorithm", variants[i].label},
                               {"bmp_alpha", knob_json(o.bmp_alpha)},
                               {"query_cut", o.query_cut},
                               {"heap_factor", knob_json(o.heap_factor)},
                               {"knn", o.knn},
                               {"mean_ms", rounded(r.mean, 4)},
                               {"p50_ms", rounded(r.p50, 4)},
                               {"p90_ms", rounded(r.p90, 4)},
                               {"p99_ms", rounded(r.p99, 4)},
                               {"max_ms", rounded(r.max, 4)},
                               {"qps", rounded(r.qps, 2)},
                               {"recall_at_k", rounded(r.recall, 5)},
                               {"identical_to_exhaustive", r.exact},
                               {"speedup_vs_exhaustive", rounded(base > 0 && r.mean > 0 ? base / r.mean : 0.0, 3)},
                               {"postings_scored_per_query", rounded(r.postings, 1)},
                               {"docs_evaluated_per_query", rounded(r.docs, 1)},
                               {"blocks_decoded_per_query", rounded(r.decoded, 1)},
                               {"blocks_skipped_per_query", rounded(r.skipped, 1)},
                               {"sparse_bounds_per_query", rounded(r.sparse_bounds, 1)},
                               {"dense_bounds_per_query", rounded(r.dense_bounds, 1)},
                               {"summaries_per_query", rounded(r.summaries, 1)}});
        }
        j["curve"] = curve_json(curve);
        fmt::print("\n");
        write_json_report(a.json, j);
    }
    if (!a.svg.empty()) {
        PlotText text;
        text.title = fmt::format("spindle bench: recall@{} against mean latency", a.k);
        text.y_title = fmt::format("recall@{} (against exhaustive)", a.k);
        text.subtitle.push_back(fmt::format("commit {} ({} build), {}, {}", build_commit(), build_type(), cpu, utc_now()));
        std::string index_line = fmt::format("index {}: {} docs, {} postings, {} weights, reorder {}", a.index, m.num_docs,
                                             m.num_postings, to_string(m.weight_type), to_string(m.reorder));
        if (m.approx) {
            index_line += fmt::format("; approx {}, block size {}, alpha {:.3g}", describe_lambda(m),
                                      m.approx->block_size, m.approx->alpha_mass);
        }
        text.subtitle.push_back(index_line);
        text.subtitle.push_back(fmt::format("queries {}: {} queries, k={}, {} warm-up + {} timed runs, 1 thread, {}",
                                            a.queries, nq, a.k, a.warmup, a.runs, a.sequential ? "sequential" : "interleaved"));
        std::vector<PlotSeries> series = recall_latency_series(curve);
        if (m.approx_defaults) {
            // Mark the setting spindle tune stored: the approx variant run with exactly its knobs.
            bool marked = false;
            for (std::size_t j = 0; j < nv && !marked; ++j) {
                if (variants[j].opts.algorithm != Algorithm::approx) continue;
                bool same = true;
                for (const auto& knob : approx_knobs()) {
                    same = same && knob.get(variants[j].opts) == knob.get_stored(*m.approx_defaults);
                }
                if (!same) continue;
                series.push_back(tuned_setting_series(curve[j], describe_approx(*m.approx_defaults)));
                marked = true;
            }
            if (!marked) {
                text.subtitle.push_back("tuned setting " + describe_approx(*m.approx_defaults) +
                                        " not among the variants (add -a approx to mark it)");
            }
        }
        write_recall_latency_svg(a.svg, text, series);
        fmt::print("{}wrote {}\n", a.json.empty() ? "\n" : "", a.svg);
    }
}

}  // namespace

void register_bench(CLI::App& app) {
    auto args = std::make_shared<BenchArgs>();
    auto* cmd = app.add_subcommand("bench", "Measure latency, QPS, recall and work counters of query algorithms");
    cmd->footer(std::string(
        "One warm-up pass, then --runs timed passes on one thread; in each pass every step runs each\n"
        "algorithm once, each on a different query (rotating which goes first), so noise on a shared\n"
        "machine hits all of them alike and none finds a query's data cached by another (--sequential\n"
        "runs each algorithm's passes back to back instead). A query's latency is the median of its runs; mean and percentiles are over\n"
        "queries, QPS = 1000 / mean ms. recall is recall@k against the exhaustive top-k; speedup is\n"
        "relative to exhaustive. Counters are per query, from the warm-up pass. The report records the\n"
        "commit, build type, CPU, index parameters, bytes per component, and the index's build time\n"
        "and peak memory as recorded by spindle index.\n\n"
        "maxscore and bmw are in the default list for comparison only: on learned-sparse queries (~44\n"
        "terms, most of them frequent) they are 4-20x slower than exhaustive on both the calibrated and\n"
        "the topical corpus; they are meant for short BM25 queries (SciFact: maxscore within 2x of\n"
        "exhaustive, bmw within 4x; docs/BENCHMARKS.md).\n\n"
        "Examples:\n"
        "  spindle bench --index idx/ --queries q.tsv --json bench.json\n"
        "  spindle bench --index idx/ --queries q.tsv --algorithms exhaustive,bmp,bmp@0.9,bmp@0.8\n"
        "  spindle bench --index idx/ --queries q.tsv -a exhaustive,maxscore,bmp,approx@sweep --svg curve.svg\n\n"
        "Approximate variants (bmp@A, approx@C,H) are also listed in a final recall/latency curve,\n"
        "sorted by mean latency, with their speedup over the fastest exact algorithm and a * on the\n"
        "Pareto-optimal ones. approx@sweep runs approx@C,H for every\n") +
        approx_sweep_description() +
        ",\nfrom low to high recall. --svg FILE draws every variant: approx settings as one curve, bmp@A\n"
        "with bmp as another, exact algorithms as labelled points (log latency axis; hover a marker\n"
        "for its settings; hollow markers are off the Pareto front; the setting spindle tune stored is\n"
        "marked when -a runs it, e.g. as plain approx).\n\n"
        "Filtered search: --filter FILTER (JSON as spindle search --filter, @FILE, or none for no filter;\n"
        "repeat it for a selectivity sweep) runs every variant under each filter through the collection's\n"
        "search, filter evaluation included in the latency; recall@k is against the exhaustive top-k under\n"
        "the same filter, and the table and JSON give each filter's matched points and selectivity\n"
        "(matched / live points). postfilter@C,H[,KNN] (postfilter: the approx defaults) is the\n"
        "post-filtering baseline: unfiltered approx@C,H with k raised to ceil(k / selectivity) (at most\n"
        "the live points), then the points outside the filter dropped and the first k kept (one lookup\n"
        "per candidate in the filter's matching ids, computed once per filter; timed). Without --filter it\n"
        "is approx@C,H. With --filter, --svg plots recall@k against latency, one curve per variant\n"
        "through the filters, each point labelled with its selectivity. Example:\n"
        "  spindle bench --index idx/ --queries q.tsv -a bmp,approx,postfilter \\\n"
        "    --filter '{\"must\":[{\"key\":\"bucket\",\"range\":{\"lt\":100}}]}' --filter none --svg sweep.svg");
    cmd->add_option("--index,--collection", args->index, "Index directory")->required();
    cmd->add_option("--vector", args->vector, "Vector to use (default: the collection's only vector)");
    cmd->add_option("--queries", args->queries, "Query file (impact TSV, JSONL or CSR)")->required();
    cmd->add_option("--format", args->format,
                    "Query format: auto, jsonl, tsv or csr; for text: auto, beir, trec, smart or tsv")
        ->capture_default_str();
    cmd->add_flag("--text", args->text, "Raw-text queries (implied by a text index)");
    cmd->add_flag("--number-queries", args->number_queries, "Text queries get ids 1..n in file order (Cranfield)");
    cmd->add_option("-a,--algorithms", args->algorithms,
                    "Algorithms to compare, comma separated: " + algorithm_names() +
                        "; bmp@A sets bmp's alpha; approx@C,H sets approx's query cut and heap factor; "
                        "approx@sweep runs a grid of approx settings; postfilter@C,H approx then filtering (--filter)")
        ->delimiter(',')
        ->capture_default_str();
    add_k_option(cmd, args->k, "Results per query (more than the documents: all matching ones)");
    cmd->add_option("--runs", args->runs, "Timed passes over the queries")->capture_default_str()->check(CLI::Range(1U, 1000U));
    cmd->add_option("--warmup", args->warmup, "Untimed passes first (counters come from these)")
        ->capture_default_str()
        ->check(CLI::Range(1U, 100U));
    cmd->add_option("--limit", args->limit, "Use only the first N queries (0: all)")->capture_default_str();
    cmd->add_option("--json", args->json, "Also write the report as JSON to this file");
    cmd->add_option("--svg", args->svg, "Also plot recall@k against mean latency for every variant, as SVG to this file");
    cmd->add_flag("--sequential", args->sequential,
                  "Run each algorithm's passes back to back (warm caches, but machine drift is not shared) "
                  "instead of interleaving them per query");
    cmd->add_flag("--in-memory", args->in_memory,
                  "Read the index files into memory (2 MiB pages where the kernel allows) instead of mapping them: "
                  "slower to open, fewer TLB misses (approx searches ~15-20 % faster on 1M documents)");
    cmd->add_option("--filter", args->filters,
                    "Payload filter (JSON, @FILE, or none) every variant runs under; repeat it for a selectivity "
                    "sweep (see below)");
    cmd->add_option("--filter-direct", args->direct,
                    "Under --filter: score the allowed points directly (yes), never (no) or by the threshold (auto), "
                    "as spindle search --filter-direct")
        ->capture_default_str();
    cmd->add_option("--filter-exact", args->exact,
                    "Under --filter, approx variants: search segments exactly always (yes), never (no) or when their "
                    "kept postings hold too few allowed points (auto), as spindle search --filter-exact")
        ->capture_default_str();
    cmd->add_flag("-q,--quiet", args->quiet, "No progress bars");
    cmd->callback([args] { run_bench(*args); });
}

}  // namespace spindle::cli
