#pragma once
// A small standalone SVG writer for recall/latency plots (spindle bench
// --svg; meant to be reused by spindle tune): a log-scale latency axis, a
// linear recall axis, curves (a line through markers) and single labelled
// points, a legend, a title and subtitle lines. Only fmt and std.
#include <string>
#include <string_view>
#include <vector>

namespace spindle::cli {

struct PlotPoint {
    double latency_ms = 0;  ///< x: > 0 and finite (log axis)
    double recall = 0;      ///< y: in [0, 1]
    std::string label;      ///< tooltip; drawn beside the marker if the series labels its points
    bool hollow = false;    ///< an open marker (e.g. a point off the Pareto front)
};

struct PlotSeries {
    std::string name;  ///< legend entry
    std::vector<PlotPoint> points;
    bool connected = true;      ///< a curve: a line through the points in the given order
    bool label_points = false;  ///< write each point's label next to its marker
};

/// A horizontal reference line across the plot (e.g. the target recall of spindle tune).
struct RecallLine {
    double recall = 0;  ///< in [0, 1]; the recall axis is extended to show it
    std::string label;  ///< drawn just above the line at its right end, inside the frame
};

struct PlotText {
    std::string title;
    std::vector<std::string> subtitle;  ///< one line each: commit, CPU, corpus/index, k...
    std::string x_title = "mean latency per query (ms, log scale)";
    std::string y_title = "recall@k";
    std::vector<RecallLine> recall_lines;
    /// Legend row explaining hollow markers, shown when a series mixes hollow
    /// and filled ones (a series whose markers are all hollow shows a hollow
    /// legend marker instead).
    std::string hollow_note = "hollow: off the Pareto front";
};

/// The plot as a standalone SVG document. Throws InvalidArgument naming the
/// series and point for a latency that is not a positive finite number or a
/// recall outside [0, 1] (or a recall line outside [0, 1]). Series without
/// points are left out; with no point at all the axes are drawn over a
/// default range with a "no data" note. Every legend marker has its series'
/// shape, colour and fill; point labels stay inside the plot frame (placed
/// beside their marker where they overlap nothing, else clamped into the
/// frame); the document is wide enough for the title, subtitle and legend.
std::string render_recall_latency_svg(const PlotText& text, const std::vector<PlotSeries>& series);

/// render_recall_latency_svg() written to `path` through a temporary file
/// and a rename. Throws IoError naming `path` when it cannot be written.
void write_recall_latency_svg(const std::string& path, const PlotText& text, const std::vector<PlotSeries>& series);

// --- pieces, exposed for tests ---

/// `s` with & < > " ' replaced by XML entities.
std::string xml_escape(std::string_view s);

struct AxisRange {
    double lo;
    double hi;
};

struct LogTick {
    double value;
    bool major;    ///< a power of ten
    bool labeled;  ///< gets a number under the axis
};

/// Log axis bounds around [min_ms, max_ms] (both > 0): a little padding, then
/// snapped out to 1-2-5 values (to powers of ten beyond 3.5 decades), so that
/// both ends are labelled ticks.
AxisRange log_axis_range(double min_ms, double max_ms);
/// Ticks at 1..9 x 10^e inside [lo, hi]: powers of ten are major; labels on
/// every tick for ranges up to 1.2 decades, on 1, 2, 5 up to 3.5 decades,
/// on powers of ten beyond.
std::vector<LogTick> log_axis_ticks(AxisRange r);
/// Recall axis: from the tenth at or below `min_recall` (at most 0.9) to 1.
AxisRange recall_axis_range(double min_recall);
/// Gridline step of a linear axis: 1, 2 or 5 x 10^e giving at most 10 steps.
double linear_step(AxisRange r);
/// A tick label: "0.02", "20", "1000" (no exponent, no trailing zeros).
std::string format_tick(double v);

}  // namespace spindle::cli
