// spindle search: run a query file against an index and write a TREC run.
#include <fmt/format.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <thread>
#include <vector>

#include "bench_report.hpp"
#include "cli_options.hpp"
#include "commands.hpp"
#include "progress.hpp"
#include "spindle/collection/collection.hpp"
#include "spindle/collection/query_loading.hpp"
#include "spindle/common/error.hpp"
#include "spindle/formats/input_format.hpp"
#include "spindle/eval/evaluate.hpp"
#include "spindle/eval/trec_eval_format.hpp"
#include "spindle/formats/trec_run.hpp"
#include "spindle/io/line_reader.hpp"
#include "spindle/index/index.hpp"
#include "spindle/query/approx_settings.hpp"
#include "spindle/query/fusion.hpp"
#include "spindle/query/searcher.hpp"
#include "spindle/query/timing.hpp"

namespace spindle::cli {
namespace {

/// The built-in query defaults (SearchOptions: one place each), shown in --help.
const SearchOptions kSearchDefaults{};

struct SearchArgs {
    std::string index;
    std::string vector;
    std::string queries;
    std::string output;
    std::string algorithm = "auto";
    std::string format = "auto";
    std::string tag = "spindle";
    std::size_t k = kSearchDefaults.k;
    unsigned threads = 1;
    double bmp_alpha = kSearchDefaults.bmp_alpha;
    std::size_t query_cut = kSearchDefaults.query_cut;
    double heap_factor = kSearchDefaults.heap_factor;
    std::size_t knn = kSearchDefaults.knn;
    bool quiet = false;
    bool in_memory = false;
    std::string qrels;
    std::vector<std::string> metrics{"map", "ndcg_cut.10", "recip_rank", "P.10", "recall.100,1000"};
    bool text = false;                  // raw-text queries for a text (BM25) index
    bool number_queries = false;        // --number-queries: ids 1..n in file order (Cranfield)
    bool allow_empty = false;           // --allow-empty: no query, or none with a known term, is not an error
    std::set<std::string, std::less<>> given;  // approx knob options set on the command line
    std::string filter;                 // --filter: JSON text, or @FILE
    std::string direct = "auto";        // --filter-direct auto|yes|no
    // Hybrid search (fusion): more query lists, each for a vector, fused
    // with the first (--queries on --vector). A dense leg (--dense-queries)
    // is one more entry of these lists.
    std::vector<std::string> fuse_queries;  // --fuse-queries FILE (repeatable)
    std::vector<std::string> fuse_vectors;  // --fuse-vector NAME (one per --fuse-queries)
    std::string fusion;                     // --fusion rrf|dbsf|convex[:ALPHA]
    std::size_t fuse_depth = 0;             // --fuse-depth: candidates per list (0: max(k, 100))
    std::size_t rrf_k = 2;                  // --rrf-k
    std::vector<double> fusion_weights;     // --fusion-weights W,W,... (one per list)
    std::string fusion_norm = "min_max";    // --fusion-norm (convex)
};

/// --fusion rrf|dbsf|convex[:ALPHA] with --rrf-k, --fusion-weights, --fusion-norm.
FusionParams parse_fusion_option(const SearchArgs& a) {
    FusionParams f;
    std::string m = a.fusion;
    if (m.rfind("convex:", 0) == 0) {
        const std::string alpha = m.substr(7);
        std::size_t used = 0;
        double v = 0;
        try {
            v = std::stod(alpha, &used);
        } catch (const std::exception&) {
            used = 0;
        }
        if (used == 0 || used != alpha.size()) throw InvalidArgument("--fusion convex:ALPHA: ALPHA must be a number in [0, 1], got '" + alpha + "'");
        f.alpha = v;
        m = "convex";
    }
    try {
        f.method = parse_fusion_method(m);
        f.normalization = parse_score_normalization(a.fusion_norm);
    } catch (const InvalidArgument& e) {
        throw InvalidArgument(std::string("--fusion: ") + e.what());
    }
    f.rrf_k = a.rrf_k;
    f.weights = a.fusion_weights;
    return f;
}

/// --qrels: evaluates the results in memory (trec_eval semantics) and prints the "all" lines.
void print_effectiveness(std::FILE* out, const eval::Qrels& qrels, const eval::MeasureSet& metrics,
                         const std::vector<TextQuery>& queries, const std::vector<SearchResult>& results,
                         const std::string& tag) {
    eval::Run run;
    run.runid = tag;
    for (std::size_t i = 0; i < queries.size(); ++i) {
        auto [it, fresh] = run.queries.try_emplace(queries[i].id);
        if (!fresh) continue;  // a repeated query id is evaluated once, with its first results
        for (const ScoredPoint& h : results[i].points) it->second.push_back({h.id.text(), h.score});
    }
    const auto e = eval::evaluate(qrels, run, metrics);
    fmt::print(out, "  effectiveness (trec_eval semantics): {} queries judged, {} without judgments ignored\n", e.num_q,
               e.ignored_run_queries);
    eval::FormatOptions f;
    f.per_query = false;
    std::string text = eval::format_trec_eval(e, f);
    for (std::size_t pos = 0; pos < text.size();) {
        const auto nl = text.find('\n', pos);
        fmt::print(out, "    {}\n", std::string_view(text).substr(pos, nl - pos));
        pos = nl + 1;
    }
}

void run_fused_search(const SearchArgs& a, const SearchRequest& base);

void run_search(const SearchArgs& a_in) {
    SearchArgs a = a_in;
    if (a.threads == 0) a.threads = std::max(1U, std::thread::hardware_concurrency());  // as index and build-approx
    SearchRequest base;
    if (a.algorithm != "auto") base.algorithm = parse_algorithm(a.algorithm);
    if (!a.given.empty() && base.algorithm != Algorithm::approx) {
        throw InvalidArgument(*a.given.begin() + " applies to approximate search only; add -a approx (or drop it)");
    }
    base.k = a.k;
    base.bmp_alpha = a.bmp_alpha;
    // approx knobs given on the command line; the others come from the
    // vector's stored defaults (spindle tune), else the built-in defaults.
    if (a.given.contains("--query-cut")) base.query_cut = a.query_cut;
    if (a.given.contains("--heap-factor")) base.heap_factor = a.heap_factor;
    if (a.given.contains("--knn")) base.knn = a.knn;
    base.filter = read_filter(a.filter);
    base.direct = parse_filter_direct(a.direct);
    if (!a.fuse_queries.empty() || !a.fusion.empty()) return run_fused_search(a, base);
    const auto coll = Collection::open(a.index, {.read_only = true, .in_memory = a.in_memory});
    const auto snap = coll->snapshot();
    const auto index = snap->index(a.vector);
    const std::string vector = index->vector();
    // More results than documents: all the matching ones (no k slots allocated).
    base.k = std::max<std::size_t>(1, std::min<std::size_t>(a.k, index->live_docs()));
    const auto queries = load_queries({a.queries, a.format, a.text, a.number_queries, a.allow_empty}, *index);
    std::optional<eval::MeasureSet> metrics;
    std::optional<eval::Qrels> qrels;
    if (!a.qrels.empty()) {  // read before searching: bad metrics or qrels fail fast
        metrics = eval::MeasureSet::parse(split_measure_lists(a.metrics));
        qrels = eval::read_qrels(a.qrels);
        // As spindle eval: judgments that share no query with the run are an error.
        bool shared = false;
        for (const auto& q : queries) shared = shared || qrels->queries.contains(q.id);
        if (!shared) throw InvalidArgument("no query of " + a.queries + " has judgments in " + a.qrels);
    }
    if (queries.empty() && !a.allow_empty) {
        throw InvalidArgument(a.queries + " holds no query (pass --allow-empty to accept that)");
    }
    std::uint64_t dropped = 0;
    const auto requests = to_requests(queries, coll->config().vectors.at(vector), vector, base, &dropped);

    // In chunks, so that the progress bar moves; each chunk on all threads.
    std::vector<SearchResult> results;
    results.reserve(requests.size());
    Progress bar("search", requests.size(), a.quiet || requests.size() < 1000);
    const auto wall = std::chrono::steady_clock::now();
    const std::size_t chunk = std::max<std::size_t>(256, a.threads * 64);
    for (std::size_t at = 0; at < requests.size(); at += chunk) {
        const std::size_t n = std::min(chunk, requests.size() - at);
        auto part = coll->search_batch(std::span(requests).subspan(at, n), a.threads);
        for (auto& r : part) results.push_back(std::move(r));
        bar.update(results.size());
    }
    const double wall_s = seconds_since(wall);
    bar.finish();
    if (!a.allow_empty && !results.empty()) {
        // No query shares a term with the index: the wrong query file (qrels,
        // raw text topics for a vector index, ...), not a search to report.
        std::size_t known = 0;
        for (std::size_t i = 0; i < results.size(); ++i) {
            known += requests[i].query.values.size() > results[i].unknown_terms ? 1 : 0;
        }
        if (known == 0) {
            throw InvalidArgument(fmt::format(
                "none of the {} queries of {} has a term of {} (all their tokens are unknown): is it the right query "
                "file{}? (pass --allow-empty to search anyway)",
                results.size(), a.queries, a.index, index->manifest().text ? "" : " (raw text needs a text index)"));
        }
    }

    if (!a.output.empty()) {
        TrecRunWriter run(a.output, a.tag);
        for (std::size_t i = 0; i < queries.size(); ++i) {
            for (std::size_t r = 0; r < results[i].points.size(); ++r) {
                const ScoredPoint& h = results[i].points[r];
                run.add(queries[i].id, h.id.text(), r + 1, h.score);
            }
        }
        run.close();
    } else {
        for (std::size_t i = 0; i < queries.size(); ++i) {
            for (std::size_t r = 0; r < results[i].points.size(); ++r) {
                const ScoredPoint& h = results[i].points[r];
                fmt::print("{} Q0 {} {} {:.6f} {}\n", queries[i].id, h.id.text(), r + 1, h.score, a.tag);
            }
        }
    }

    SearchStats total;
    std::vector<double> latency_us;
    std::uint64_t unknown = dropped;
    std::uint64_t empty = 0;
    double sum = 0;
    for (const auto& r : results) {
        total += r.stats;
        unknown += r.unknown_terms;
        latency_us.push_back(r.seconds * 1e6);
        sum += r.seconds * 1e6;
    }
    for (const auto& q : requests) empty += q.query.values.empty() ? 1 : 0;
    std::string approx_note;
    const SearchOptions used = results.empty() ? SearchOptions{} : results.front().options;
    if (!results.empty() && used.algorithm == Algorithm::approx) {
        const auto& defaults = index->manifest().approx_defaults;
        approx_note = fmt::format(" ({}{})", describe_approx(used),
                                  defaults ? fmt::format("; index defaults tuned for recall@{} {:.3g}", defaults->k,
                                                         defaults->target_recall)
                                           : std::string());
    }
    const double n = queries.empty() ? 1.0 : static_cast<double>(queries.size());
    auto& out = a.output.empty() ? stderr : stdout;
    fmt::print(out, "searched {} queries ({} with no known term) with {}{} k={} threads={}\n", queries.size(), empty,
               results.empty() ? a.algorithm : std::string(to_string(used.algorithm)), approx_note, a.k, a.threads);
    fmt::print(out, "  unknown query tokens dropped: {}\n", unknown);
    if (const std::string b = LineReader::bom_note({a.queries, a.qrels}); !b.empty()) fmt::print(out, "  {}\n", b);
    fmt::print(out, "  latency ms: mean {:.3f}  p50 {:.3f}  p90 {:.3f}  p99 {:.3f}   QPS {:.1f}\n", sum / n / 1000.0,
               percentile(latency_us, 0.5) / 1000.0, percentile(latency_us, 0.9) / 1000.0,
               percentile(latency_us, 0.99) / 1000.0, queries.empty() ? 0.0 : n / wall_s);
    fmt::print(out, "  per query: postings scored {:.0f}, docs evaluated {:.0f}, blocks decoded {:.0f}, blocks skipped {:.0f}\n",
               static_cast<double>(total.postings_scored) / n, static_cast<double>(total.docs_evaluated) / n,
               static_cast<double>(total.blocks_decoded) / n, static_cast<double>(total.blocks_skipped) / n);
    if (base.filter && !results.empty()) {
        fmt::print(out, "  filter: {} points match; {:.2f} segments per query scored directly\n", results.front().matched,
                   static_cast<double>(total.direct_segments) / n);
    }
    if (qrels) print_effectiveness(out, *qrels, *metrics, queries, results, a.tag);
    if (!a.output.empty()) fmt::print(out, "  run written to {}\n", a.output);
}


/// Hybrid search: each query id of --queries (on --vector) and of every
/// --fuse-queries file (on its --fuse-vector) becomes one prefetch list of
/// --fuse-depth candidates; the lists are fused as --fusion says
/// (Collection::query). A query id missing from a later file gives that
/// list no candidates.
void run_fused_search(const SearchArgs& a, const SearchRequest& base) {
    if (a.fusion.empty()) throw InvalidArgument("--fuse-queries needs --fusion rrf|dbsf|convex:ALPHA");
    if (a.fuse_queries.empty()) throw InvalidArgument("--fusion needs a second query list: --fuse-queries FILE --fuse-vector NAME");
    if (a.fuse_vectors.size() != a.fuse_queries.size()) {
        throw InvalidArgument(fmt::format("give one --fuse-vector per --fuse-queries ({} vectors for {} query files)",
                                          a.fuse_vectors.size(), a.fuse_queries.size()));
    }
    if (!a.qrels.empty()) throw InvalidArgument("--qrels is not supported with --fusion: write the run and use spindle eval");
    FusionParams fusion = parse_fusion_option(a);
    validate_fusion(fusion, 1 + a.fuse_queries.size());
    const auto coll = Collection::open(a.index, {.read_only = true, .in_memory = a.in_memory});
    const auto snap = coll->snapshot();
    struct Leg {
        std::string file, vector;
        std::vector<TextQuery> queries;
        std::vector<SearchRequest> requests;
        std::map<std::string, std::size_t> by_id;
    };
    std::vector<Leg> legs;
    legs.push_back({a.queries, a.vector, {}, {}, {}});
    for (std::size_t i = 0; i < a.fuse_queries.size(); ++i) legs.push_back({a.fuse_queries[i], a.fuse_vectors[i], {}, {}, {}});
    const std::size_t depth = a.fuse_depth != 0 ? a.fuse_depth : std::max<std::size_t>(a.k, 100);
    std::uint64_t dropped = 0;
    for (std::size_t li = 0; li < legs.size(); ++li) {
        Leg& l = legs[li];
        const auto index = snap->index(l.vector);
        l.vector = index->vector();
        // --format and --text describe --queries; the other files are read by their extension.
        l.queries = li == 0 ? load_queries({l.file, a.format, a.text, a.number_queries, a.allow_empty}, *index)
                            : load_queries({l.file, "auto", false, a.number_queries, a.allow_empty}, *index);
        if (l.queries.empty() && !a.allow_empty) throw InvalidArgument(l.file + " holds no query (pass --allow-empty to accept that)");
        l.requests = to_requests(l.queries, coll->config().vectors.at(l.vector), l.vector, base, &dropped);
        for (std::size_t i = 0; i < l.queries.size(); ++i) l.by_id.emplace(l.queries[i].id, i);
    }
    // One query tree per query of the first file.
    std::vector<QueryRequest> trees;
    trees.reserve(legs[0].queries.size());
    std::size_t missing = 0;
    for (const TextQuery& q : legs[0].queries) {
        QueryRequest t;
        t.fusion = fusion;
        t.limit = a.k;
        for (const Leg& l : legs) {
            QueryRequest leaf;
            leaf.limit = depth;
            const auto it = l.by_id.find(q.id);
            SearchRequest r = base;
            r.vector = l.vector;
            if (it != l.by_id.end()) {
                r = l.requests[it->second];
            } else {
                ++missing;
                r.query = {};
                r.text.clear();
            }
            leaf.filter = r.filter;  // base --filter and the query's own (JSONL "filter")
            r.filter = nullptr;
            r.score_threshold.reset();
            r.offset = 0;
            r.with_payload = false;
            leaf.search = std::move(r);
            t.prefetch.push_back(std::move(leaf));
        }
        trees.push_back(std::move(t));
    }
    std::vector<QueryResult> results;
    results.reserve(trees.size());
    Progress bar("search", trees.size(), a.quiet || trees.size() < 1000);
    const auto wall = std::chrono::steady_clock::now();
    const std::size_t chunk = std::max<std::size_t>(256, a.threads * 64);
    for (std::size_t at = 0; at < trees.size(); at += chunk) {
        const std::size_t n = std::min(chunk, trees.size() - at);
        auto part = coll->query_batch(std::span(trees).subspan(at, n), a.threads);
        for (auto& r : part) results.push_back(std::move(r));
        bar.update(results.size());
    }
    const double wall_s = seconds_since(wall);
    bar.finish();
    const auto& queries = legs[0].queries;
    if (!a.output.empty()) {
        TrecRunWriter run(a.output, a.tag);
        for (std::size_t i = 0; i < queries.size(); ++i) {
            for (std::size_t r = 0; r < results[i].points.size(); ++r) {
                run.add(queries[i].id, results[i].points[r].id.text(), r + 1, results[i].points[r].score);
            }
        }
        run.close();
    } else {
        for (std::size_t i = 0; i < queries.size(); ++i) {
            for (std::size_t r = 0; r < results[i].points.size(); ++r) {
                fmt::print("{} Q0 {} {} {:.6f} {}\n", queries[i].id, results[i].points[r].id.text(), r + 1,
                           results[i].points[r].score, a.tag);
            }
        }
    }
    std::vector<double> latency_us;
    double sum = 0;
    SearchStats total;
    std::uint64_t unknown = dropped;
    for (const auto& r : results) {
        latency_us.push_back(r.seconds * 1e6);
        sum += r.seconds * 1e6;
        total += r.stats;
        unknown += r.unknown_terms;
    }
    const double n = queries.empty() ? 1.0 : static_cast<double>(queries.size());
    auto& out = a.output.empty() ? stderr : stdout;
    std::string lists;
    for (const Leg& l : legs) lists += (lists.empty() ? "" : " + ") + l.vector + " (" + l.file + ")";
    fmt::print(out, "fused {} queries by {} over {}: {} candidates per list, k={} threads={}\n", queries.size(), a.fusion, lists,
               depth, a.k, a.threads);
    if (missing > 0) fmt::print(out, "  lists without the query id (no candidates): {}\n", missing);
    fmt::print(out, "  unknown query tokens dropped: {}\n", unknown);
    fmt::print(out, "  latency ms (all lists and the fusion): mean {:.3f}  p50 {:.3f}  p90 {:.3f}  p99 {:.3f}   QPS {:.1f}\n",
               sum / n / 1000.0, percentile(latency_us, 0.5) / 1000.0, percentile(latency_us, 0.9) / 1000.0,
               percentile(latency_us, 0.99) / 1000.0, queries.empty() ? 0.0 : n / wall_s);
    fmt::print(out, "  per query: postings scored {:.0f}, docs evaluated {:.0f}\n",
               static_cast<double>(total.postings_scored) / n, static_cast<double>(total.docs_evaluated) / n);
    if (!a.output.empty()) fmt::print(out, "  run written to {}\n", a.output);
}

}  // namespace

void register_search(CLI::App& app) {
    auto args = std::make_shared<SearchArgs>();
    auto* cmd = app.add_subcommand("search", "Run queries against an index and write a TREC run");
    cmd->footer(
        "Query formats: Anserini impact TSV (qid<TAB>tok tok ..., a repeated token = its weight),\n"
        "JSONL ({\"id\", \"vector\"}) and CSR; .gz is read directly. Every algorithm returns the\n"
        "exact top-k of the stored weights (ties by ascending docid); bmp with --bmp-alpha < 1\n"
        "and approx (index built with --approx; --query-cut, --heap-factor) trade recall for speed.\n\n"
        "Hybrid search: --fusion fuses the results of --queries on --vector with those of every\n"
        "--fuse-queries FILE on its --fuse-vector NAME (queries joined by id; each list holds\n"
        "--fuse-depth candidates): rrf (Qdrant's: sum of 1/(k + rank), ranks from 0, --rrf-k 2;\n"
        "--fusion-weights as Qdrant's weighted RRF), dbsf (Qdrant's distribution-based score\n"
        "fusion: mean +- 3 sd normalization, summed) or convex:ALPHA (ALPHA x first + (1 - ALPHA) x\n"
        "second of min-max normalized scores; --fusion-norm z_score; --fusion-weights for more lists).\n\n"
        "Example: spindle search --index idx/ --queries q.tsv --k 10 --output run.trec\n"
        "         spindle search --index coll/ --queries topics.tsv --vector bm25 \\\n"
        "             --fuse-queries splade.tsv --fuse-vector splade --fusion rrf -o fused.trec");
    cmd->add_option("--index,--collection", args->index, "Index (collection) directory")->required();
    cmd->add_option("--queries", args->queries, "Query file")->required();
    cmd->add_option("--vector", args->vector, "Vector to search (default: the collection's only vector)");
    add_k_option(cmd, args->k, "Results per query (more than the documents: all matching ones)");
    cmd->add_option("-a,--algorithm", args->algorithm,
                    "auto (bmp; maxscore for a text index) or one of: " + algorithm_names())
        ->capture_default_str();
    cmd->add_option("-o,--output", args->output, "TREC run file to write (default: stdout)");
    cmd->add_option("--format", args->format, "Query format: auto (by extension), jsonl, tsv or csr")
        ->capture_default_str();
    cmd->add_option("--tag", args->tag, "Run tag (last column)")->capture_default_str();
    cmd->add_option("-t,--threads", args->threads, "Queries searched in parallel (each query uses one thread; 0: all cores)")
        ->capture_default_str()
        ->check(CLI::Range(0U, 1024U));
    cmd->add_option("--bmp-alpha", args->bmp_alpha, "bmp bound factor in (0,1]; 1 is exact")->capture_default_str();
    cmd->add_option("--query-cut", args->query_cut,
                    fmt::format("approx: the query's largest terms whose blocks are visited (>= 1); default: the "
                                "index's stored default (spindle tune), else {}",
                                kSearchDefaults.query_cut))
        ->capture_default_str();
    cmd->add_option("--heap-factor", args->heap_factor,
                    fmt::format("approx: a block is scored when its summary score >= k-th score / heap factor; "
                                "(0,1], 1 skips least; default: the index's stored default (spindle tune), else {:g}",
                                kSearchDefaults.heap_factor))
        ->capture_default_str();
    cmd->add_option("--knn", args->knn,
                    "approx: graph neighbours of each result also scored (0: none; needs an index built with "
                    "--approx-knn)")
        ->capture_default_str();
    cmd->add_flag("--in-memory", args->in_memory,
                  "Read the index files into memory (2 MiB pages where the kernel allows) instead of mapping them: "
                  "slower to open, fewer TLB misses (approx searches ~15-20 % faster on 1M documents)");
    cmd->add_option("--filter", args->filter,
                    "Payload filter in Qdrant's JSON shape, or @FILE holding one (docs/format.md, Filters); "
                    "only matching points are scored and returned");
    cmd->add_flag("-q,--quiet", args->quiet, "No progress bar");
    cmd->add_option("--filter-direct", args->direct,
                    fmt::format("Under --filter: score the allowed points directly through the forward index (yes), "
                                "never (no), or when they are few (auto: at most max({}, {:g} % of a segment))",
                                kDirectMinDocs, 100.0 * kDirectFraction))
        ->capture_default_str();
    cmd->add_option("--qrels", args->qrels, "Relevance judgments: evaluate the results and print the metrics");
    cmd->add_option("--fuse-queries", args->fuse_queries,
                    "Hybrid search: another query file (repeatable), searched on its --fuse-vector and fused with "
                    "--queries by --fusion; queries are joined by id");
    cmd->add_option("--fuse-vector", args->fuse_vectors, "The vector of each --fuse-queries file, in the same order");
    cmd->add_option("--fusion", args->fusion,
                    "How the lists are fused: rrf, dbsf or convex:ALPHA (ALPHA in [0, 1] weighs --queries' list)");
    cmd->add_option("--fuse-depth", args->fuse_depth, "Candidates per list before fusion (0: max(k, 100))")
        ->capture_default_str();
    cmd->add_option("--rrf-k", args->rrf_k, "rrf: the k of 1/(k + rank) (Qdrant's default 2)")->capture_default_str();
    cmd->add_option("--fusion-weights", args->fusion_weights,
                    "One weight per list (--queries first): rrf as Qdrant's weighted RRF, dbsf multipliers, convex "
                    "weights (scaled to sum to 1; instead of :ALPHA)")
        ->delimiter(',');
    cmd->add_option("--fusion-norm", args->fusion_norm, "convex: min_max or z_score normalization")->capture_default_str();
    cmd->add_option("-m,--metrics", args->metrics,
                    "trec_eval measures for --qrels, as spindle eval -m: repeat the option, or separate them with "
                    "spaces or commas (map,ndcg_cut.10; a comma not followed by a letter continues a measure's own "
                    "parameters: P.5,10)")
        ->capture_default_str();
    cmd->add_flag("--text", args->text,
                  "Raw-text queries (implied by a text index): --format auto, beir, trec, smart or tsv");
    cmd->add_flag("--number-queries", args->number_queries, "Text queries get ids 1..n in file order (Cranfield)");
    cmd->add_flag("--allow-empty", args->allow_empty,
                  "Accept a query file without queries, whose queries share no term with the index, or of "
                  "impact-format queries for a text index (an error otherwise)");
    cmd->callback([args, cmd] {
        for (const auto& knob : approx_knobs()) {
            const auto* opt = cmd->get_option_no_throw(std::string(knob.option));
            if (opt != nullptr && opt->count() > 0) args->given.insert(std::string(knob.option));
        }
        run_search(*args);
    });
}

}  // namespace spindle::cli
