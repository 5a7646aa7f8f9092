#include "spindle/query/timing.hpp"

#include <algorithm>
#include <chrono>

#include "spindle/common/error.hpp"

namespace spindle {

double percentile(std::vector<double> values, double p) {
    if (values.empty()) return 0;
    std::sort(values.begin(), values.end());
    const auto i = static_cast<std::size_t>(p * static_cast<double>(values.size() - 1) + 0.5);
    return values[std::min(i, values.size() - 1)];
}

std::vector<double> TimedVariant::median_us() const {
    std::vector<double> out;
    out.reserve(latency_us.size());
    for (const auto& runs : latency_us) out.push_back(percentile(runs, 0.5));
    return out;
}

double TimedVariant::mean_ms() const {
    const auto med = median_us();
    if (med.empty()) return 0.0;
    double sum = 0;
    for (double x : med) sum += x;
    return sum / static_cast<double>(med.size()) / 1000.0;
}

void run_timing_schedule(std::size_t nq, std::size_t nv, const TimingOptions& opts,
                         const std::function<void(std::size_t v, std::size_t q, bool timed)>& run) {
    if (opts.runs == 0) throw InvalidArgument("the number of timed runs must be at least 1");
    const unsigned passes = opts.warmup + opts.runs;
    const std::uint64_t total = static_cast<std::uint64_t>(passes) * nq * nv;
    std::uint64_t done = 0;
    auto run_one = [&](std::size_t v, std::size_t i, bool timed) {
        run(v, i, timed);
        if (opts.progress) opts.progress(++done, total);
    };
    if (opts.sequential) {
        // Each variant's passes back to back: its own data stays in cache.
        for (std::size_t v = 0; v < nv; ++v) {
            for (unsigned pass = 0; pass < passes; ++pass) {
                for (std::size_t i = 0; i < nq; ++i) run_one(v, i, pass >= opts.warmup);
            }
        }
    } else {
        // Each step runs every variant once, variant v on query (i + v * stride)
        // mod nq: machine noise hits all variants alike, but no variant finds a
        // query's documents left in cache by another variant that just ran it.
        const std::size_t stride = nv > 1 ? std::max<std::size_t>(1, nq / nv) : 0;
        for (unsigned pass = 0; pass < passes; ++pass) {
            for (std::size_t i = 0; i < nq; ++i) {
                for (std::size_t j = 0; j < nv; ++j) {
                    const std::size_t v = (i + pass + j) % nv;
                    run_one(v, (i + v * stride) % nq, pass >= opts.warmup);
                }
            }
        }
    }
}

void time_queries(const Index& index, std::span<const QueryPlan> plans, std::span<TimedVariant> variants,
                  const TimingOptions& opts) {
    if (opts.runs == 0) throw InvalidArgument("the number of timed runs must be at least 1");
    const std::size_t nq = plans.size();
    for (auto& v : variants) {
        v.latency_us.assign(nq, {});
        v.results.assign(nq, {});
        v.stats = {};
    }
    SearchScratch scratch;
    SearchStats ignored;
    run_timing_schedule(nq, variants.size(), opts, [&](std::size_t vi, std::size_t i, bool timed) {
        TimedVariant& v = variants[vi];
        SearchStats& stats = timed ? ignored : v.stats;
        const auto t0 = std::chrono::steady_clock::now();
        auto hits = search(index, plans[i], v.opts, scratch, stats);
        const double us = std::chrono::duration<double, std::micro>(std::chrono::steady_clock::now() - t0).count();
        if (timed) {
            v.latency_us[i].push_back(us);
            v.results[i] = std::move(hits);
        }
    });
}

}  // namespace spindle
