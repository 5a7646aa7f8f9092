#pragma once
// Chooses approximate-search settings for an index: the fastest setting of
// the approx knobs whose mean recall@k on a tuning set of queries reaches a
// target, checked on held-out queries. What `spindle tune` runs.
//
// Search: the exact top-k of every query comes from bmp (the fastest exact
// algorithm). Recall grows with both query_cut and heap_factor, so the
// smallest heap factor that reaches the target can only fall as the query cut
// grows: a staircase walk over the two grids (query cuts upward; for each,
// heap factors downward from the previous cut's answer) finds that frontier
// with about |cuts| + |heap factors| recall passes instead of their product.
// A recall pass is one search per tuning query. Cuts at or above the longest
// query are not tried past the first (they return the same results), and the
// walk stops when the smallest heap factor suffices or when a cut's cheapest
// setting reaching the target is `stop_slower` times slower than the fastest
// such setting so far (a larger cut visits more blocks: slower still).
// A setting whose recall pass was not that much slower is timed right after
// it, as spindle bench --sequential does (the recall pass is its warm-up;
// `runs` passes, a query's latency the median of its runs; sequential because
// running one query with many settings back to back lets each find the
// previous one's blocks in cache, which hides real latency). The
// `finalists` fastest settings reaching the target are timed once more, each
// keeping its lower mean (noise only adds time), and the fastest is chosen. Further knobs (approx_knobs()
// past the first two) multiply
// the walk: it is repeated for each combination of their grid values.
#include <cstdint>
#include <functional>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "spindle/index/manifest.hpp"
#include "spindle/query/searcher.hpp"

namespace spindle {

struct TuneOptions {
    double target_recall = 0.95;  ///< (0, 1]
    std::size_t k = 10;
    unsigned warmup = 1;          ///< warm-up passes of the held-out check (a setting's recall pass warms it up)
    unsigned runs = 3;
    /// Stop growing the query cut once a cut's cheapest setting reaching the
    /// target runs this many times slower (recall-pass wall time) than the
    /// fastest such setting so far; 0: never.
    double stop_slower = 2.0;
    /// The fastest settings reaching the target timed a second time (each
    /// keeps the lower of its two means: noise only adds time).
    std::size_t finalists = 4;
    /// Grid per approx knob, in approx_knobs() order; empty: the knobs' own grids.
    std::vector<std::vector<double>> grid;
    /// A line per recall pass ("query_cut 5, heap_factor 0.9: recall 0.9531").
    std::function<void(const std::string&)> log;
    /// Progress of the exact top-k and the held-out check: (phase, done, total).
    std::function<void(std::string_view, std::uint64_t, std::uint64_t)> progress;
    /// Throws InvalidArgument for a target outside (0, 1], k 0 or runs 0.
    void validate() const;
};

struct TunePoint {
    SearchOptions opts;
    double recall = 0.0;   ///< mean recall@k on the tuning queries
    double mean_ms = 0.0;  ///< mean over tuning queries of the median latency (timed), else of the recall pass
    bool timed = false;    ///< mean_ms was measured by time_queries (else: the recall pass's wall time)
    bool pareto = false;   ///< no other point is as fast with at least this recall
};

struct TuneResult {
    std::vector<TunePoint> points;      ///< every setting tried, in the order tried
    std::optional<std::size_t> chosen;  ///< fastest point reaching the target (none: unreachable)
    std::size_t best = 0;               ///< point with the highest recall
    double heldout_recall = 0.0;        ///< of the chosen setting
    double heldout_mean_ms = 0.0;
    /// When no setting reached the target: the exact top-k documents the
    /// best setting missed on the tuning queries, and how many of them are
    /// in none of the kept postings of the query terms that setting visits
    /// (its query cut; static pruning dropped them: a larger per-term budget,
    /// lambda, brings them back; the others were in visited lists but their
    /// blocks were skipped, their summaries estimating them too low, which a
    /// larger summary mass, alpha, helps).
    std::uint64_t missed = 0;
    std::uint64_t missed_not_kept = 0;
    std::uint32_t lambda = 0;           ///< largest per-term budget of the index's segments (0: all postings kept)
    double alpha = 0.0;                 ///< the structures' summary mass
    double exact_seconds = 0.0;         ///< computing the exact top-k of all queries
    double sweep_seconds = 0.0;         ///< recall passes and timing of the settings tried
    double timing_seconds = 0.0;        ///< the held-out check
};

/// Splits n queries into (tuning, held-out) index lists by a seeded shuffle
/// (splitmix64 Fisher-Yates, the same on every platform); the held-out part
/// gets round(n * held_out) queries, at least one, leaving at least one to
/// tune on. Throws InvalidArgument for n < 2 or held_out outside (0, 1).
std::pair<std::vector<std::size_t>, std::vector<std::size_t>> split_queries(std::size_t n, double held_out,
                                                                            std::uint64_t seed);

/// Tunes the approx knobs on `tuning` and checks the choice on `heldout`.
/// Throws InvalidArgument if the index has no approximate structures (telling
/// to run spindle build-approx) or a query list is empty.
TuneResult tune_approx(const Index& index, std::span<const QueryPlan> tuning, std::span<const QueryPlan> heldout,
                       const TuneOptions& opts);

/// How far below the target the held-out recall of the chosen setting may
/// fall before accept_tuning refuses to store it (unless forced).
inline constexpr double kTuneHeldOutMargin = 0.05;

struct TuneVerdict {
    /// What to store: the chosen setting with its target, k and held-out recall and latency.
    ApproxDefaults defaults;
    enum class Note : std::uint8_t {
        none,
        forced,        ///< stored although the held-out recall misses the target by more than the margin
        below_target,  ///< held-out recall below the target (within the margin, or not storing)
    } note = Note::none;
};

/// The accept/refuse rule of tuning (spindle tune, spindle.tune): throws
/// Error when no setting reached the target on the tuning queries (naming
/// the best one and the build setting to rebuild with: a larger lambda when
/// most missed documents were statically pruned, else a larger alpha), or, when `storing` and not `force`, when the held-out
/// recall misses the target by more than kTuneHeldOutMargin; `larger_sample`
/// ends that message (how this surface asks for more queries or forcing).
TuneVerdict accept_tuning(const TuneResult& r, const TuneOptions& opts, bool storing, bool force,
                          std::string_view larger_sample);

}  // namespace spindle
