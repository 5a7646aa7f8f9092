#include "svg_plot.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <array>
#include <cmath>
#include <iterator>

#include "spindle/common/error.hpp"
#include "spindle/io/file_util.hpp"

namespace spindle::cli {
namespace {

constexpr double kTolerance = 1e-9;
// Strong colours that stay apart on white (matplotlib's tab10, yellow-green last).
constexpr std::array<const char*, 10> kColours = {"#1f77b4", "#d62728", "#2ca02c", "#ff7f0e", "#9467bd",
                                                  "#8c564b", "#e377c2", "#17becf", "#7f7f7f", "#bcbd22"};
constexpr double kCharWidth = 6.6;  // rough width of a character at font-size 11

double pow10(int e) { return std::pow(10.0, e); }

/// Largest (round_up: smallest) value of the 1-2-5 sequence at or below (above) v > 0.
double snap_125(double v, bool round_up) {
    const int e = static_cast<int>(std::floor(std::log10(v)));
    if (round_up) {
        for (int ee = e; ee <= e + 1; ++ee) {
            for (double m : {1.0, 2.0, 5.0}) {
                if (m * pow10(ee) >= v * (1 - kTolerance)) return m * pow10(ee);
            }
        }
        return pow10(e + 2);
    }
    for (int ee = e + 1; ee >= e - 1; --ee) {
        for (double m : {5.0, 2.0, 1.0}) {
            if (m * pow10(ee) <= v * (1 + kTolerance)) return m * pow10(ee);
        }
    }
    return pow10(e - 1);
}

void validate(const PlotText& text, const std::vector<PlotSeries>& series) {
    for (const auto& l : text.recall_lines) {
        if (!std::isfinite(l.recall) || l.recall < 0 || l.recall > 1 + kTolerance) {
            throw InvalidArgument(fmt::format("svg plot: recall line '{}': recall {} is outside [0, 1]", l.label, l.recall));
        }
    }
    for (const auto& s : series) {
        for (const auto& p : s.points) {
            if (!std::isfinite(p.latency_ms) || p.latency_ms <= 0) {
                throw InvalidArgument(fmt::format(
                    "svg plot: series '{}', point '{}': latency {} ms is not a positive finite number (the latency "
                    "axis is logarithmic)",
                    s.name, p.label, p.latency_ms));
            }
            if (!std::isfinite(p.recall) || p.recall < 0 || p.recall > 1 + kTolerance) {
                throw InvalidArgument(fmt::format("svg plot: series '{}', point '{}': recall {} is outside [0, 1]",
                                                  s.name, p.label, p.recall));
            }
        }
    }
}

struct Box {
    double x0, y0, x1, y1;
    [[nodiscard]] bool overlaps(const Box& o) const { return x0 < o.x1 && o.x0 < x1 && y0 < o.y1 && o.y0 < y1; }
};

/// A marker of shape `shape` (circle, square, diamond, triangle up, triangle down) centred on (x, y).
std::string marker(std::size_t shape, double x, double y, const char* colour, bool hollow, const std::string& tip) {
    const std::string paint =
        hollow ? fmt::format(R"(fill="white" stroke="{}" stroke-width="1.5")", colour)
               : fmt::format(R"(fill="{}" stroke="white" stroke-width="0.8")", colour);
    std::string shape_xml;
    switch (shape % 5) {
        case 0: shape_xml = fmt::format(R"(<circle cx="{:.1f}" cy="{:.1f}" r="4" {})", x, y, paint); break;
        case 1: shape_xml = fmt::format(R"(<rect x="{:.1f}" y="{:.1f}" width="8" height="8" {})", x - 4, y - 4, paint); break;
        case 2:
            shape_xml = fmt::format(R"(<polygon points="{:.1f},{:.1f} {:.1f},{:.1f} {:.1f},{:.1f} {:.1f},{:.1f}" {})", x,
                                    y - 5.5, x + 5.5, y, x, y + 5.5, x - 5.5, y, paint);
            break;
        case 3:
            shape_xml = fmt::format(R"(<polygon points="{:.1f},{:.1f} {:.1f},{:.1f} {:.1f},{:.1f}" {})", x, y - 5.5,
                                    x + 5, y + 4, x - 5, y + 4, paint);
            break;
        default:
            shape_xml = fmt::format(R"(<polygon points="{:.1f},{:.1f} {:.1f},{:.1f} {:.1f},{:.1f}" {})", x, y + 5.5,
                                    x + 5, y - 4, x - 5, y - 4, paint);
            break;
    }
    if (tip.empty()) return shape_xml + "/>\n";
    return shape_xml + "><title>" + xml_escape(tip) + "</title></" + shape_xml.substr(1, shape_xml.find(' ') - 1) +
           ">\n";
}

}  // namespace

std::string xml_escape(std::string_view s) {
    std::string out;
    out.reserve(s.size());
    for (const char c : s) {
        switch (c) {
            case '&': out += "&amp;"; break;
            case '<': out += "&lt;"; break;
            case '>': out += "&gt;"; break;
            case '"': out += "&quot;"; break;
            case '\'': out += "&apos;"; break;
            default:
                // Control characters other than tab/newline are not allowed in XML 1.0.
                if (static_cast<unsigned char>(c) < 0x20 && c != '\t' && c != '\n') {
                    out += '?';
                } else {
                    out += c;
                }
        }
    }
    return out;
}

AxisRange log_axis_range(double min_ms, double max_ms) {
    const double lo0 = min_ms / 1.15;
    const double hi0 = max_ms * 1.15;
    if (std::log10(hi0 / lo0) > 3.5) {
        return {pow10(static_cast<int>(std::floor(std::log10(lo0) + kTolerance))),
                pow10(static_cast<int>(std::ceil(std::log10(hi0) - kTolerance)))};
    }
    return {snap_125(lo0, false), snap_125(hi0, true)};
}

std::vector<LogTick> log_axis_ticks(AxisRange r) {
    const double decades = std::log10(r.hi / r.lo);
    std::vector<LogTick> ticks;
    const int e0 = static_cast<int>(std::floor(std::log10(r.lo) + kTolerance));
    const int e1 = static_cast<int>(std::ceil(std::log10(r.hi) - kTolerance));
    for (int e = e0; e <= e1; ++e) {
        for (int m = 1; m <= 9; ++m) {
            const double v = m * pow10(e);
            if (v < r.lo * (1 - kTolerance) || v > r.hi * (1 + kTolerance)) continue;
            const bool end = std::abs(v - r.lo) <= r.lo * kTolerance || std::abs(v - r.hi) <= r.hi * kTolerance;
            bool labeled = m == 1 || end;
            if (decades <= 1.2 + kTolerance) {
                labeled = true;
            } else if (decades <= 4 + kTolerance) {
                labeled = labeled || m == 2 || m == 5;
            }
            ticks.push_back({v, m == 1, labeled});
        }
    }
    return ticks;
}

AxisRange recall_axis_range(double min_recall) {
    double lo = std::floor(min_recall * 10 + kTolerance) / 10;
    lo = std::clamp(lo, 0.0, 0.9);
    return {lo, 1.0};
}

double linear_step(AxisRange r) {
    const double span = r.hi - r.lo;
    for (int e = static_cast<int>(std::floor(std::log10(span))) - 2;; ++e) {
        for (double m : {1.0, 2.0, 5.0}) {
            if (span / (m * pow10(e)) <= 10 + kTolerance) return m * pow10(e);
        }
    }
}

std::string format_tick(double v) {
    if (v == 0) return "0";
    const int decimals = std::max(0, -static_cast<int>(std::floor(std::log10(std::abs(v)) + kTolerance))) + 2;
    std::string s = fmt::format("{:.{}f}", v, decimals);
    if (s.find('.') != std::string::npos) {
        while (s.back() == '0') s.pop_back();
        if (s.back() == '.') s.pop_back();
    }
    return s;
}

std::string render_recall_latency_svg(const PlotText& text, const std::vector<PlotSeries>& series) {
    validate(text, series);
    double min_ms = 0;
    double max_ms = 0;
    double min_recall = 1;
    std::size_t npoints = 0;
    std::size_t longest_name = 8;
    for (const auto& s : series) {
        if (s.points.empty()) continue;
        longest_name = std::max(longest_name, s.name.size());
        for (const auto& p : s.points) {
            min_ms = npoints == 0 ? p.latency_ms : std::min(min_ms, p.latency_ms);
            max_ms = npoints == 0 ? p.latency_ms : std::max(max_ms, p.latency_ms);
            min_recall = std::min(min_recall, p.recall);
            ++npoints;
        }
    }
    for (const auto& l : text.recall_lines) min_recall = std::min(min_recall, l.recall);
    const AxisRange xr = npoints ? log_axis_range(min_ms, max_ms) : AxisRange{0.1, 10};
    const AxisRange yr = recall_axis_range(min_recall);
    const double y_top = 1 + 0.07 * (yr.hi - yr.lo);  // headroom so labels above points at recall 1 stay inside

    // Layout (px).
    const double left = 72;
    const double plot_w = 600;
    const double right = left + plot_w;
    // Wide enough for the longest legend entry, the title (font-size 16) and
    // every subtitle line, so no text runs off the document.
    std::size_t legend_rows = 0;
    bool mixed_fill = false;
    for (const auto& s : series) {
        if (s.points.empty()) continue;
        ++legend_rows;
        const bool any_hollow = std::any_of(s.points.begin(), s.points.end(), [](const PlotPoint& p) { return p.hollow; });
        const bool all_hollow = std::all_of(s.points.begin(), s.points.end(), [](const PlotPoint& p) { return p.hollow; });
        mixed_fill = mixed_fill || (any_hollow && !all_hollow);
    }
    const bool hollow_row = mixed_fill && !text.hollow_note.empty();
    if (hollow_row) longest_name = std::max(longest_name, text.hollow_note.size());
    const double legend_w = std::max(120.0, 40 + kCharWidth * static_cast<double>(longest_name));
    double width = right + 24 + legend_w + 12;
    width = std::max(width, left + kCharWidth * 16.0 / 11.0 * static_cast<double>(text.title.size()) + 12);
    for (const auto& line : text.subtitle) width = std::max(width, left + kCharWidth * static_cast<double>(line.size()) + 12);
    const double top = 48 + 15 * static_cast<double>(text.subtitle.size()) + 8;
    const double plot_h = 400;
    const double bottom = top + plot_h;
    const std::size_t nrows = legend_rows + (hollow_row ? 1 : 0);
    const double height = std::max(bottom + 56, top + 20 * static_cast<double>(nrows) + 20);
    const double lx0 = std::log10(xr.lo);
    const double lx1 = std::log10(xr.hi);
    auto px = [&](double ms) { return left + (std::log10(ms) - lx0) / (lx1 - lx0) * plot_w; };
    auto py = [&](double rec) { return top + (y_top - rec) / (y_top - yr.lo) * plot_h; };

    std::string svg;
    auto out = std::back_inserter(svg);
    fmt::format_to(out, "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n");
    fmt::format_to(out,
                   "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"{0:.0f}\" height=\"{1:.0f}\" viewBox=\"0 0 "
                   "{0:.0f} {1:.0f}\" font-family=\"Helvetica, Arial, sans-serif\" font-size=\"11\">\n",
                   width, height);
    fmt::format_to(out, "<title>{}</title>\n", xml_escape(text.title));
    fmt::format_to(out, "<rect x=\"0\" y=\"0\" width=\"{:.0f}\" height=\"{:.0f}\" fill=\"white\"/>\n", width, height);
    fmt::format_to(out, "<text x=\"{:.1f}\" y=\"24\" font-size=\"16\" font-weight=\"bold\">{}</text>\n", left,
                   xml_escape(text.title));
    for (std::size_t i = 0; i < text.subtitle.size(); ++i) {
        fmt::format_to(out, "<text x=\"{:.1f}\" y=\"{:.1f}\" fill=\"#555555\">{}</text>\n", left,
                       44 + 15 * static_cast<double>(i), xml_escape(text.subtitle[i]));
    }

    // Grid and ticks.
    fmt::format_to(out, "<g class=\"grid\" stroke-width=\"1\">\n");
    const double step = linear_step(yr);
    const int ydecimals = std::max(0, -static_cast<int>(std::floor(std::log10(step) + kTolerance)));
    for (int i = 0;; ++i) {
        const double v = yr.lo + i * step;
        if (v > yr.hi + step * kTolerance) break;
        const double y = py(v);
        fmt::format_to(out, "<line x1=\"{:.1f}\" y1=\"{:.1f}\" x2=\"{:.1f}\" y2=\"{:.1f}\" stroke=\"#e3e3e3\"/>\n", left, y,
                       right, y);
        fmt::format_to(out, "<text x=\"{:.1f}\" y=\"{:.1f}\" text-anchor=\"end\" fill=\"#333333\">{:.{}f}</text>\n",
                       left - 6, y + 4, v, ydecimals);
    }
    for (const auto& t : log_axis_ticks(xr)) {
        const double x = px(t.value);
        fmt::format_to(out, "<line x1=\"{:.1f}\" y1=\"{:.1f}\" x2=\"{:.1f}\" y2=\"{:.1f}\" stroke=\"{}\"/>\n", x, top, x,
                       bottom, t.major ? "#d0d0d0" : "#f0f0f0");
        fmt::format_to(out, "<line x1=\"{:.1f}\" y1=\"{:.1f}\" x2=\"{:.1f}\" y2=\"{:.1f}\" stroke=\"#333333\"/>\n", x,
                       bottom, x, bottom + (t.major ? 6 : 3));
        if (t.labeled) {
            fmt::format_to(out, "<text x=\"{:.1f}\" y=\"{:.1f}\" text-anchor=\"middle\" fill=\"#333333\">{}</text>\n", x,
                           bottom + 18, format_tick(t.value));
        }
    }
    fmt::format_to(out, "</g>\n");
    fmt::format_to(out,
                   "<rect x=\"{:.1f}\" y=\"{:.1f}\" width=\"{:.1f}\" height=\"{:.1f}\" fill=\"none\" stroke=\"#333333\"/>\n",
                   left, top, plot_w, plot_h);
    fmt::format_to(out, "<text x=\"{:.1f}\" y=\"{:.1f}\" text-anchor=\"middle\" font-size=\"12\">{}</text>\n",
                   left + plot_w / 2, bottom + 40, xml_escape(text.x_title));
    fmt::format_to(out,
                   "<text x=\"18\" y=\"{0:.1f}\" text-anchor=\"middle\" font-size=\"12\" transform=\"rotate(-90 18 "
                   "{0:.1f})\">{1}</text>\n",
                   top + plot_h / 2, xml_escape(text.y_title));
    std::vector<Box> taken;
    if (!text.recall_lines.empty()) {
        fmt::format_to(out, "<g class=\"recall-lines\">\n");
        for (const auto& l : text.recall_lines) {
            const double y = py(l.recall);
            fmt::format_to(out,
                           "<line x1=\"{:.1f}\" y1=\"{:.1f}\" x2=\"{:.1f}\" y2=\"{:.1f}\" stroke=\"#555555\" "
                           "stroke-width=\"1.2\" stroke-dasharray=\"6 4\"/>\n",
                           left, y, right, y);
            if (!l.label.empty()) {
                const double w = kCharWidth * static_cast<double>(l.label.size());
                // Above the line, or below it when too close to the top of the frame.
                const double ty = y - 4 - 10 < top ? y + 14 : y - 4;
                fmt::format_to(out, "<text x=\"{:.1f}\" y=\"{:.1f}\" text-anchor=\"end\" fill=\"#555555\">{}</text>\n",
                               right - 4, ty, xml_escape(l.label));
                taken.push_back({right - 4 - w, ty - 10, right - 4, ty + 2});
            }
        }
        fmt::format_to(out, "</g>\n");
    }
    if (npoints == 0) {
        fmt::format_to(out, "<text x=\"{:.1f}\" y=\"{:.1f}\" text-anchor=\"middle\" font-size=\"14\" fill=\"#888888\">no data</text>\n",
                       left + plot_w / 2, top + plot_h / 2);
    }

    // Series (lines and markers), then labels placed around all markers so that they do not overlap.
    struct PendingLabel {
        double x, y;
        std::string text;
        const char* colour;
    };
    std::vector<PendingLabel> pending;
    std::size_t legend_row = 0;
    std::string legend;
    for (std::size_t si = 0; si < series.size(); ++si) {
        const auto& s = series[si];
        if (s.points.empty()) continue;
        const char* colour = kColours[legend_row % kColours.size()];
        const std::size_t shape = legend_row;
        fmt::format_to(out, "<g class=\"series\" id=\"series-{}\">\n", si);
        if (s.connected && s.points.size() > 1) {
            fmt::format_to(out, "<polyline fill=\"none\" stroke=\"{}\" stroke-width=\"1.8\" points=\"", colour);
            for (std::size_t i = 0; i < s.points.size(); ++i) {
                fmt::format_to(out, "{}{:.1f},{:.1f}", i ? " " : "", px(s.points[i].latency_ms), py(s.points[i].recall));
            }
            fmt::format_to(out, "\"/>\n");
        }
        for (const auto& p : s.points) {
            const double x = px(p.latency_ms);
            const double y = py(p.recall);
            const std::string tip = fmt::format("{}: {} ms, recall {:.4f}", p.label.empty() ? s.name : p.label,
                                                format_tick(p.latency_ms), p.recall);
            svg += marker(shape, x, y, colour, p.hollow, tip);
            taken.push_back({x - 5, y - 5, x + 5, y + 5});
        }
        fmt::format_to(out, "</g>\n");
        if (s.label_points) {
            for (const auto& p : s.points) {
                pending.push_back({px(p.latency_ms), py(p.recall), p.label.empty() ? s.name : p.label, colour});
            }
        }
        // Legend entry.
        const double ly = top + 14 + 20 * static_cast<double>(legend_row);
        const double lx = right + 34;
        if (s.connected && s.points.size() > 1) {
            fmt::format_to(std::back_inserter(legend),
                           "<line x1=\"{:.1f}\" y1=\"{:.1f}\" x2=\"{:.1f}\" y2=\"{:.1f}\" stroke=\"{}\" stroke-width=\"1.8\"/>\n",
                           lx - 12, ly, lx + 12, ly, colour);
        }
        // The legend marker is the series' own: hollow when all its points are.
        const bool all_hollow = std::all_of(s.points.begin(), s.points.end(), [](const PlotPoint& p) { return p.hollow; });
        legend += marker(shape, lx, ly, colour, all_hollow, "");
        fmt::format_to(std::back_inserter(legend), "<text x=\"{:.1f}\" y=\"{:.1f}\">{}</text>\n", lx + 18, ly + 4,
                       xml_escape(s.name));
        ++legend_row;
    }
    fmt::format_to(out, "<g class=\"labels\">\n");
    for (const auto& l : pending) {
        const double w = kCharWidth * static_cast<double>(l.text.size());
        struct Spot {
            double dx, dy;
            bool end;
        };
        // Right above, right below, left above, left below, then further out.
        static constexpr Spot spots[] = {{7, -7, false}, {7, 15, false}, {-7, -7, true}, {-7, 15, true},
                                         {7, -19, false}, {7, 27, false}, {-7, -19, true}, {-7, 27, true}};
        auto box_at = [&](const Spot& sp) {
            const double x0 = sp.end ? l.x + sp.dx - w : l.x + sp.dx;
            return Box{x0, l.y + sp.dy - 10, x0 + w, l.y + sp.dy + 2};
        };
        const Spot* chosen = nullptr;
        for (const auto& sp : spots) {
            const Box b = box_at(sp);
            if (b.x0 < left || b.x1 > right || b.y0 < top || b.y1 > bottom) continue;
            if (std::none_of(taken.begin(), taken.end(), [&](const Box& t) { return t.overlaps(b); })) {
                chosen = &sp;
                break;
            }
        }
        double tx = 0;
        double ty = 0;
        bool end = false;
        if (chosen != nullptr) {
            tx = l.x + chosen->dx;
            ty = l.y + chosen->dy;
            end = chosen->end;
        } else {
            // Crowded: overlap rather than vanish, but inside the frame
            // (start-anchored box clamped to it; right of the marker when it fits).
            end = false;
            const double x0 = l.x + 7 + w <= right ? l.x + 7 : l.x - 7 - w;
            tx = std::clamp(x0, left + 2, std::max(left + 2, right - 2 - w));
            ty = std::clamp(l.y - 7, top + 12, bottom - 4);
        }
        const double bx0 = end ? tx - w : tx;
        taken.push_back({bx0, ty - 10, bx0 + w, ty + 2});
        fmt::format_to(out, "<text x=\"{:.1f}\" y=\"{:.1f}\" text-anchor=\"{}\" fill=\"{}\">{}</text>\n", tx, ty,
                       end ? "end" : "start", l.colour, xml_escape(l.text));
    }
    fmt::format_to(out, "</g>\n");
    if (hollow_row) {
        const double ly = top + 14 + 20 * static_cast<double>(legend_row);
        const double lx = right + 34;
        legend += marker(0, lx, ly, "#555555", true, "");
        fmt::format_to(std::back_inserter(legend), "<text x=\"{:.1f}\" y=\"{:.1f}\" fill=\"#555555\">{}</text>\n",
                       lx + 18, ly + 4, xml_escape(text.hollow_note));
        ++legend_row;
    }
    if (legend_row > 0) {
        fmt::format_to(out,
                       "<g class=\"legend\">\n<rect x=\"{:.1f}\" y=\"{:.1f}\" width=\"{:.1f}\" height=\"{:.1f}\" "
                       "fill=\"white\" stroke=\"#cccccc\"/>\n{}</g>\n",
                       right + 16, top, legend_w, 20 * static_cast<double>(legend_row) + 8, legend);
    }
    fmt::format_to(out, "</svg>\n");
    return svg;
}

void write_recall_latency_svg(const std::string& path, const PlotText& text, const std::vector<PlotSeries>& series) {
    const std::string svg = render_recall_latency_svg(text, series);
    try {
        write_file_atomically(path, svg);
    } catch (const Error& e) {
        throw IoError("cannot write SVG plot " + path + ": " + e.what());
    }
}

}  // namespace spindle::cli
