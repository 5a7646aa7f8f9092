#include "spindle/query/approx_tuning.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <map>

#include "spindle/common/error.hpp"
#include "spindle/common/splitmix.hpp"
#include "spindle/query/approx_settings.hpp"
#include "spindle/query/recall.hpp"
#include "spindle/query/timing.hpp"

namespace spindle {
namespace {

double seconds_since(std::chrono::steady_clock::time_point t) {
    return std::chrono::duration<double>(std::chrono::steady_clock::now() - t).count();
}

std::vector<std::vector<Hit>> exact_topk(const Index& index, std::span<const QueryPlan> plans, std::size_t k,
                                         const TuneOptions& opts, std::uint64_t& done, std::uint64_t total) {
    SearchOptions exact;
    exact.algorithm = Algorithm::bmp;
    exact.k = k;
    SearchScratch scratch;
    SearchStats stats;
    std::vector<std::vector<Hit>> out;
    out.reserve(plans.size());
    for (const auto& p : plans) {
        out.push_back(search(index, p, exact, scratch, stats));
        if (opts.progress) opts.progress("exact top-k (bmp)", ++done, total);
    }
    return out;
}

double mean_recall(const std::vector<std::vector<Hit>>& got, const std::vector<std::vector<Hit>>& exact) {
    double sum = 0;
    for (std::size_t i = 0; i < got.size(); ++i) sum += recall_at_k(got[i], exact[i]);
    return got.empty() ? 0.0 : sum / static_cast<double>(got.size());
}

/// Marks the points that no faster (or equally fast) point matches in recall.
void mark_pareto(std::vector<TunePoint>& points) {
    std::vector<std::size_t> order(points.size());
    for (std::size_t i = 0; i < order.size(); ++i) order[i] = i;
    std::sort(order.begin(), order.end(), [&](std::size_t a, std::size_t b) {
        if (points[a].mean_ms != points[b].mean_ms) return points[a].mean_ms < points[b].mean_ms;
        return points[a].recall > points[b].recall;
    });
    double best = -1.0;
    for (std::size_t i : order) {
        points[i].pareto = points[i].recall > best;
        best = std::max(best, points[i].recall);
    }
}

/// Whether segment-local `doc` is in the kept postings of one of the
/// `query_cut` largest terms of `plan` (the lists approximate search visits,
/// chosen in its order: weight, then lower term).
bool kept_for(const ApproxView& a, const QueryPlan& plan, std::size_t query_cut, docid_t doc) {
    std::vector<QueryTerm> terms = plan.terms;
    std::sort(terms.begin(), terms.end(), [](const QueryTerm& l, const QueryTerm& r) {
        return l.weight > r.weight || (l.weight == r.weight && l.term < r.term);
    });
    if (terms.size() > query_cut) terms.resize(query_cut);
    for (const QueryTerm& q : terms) {
        if (q.term + std::uint64_t{1} >= a.term_block_begin.size()) continue;
        for (std::uint64_t b = a.term_block_begin[q.term]; b < a.term_block_begin[q.term + 1]; ++b) {
            const auto first = a.block_docs.begin() + a.block_doc_begin[b];
            const auto last = a.block_docs.begin() + a.block_doc_begin[b + 1];
            if (std::binary_search(first, last, doc)) return true;  // increasing within a block
        }
    }
    return false;
}

/// Fills r.missed / r.missed_not_kept for the setting `best` (see TuneResult).
void diagnose_misses(const Index& index, std::span<const QueryPlan> tuning, const std::vector<std::vector<Hit>>& exact,
                     const SearchOptions& best, TuneResult& r) {
    SearchScratch scratch;
    SearchStats stats;
    for (std::size_t i = 0; i < tuning.size(); ++i) {
        const auto got = search(index, tuning[i], best, scratch, stats);
        for (const Hit& e : exact[i]) {
            if (std::any_of(got.begin(), got.end(), [&](const Hit& g) { return g.global_doc == e.global_doc; })) continue;
            ++r.missed;
            const ApproxView* a = index.segment(e.segment).approx();
            if (a != nullptr && !kept_for(*a, tuning[i], best.query_cut, e.doc)) ++r.missed_not_kept;
        }
    }
}

}  // namespace

void TuneOptions::validate() const {
    if (!(target_recall > 0.0 && target_recall <= 1.0)) {
        throw InvalidArgument(fmt::format("target recall must be in (0, 1], got {}", target_recall));
    }
    if (k == 0) throw InvalidArgument("k must be at least 1");
    if (runs == 0) throw InvalidArgument("runs must be at least 1");
}

std::pair<std::vector<std::size_t>, std::vector<std::size_t>> split_queries(std::size_t n, double held_out,
                                                                            std::uint64_t seed) {
    if (n < 2) {
        throw InvalidArgument("tuning needs at least 2 queries (some to tune on, some held out to check), got " +
                              std::to_string(n));
    }
    if (!(held_out > 0.0 && held_out < 1.0)) {
        throw InvalidArgument(fmt::format("the held-out fraction must be in (0, 1), got {}", held_out));
    }
    std::vector<std::size_t> idx(n);
    for (std::size_t i = 0; i < n; ++i) idx[i] = i;
    std::uint64_t state = seed;
    for (std::size_t i = n - 1; i > 0; --i) std::swap(idx[i], idx[splitmix64(state) % (i + 1)]);
    auto nh = static_cast<std::size_t>(std::llround(static_cast<double>(n) * held_out));
    nh = std::clamp<std::size_t>(nh, 1, n - 1);
    std::vector<std::size_t> heldout(idx.begin(), idx.begin() + static_cast<std::ptrdiff_t>(nh));
    std::vector<std::size_t> tuning(idx.begin() + static_cast<std::ptrdiff_t>(nh), idx.end());
    std::sort(heldout.begin(), heldout.end());
    std::sort(tuning.begin(), tuning.end());
    return {tuning, heldout};
}

TuneResult tune_approx(const Index& index, std::span<const QueryPlan> tuning, std::span<const QueryPlan> heldout,
                       const TuneOptions& opts) {
    opts.validate();
    if (!index.manifest().approx) {
        throw InvalidArgument("index " + index.path() +
                              " has no approximate structures; add them with spindle build-approx --index " + index.path());
    }
    if (tuning.empty() || heldout.empty()) throw InvalidArgument("tuning needs queries to tune on and held-out queries");
    const auto& knobs = approx_knobs();
    std::vector<std::vector<double>> grid = opts.grid;
    grid.resize(knobs.size());
    for (std::size_t j = 0; j < knobs.size(); ++j) {
        if (grid[j].empty()) grid[j] = knobs[j].grid;
        std::sort(grid[j].begin(), grid[j].end());
        if (knobs[j].available && !knobs[j].available(index.manifest())) grid[j] = {knobs[j].get(SearchOptions{})};
        if (knobs[j].name == "knn") {  // no more neighbours than the graph has
            const auto degree = static_cast<double>(index.manifest().approx->knn_k);
            std::erase_if(grid[j], [degree](double v) { return v > degree; });
            if (grid[j].empty()) grid[j] = {degree};
        }
    }
    TuneResult res;

    auto t0 = std::chrono::steady_clock::now();
    std::uint64_t done = 0;
    const std::uint64_t total = tuning.size() + heldout.size();
    const auto exact = exact_topk(index, tuning, opts.k, opts, done, total);
    const auto exact_heldout = exact_topk(index, heldout, opts.k, opts, done, total);
    res.exact_seconds = seconds_since(t0);

    // The staircase over the first two knobs, repeated for every combination
    // of the other knobs' values. Each setting gets a recall pass; one that
    // can compete on speed is then timed at once, the recall pass having
    // served as its warm-up (bench --sequential: per setting a warm-up pass,
    // then `runs` passes, a query's latency the median of its runs).
    t0 = std::chrono::steady_clock::now();
    std::size_t longest = 0;
    for (const auto& p : tuning) longest = std::max(longest, p.terms.size());
    SearchScratch scratch;
    SearchStats stats;
    double fastest = 0;  // mean ms of the fastest setting reaching the target so far
    auto competes = [&](double ms) { return fastest == 0 || opts.stop_slower <= 0 || ms <= opts.stop_slower * fastest; };
    std::map<std::vector<double>, std::size_t> tried;  // knob values -> point
    auto point_of = [&](const std::vector<double>& values) -> const TunePoint& {
        if (auto it = tried.find(values); it != tried.end()) return res.points[it->second];
        TunePoint pt;
        pt.opts.algorithm = Algorithm::approx;
        pt.opts.k = opts.k;
        for (std::size_t j = 0; j < knobs.size(); ++j) knobs[j].set(pt.opts, values[j]);
        pt.opts.validate();
        const auto pass_start = std::chrono::steady_clock::now();
        std::vector<std::vector<Hit>> got;
        got.reserve(tuning.size());
        for (const auto& p : tuning) got.push_back(search(index, p, pt.opts, scratch, stats));
        pt.mean_ms = seconds_since(pass_start) * 1000.0 / static_cast<double>(tuning.size());
        pt.recall = mean_recall(got, exact);
        if (competes(pt.mean_ms)) {
            std::vector<TimedVariant> v(1);
            v[0].opts = pt.opts;
            TimingOptions timing;
            timing.warmup = 0;  // the recall pass just ran every query
            timing.runs = opts.runs;
            timing.sequential = true;
            time_queries(index, tuning, v, timing);
            pt.mean_ms = v[0].mean_ms();
            pt.timed = true;
            if (pt.recall >= opts.target_recall && (fastest == 0 || pt.mean_ms < fastest)) fastest = pt.mean_ms;
        }
        tried.emplace(values, res.points.size());
        res.points.push_back(pt);
        if (opts.log) {
            opts.log(fmt::format("  [{:>2}] {}: recall@{} {:.4f}, {}{:.3f} ms{}", res.points.size(), describe_approx(pt.opts),
                                 opts.k, pt.recall, pt.timed ? "" : "~", pt.mean_ms,
                                 pt.recall >= opts.target_recall ? "  (reaches target)" : ""));
        }
        return res.points.back();
    };
    std::vector<std::size_t> combo(knobs.size(), 0);  // indices into grid[2..]
    for (;;) {
        std::vector<double> values(knobs.size());
        for (std::size_t j = 2; j < knobs.size(); ++j) values[j] = grid[j][combo[j]];
        const auto& cuts = grid[0];
        const auto& factors = grid[1];
        std::size_t h = factors.size() - 1;  // smallest feasible heap factor index so far
        for (std::size_t c = 0; c < cuts.size(); ++c) {
            // A cut beyond the longest query behaves like the previous one.
            if (c > 0 && cuts[c - 1] >= static_cast<double>(longest)) break;
            values[0] = cuts[c];
            auto feasible = [&](std::size_t hi) {
                values[1] = factors[hi];
                return point_of(values).recall >= opts.target_recall;
            };
            std::size_t hi = h;
            while (!feasible(hi) && hi + 1 < factors.size()) ++hi;  // recall is only monotone-ish
            if (!feasible(hi)) continue;
            while (hi > 0 && feasible(hi - 1)) --hi;
            h = hi;
            if (h == 0) break;  // larger cuts only add work at the smallest heap factor
            values[1] = factors[h];
            if (!competes(point_of(values).mean_ms)) break;  // larger cuts visit more blocks: slower still
        }
        std::size_t j = 2;
        while (j < knobs.size() && ++combo[j] == grid[j].size()) combo[j++] = 0;
        if (j == knobs.size()) break;
    }
    // Noise on a shared machine only adds time: the fastest few settings
    // reaching the target are timed once more and keep their lower mean.
    std::vector<std::size_t> finalists;
    for (std::size_t i = 0; i < res.points.size(); ++i) {
        if (res.points[i].timed && res.points[i].recall >= opts.target_recall) finalists.push_back(i);
    }
    std::sort(finalists.begin(), finalists.end(),
              [&](std::size_t a, std::size_t b) { return res.points[a].mean_ms < res.points[b].mean_ms; });
    if (finalists.size() > opts.finalists) finalists.resize(opts.finalists);
    if (finalists.size() > 1) {
        std::vector<TimedVariant> v(finalists.size());
        for (std::size_t i = 0; i < v.size(); ++i) v[i].opts = res.points[finalists[i]].opts;
        TimingOptions timing;
        timing.warmup = opts.warmup;
        timing.runs = opts.runs;
        timing.sequential = true;
        time_queries(index, tuning, v, timing);
        for (std::size_t i = 0; i < v.size(); ++i) {
            TunePoint& p = res.points[finalists[i]];
            const double again = v[i].mean_ms();
            if (opts.log) opts.log(fmt::format("  again {}: {:.3f} ms (was {:.3f})", describe_approx(p.opts), again, p.mean_ms));
            p.mean_ms = std::min(p.mean_ms, again);
        }
    }
    res.sweep_seconds = seconds_since(t0);
    t0 = std::chrono::steady_clock::now();
    mark_pareto(res.points);
    for (std::size_t i = 0; i < res.points.size(); ++i) {
        const TunePoint& p = res.points[i];
        if (p.recall > res.points[res.best].recall) res.best = i;
        if (p.recall < opts.target_recall || !p.timed) continue;
        if (!res.chosen || p.mean_ms < res.points[*res.chosen].mean_ms) res.chosen = i;
    }
    if (res.chosen) {
        std::vector<TimedVariant> check(1);
        check[0].opts = res.points[*res.chosen].opts;
        TimingOptions timing;
        timing.warmup = opts.warmup;
        timing.runs = opts.runs;
        timing.sequential = true;
        if (opts.progress) timing.progress = [&](std::uint64_t d, std::uint64_t t) { opts.progress("held-out check", d, t); };
        time_queries(index, heldout, check, timing);
        res.heldout_recall = mean_recall(check[0].results, exact_heldout);
        res.heldout_mean_ms = check[0].mean_ms();
    }
    for (std::size_t i = 0; i < index.num_segments(); ++i) {
        if (const ApproxView* a = index.segment(i).approx()) {
            res.lambda = std::max(res.lambda, a->header.lambda);
            res.alpha = a->header.alpha_mass;
        }
    }
    if (!res.chosen && !res.points.empty()) diagnose_misses(index, tuning, exact, res.points[res.best].opts, res);
    res.timing_seconds = seconds_since(t0);
    return res;
}

TuneVerdict accept_tuning(const TuneResult& r, const TuneOptions& opts, bool storing, bool force,
                          std::string_view larger_sample) {
    if (!r.chosen) {
        const TunePoint& b = r.points.at(r.best);
        // Which build setting caps the recall: documents that static pruning
        // dropped come back only with a larger lambda; the rest were kept but
        // their blocks were skipped, which a larger summary mass helps.
        const double pruned = r.missed ? static_cast<double>(r.missed_not_kept) / static_cast<double>(r.missed) : 0.0;
        std::string rebuild;
        if (r.lambda != 0 && pruned >= 0.5) {
            const std::uint64_t more = std::min<std::uint64_t>(2ULL * r.lambda, 0xFFFFFFFFULL);
            rebuild = fmt::format("{:.0f} % of the exact top-{} documents it missed are in none of the kept postings of the "
                                  "query terms it visits: the structures keep {} postings per term (lambda), which caps the recall. "
                                  "Rebuild them with a larger budget, e.g. spindle build-approx --overwrite "
                                  "--approx-lambda {} (Python: approx={{\"lambda\": {}}}), and tune again",
                                  100.0 * pruned, opts.k, r.lambda, more, more);
        } else if (r.alpha < 1.0 && r.missed) {
            const double more = std::min(1.0, 2.0 * r.alpha);
            rebuild = fmt::format("{:.0f} % of the exact top-{} documents it missed are in the kept postings of "
                                  "query terms it visits (lambda {}) but their blocks' summaries, keeping {:g} of each block's mass (alpha), "
                                  "rank them too low. Rebuild with a larger summary mass, e.g. spindle build-approx "
                                  "--overwrite --approx-alpha {:g} (Python: approx={{\"alpha\": {:g}}}), and tune again",
                                  100.0 * (1.0 - pruned), opts.k, r.lambda == 0 ? std::string("all") : std::to_string(r.lambda),
                                  r.alpha, more, more);
        } else {
            rebuild = "Build larger structures (spindle build-approx --overwrite with a larger --approx-lambda or "
                      "--approx-alpha)";
        }
        throw Error(fmt::format("target recall@{} {:g} not reached on the tuning queries even at the most conservative "
                                "setting: best {:.4f} at {}; nothing stored. {}; or lower the target",
                                opts.k, opts.target_recall, b.recall, describe_approx(b.opts), rebuild));
    }
    TuneVerdict v;
    if (r.heldout_recall < opts.target_recall - kTuneHeldOutMargin && storing) {
        if (!force) {
            throw Error(fmt::format(
                "the held-out recall@{} {:.4f} misses the target {:g} by more than {:g}: the tuning queries do not "
                "represent the held-out ones (too few, or unlike them); nothing stored. Tune on a larger sample {}",
                opts.k, r.heldout_recall, opts.target_recall, kTuneHeldOutMargin, larger_sample));
        }
        v.note = TuneVerdict::Note::forced;
    } else if (r.heldout_recall < opts.target_recall) {
        v.note = TuneVerdict::Note::below_target;
    }
    v.defaults = to_defaults(r.points[*r.chosen].opts);
    v.defaults.target_recall = opts.target_recall;
    v.defaults.k = opts.k;
    v.defaults.recall = r.heldout_recall;
    v.defaults.mean_ms = r.heldout_mean_ms;
    // The curve: the Pareto front of the timed settings, fastest first (what
    // the console draws): each point has a higher recall than every faster one.
    std::vector<TunedPoint> timed;
    for (const TunePoint& p : r.points) {
        if (!p.timed) continue;
        const ApproxDefaults k = to_defaults(p.opts);
        timed.push_back({k.query_cut, k.heap_factor, k.knn, p.recall, p.mean_ms});
    }
    std::sort(timed.begin(), timed.end(), [](const TunedPoint& a, const TunedPoint& b) {
        return a.mean_ms < b.mean_ms || (a.mean_ms == b.mean_ms && a.recall > b.recall);
    });
    double best = -1.0;
    for (const TunedPoint& p : timed) {
        if (p.recall <= best) continue;
        best = p.recall;
        if (v.defaults.curve.size() < kMaxTunedCurve) v.defaults.curve.push_back(p);
    }
    return v;
}

}  // namespace spindle
