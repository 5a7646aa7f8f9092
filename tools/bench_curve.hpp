#pragma once
// The recall/latency view of `spindle bench`: the approx@sweep grid, which
// variants form a curve, the Pareto front, the "recall/latency curve" table
// and JSON section, and the series of the --svg plot.
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "spindle/query/algorithm.hpp"
#include "spindle/query/approx_tuning.hpp"
#include "svg_plot.hpp"

namespace spindle::cli {

/// `-a approx@sweep` expands into approx@C,H,0 for every C in kSweepQueryCuts
/// and H in kSweepHeapFactors: from few terms and a strict threshold (low
/// recall, fast) to many terms and heap factor 1 (high recall); with a kNN
/// graph (`knn` > 0) also approx@C,H,knn for the cuts up to 8.
inline constexpr std::string_view kApproxSweep = "approx@sweep";
inline constexpr std::size_t kSweepQueryCuts[] = {1, 2, 3, 5, 8, 12, 20};
inline constexpr double kSweepHeapFactors[] = {0.7, 0.9, 1.0};
std::vector<std::string> approx_sweep_specs(std::uint32_t knn = 0);
/// "query cut C in 1,2,...,20 and heap factor H in 0.7,0.9,1 (21 variants)", for --help.
std::string approx_sweep_description();

/// One measured variant of a bench run.
struct CurveEntry {
    std::string label;  ///< as given: "bmp", "bmp@0.9", "approx@5,0.9"
    Algorithm algorithm = Algorithm::exhaustive;
    double bmp_alpha = 1.0;
    double mean_ms = 0;
    double recall = 0;
};

enum class Family {
    exact,         ///< exhaustive, maxscore, bmw, bmp with alpha 1
    bmp_curve,     ///< bmp with alpha < 1
    approx_curve,  ///< approx with any settings
};
Family family_of(const CurveEntry& e);

/// pareto[i]: no other entry is at most as slow with at least the recall of
/// entry i and strictly better in one of the two.
std::vector<bool> pareto_optimal(const std::vector<CurveEntry>& entries);

/// The fastest exact entry (index into `entries`), or -1 if there is none.
int best_exact(const std::vector<CurveEntry>& entries);

/// The approximate entries (bmp@ and approx) sorted by mean latency.
std::vector<std::size_t> curve_order(const std::vector<CurveEntry>& entries);

/// The "recall/latency curve" section of the report ("" without approximate entries).
std::string curve_table(const std::vector<CurveEntry>& entries);
/// The "curve" object of the JSON report: the best exact entry and the approximate points by latency.
nlohmann::ordered_json curve_json(const std::vector<CurveEntry>& entries);

/// Plot series: approx variants as one curve sorted by latency; bmp@ variants
/// with exact bmp as another; every other exact algorithm as a labelled point.
/// Points off the Pareto front are hollow.
std::vector<PlotSeries> recall_latency_series(const std::vector<CurveEntry>& entries);

/// The series marking the setting stored by spindle tune (bench: the variant
/// run with the index's stored defaults) as one labelled point, "tuned: ...".
PlotSeries tuned_setting_series(const CurveEntry& entry, const std::string& setting);

/// spindle tune's plot: the Pareto front of the timed settings (no faster or
/// equally fast timed setting has at least its recall) as a line in latency
/// order, the other timed settings as hollow markers, and the chosen setting
/// as a labelled point. Untimed points are left out (their latency is a
/// recall pass's, not comparable).
std::vector<PlotSeries> tune_plot_series(const std::vector<TunePoint>& points, std::optional<std::size_t> chosen,
                                         double heldout_recall);

}  // namespace spindle::cli
