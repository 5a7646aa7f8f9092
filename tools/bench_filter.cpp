// spindle bench --filter: filtered search and post-filtering, measured
// through the collection (see bench_filter.hpp).
#include "bench_filter.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <thread>
#include <unordered_set>

#include <nlohmann/json.hpp>

#include "approx_options.hpp"
#include "bench_report.hpp"
#include "build_info.hpp"
#include "cli_options.hpp"
#include "progress.hpp"
#include "spindle/codec/docid_codec.hpp"
#include "spindle/collection/filter.hpp"
#include "spindle/collection/query_loading.hpp"
#include "spindle/common/error.hpp"
#include "spindle/query/approx_settings.hpp"
#include "spindle/query/timing.hpp"
#include "svg_plot.hpp"

namespace spindle::cli {

bool strip_postfilter(std::string& spec) {
    constexpr std::string_view name = "postfilter";
    if (!spec.starts_with(name) || (spec.size() > name.size() && spec[name.size()] != '@')) return false;
    spec = "approx" + spec.substr(name.size());
    return true;
}

std::vector<FilterCase> parse_filter_cases(const std::vector<std::string>& specs) {
    std::vector<FilterCase> out;
    for (const auto& s : specs) {
        if (s.empty()) throw InvalidArgument("--filter '': expected a filter in JSON, @FILE or none");
        FilterCase c{s, nullptr};
        if (s != "none") c.filter = read_filter(s, "--filter '" + s + "'");
        out.push_back(std::move(c));
    }
    return out;
}

std::size_t postfilter_k(std::size_t k, std::uint64_t matched, std::uint64_t live) {
    if (live == 0) return k;
    if (matched == 0) return static_cast<std::size_t>(live);
    // ceil(k / (matched / live)) in integers: ceil(k * live / matched).
    const double want = std::ceil(static_cast<double>(k) * static_cast<double>(live) / static_cast<double>(matched) - 1e-9);
    return static_cast<std::size_t>(std::min<double>(want, static_cast<double>(live)));
}

namespace {

using IdSet = std::unordered_set<PointId, PointIdHash>;

/// One filter case as measured: how many live points it allows and which
/// (the post-filtering step's check).
struct Measured {
    std::uint64_t matched = 0;
    double selectivity = 1.0;
    IdSet allowed;
};

/// The allowed ids of every filter, from the stored payloads (each parsed
/// once; untimed), checked against the collection's own count.
std::vector<Measured> measure_cases(const Collection& coll, const std::vector<FilterCase>& cases, bool quiet) {
    const std::uint64_t live = coll.count();
    std::vector<Measured> out(cases.size());
    const PayloadSchema& schema = coll.config().payload_indexes;
    bool any = false;
    for (const auto& c : cases) any = any || c.filter != nullptr;
    if (any) {
        Progress bar("filters", live, quiet);
        std::optional<PointId> from;
        std::uint64_t seen = 0;
        constexpr std::size_t page = 65536;
        for (;;) {
            auto pts = coll.scroll(from, page + 1, false);
            const bool more = pts.size() > page;
            if (more) {
                from = pts.back().id;
                pts.pop_back();
            }
            for (const Point& p : pts) {
                const nlohmann::json payload = p.payload.empty() ? nlohmann::json() : nlohmann::json::parse(p.payload);
                for (std::size_t i = 0; i < cases.size(); ++i) {
                    if (cases[i].filter && filter_matches(*cases[i].filter, p.id, payload, schema)) out[i].allowed.insert(p.id);
                }
            }
            seen += pts.size();
            bar.update(seen);
            if (!more) break;
        }
        bar.finish();
    }
    for (std::size_t i = 0; i < cases.size(); ++i) {
        Measured& m = out[i];
        if (!cases[i].filter) {
            m.matched = live;
        } else {
            m.matched = coll.count(*cases[i].filter);
            if (m.matched != m.allowed.size()) {
                throw InvalidArgument(fmt::format("--filter '{}': the collection counts {} matching points but their payloads {}",
                                                  cases[i].spec, m.matched, m.allowed.size()));
            }
        }
        m.selectivity = live ? static_cast<double>(m.matched) / static_cast<double>(live) : 1.0;
    }
    return out;
}

double recall_of(const std::vector<PointId>& got, const std::vector<PointId>& exact) {
    if (exact.empty()) return 1.0;
    const IdSet want(exact.begin(), exact.end());
    std::size_t found = 0;
    for (const auto& id : got) found += want.count(id);
    return static_cast<double>(found) / static_cast<double>(exact.size());
}

std::string percent(double sel) {
    const double p = sel * 100.0;
    return p >= 10 || p == std::floor(p) ? fmt::format("{:g} %", std::round(p * 10) / 10) : fmt::format("{:.2g} %", p);
}

struct Row {
    std::size_t filter, variant;
    std::size_t k_searched;
    double mean, p50, p90, p99, max, qps, recall;
    bool exact;
    double postings, docs, direct, exact_segs = 0;
    double returned;            ///< results per query (post-filtering may find fewer than k)
    std::uint64_t outside = 0;  ///< results outside the filter, over all queries (must be 0)
};

}  // namespace

void run_filter_bench(const Collection& coll, const std::vector<TextQuery>& queries,
                      const std::vector<FilterCase>& cases, const std::vector<FilterBenchVariant>& variants,
                      const FilterBenchArgs& a) {
    for (const auto& q : queries) {
        // Post-filtering and the id-set checks know only the --filter cases.
        if (!q.filter.empty()) {
            throw InvalidArgument(a.queries + ": query " + q.id +
                                  " carries its own filter; spindle bench --filter runs every query under the "
                                  "--filter given (drop the queries' \"filter\" fields)");
        }
    }
    const auto snap = coll.snapshot();
    const auto index = snap->index(a.vector);
    const std::string vname = index->vector();
    const SparseVectorConfig& vcfg = coll.config().vectors.at(vname);
    const std::uint64_t live = coll.count();
    const std::vector<Measured> measured = measure_cases(coll, cases, a.quiet);
    const std::size_t nq = queries.size();
    const std::size_t nv = variants.size();
    std::uint64_t dropped = 0;

    auto requests_for = [&](const FilterBenchVariant& v, const FilterCase& c, const Measured& m, std::uint64_t* d) {
        SearchRequest base;
        base.vector = vname;
        base.algorithm = v.opts.algorithm;
        base.bmp_alpha = v.opts.bmp_alpha;
        base.direct = v.opts.direct;
        base.approx_exact = v.opts.approx_exact;
        if (v.opts.algorithm == Algorithm::approx) {
            base.query_cut = v.opts.query_cut;
            base.heap_factor = v.opts.heap_factor;
            base.knn = v.opts.knn;
        }
        base.k = v.postfilter && c.filter ? postfilter_k(v.opts.k, m.matched, live) : v.opts.k;
        base.filter = v.postfilter ? nullptr : c.filter;
        return to_requests(queries, vcfg, vname, base, d);
    };
    auto ids_of = [](const SearchResult& r) {
        std::vector<PointId> ids;
        ids.reserve(r.points.size());
        for (const auto& p : r.points) ids.push_back(p.id);
        return ids;
    };

    std::vector<Row> rows;
    // per case, the filtered exact top-k of every query (the recall reference)
    std::vector<std::vector<std::vector<PointId>>> reference(cases.size());
    Progress bar("bench", static_cast<std::uint64_t>(a.warmup + a.runs) * nq * nv * cases.size() + nq * cases.size(),
                 a.quiet);
    std::uint64_t done = 0;
    for (std::size_t ci = 0; ci < cases.size(); ++ci) {
        const FilterCase& c = cases[ci];
        const Measured& m = measured[ci];
        {
            FilterBenchVariant ex;
            ex.opts.algorithm = Algorithm::exhaustive;
            ex.opts.k = a.k;
            const auto reqs = requests_for(ex, c, m, ci == 0 ? &dropped : nullptr);
            for (const auto& r : reqs) {
                reference[ci].push_back(ids_of(coll.search(r)));
                bar.update(++done);
            }
        }
        std::vector<std::vector<SearchRequest>> reqs;
        for (const auto& v : variants) reqs.push_back(requests_for(v, c, m, nullptr));
        std::vector<std::vector<std::vector<double>>> latency(nv, std::vector<std::vector<double>>(nq));
        std::vector<std::vector<std::vector<PointId>>> results(nv, std::vector<std::vector<PointId>>(nq));
        std::vector<SearchStats> stats(nv);
        TimingOptions t;
        t.warmup = a.warmup;
        t.runs = a.runs;
        t.sequential = a.sequential;
        run_timing_schedule(nq, nv, t, [&](std::size_t vi, std::size_t q, bool timed) {
            const FilterBenchVariant& v = variants[vi];
            const auto t0 = std::chrono::steady_clock::now();
            SearchResult r = coll.search(reqs[vi][q]);
            std::vector<PointId> ids;
            if (v.postfilter && c.filter) {
                // The post-filtering step: keep the first k allowed points.
                ids.reserve(v.opts.k);
                for (const auto& p : r.points) {
                    if (ids.size() == v.opts.k) break;
                    if (m.allowed.contains(p.id)) ids.push_back(p.id);
                }
            } else {
                ids = ids_of(r);
            }
            const double us = std::chrono::duration<double, std::micro>(std::chrono::steady_clock::now() - t0).count();
            if (timed) {
                latency[vi][q].push_back(us);
                results[vi][q] = std::move(ids);
            } else {
                stats[vi] += r.stats;
            }
            bar.update(++done);
        });
        const double warm = std::max(1.0, static_cast<double>(a.warmup) * static_cast<double>(nq));
        for (std::size_t vi = 0; vi < nv; ++vi) {
            std::vector<double> per_query;
            double sum = 0;
            double rec = 0;
            bool same = true;
            std::uint64_t returned = 0;
            std::uint64_t outside = 0;
            for (std::size_t q = 0; q < nq; ++q) {
                returned += results[vi][q].size();
                if (c.filter) {
                    for (const auto& id : results[vi][q]) outside += m.allowed.contains(id) ? 0 : 1;
                }
                per_query.push_back(percentile(latency[vi][q], 0.5));
                sum += per_query.back();
                rec += recall_of(results[vi][q], reference[ci][q]);
                same = same && results[vi][q] == reference[ci][q];
            }
            Row r{};
            r.filter = ci;
            r.variant = vi;
            r.k_searched = reqs[vi].empty() ? variants[vi].opts.k : reqs[vi].front().k;
            r.mean = nq ? sum / static_cast<double>(nq) / 1000.0 : 0.0;
            r.p50 = percentile(per_query, 0.5) / 1000.0;
            r.p90 = percentile(per_query, 0.9) / 1000.0;
            r.p99 = percentile(per_query, 0.99) / 1000.0;
            r.max = percentile(per_query, 1.0) / 1000.0;
            r.qps = r.mean > 0 ? 1000.0 / r.mean : 0.0;
            r.recall = nq ? rec / static_cast<double>(nq) : 1.0;
            r.exact = same;
            r.returned = nq ? static_cast<double>(returned) / static_cast<double>(nq) : 0.0;
            r.outside = outside;
            r.postings = static_cast<double>(stats[vi].postings_scored) / warm;
            r.docs = static_cast<double>(stats[vi].docs_evaluated) / warm;
            r.direct = static_cast<double>(stats[vi].direct_segments) / warm;
            r.exact_segs = static_cast<double>(stats[vi].exact_segments) / warm;
            rows.push_back(r);
        }
    }
    bar.finish();

    const Manifest& man = index->manifest();
    const std::string cpu = cpu_model();
    fmt::print("spindle bench --filter  commit {} ({} build, {}, decoder {})\n", build_commit(), build_type(),
               build_compiler(), codec::decoder_name());
    fmt::print("cpu            {} ({} hardware threads), {}\n", cpu, std::thread::hardware_concurrency(), utc_now());
    fmt::print("index          {}: {} live points, {} postings, {} weights, {} segments{}\n", a.index, live,
               man.num_postings, to_string(man.weight_type), man.segments.size(),
               man.approx ? fmt::format("; approx {}, block size {}, alpha {:.3g}, kNN graph {}", describe_lambda(man),
                                        man.approx->block_size, man.approx->alpha_mass, man.approx->knn_k)
                          : std::string());
    fmt::print("queries        {}: {} queries ({} unknown tokens dropped), k={}, {} warm-up + {} timed runs, 1 thread, {}\n",
               a.queries, nq, dropped, a.k, a.warmup, a.runs, a.sequential ? "sequential" : "interleaved");
    fmt::print("method         through the collection's search (filter evaluation included); recall@{} against the exact\n"
               "               top-{} under the same filter; postfilter = unfiltered approx with k inflated to\n"
               "               ceil(k / selectivity), then the first k allowed points (one id-set lookup each)\n\n",
               a.k, a.k);
    for (std::size_t ci = 0; ci < cases.size(); ++ci) {
        fmt::print("filter {}      {} ({} of {} points match, selectivity {})\n", ci + 1, cases[ci].spec,
                   measured[ci].matched, live, percent(measured[ci].selectivity));
    }
    fmt::print("\n{:<6} {:>10} {:>8} {:<20} {:>9} {:>9} {:>9} {:>9} {:>9} {:>9} {:>8} {:>11} {:>9} {:>8}\n", "filter",
               "matched", "select.", "algorithm", "k search", "mean ms", "p50 ms", "p90 ms", "p99 ms", "QPS", "recall",
               "postings/q", "docs/q", "direct/q");
    for (const Row& r : rows) {
        fmt::print("{:<6} {:>10} {:>8} {:<20} {:>9} {:>9.3f} {:>9.3f} {:>9.3f} {:>9.3f} {:>9.1f} {:>8.4f} {:>11.0f} {:>9.0f} {:>8.2f}{}\n",
                   r.filter + 1, measured[r.filter].matched, percent(measured[r.filter].selectivity),
                   variants[r.variant].label, r.k_searched, r.mean, r.p50, r.p90, r.p99, r.qps, r.recall, r.postings,
                   r.docs, r.direct,
                   r.outside ? fmt::format("  ({} results outside the filter!)", r.outside)
                   : r.exact ? ""
                             : "  (approximate)");
    }

    if (!a.json.empty()) {
        nlohmann::ordered_json j = report_provenance("spindle bench --filter", cpu);
        j["index"] = {{"path", a.index},
                      {"live_points", live},
                      {"postings", man.num_postings},
                      {"weights", to_string(man.weight_type)},
                      {"segments", man.segments.size()}};
        if (man.approx) {
            j["index"]["approx"] = {{"lambda", man.approx->lambda},  // the floor of the per-segment rule
                                    {"lambda_rule", describe_lambda(man)},
                                    {"block_size", man.approx->block_size},
                                    {"alpha", rounded(man.approx->alpha_mass, 4)},
                                    {"knn_graph", man.approx->knn_k}};
        }
        j["queries"] = {{"file", a.queries}, {"count", nq}, {"unknown_tokens", dropped}};
        j["k"] = a.k;
        j["warmup"] = a.warmup;
        j["runs"] = a.runs;
        j["threads"] = 1;
        j["order"] = a.sequential ? "sequential" : "interleaved";
        auto& fs = j["filters"] = nlohmann::ordered_json::array();
        for (std::size_t ci = 0; ci < cases.size(); ++ci) {
            fs.push_back({{"filter", cases[ci].spec},
                          {"matched", measured[ci].matched},
                          {"selectivity", rounded(measured[ci].selectivity, 6)}});
        }
        auto& results = j["results"] = nlohmann::ordered_json::array();
        for (const Row& r : rows) {
            const FilterBenchVariant& v = variants[r.variant];
            results.push_back({{"filter", cases[r.filter].spec},
                               {"matched", measured[r.filter].matched},
                               {"selectivity", rounded(measured[r.filter].selectivity, 6)},
                               {"algorithm", v.label},
                               {"postfilter", v.postfilter},
                               {"k_searched", r.k_searched},
                               {"bmp_alpha", knob_json(v.opts.bmp_alpha)},
                               {"query_cut", v.opts.query_cut},
                               {"heap_factor", knob_json(v.opts.heap_factor)},
                               {"knn", v.opts.knn},
                               {"mean_ms", rounded(r.mean, 4)},
                               {"p50_ms", rounded(r.p50, 4)},
                               {"p90_ms", rounded(r.p90, 4)},
                               {"p99_ms", rounded(r.p99, 4)},
                               {"max_ms", rounded(r.max, 4)},
                               {"qps", rounded(r.qps, 2)},
                               {"recall_at_k", rounded(r.recall, 5)},
                               {"identical_to_exhaustive", r.exact},
                               {"results_per_query", rounded(r.returned, 3)},
                               {"outside_filter", r.outside},
                               {"postings_scored_per_query", rounded(r.postings, 1)},
                               {"docs_evaluated_per_query", rounded(r.docs, 1)},
                               {"direct_segments_per_query", rounded(r.direct, 3)},
                               {"exact_segments_per_query", rounded(r.exact_segs, 3)}});
        }
        fmt::print("\n");
        write_json_report(a.json, j);
    }
    if (!a.svg.empty()) {
        // One curve per variant through the filters (each point labelled with its selectivity).
        std::vector<PlotSeries> series;
        for (std::size_t vi = 0; vi < nv; ++vi) {
            PlotSeries s;
            s.name = variants[vi].label;
            s.connected = cases.size() > 1;
            s.label_points = true;
            for (const Row& r : rows) {
                if (r.variant != vi || !(r.mean > 0)) continue;
                const std::string at = cases[r.filter].filter ? percent(measured[r.filter].selectivity) : "no filter";
                s.points.push_back({r.mean, r.recall, at, false});
            }
            series.push_back(std::move(s));
        }
        PlotText text;
        text.title = fmt::format("spindle bench --filter: recall@{} against mean latency, per selectivity", a.k);
        text.y_title = fmt::format("recall@{} (against exact under the filter)", a.k);
        text.subtitle.push_back(fmt::format("commit {} ({} build), {}, {}", build_commit(), build_type(), cpu, utc_now()));
        text.subtitle.push_back(fmt::format("index {}: {} points, {} weights{}", a.index, live, to_string(man.weight_type),
                                            man.approx ? fmt::format("; approx {}, block size {}, alpha {:.3g}",
                                                                     describe_lambda(man), man.approx->block_size,
                                                                     man.approx->alpha_mass)
                                                       : std::string()));
        text.subtitle.push_back(fmt::format("queries {}: {} queries, k={}, {} warm-up + {} timed runs, 1 thread; labels: selectivity",
                                            a.queries, nq, a.k, a.warmup, a.runs));
        write_recall_latency_svg(a.svg, text, series);
        fmt::print("{}wrote {}\n", a.json.empty() ? "\n" : "", a.svg);
    }
}

}  // namespace spindle::cli
