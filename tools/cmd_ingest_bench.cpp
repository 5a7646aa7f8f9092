// spindle bench-ingest: the live write path measured. Loads documents into
// memory, then (1) ingests them through Collection::upsert in batches on one
// writer thread (the log, in-memory segments, flushes; merges timed apart);
// (2) bulk-builds the same documents (spindle index's path) as the static
// reference and times the queries on it; (3) times the same queries while a
// writer replaces documents at a fixed rate; (4) optimizes the ingested
// collection to one segment and compares its latency and results with the
// bulk-built one.
#include <fmt/format.h>

#include <atomic>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <memory>
#include <nlohmann/json.hpp>
#include <thread>

#include "approx_options.hpp"
#include "bench_report.hpp"
#include "build_info.hpp"
#include "commands.hpp"
#include "progress.hpp"
#include "spindle/collection/collection.hpp"
#include "spindle/collection/query_loading.hpp"
#include "spindle/collection/record_points.hpp"
#include "spindle/io/line_reader.hpp"
#include "spindle/common/error.hpp"
#include "spindle/formats/input_format.hpp"
#include "spindle/build/index_builder.hpp"
#include "spindle/query/timing.hpp"

namespace spindle::cli {
namespace {

struct IngestArgs {
    std::string input;
    std::string queries;
    std::string vocab;
    std::string output;
    std::string format = "auto";
    std::string weights = "u16";
    std::size_t batch = 1000;
    bool wait = true;
    bool background_flush = true;
    std::uint64_t flush_docs = 100'000;
    std::uint64_t limit = 0;
    std::size_t query_limit = 500;
    double rate = 1000.0;  // documents per second replaced during the search phase
    double search_seconds = 20.0;
    std::size_t k = 10;
    bool approx = false;
    ApproxBuildArgs approx_build;
    std::string json;
    bool quiet = false;
};

struct Latency {
    double mean_ms = 0;
    double p50_ms = 0;
    double p99_ms = 0;
    std::size_t n = 0;
};

Latency summarize(std::vector<double> us) {
    Latency l;
    l.n = us.size();
    if (us.empty()) return l;
    double sum = 0;
    for (double x : us) sum += x;
    l.mean_ms = sum / static_cast<double>(us.size()) / 1000.0;
    l.p50_ms = percentile(us, 0.5) / 1000.0;
    l.p99_ms = percentile(us, 0.99) / 1000.0;
    return l;
}

nlohmann::json to_json(const Latency& l) {
    return {{"mean_ms", l.mean_ms}, {"p50_ms", l.p50_ms}, {"p99_ms", l.p99_ms}, {"queries", l.n}};
}

/// One pass over the requests on one thread, each query's latency.
std::vector<double> time_pass(const Collection& c, const std::vector<SearchRequest>& reqs, std::vector<SearchResult>* keep) {
    std::vector<double> us;
    us.reserve(reqs.size());
    for (const auto& r : reqs) {
        const auto t0 = std::chrono::steady_clock::now();
        SearchResult res = c.search(r);
        us.push_back(std::chrono::duration<double, std::micro>(std::chrono::steady_clock::now() - t0).count());
        if (keep != nullptr) keep->push_back(std::move(res));
    }
    return us;
}

bool same_results(const std::vector<SearchResult>& a, const std::vector<SearchResult>& b, std::size_t* differing) {
    *differing = 0;
    for (std::size_t i = 0; i < a.size() && i < b.size(); ++i) {
        bool same = a[i].points.size() == b[i].points.size();
        for (std::size_t j = 0; same && j < a[i].points.size(); ++j) {
            same = a[i].points[j].id == b[i].points[j].id && a[i].points[j].score == b[i].points[j].score;
        }
        *differing += same ? 0 : 1;
    }
    return *differing == 0 && a.size() == b.size();
}

void run_ingest(const IngestArgs& a) {
    namespace fs = std::filesystem;
    std::error_code ec;
    if (fs::exists(a.output, ec)) throw InvalidArgument("--output " + a.output + " already exists (bench-ingest creates it)");
    if (!a.json.empty()) {
        const auto parent = fs::path(a.json).parent_path();
        if (!parent.empty() && !fs::is_directory(parent)) throw InvalidArgument("--json " + a.json + ": no such directory");
    }
    fs::create_directories(a.output);
    const std::string vector = "default";

    // Documents into memory (not timed as ingest).
    std::vector<std::string> columns;  // --vocab: column j is token columns[j]
    if (!a.vocab.empty()) {
        LineReader r(a.vocab);
        std::string_view line;
        while (r.next(line)) columns.emplace_back(line);
        if (columns.empty()) throw InvalidArgument("--vocab " + a.vocab + ": no tokens");
    }
    std::vector<Point> points;
    bool numeric = false;  // CSR columns: an integer-keyed vector, as spindle index makes of them
    {
        Progress bar("read", 0, a.quiet);
        read_records(
            a.input, parse_input_format(a.format),
            [&](const RawRecord& rec) {
                if (a.limit > 0 && points.size() >= a.limit) return;
                Point p;
                p.id = PointId::key(std::string(rec.id));
                if (rec.numeric && columns.empty()) numeric = true;
                SparseVector v =
                    record_vector(rec, rec.numeric && columns.empty() ? VectorKeys::indices : VectorKeys::tokens, columns);
                p.vectors.emplace(vector, std::move(v));
                points.push_back(std::move(p));
            },
            [&](std::uint64_t done, std::uint64_t total) { bar.update(done, total); });
        bar.finish(fmt::format("{} documents read", points.size()));
    }
    if (points.empty()) throw InvalidArgument(a.input + ": no documents");

    CollectionConfig cfg;
    SparseVectorConfig vc;
    vc.weight_type = parse_weight_type(a.weights);
    if (numeric) vc.keys = VectorKeys::indices;
    if (a.approx || a.approx_build.any()) vc.approx = approx_build_options(a.approx_build);
    cfg.vectors.emplace(vector, vc);
    cfg.segments.flush_docs = a.flush_docs;

    // (1) Ingest through the API.
    const std::string live = a.output + "/live";
    nlohmann::json out;
    WriteStats ws;
    double ingest_s = 0;
    {
        auto coll = Collection::create(live, cfg, {.background_flush = a.background_flush});
        // The vocabulary file's tokens first, in its order (as the bulk
        // build below preloads them): terms get the same ids in both, so the
        // approximate structures after optimize can be compared exactly.
        if (!columns.empty() && !numeric) coll->add_tokens(vector, columns);
        Progress bar("ingest", points.size(), a.quiet);
        const auto t0 = std::chrono::steady_clock::now();
        for (std::size_t at = 0; at < points.size(); at += a.batch) {
            const std::size_t n = std::min(a.batch, points.size() - at);
            coll->upsert(std::span(points).subspan(at, n), {.wait = a.wait});
            bar.update(at + n);
        }
        coll->flush();
        ingest_s = seconds_since(t0);
        bar.finish();
        ws = coll->info().writes;
    }
    const double docs = static_cast<double>(points.size());
    const double write_path = ws.prepare_seconds + ws.log_seconds + ws.apply_seconds;
    const double with_flushes = ingest_s - ws.merge_seconds;
    fmt::print("ingest of {} documents in batches of {} ({}), one writer thread, flush every {} documents{}:\n", points.size(),
               a.batch, a.wait ? "wait=true" : "wait=false", a.flush_docs,
               a.background_flush ? " (tiers and flushes on the background thread)" : "");
    fmt::print("  write path alone (validate+encode {:.2f} s + log {:.2f} s + in-memory segments {:.2f} s): {:.0f} docs/s\n",
               ws.prepare_seconds, ws.log_seconds, ws.apply_seconds, docs / write_path);
    if (a.background_flush) {
        fmt::print("  background thread: {} tier combinations {:.2f} s, {} flushes {:.2f} s; writer waited {:.2f} s for it\n",
                   ws.combines, ws.combine_seconds, ws.flushes, ws.flush_seconds, ws.wait_seconds);
        fmt::print("  end to end with flushes: {:.0f} docs/s ({:.2f} s)\n", docs / with_flushes, with_flushes);
    } else {
        fmt::print("  end to end with {} flushes ({:.2f} s): {:.0f} docs/s ({:.2f} s)\n", ws.flushes, ws.flush_seconds,
                   docs / with_flushes, with_flushes);
    }
    fmt::print("  merges (separately): {} in {:.2f} s; total wall {:.2f} s\n", ws.merges, ws.merge_seconds, ingest_s);
    out["ingest"] = {{"docs", points.size()},
                     {"batch", a.batch},
                     {"wait", a.wait},
                     {"flush_docs", a.flush_docs},
                     {"prepare_seconds", ws.prepare_seconds},
                     {"log_seconds", ws.log_seconds},
                     {"apply_seconds", ws.apply_seconds},
                     {"write_path_docs_per_s", docs / write_path},
                     {"background_flush", a.background_flush},
                     {"combines", ws.combines},
                     {"combine_seconds", ws.combine_seconds},
                     {"wait_seconds", ws.wait_seconds},
                     {"flushes", ws.flushes},
                     {"flush_seconds", ws.flush_seconds},
                     {"end_to_end_docs_per_s", docs / with_flushes},
                     {"merges", ws.merges},
                     {"merge_seconds", ws.merge_seconds},
                     {"wall_seconds", ingest_s}};

    // (2) The static reference: the same documents bulk-built.
    const std::string bulk = a.output + "/static";
    {
        BuildOptions bo;
        bo.weight_type = vc.weight_type;
        bo.approx = vc.approx;
        bo.policy = cfg.segments;
        IndexBuilder b(bulk, bo);
        if (!a.vocab.empty()) b.preload_vocabulary(a.vocab);
        const auto t0 = std::chrono::steady_clock::now();
        read_records(a.input, parse_input_format(a.format), [&](const RawRecord& rec) {
            if (a.limit == 0 || b.docs_added() < a.limit) b.add(rec);
        });
        b.finish();
        out["bulk_build_seconds"] = seconds_since(t0);
    }
    const auto stat = Collection::open(bulk, {.read_only = true});
    const auto queries = load_queries({a.queries}, *stat->snapshot()->index(vector));
    std::vector<TextQuery> qs(queries.begin(), queries.begin() + static_cast<std::ptrdiff_t>(std::min(queries.size(), a.query_limit)));
    SearchRequest base;
    base.k = a.k;
    const auto reqs = to_requests(qs, stat->config().vectors.at(vector), vector, base);
    (void)time_pass(*stat, reqs, nullptr);  // warm-up
    std::vector<SearchResult> static_results;
    const Latency stat_lat = summarize(time_pass(*stat, reqs, &static_results));
    fmt::print("static (bulk-built) index, bmp, {} queries: mean {:.3f} ms, p99 {:.3f} ms\n", reqs.size(), stat_lat.mean_ms,
               stat_lat.p99_ms);
    out["static"] = to_json(stat_lat);

    // (3) The same queries while a writer replaces documents at a fixed rate
    // (a copy of the bulk-built collection, so both hold the same documents).
    {
        const std::string busy = a.output + "/busy";
        fs::copy(bulk, busy, fs::copy_options::recursive);
        auto coll = Collection::open(busy, {.background_merges = true, .background_flush = a.background_flush});
        std::atomic<bool> stop{false};
        std::atomic<std::uint64_t> written{0};
        std::thread writer([&] {
            const auto t0 = std::chrono::steady_clock::now();
            std::size_t at = 0;
            const std::size_t batch = std::max<std::size_t>(1, static_cast<std::size_t>(a.rate / 20));  // 20 batches a second
            while (!stop.load()) {
                const double due = seconds_since(t0) * a.rate;
                if (static_cast<double>(written.load()) + static_cast<double>(batch) > due) {
                    std::this_thread::sleep_for(std::chrono::milliseconds(2));
                    continue;
                }
                const std::size_t n = std::min(batch, points.size() - at);
                coll->upsert(std::span(points).subspan(at, n), {.wait = a.wait});
                written += n;
                at = (at + n) % points.size();
            }
        });
        std::vector<double> us;
        const auto t0 = std::chrono::steady_clock::now();
        while (seconds_since(t0) < a.search_seconds) {
            auto pass = time_pass(*coll, reqs, nullptr);
            us.insert(us.end(), pass.begin(), pass.end());
        }
        stop = true;
        writer.join();
        const Latency busy_lat = summarize(us);
        const double achieved = static_cast<double>(written.load()) / seconds_since(t0);
        fmt::print("while replacing {:.0f} docs/s (asked {:.0f}): mean {:.3f} ms, p99 {:.3f} ms: p99 {:.2f}x the static one\n",
                   achieved, a.rate, busy_lat.mean_ms, busy_lat.p99_ms, busy_lat.p99_ms / stat_lat.p99_ms);
        out["while_ingesting"] = to_json(busy_lat);
        out["while_ingesting"]["docs_per_s"] = achieved;
        out["while_ingesting"]["p99_ratio"] = busy_lat.p99_ms / stat_lat.p99_ms;
    }

    // (4) The ingested collection optimized to one segment against the bulk-built one.
    {
        auto coll = Collection::open(live);
        const auto t0 = std::chrono::steady_clock::now();
        coll->optimize(1);
        out["optimize_seconds"] = seconds_since(t0);
        std::vector<std::pair<std::string, std::optional<Algorithm>>> algos{{"bmp", Algorithm::bmp}};
        if (vc.approx) algos.emplace_back("approx", Algorithm::approx);
        for (const auto& [name, alg] : algos) {
            std::vector<SearchRequest> r2 = reqs;
            for (auto& r : r2) r.algorithm = alg;
            // Alternate the two, twice, keeping each one's better pass.
            std::vector<SearchResult> ra, rb;
            Latency la{1e300, 0, 0, 0}, lb{1e300, 0, 0, 0};
            for (int pass = 0; pass < 3; ++pass) {
                std::vector<SearchResult> xa, xb;
                const Latency x = summarize(time_pass(*coll, r2, &xa));
                const Latency y = summarize(time_pass(*stat, r2, &xb));
                if (pass == 0) continue;  // warm-up
                if (x.mean_ms < la.mean_ms) la = x;
                if (y.mean_ms < lb.mean_ms) lb = y;
                ra = std::move(xa);
                rb = std::move(xb);
            }
            std::size_t differing = 0;
            const bool same = same_results(ra, rb, &differing);
            fmt::print("optimized vs bulk-built, {}: {:.3f} vs {:.3f} ms mean ({:+.1f} %), results {}\n", name, la.mean_ms,
                       lb.mean_ms, 100.0 * (la.mean_ms / lb.mean_ms - 1.0),
                       same ? "identical" : fmt::format("differ on {} queries", differing));
            out["optimized"][name] = {{"optimized_mean_ms", la.mean_ms},
                                      {"bulk_mean_ms", lb.mean_ms},
                                      {"ratio", la.mean_ms / lb.mean_ms},
                                      {"identical", same},
                                      {"queries_differing", differing}};
        }
    }
    out["provenance"] = {{"commit", build_commit()}, {"cpu", cpu_model()}, {"date", utc_now()}, {"input", a.input},
                         {"queries", a.queries}, {"weights", a.weights}};
    if (!a.json.empty()) {
        std::ofstream f(a.json);
        f << out.dump(2) << "\n";
        if (!f) throw IoError("cannot write " + a.json);
    }
}

}  // namespace

void register_ingest_bench(CLI::App& app) {
    auto a = std::make_shared<IngestArgs>();
    auto* cmd = app.add_subcommand("bench-ingest", "Measure the live write path: ingest, search while writing, optimize");
    cmd->footer(
        "Creates --output/live (ingested), --output/static (bulk-built), --output/busy (searched while written).\n\n"
        "Example: spindle bench-ingest --input corpus/docs.csr --queries corpus/queries.tsv --output work/");
    cmd->add_option("-i,--input", a->input, "Documents (JSONL or CSR)")->required();
    cmd->add_option("--queries", a->queries, "Queries")->required();
    cmd->add_option("--vocab", a->vocab,
                    "CSR input: token of each column, one per line (as spindle index --vocab); points then carry tokens");
    cmd->add_option("-o,--output", a->output, "Directory to create for the collections")->required();
    cmd->add_option("--format", a->format, "Input format: auto, jsonl or csr")->capture_default_str();
    cmd->add_option("--weights", a->weights, "Stored weight type")->capture_default_str();
    cmd->add_option("--batch", a->batch, "Points per upsert")->capture_default_str()->check(CLI::Range(std::size_t{1}, std::size_t{1} << 22));
    cmd->add_flag("--wait,!--no-wait", a->wait, "Each batch durable when acknowledged (default)");
    cmd->add_flag("--background-flush,!--no-background-flush", a->background_flush,
                  "In-memory tiers and flushes on the collection's background thread (OpenOptions::background_flush; default)");
    cmd->add_option("--flush-docs", a->flush_docs, "In-memory documents that trigger a flush")->capture_default_str();
    cmd->add_option("--limit", a->limit, "Use only the first N documents (0: all)")->capture_default_str();
    cmd->add_option("--query-limit", a->query_limit, "Queries timed")->capture_default_str();
    cmd->add_option("--rate", a->rate, "Documents per second replaced while searching")->capture_default_str();
    cmd->add_option("--search-seconds", a->search_seconds, "Length of the search-while-writing phase")->capture_default_str();
    cmd->add_option("-k,--k", a->k, "Results per query")->capture_default_str();
    cmd->add_flag("--approx", a->approx, "Build approximate structures too (and compare approx after optimize)");
    add_approx_build_options(cmd, a->approx_build, "; implies --approx");
    cmd->add_option("--json", a->json, "Write the figures as JSON");
    cmd->add_flag("-q,--quiet", a->quiet, "No progress bars");
    cmd->callback([a] { run_ingest(*a); });
}

}  // namespace spindle::cli
