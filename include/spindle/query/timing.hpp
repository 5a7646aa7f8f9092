#pragma once
// Single-thread latency measurement of search settings, shared by
// `spindle bench` and `spindle tune`: warm-up passes, then timed passes; a
// query's latency is the median of its timed runs.
#include <cstdint>
#include <functional>
#include <span>
#include <string>
#include <vector>

#include "spindle/query/searcher.hpp"

namespace spindle {

/// One search setting to time, with what time_queries() measured.
struct TimedVariant {
    std::string label;
    SearchOptions opts;
    std::vector<std::vector<double>> latency_us;  ///< [query][run]
    std::vector<std::vector<Hit>> results;        ///< last timed run
    SearchStats stats;                            ///< summed over the warm-up passes

    /// Each query's median latency over its timed runs, microseconds.
    [[nodiscard]] std::vector<double> median_us() const;
    /// Mean over queries of the median latency, milliseconds.
    [[nodiscard]] double mean_ms() const;
};

struct TimingOptions {
    unsigned warmup = 1;      ///< untimed passes first (counters come from these)
    unsigned runs = 3;        ///< timed passes, >= 1
    /// false: within a pass, every step runs each variant once (a different
    /// variant first at each step), variant v on query (step + v * nq / nv)
    /// mod nq, so machine noise hits all variants alike and no variant finds
    /// a query's data left in cache by another; true: each variant's passes
    /// back to back.
    bool sequential = false;
    /// Called after every search with (done, total).
    std::function<void(std::uint64_t, std::uint64_t)> progress;
};

/// Runs every plan with every variant (one thread) and fills latency_us,
/// results and stats of each variant. Throws InvalidArgument for runs == 0.
void time_queries(const Index& index, std::span<const QueryPlan> plans, std::span<TimedVariant> variants,
                  const TimingOptions& opts);

/// The schedule of time_queries() for searches it does not run itself
/// (spindle bench --filter, through the collection): calls run(v, q, timed)
/// for every pass, query and variant in the order described at
/// TimingOptions::sequential, then opts.progress. Throws InvalidArgument for runs == 0.
void run_timing_schedule(std::size_t nq, std::size_t nv, const TimingOptions& opts,
                         const std::function<void(std::size_t v, std::size_t q, bool timed)>& run);

/// p-th quantile (0..1) of `values` by nearest rank; 0 for an empty vector.
double percentile(std::vector<double> values, double p);

}  // namespace spindle
