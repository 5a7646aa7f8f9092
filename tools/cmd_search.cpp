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
#include "spindle/formats/dense_query_reader.hpp"
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
    std::string exact = "auto";         // --filter-exact auto|yes|no
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
    // Dense queries (--dense-queries FILE on --dense-vector NAME): searched
    // alone, or as the last list of a fusion.
    std::string dense_queries;
    std::string dense_vector;
    std::size_t ef = 0;       // --ef: HNSW candidate list (0: the vector's default)
    bool exact_dense = false; // --exact: every point scored
};

/// The dense vector `name` (or, empty, the collection's only dense vector).
std::string resolve_dense_vector(const Collection& c, const std::string& name) {
    const auto& dense = c.config().dense;
    std::string names;
    for (const auto& [n, _] : dense) names += (names.empty() ? "" : ", ") + n;
    if (name.empty()) {
        if (dense.size() == 1) return dense.begin()->first;
        throw InvalidArgument(dense.empty() ? "--dense-queries: the collection has no dense vector"
                                            : "--dense-queries: the collection has several dense vectors (" + names +
                                                  "): name one with --dense-vector");
    }
    if (!dense.contains(name)) {
        throw InvalidArgument("--dense-vector: the collection has no dense vector '" + name + "'" +
                              (dense.empty() ? std::string(" (it has none)") : " (dense vectors: " + names + ")"));
    }
    return name;
}

/// Dense search requests for the queries of --dense-queries (k, --ef,
/// --exact and --filter; no sparse knob).
std::vector<SearchRequest> dense_requests(const std::vector<DenseQuery>& queries, const std::string& vector,
                                          const SearchArgs& a, const std::shared_ptr<const Filter>& filter) {
    std::vector<SearchRequest> out;
    out.reserve(queries.size());
    for (const DenseQuery& q : queries) {
        SearchRequest r;
        r.vector = vector;
        r.dense_query = q.values;
        r.k = a.k;
        r.exact = a.exact_dense;
        if (a.ef != 0) r.ef = a.ef;
        r.filter = filter;
        out.push_back(std::move(r));
    }
    return out;
}

/// The results as a TREC run: to --output, or to stdout.
template <class Results>
void write_run(const SearchArgs& a, const std::vector<std::string>& ids, const Results& results) {
    if (!a.output.empty()) {
        TrecRunWriter run(a.output, a.tag);
        for (std::size_t i = 0; i < ids.size(); ++i) {
            for (std::size_t r = 0; r < results[i].points.size(); ++r) {
                const ScoredPoint& h = results[i].points[r];
                run.add(ids[i], h.id.text(), r + 1, h.score);
            }
        }
        run.close();
    } else {
        for (std::size_t i = 0; i < ids.size(); ++i) {
            for (std::size_t r = 0; r < results[i].points.size(); ++r) {
                const ScoredPoint& h = results[i].points[r];
                fmt::print("{} Q0 {} {} {:.6f} {}\n", ids[i], h.id.text(), r + 1, h.score, a.tag);
            }
        }
    }
}

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
                         const std::vector<std::string>& ids, const std::vector<SearchResult>& results,
                         const std::string& tag) {
    eval::Run run;
    run.runid = tag;
    for (std::size_t i = 0; i < ids.size(); ++i) {
        auto [it, fresh] = run.queries.try_emplace(ids[i]);
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

/// Every request through search_batch in chunks (so that the progress bar
/// moves), each chunk on a.threads threads; `wall_s` gets the wall time.
std::vector<SearchResult> search_in_chunks(const Collection& coll, const std::vector<SearchRequest>& requests,
                                           const SearchArgs& a, double& wall_s) {
    std::vector<SearchResult> results;
    results.reserve(requests.size());
    Progress bar("search", requests.size(), a.quiet || requests.size() < 1000);
    const auto wall = std::chrono::steady_clock::now();
    const std::size_t chunk = std::max<std::size_t>(256, a.threads * 64);
    for (std::size_t at = 0; at < requests.size(); at += chunk) {
        const std::size_t n = std::min(chunk, requests.size() - at);
        auto part = coll.search_batch(std::span(requests).subspan(at, n), a.threads);
        for (auto& r : part) results.push_back(std::move(r));
        bar.update(results.size());
    }
    wall_s = seconds_since(wall);
    bar.finish();
    return results;
}

void run_fused_search(const SearchArgs& a, const SearchRequest& base);
void run_dense_search(const SearchArgs& a, const SearchRequest& base);

/// --qrels and --metrics read before searching (bad metrics or qrels fail
/// fast); as spindle eval, judgments sharing no query with the run are an error.
std::pair<std::optional<eval::MeasureSet>, std::optional<eval::Qrels>> read_judgments(const SearchArgs& a,
                                                                                      const std::vector<std::string>& ids,
                                                                                      const std::string& file) {
    std::pair<std::optional<eval::MeasureSet>, std::optional<eval::Qrels>> out;
    if (a.qrels.empty()) return out;
    out.first = eval::MeasureSet::parse(split_measure_lists(a.metrics));
    out.second = eval::read_qrels(a.qrels);
    bool shared = false;
    for (const auto& id : ids) shared = shared || out.second->queries.contains(id);
    if (!shared) throw InvalidArgument("no query of " + file + " has judgments in " + a.qrels);
    return out;
}

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
    base.direct = parse_auto_yes_no("--filter-direct", a.direct);
    base.approx_exact = parse_auto_yes_no("--filter-exact", a.exact);
    const bool fusing = !a.fuse_queries.empty() || !a.fusion.empty();
    if (a.dense_queries.empty()) {
        if (a.ef != 0 || a.exact_dense) throw InvalidArgument("--ef and --exact apply to dense queries: give --dense-queries FILE");
        if (!a.dense_vector.empty()) throw InvalidArgument("--dense-vector names the vector of --dense-queries FILE: give it");
    } else if (!fusing) {
        if (!a.queries.empty()) {
            throw InvalidArgument("--queries and --dense-queries: give --fusion rrf|dbsf|convex:ALPHA to fuse them "
                                  "(or drop --queries to search the dense vector alone)");
        }
        return run_dense_search(a, base);
    }
    if (fusing) return run_fused_search(a, base);
    const auto coll = Collection::open(a.index, {.read_only = true, .in_memory = a.in_memory});
    const auto snap = coll->snapshot();
    const auto index = snap->index(a.vector);
    const std::string vector = index->vector();
    // More results than documents: all the matching ones (no k slots allocated).
    base.k = std::max<std::size_t>(1, std::min<std::size_t>(a.k, index->live_docs()));
    const auto queries = load_queries({a.queries, a.format, a.text, a.number_queries, a.allow_empty}, *index);
    std::vector<std::string> ids;
    ids.reserve(queries.size());
    for (const auto& q : queries) ids.push_back(q.id);
    const auto [metrics, qrels] = read_judgments(a, ids, a.queries);
    if (queries.empty() && !a.allow_empty) {
        throw InvalidArgument(a.queries + " holds no query (pass --allow-empty to accept that)");
    }
    std::uint64_t dropped = 0;
    const auto requests = to_requests(queries, coll->config().vectors.at(vector), vector, base, &dropped);

    double wall_s = 0;
    std::vector<SearchResult> results = search_in_chunks(*coll, requests, a, wall_s);
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

    write_run(a, ids, results);

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
        fmt::print(out, "  filter: {} points match; per query {:.2f} segments scored directly, {:.2f} searched exactly by approx "
                        "(too few allowed documents in the kept postings)\n",
                   results.front().matched, static_cast<double>(total.direct_segments) / n,
                   static_cast<double>(total.exact_segments) / n);
    }
    if (qrels) print_effectiveness(out, *qrels, *metrics, ids, results, a.tag);
    if (!a.output.empty()) fmt::print(out, "  run written to {}\n", a.output);
}


/// Dense search alone: every query of --dense-queries on --dense-vector.
void run_dense_search(const SearchArgs& a, const SearchRequest& base) {
    if (a.algorithm != "auto") {
        throw InvalidArgument("--algorithm applies to sparse queries (--queries); a dense search takes --ef or --exact");
    }
    if (!a.given.empty()) throw InvalidArgument(*a.given.begin() + " applies to sparse queries (--queries)");
    const auto coll = Collection::open(a.index, {.read_only = true, .in_memory = a.in_memory});
    const std::string vector = resolve_dense_vector(*coll, a.dense_vector);
    const auto queries = read_dense_queries(a.dense_queries, coll->config().dense.at(vector).dim, vector);
    if (queries.empty() && !a.allow_empty) {
        throw InvalidArgument(a.dense_queries + " holds no query (pass --allow-empty to accept that)");
    }
    std::vector<std::string> ids;
    ids.reserve(queries.size());
    for (const auto& q : queries) ids.push_back(q.id);
    const auto [metrics, qrels] = read_judgments(a, ids, a.dense_queries);
    const auto requests = dense_requests(queries, vector, a, base.filter);
    double wall_s = 0;
    std::vector<SearchResult> results = search_in_chunks(*coll, requests, a, wall_s);
    write_run(a, ids, results);
    std::vector<double> latency_us;
    double sum = 0;
    for (const auto& r : results) {
        latency_us.push_back(r.seconds * 1e6);
        sum += r.seconds * 1e6;
    }
    const double n = queries.empty() ? 1.0 : static_cast<double>(queries.size());
    auto& out = a.output.empty() ? stderr : stdout;
    fmt::print(out, "searched {} dense queries on {} ({}) k={} threads={}\n", queries.size(), vector,
               a.exact_dense ? std::string("exact") : (a.ef != 0 ? fmt::format("ef {}", a.ef) : std::string("default ef")),
               a.k, a.threads);
    fmt::print(out, "  latency ms: mean {:.3f}  p50 {:.3f}  p90 {:.3f}  p99 {:.3f}   QPS {:.1f}\n", sum / n / 1000.0,
               percentile(latency_us, 0.5) / 1000.0, percentile(latency_us, 0.9) / 1000.0,
               percentile(latency_us, 0.99) / 1000.0, queries.empty() ? 0.0 : n / wall_s);
    if (base.filter && !results.empty()) fmt::print(out, "  filter: {} points match\n", results.front().matched);
    if (qrels) print_effectiveness(out, *qrels, *metrics, ids, results, a.tag);
    if (!a.output.empty()) fmt::print(out, "  run written to {}\n", a.output);
}

/// Hybrid search: each query id of --queries (on --vector), of every
/// --fuse-queries file (on its --fuse-vector) and of --dense-queries (on
/// --dense-vector) becomes one prefetch list of --fuse-depth candidates; the
/// lists are fused as --fusion says (Collection::query). A query id missing
/// from a --fuse-queries file gives that list no candidates; one missing
/// from --dense-queries is an error.
void run_fused_search(const SearchArgs& a, const SearchRequest& base) {
    const std::size_t more = a.fuse_queries.size() + (a.dense_queries.empty() ? 0 : 1);
    if (a.fusion.empty()) throw InvalidArgument("--fuse-queries needs --fusion rrf|dbsf|convex:ALPHA");
    if (more == 0) {
        throw InvalidArgument("--fusion needs a second query list: --fuse-queries FILE --fuse-vector NAME, or --dense-queries FILE");
    }
    if (a.fuse_vectors.size() != a.fuse_queries.size()) {
        throw InvalidArgument(fmt::format("give one --fuse-vector per --fuse-queries ({} vectors for {} query files)",
                                          a.fuse_vectors.size(), a.fuse_queries.size()));
    }
    if (!a.qrels.empty()) throw InvalidArgument("--qrels is not supported with --fusion: write the run and use spindle eval");
    FusionParams fusion = parse_fusion_option(a);
    validate_fusion(fusion, 1 + more);
    const auto coll = Collection::open(a.index, {.read_only = true, .in_memory = a.in_memory});
    const auto snap = coll->snapshot();
    struct Leg {
        std::string file, vector;
        std::vector<TextQuery> queries;  // sparse legs
        std::vector<SearchRequest> requests;
        std::map<std::string, std::size_t> by_id;
        bool dense = false;
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
    if (!a.dense_queries.empty()) {
        Leg l{a.dense_queries, resolve_dense_vector(*coll, a.dense_vector), {}, {}, {}, true};
        const auto dq = read_dense_queries(l.file, coll->config().dense.at(l.vector).dim, l.vector);
        l.requests = dense_requests(dq, l.vector, a, nullptr);
        for (std::size_t i = 0; i < dq.size(); ++i) l.by_id.emplace(dq[i].id, i);
        for (const TextQuery& q : legs[0].queries) {
            if (!l.by_id.contains(q.id)) {
                throw InvalidArgument(fmt::format("{}: no dense query for query '{}' of {} (every query needs one)", l.file,
                                                  q.id, legs[0].file));
            }
        }
        legs.push_back(std::move(l));
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
            if (l.dense) r.filter = base.filter;
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
    std::vector<std::string> ids;
    ids.reserve(queries.size());
    for (const auto& q : queries) ids.push_back(q.id);
    write_run(a, ids, results);
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
        "Dense queries: --dense-queries FILE holds one query a line, qid<TAB>v1 v2 ... vd (values\n"
        "separated by spaces, tabs or commas; d = the dimension of --dense-vector; .gz read directly).\n"
        "Alone (no --queries) it searches the dense vector (--ef, --exact); with --queries and\n"
        "--fusion it is the last list of the fusion (every query id of --queries needs a dense query).\n\n"
        "Exact algorithms: bmp (auto) for learned-sparse queries. maxscore and bmw are for short queries\n"
        "over short lists (BM25 text, ~10 terms, where auto picks maxscore; on SciFact maxscore is within\n"
        "2x of exhaustive, bmw within 4x); on SPLADE-like queries (~44 terms, most of them frequent)\n"
        "they are 4-20x slower than exhaustive, on the calibrated and the topical corpus alike, so auto\n"
        "never picks them there\n"
        "(docs/BENCHMARKS.md, \"Exact search on 300k documents\").\n\n"
        "Example: spindle search --index idx/ --queries q.tsv --k 10 --output run.trec\n"
        "         spindle search --index coll/ --queries topics.tsv --vector bm25 \\\n"
        "             --fuse-queries splade.tsv --fuse-vector splade --fusion rrf -o fused.trec\n"
        "         spindle search --index coll/ --queries bm25.tsv --vector bm25 \\\n"
        "             --dense-queries emb.tsv --dense-vector emb --fusion convex:0.6 -o hybrid.trec");
    cmd->add_option("--index,--collection", args->index, "Index (collection) directory")->required();
    cmd->add_option("--queries", args->queries, "Query file (sparse vector or raw text; required unless --dense-queries alone)");
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
                                "(0, 4]; above 1 also blocks whose summary estimate is below the k-th score (summaries "
                                "underestimate; how recall 0.99 is reached); default: the index's stored default (spindle tune), else {:g}",
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
                                "never (no), or when they are few (auto: at most {} in a segment)",
                                kDirectMaxDocs))
        ->capture_default_str();
    cmd->add_option("--filter-exact", args->exact,
                    fmt::format("Under --filter, approx: search a segment exactly (bmp) instead of approximately always "
                                "(yes), never (no: faster, but recall falls with the selectivity), or when its kept "
                                "postings hold fewer than {:g} allowed points per list (auto: lambda x selectivity)",
                                kApproxMinAllowedPerList))
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
    cmd->add_option("--dense-queries", args->dense_queries,
                    "Dense query file (qid<TAB>v1 v2 ... vd): searched alone on --dense-vector, or with --queries and "
                    "--fusion as the last fused list");
    cmd->add_option("--dense-vector", args->dense_vector,
                    "The dense vector of --dense-queries (default: the collection's only dense vector)");
    cmd->add_option("--ef", args->ef, "Dense: HNSW candidate list per segment (0: the vector's stored ef)")
        ->capture_default_str();
    cmd->add_flag("--exact", args->exact_dense, "Dense: score every point (no HNSW graph)");
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
        // --queries is required, except by a dense search alone (a usage error, exit 2).
        if (args->queries.empty() && (args->dense_queries.empty() || !args->fusion.empty() || !args->fuse_queries.empty())) {
            throw CLI::RequiredError(args->dense_queries.empty() ? "--queries" : "--queries (the first list of a fusion)");
        }
        for (const auto& knob : approx_knobs()) {
            const auto* opt = cmd->get_option_no_throw(std::string(knob.option));
            if (opt != nullptr && opt->count() > 0) args->given.insert(std::string(knob.option));
        }
        run_search(*args);
    });
}

}  // namespace spindle::cli
