#include "bench_curve.hpp"

#include <fmt/format.h>
#include <fmt/ranges.h>

#include <algorithm>
#include <iterator>
#include <numeric>

#include "bench_report.hpp"
#include "spindle/query/approx_settings.hpp"


namespace spindle::cli {

std::vector<std::string> approx_sweep_specs(std::uint32_t knn) {
    std::vector<std::string> specs;
    for (const std::size_t cut : kSweepQueryCuts) {
        for (const double hf : kSweepHeapFactors) specs.push_back(fmt::format("approx@{},{:g},0", cut, hf));
    }
    if (knn > 0) {
        for (const std::size_t cut : kSweepQueryCuts) {
            if (cut > 8) continue;
            for (const double hf : kSweepHeapFactors) specs.push_back(fmt::format("approx@{},{:g},{}", cut, hf, knn));
        }
    }
    return specs;
}

std::string approx_sweep_description() {
    return fmt::format("query cut C in {} and heap factor H in {:g} ({} variants), and with a kNN graph the same for C "
                       "up to 8 with graph refinement (knn 10)",
                       fmt::join(kSweepQueryCuts, ","), fmt::join(kSweepHeapFactors, ","),
                       std::size(kSweepQueryCuts) * std::size(kSweepHeapFactors));
}

Family family_of(const CurveEntry& e) {
    if (e.algorithm == Algorithm::approx) return Family::approx_curve;
    if (e.algorithm == Algorithm::bmp && e.bmp_alpha < 1.0) return Family::bmp_curve;
    return Family::exact;
}

std::vector<bool> pareto_optimal(const std::vector<CurveEntry>& entries) {
    std::vector<bool> front(entries.size(), true);
    for (std::size_t i = 0; i < entries.size(); ++i) {
        for (std::size_t j = 0; j < entries.size() && front[i]; ++j) {
            const auto& a = entries[i];
            const auto& b = entries[j];
            if (j != i && b.mean_ms <= a.mean_ms && b.recall >= a.recall && (b.mean_ms < a.mean_ms || b.recall > a.recall)) {
                front[i] = false;
            }
        }
    }
    return front;
}

int best_exact(const std::vector<CurveEntry>& entries) {
    int best = -1;
    for (std::size_t i = 0; i < entries.size(); ++i) {
        if (family_of(entries[i]) != Family::exact) continue;
        if (best < 0 || entries[i].mean_ms < entries[static_cast<std::size_t>(best)].mean_ms) best = static_cast<int>(i);
    }
    return best;
}

std::vector<std::size_t> curve_order(const std::vector<CurveEntry>& entries) {
    std::vector<std::size_t> order;
    for (std::size_t i = 0; i < entries.size(); ++i) {
        if (family_of(entries[i]) != Family::exact) order.push_back(i);
    }
    std::stable_sort(order.begin(), order.end(),
                     [&](std::size_t a, std::size_t b) { return entries[a].mean_ms < entries[b].mean_ms; });
    return order;
}

std::string curve_table(const std::vector<CurveEntry>& entries) {
    const auto order = curve_order(entries);
    if (order.empty()) return "";
    const auto front = pareto_optimal(entries);
    const int best = best_exact(entries);
    std::string t = "\nrecall/latency curve: approximate variants by mean latency; ";
    t += best >= 0 ? fmt::format("speedup over {} ({:.3f} ms), the fastest exact algorithm; ",
                                 entries[static_cast<std::size_t>(best)].label, entries[static_cast<std::size_t>(best)].mean_ms)
                   : std::string("no exact algorithm was run, so no speedup; ");
    t += "pareto: * when no variant is both as fast and as accurate\n";
    t += fmt::format("{:<16} {:>9} {:>8} {:>8} {:>6}\n", "variant", "mean ms", "recall", "speedup", "pareto");
    for (const auto i : order) {
        const auto& e = entries[i];
        const double base = best >= 0 ? entries[static_cast<std::size_t>(best)].mean_ms : 0.0;
        const std::string speed = base > 0 && e.mean_ms > 0 ? fmt::format("{:.2f}x", base / e.mean_ms) : "-";
        t += fmt::format("{:<16} {:>9.3f} {:>8.4f} {:>8} {:>6}\n", e.label, e.mean_ms, e.recall, speed, front[i] ? "*" : "");
    }
    return t;
}

nlohmann::ordered_json curve_json(const std::vector<CurveEntry>& entries) {
    const auto order = curve_order(entries);
    const auto front = pareto_optimal(entries);
    const int best = best_exact(entries);
    const double base = best >= 0 ? entries[static_cast<std::size_t>(best)].mean_ms : 0.0;
    nlohmann::ordered_json j;
    j["best_exact"] = best >= 0 ? nlohmann::ordered_json(entries[static_cast<std::size_t>(best)].label) : nullptr;
    j["best_exact_mean_ms"] = best >= 0 ? rounded(base, 4) : nullptr;
    auto& points = j["points"] = nlohmann::ordered_json::array();
    for (const std::size_t i : order) {
        const auto& e = entries[i];
        points.push_back({{"algorithm", e.label},
                          {"mean_ms", rounded(e.mean_ms, 4)},
                          {"recall_at_k", rounded(e.recall, 5)},
                          {"speedup_vs_best_exact", rounded(base > 0 && e.mean_ms > 0 ? base / e.mean_ms : 0.0, 3)},
                          {"pareto_optimal", static_cast<bool>(front[i])}});
    }
    return j;
}

std::vector<PlotSeries> recall_latency_series(const std::vector<CurveEntry>& entries) {
    const auto front = pareto_optimal(entries);
    const auto order = curve_order(entries);
    const bool has_bmp_curve =
        std::any_of(entries.begin(), entries.end(), [](const CurveEntry& e) { return family_of(e) == Family::bmp_curve; });
    auto point = [&](std::size_t i, std::string label) {
        return PlotPoint{entries[i].mean_ms, entries[i].recall, std::move(label), !front[i]};
    };
    PlotSeries approx{"approx: Pareto front (query cut, heap factor, knn)", {}, true, false};
    PlotSeries approx_other{"approx: other settings", {}, false, false};
    PlotSeries bmp{"bmp, bmp@alpha", {}, true, false};
    std::vector<PlotSeries> exact;
    // Exact bmp starts the bmp curve when there is one (it is the alpha = 1 end).
    std::vector<std::size_t> bmp_members;
    for (std::size_t i = 0; i < entries.size(); ++i) {
        const auto& e = entries[i];
        const Family f = family_of(e);
        if (f == Family::bmp_curve || (f == Family::exact && e.algorithm == Algorithm::bmp && has_bmp_curve)) {
            bmp_members.push_back(i);
        } else if (f == Family::exact) {
            exact.push_back(PlotSeries{e.label, {point(i, e.label)}, false, true});
        }
    }
    std::stable_sort(bmp_members.begin(), bmp_members.end(),
                     [&](std::size_t a, std::size_t b) { return entries[a].mean_ms < entries[b].mean_ms; });
    for (const auto i : bmp_members) bmp.points.push_back(point(i, entries[i].label));
    for (const auto i : order) {
        if (family_of(entries[i]) != Family::approx_curve) continue;
        // The line joins the Pareto-optimal settings only; the rest are hollow markers.
        (front[i] ? approx : approx_other).points.push_back(point(i, entries[i].label));
    }
    // Labels on every marker only while they fit; the tooltips always carry them.
    approx.label_points = approx.points.size() <= 8;
    bmp.label_points = bmp.points.size() <= 8;
    std::vector<PlotSeries> all;
    if (!approx.points.empty()) all.push_back(std::move(approx));
    if (!approx_other.points.empty()) all.push_back(std::move(approx_other));
    if (!bmp.points.empty()) all.push_back(std::move(bmp));
    std::move(exact.begin(), exact.end(), std::back_inserter(all));
    return all;
}

PlotSeries tuned_setting_series(const CurveEntry& entry, const std::string& setting) {
    return PlotSeries{"tuned: " + setting, {{entry.mean_ms, entry.recall, "tuned (" + entry.label + ")", false}}, false,
                      true};
}

std::vector<PlotSeries> tune_plot_series(const std::vector<TunePoint>& points, std::optional<std::size_t> chosen,
                                         double heldout_recall) {
    std::vector<std::size_t> order;
    for (std::size_t i = 0; i < points.size(); ++i) {
        if (points[i].timed && points[i].mean_ms > 0) order.push_back(i);
    }
    // Fastest first, the better recall first among equal latencies: a point
    // is on the front when its recall beats every point before it.
    std::stable_sort(order.begin(), order.end(), [&](std::size_t a, std::size_t b) {
        if (points[a].mean_ms != points[b].mean_ms) return points[a].mean_ms < points[b].mean_ms;
        return points[a].recall > points[b].recall;
    });
    PlotSeries front{"Pareto front of the timed settings", {}, true, false};
    PlotSeries other{"other timed settings", {}, false, false};
    double best = -1.0;
    for (const std::size_t i : order) {
        const TunePoint& p = points[i];
        const bool on_front = p.recall > best;
        best = std::max(best, p.recall);
        (on_front ? front : other).points.push_back({p.mean_ms, p.recall, describe_approx(p.opts), !on_front});
    }
    front.label_points = front.points.size() <= 6;
    std::vector<PlotSeries> series;
    if (!front.points.empty()) series.push_back(std::move(front));
    if (!other.points.empty()) series.push_back(std::move(other));
    if (chosen && *chosen < points.size() && points[*chosen].mean_ms > 0) {
        const TunePoint& c = points[*chosen];
        series.push_back({fmt::format("chosen (held-out recall {:.4f})", heldout_recall),
                          {{c.mean_ms, c.recall, "chosen: " + describe_approx(c.opts), false}},
                          false,
                          true});
    }
    return series;
}

}  // namespace spindle::cli
