// The recall/latency SVG writer (tools/svg_plot) and the bench curve that
// feeds it (tools/bench_curve): well-formed standalone SVG, escaped text,
// log-axis ticks, degenerate inputs, and clear errors.
#include <gtest/gtest-spi.h>
#include <gtest/gtest.h>
#include <fmt/format.h>

#include <cctype>
#include <cmath>
#include <cstdlib>
#include <filesystem>
#include <map>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include "bench_curve.hpp"
#include "spindle/common/error.hpp"
#include "svg_plot.hpp"
#include "test_util.hpp"

namespace spindle::cli {
namespace {

struct Element {
    std::string name;
    std::map<std::string, std::string> attrs;
};

/// A small XML checker: every tag closed in order, attributes quoted, no raw
/// '<' or stray '&' in text or attribute values, and every geometric attribute
/// a finite number. Returns the elements in document order; fails the test on
/// the first problem.
std::vector<Element> parse_xml(const std::string& xml) {
    std::vector<Element> elements;
    std::vector<std::string> open;
    auto check_entities = [](const std::string& s) {
        for (std::size_t i = s.find('&'); i != std::string::npos; i = s.find('&', i + 1)) {
            const auto semi = s.find(';', i);
            if (semi == std::string::npos) {
                ADD_FAILURE() << "bare & in: " << s;
                return;
            }
            const std::string ent = s.substr(i, semi - i + 1);
            static const std::set<std::string> ok{"&amp;", "&lt;", "&gt;", "&quot;", "&apos;"};
            EXPECT_TRUE(ok.contains(ent)) << "unknown entity " << ent;
        }
    };
    std::size_t i = 0;
    EXPECT_EQ(xml.rfind("<?xml", 0), 0U) << "no XML declaration";
    i = xml.find("?>");
    EXPECT_NE(i, std::string::npos);
    i += 2;
    while (i < xml.size()) {
        const auto lt = xml.find('<', i);
        const std::string text = xml.substr(i, lt == std::string::npos ? std::string::npos : lt - i);
        check_entities(text);
        EXPECT_EQ(text.find('>'), std::string::npos) << "raw > in text: " << text;
        if (lt == std::string::npos) break;
        const auto gt = xml.find('>', lt);
        if (gt == std::string::npos) {
            ADD_FAILURE() << "unterminated tag at " << lt;
            break;
        }
        std::string tag = xml.substr(lt + 1, gt - lt - 1);
        EXPECT_EQ(tag.find('<'), std::string::npos) << "raw < inside tag: " << tag;
        i = gt + 1;
        if (tag.starts_with('/')) {
            EXPECT_FALSE(open.empty()) << "closing " << tag << " with nothing open";
            if (!open.empty()) {
                EXPECT_EQ(open.back(), tag.substr(1)) << "tags crossed";
                open.pop_back();
            }
            continue;
        }
        const bool self_closing = tag.ends_with('/');
        if (self_closing) tag.pop_back();
        Element e;
        std::size_t p = 0;
        while (p < tag.size() && !std::isspace(static_cast<unsigned char>(tag[p]))) ++p;
        e.name = tag.substr(0, p);
        while (p < tag.size()) {
            while (p < tag.size() && std::isspace(static_cast<unsigned char>(tag[p]))) ++p;
            if (p >= tag.size()) break;
            const auto eq = tag.find('=', p);
            if (eq == std::string::npos || eq + 1 >= tag.size() || tag[eq + 1] != '"') {
                ADD_FAILURE() << "unquoted attribute in <" << tag << ">";
                break;
            }
            const auto close = tag.find('"', eq + 2);
            if (close == std::string::npos) {
                ADD_FAILURE() << "unterminated attribute in <" << tag << ">";
                break;
            }
            const std::string key = tag.substr(p, eq - p);
            const std::string value = tag.substr(eq + 2, close - eq - 2);
            check_entities(value);
            EXPECT_FALSE(e.attrs.contains(key)) << "attribute twice: " << key;
            e.attrs[key] = value;
            p = close + 1;
        }
        for (const char* key : {"x", "y", "x1", "y1", "x2", "y2", "cx", "cy", "r", "width", "height"}) {
            if (!e.attrs.contains(key)) continue;
            const std::string& v = e.attrs[key];
            char* end = nullptr;
            const double d = std::strtod(v.c_str(), &end);
            EXPECT_TRUE(end != v.c_str() && *end == '\0' && std::isfinite(d)) << key << "=\"" << v << "\" in <" << e.name;
        }
        if (e.attrs.contains("points")) {
            std::string pts = e.attrs["points"];
            for (char& c : pts) c = c == ',' ? ' ' : c;
            const char* s = pts.c_str();
            std::size_t n = 0;
            for (char* end = nullptr;; s = end, ++n) {
                while (*s == ' ') ++s;
                if (*s == '\0') break;
                const double d = std::strtod(s, &end);
                if (end == s || !std::isfinite(d)) {
                    ADD_FAILURE() << "bad number in points=\"" << e.attrs["points"] << "\"";
                    break;
                }
            }
            EXPECT_EQ(n % 2, 0U) << "odd coordinate count in points";
        }
        if (!self_closing) open.push_back(e.name);
        elements.push_back(std::move(e));
    }
    EXPECT_TRUE(open.empty()) << "unclosed <" << (open.empty() ? "" : open.back()) << ">";
    EXPECT_FALSE(elements.empty());
    if (!elements.empty()) {
        EXPECT_EQ(elements[0].name, "svg");
        EXPECT_EQ(elements[0].attrs["xmlns"], "http://www.w3.org/2000/svg");
    }
    return elements;
}

std::size_t count(const std::vector<Element>& es, const std::string& name) {
    std::size_t n = 0;
    for (const auto& e : es) n += e.name == name ? 1 : 0;
    return n;
}

std::vector<std::string> labels(const std::vector<LogTick>& ticks) {
    std::vector<std::string> out;
    for (const auto& t : ticks) {
        if (t.labeled) out.push_back(format_tick(t.value));
    }
    return out;
}

PlotText text_of(std::string title) {
    PlotText t;
    t.title = std::move(title);
    t.subtitle = {"commit abc123 (Release build), Some CPU", "index idx/: 100 docs", "k=10"};
    return t;
}

TEST(SvgPlot, TheXmlCheckerCatchesBrokenDocuments) {
    const std::string head = "<?xml version=\"1.0\"?>\n<svg xmlns=\"http://www.w3.org/2000/svg\">";
    EXPECT_NONFATAL_FAILURE(parse_xml(head + "<g></g>"), "unclosed <svg>");
    EXPECT_NONFATAL_FAILURE(parse_xml(head + "<text>a & b</text></svg>"), "bare &");
    EXPECT_NONFATAL_FAILURE(parse_xml(head + "<text>a &nbsp; b</text></svg>"), "unknown entity");
    EXPECT_NONFATAL_FAILURE(parse_xml(head + "<circle cx=\"nan\" cy=\"1\" r=\"2\"/></svg>"), "cx=\"nan\"");
    EXPECT_NONFATAL_FAILURE(parse_xml(head + "<polyline points=\"1,2 3\"/></svg>"), "odd coordinate count");
}

TEST(SvgPlot, TypicalPlotIsWellFormedAndNamesEverySeries) {
    PlotSeries curve{"approx <cut, hf>", {}, true, true};
    for (double ms : {0.02, 0.1, 0.7, 3.0, 20.0}) curve.points.push_back({ms, 0.5 + ms / 40, "c&" + std::to_string(ms), false});
    curve.points[1].hollow = true;
    std::vector<PlotSeries> series{curve, {"bmp", {{0.4, 1.0, "bmp", false}}, false, true},
                                   {"exhaustive", {{9.0, 1.0, "", false}}, false, true}};
    const std::string svg = render_recall_latency_svg(text_of("Recall \"vs\" latency <k=10> & more"), series);
    const auto es = parse_xml(svg);
    EXPECT_EQ(count(es, "polyline"), 1U);
    // Markers, legend markers (+ the hollow-marker note: the curve mixes both), background/frames.
    EXPECT_EQ(count(es, "circle") + count(es, "rect") + count(es, "polygon"), 7U + 3 + 1 + 3);
    EXPECT_NE(svg.find("Recall &quot;vs&quot; latency &lt;k=10&gt; &amp; more"), std::string::npos);
    EXPECT_NE(svg.find("approx &lt;cut, hf&gt;"), std::string::npos);
    EXPECT_NE(svg.find(">bmp<"), std::string::npos);
    EXPECT_NE(svg.find(">exhaustive<"), std::string::npos);
    EXPECT_NE(svg.find("commit abc123 (Release build), Some CPU"), std::string::npos);
    EXPECT_NE(svg.find("fill=\"white\" stroke="), std::string::npos) << "hollow marker";
    EXPECT_NE(svg.find(">0.02<"), std::string::npos) << "x tick labels";
    EXPECT_NE(svg.find(">10<"), std::string::npos);
    EXPECT_NE(svg.find(">1.00<"), std::string::npos) << "y tick labels";
    EXPECT_NE(svg.find(">0.50<"), std::string::npos);
    EXPECT_EQ(svg.find("nan"), std::string::npos);
    EXPECT_EQ(svg.find("inf"), std::string::npos);
}

TEST(SvgPlot, EscapesEveryXmlSpecialCharacter) {
    EXPECT_EQ(xml_escape("a<b>&\"c\"'d'"), "a&lt;b&gt;&amp;&quot;c&quot;&apos;d&apos;");
    EXPECT_EQ(xml_escape("plain text, 1.0"), "plain text, 1.0");
    EXPECT_EQ(xml_escape(std::string("bell\x07")), "bell?");  // not allowed in XML 1.0
}

TEST(SvgPlot, LogAxisTicksForTypicalRanges) {
    // 0.02 .. 20 ms: padded and snapped to 0.01 .. 50, labels on 1, 2, 5.
    AxisRange r = log_axis_range(0.02, 20);
    EXPECT_DOUBLE_EQ(r.lo, 0.01);
    EXPECT_DOUBLE_EQ(r.hi, 50);
    auto ticks = log_axis_ticks(r);
    EXPECT_EQ(labels(ticks),
              (std::vector<std::string>{"0.01", "0.02", "0.05", "0.1", "0.2", "0.5", "1", "2", "5", "10", "20", "50"}));
    std::vector<double> majors;
    for (const auto& t : ticks) {
        if (t.major) majors.push_back(t.value);
    }
    ASSERT_EQ(majors.size(), 4U);
    EXPECT_NEAR(majors[0], 0.01, 1e-12);
    EXPECT_NEAR(majors[3], 10, 1e-9);
    EXPECT_EQ(ticks.size(), 9U * 3 + 5);  // 0.01..0.09, 0.1..0.9, 1..9, 10..50
    for (std::size_t i = 1; i < ticks.size(); ++i) EXPECT_LT(ticks[i - 1].value, ticks[i].value);

    // Under a decade: every tick labelled.
    r = log_axis_range(0.5, 0.8);
    EXPECT_DOUBLE_EQ(r.lo, 0.2);
    EXPECT_DOUBLE_EQ(r.hi, 1);
    EXPECT_EQ(labels(log_axis_ticks(r)),
              (std::vector<std::string>{"0.2", "0.3", "0.4", "0.5", "0.6", "0.7", "0.8", "0.9", "1"}));

    // Five decades: powers of ten only.
    r = log_axis_range(0.001, 100);
    EXPECT_NEAR(r.lo, 1e-4, 1e-15);
    EXPECT_NEAR(r.hi, 1e3, 1e-9);
    EXPECT_EQ(labels(log_axis_ticks(r)), (std::vector<std::string>{"0.0001", "0.001", "0.01", "0.1", "1", "10", "100", "1000"}));

    // Both ends are labelled even when they are not powers of ten.
    ticks = log_axis_ticks({0.02, 500});
    EXPECT_TRUE(ticks.front().labeled);
    EXPECT_TRUE(ticks.back().labeled);
    EXPECT_EQ(format_tick(ticks.back().value), "500");
}

TEST(SvgPlot, LinearRecallAxis) {
    EXPECT_DOUBLE_EQ(recall_axis_range(0.87).lo, 0.8);
    EXPECT_DOUBLE_EQ(recall_axis_range(0.3).lo, 0.3);
    EXPECT_DOUBLE_EQ(recall_axis_range(1.0).lo, 0.9);  // never an empty range
    EXPECT_DOUBLE_EQ(recall_axis_range(0.0).lo, 0.0);
    EXPECT_NEAR(linear_step({0.9, 1.0}), 0.01, 1e-12);
    EXPECT_NEAR(linear_step({0.0, 1.0}), 0.1, 1e-12);
    EXPECT_NEAR(linear_step({0.7, 1.0}), 0.05, 1e-12);
    EXPECT_EQ(format_tick(0.1 * 3), "0.3");
    EXPECT_EQ(format_tick(20), "20");
    EXPECT_EQ(format_tick(0.002), "0.002");
    EXPECT_EQ(format_tick(1000), "1000");
}

TEST(SvgPlot, DegenerateInputsStillGiveAValidPlot) {
    const PlotText t = text_of("degenerate");
    // One point.
    auto es = parse_xml(render_recall_latency_svg(t, {{"only", {{1.5, 0.7, "x", false}}, true, true}}));
    EXPECT_EQ(count(es, "polyline"), 0U);
    // Equal latencies, recall 1 everywhere.
    PlotSeries flat{"flat", {{2, 1, "a", false}, {2, 1, "b", false}, {2, 1, "c", false}}, true, true};
    const std::string svg = render_recall_latency_svg(t, {flat});
    es = parse_xml(svg);
    EXPECT_EQ(count(es, "polyline"), 1U);
    EXPECT_NE(svg.find(">0.90<"), std::string::npos) << "recall axis from 0.9 to 1";
    EXPECT_NE(svg.find(">1.00<"), std::string::npos);
    // Nothing to draw: axes and a note.
    for (const auto& none : {std::vector<PlotSeries>{}, std::vector<PlotSeries>{{"empty", {}, true, false}}}) {
        const std::string s = render_recall_latency_svg(t, none);
        parse_xml(s);
        EXPECT_NE(s.find("no data"), std::string::npos);
        EXPECT_EQ(s.find(">empty<"), std::string::npos) << "empty series are left out of the legend";
    }
    // Tiny and huge latencies.
    parse_xml(render_recall_latency_svg(t, {{"wide", {{1e-6, 0.1, "", false}, {1e5, 1, "", false}}, true, true}}));
}

TEST(SvgPlot, RejectsLatenciesALogAxisCannotShowAndRecallOutOfRange) {
    const PlotText t = text_of("bad");
    for (const double ms : {0.0, -1.0, std::nan(""), HUGE_VAL}) {
        try {
            render_recall_latency_svg(t, {{"curve-x", {{1, 0.5, "p1", false}, {ms, 0.6, "p2", false}}, true, false}});
            ADD_FAILURE() << "latency " << ms << " accepted";
        } catch (const InvalidArgument& e) {
            EXPECT_NE(std::string(e.what()).find("curve-x"), std::string::npos) << e.what();
            EXPECT_NE(std::string(e.what()).find("p2"), std::string::npos) << e.what();
            EXPECT_NE(std::string(e.what()).find("positive"), std::string::npos) << e.what();
        }
    }
    EXPECT_THROW(render_recall_latency_svg(t, {{"r", {{1, 1.5, "", false}}, true, false}}), InvalidArgument);
    EXPECT_THROW(render_recall_latency_svg(t, {{"r", {{1, -0.1, "", false}}, true, false}}), InvalidArgument);
}

TEST(SvgPlot, WritesAtomicallyAndNamesThePathOnFailure) {
    test::TempDir dir;
    const std::vector<PlotSeries> s{{"a", {{1, 1, "", false}}, false, true}};
    write_recall_latency_svg(dir / "plot.svg", text_of("t"), s);
    EXPECT_EQ(test::read_file(dir / "plot.svg"), render_recall_latency_svg(text_of("t"), s));
    write_recall_latency_svg(dir / "plot.svg", text_of("t2"), s);  // replaces
    EXPECT_NE(test::read_file(dir / "plot.svg").find(">t2<"), std::string::npos);
    std::size_t files = 0;
    for ([[maybe_unused]] const auto& e : std::filesystem::directory_iterator(dir.path())) ++files;
    EXPECT_EQ(files, 1U) << "no temporary file left behind";
    const std::string missing = dir / "no/such/dir/plot.svg";
    try {
        write_recall_latency_svg(missing, text_of("t"), s);
        ADD_FAILURE() << "wrote into a missing directory";
    } catch (const IoError& e) {
        EXPECT_NE(std::string(e.what()).find("cannot write SVG plot " + missing), std::string::npos) << e.what();
    }
}

// --- bench curve ---

std::vector<CurveEntry> sample_entries() {
    return {
        {"exhaustive", Algorithm::exhaustive, 1.0, 10.0, 1.0},
        {"bmp", Algorithm::bmp, 1.0, 1.0, 1.0},
        {"bmp@0.8", Algorithm::bmp, 0.8, 0.6, 0.97},
        {"approx@1,0.7", Algorithm::approx, 1.0, 0.2, 0.6},
        {"approx@5,0.9", Algorithm::approx, 1.0, 0.5, 0.9},
        {"approx@3,0.9", Algorithm::approx, 1.0, 0.7, 0.85},  // dominated by approx@5,0.9
        {"approx@20,1", Algorithm::approx, 1.0, 1.5, 0.999},  // dominated by bmp
    };
}

TEST(BenchCurve, SweepSpansTheGrid) {
    const auto specs = approx_sweep_specs();
    EXPECT_EQ(specs.size(), std::size(kSweepQueryCuts) * std::size(kSweepHeapFactors));
    EXPECT_EQ(specs.front(), "approx@1,0.7,0");
    EXPECT_EQ(specs.back(), "approx@20,1,0");
    EXPECT_EQ(std::set<std::string>(specs.begin(), specs.end()).size(), specs.size());
    // With a graph: the cuts up to 8 again, refined with its neighbours.
    const auto graph = approx_sweep_specs(10);
    EXPECT_EQ(graph.size(), specs.size() + 5 * std::size(kSweepHeapFactors));
    EXPECT_EQ(graph.back(), "approx@8,1,10");
    EXPECT_EQ(std::set<std::string>(graph.begin(), graph.end()).size(), graph.size());
    EXPECT_EQ(approx_sweep_description(),
              "query cut C in 1,2,3,5,8,12,20 and heap factor H in 0.7,0.9,1 (21 variants), and with a kNN graph the "
              "same for C up to 8 with graph refinement (knn 10)");
}

TEST(BenchCurve, ParetoFrontAndSpeedups) {
    const auto e = sample_entries();
    EXPECT_EQ(pareto_optimal(e), (std::vector<bool>{false, true, true, true, true, false, false}));
    EXPECT_EQ(best_exact(e), 1);
    EXPECT_EQ(curve_order(e), (std::vector<std::size_t>{3, 4, 2, 5, 6}));
    const std::string table = curve_table(e);
    EXPECT_NE(table.find("recall/latency curve"), std::string::npos) << table;
    EXPECT_NE(table.find("speedup over bmp (1.000 ms)"), std::string::npos) << table;
    EXPECT_NE(table.find("approx@1,0.7         0.200   0.6000    5.00x      *"), std::string::npos) << table;
    EXPECT_NE(table.find("approx@20,1          1.500   0.9990    0.67x       \n"), std::string::npos) << table;
    const auto json = curve_json(e);
    EXPECT_EQ(json["best_exact"], "bmp") << json.dump(2);
    ASSERT_EQ(json["points"].size(), 5U) << json.dump(2);
    EXPECT_EQ(json["points"][0]["algorithm"], e[3].label) << json.dump(2);  // by latency, as curve_order
    EXPECT_EQ(json["points"][0]["speedup_vs_best_exact"], 5.0) << json.dump(2);
    EXPECT_EQ(json["points"][4]["pareto_optimal"], false) << json.dump(2);
    EXPECT_EQ(curve_table({e[0], e[1]}), "") << "no approximate variant, no curve section";
    EXPECT_EQ(best_exact({e[3]}), -1);
    EXPECT_NE(curve_table({e[3]}).find("no exact algorithm"), std::string::npos);
}

TEST(BenchCurve, PlotSeriesGroupApproxAndBmpCurves) {
    const auto series = recall_latency_series(sample_entries());
    // approx Pareto front (a line), the dominated approx settings (markers),
    // bmp curve (with exact bmp), exhaustive.
    ASSERT_EQ(series.size(), 4U);
    EXPECT_TRUE(series[0].connected);
    ASSERT_EQ(series[0].points.size(), 2U);
    EXPECT_EQ(series[0].points[0].label, "approx@1,0.7");
    EXPECT_EQ(series[0].points[1].label, "approx@5,0.9");
    for (const auto& p : series[0].points) EXPECT_FALSE(p.hollow);
    EXPECT_FALSE(series[1].connected);
    ASSERT_EQ(series[1].points.size(), 2U);  // dominated, by latency
    EXPECT_EQ(series[1].points[0].label, "approx@3,0.9");
    EXPECT_EQ(series[1].points[1].label, "approx@20,1");
    for (const auto& p : series[1].points) EXPECT_TRUE(p.hollow);
    ASSERT_EQ(series[2].points.size(), 2U);
    EXPECT_EQ(series[2].points[0].label, "bmp@0.8");
    EXPECT_EQ(series[2].points[1].label, "bmp");
    EXPECT_EQ(series[3].name, "exhaustive");
    EXPECT_FALSE(series[3].connected);
    // Without bmp@, exact bmp is a labelled point of its own.
    const auto e = sample_entries();
    const auto plain = recall_latency_series({e[0], e[1]});
    ASSERT_EQ(plain.size(), 2U);
    EXPECT_EQ(plain[1].name, "bmp");
    parse_xml(render_recall_latency_svg(text_of("bench"), series));
}

/// Index of the first element named `name` with attribute `key` = `value` (or -1).
int find_element(const std::vector<Element>& es, const std::string& name, const std::string& key, const std::string& value) {
    for (std::size_t i = 0; i < es.size(); ++i) {
        const auto it = es[i].attrs.find(key);
        if (es[i].name == name && it != es[i].attrs.end() && it->second == value) return static_cast<int>(i);
    }
    return -1;
}

double num(const Element& e, const std::string& key) { return std::stod(e.attrs.at(key)); }

bool is_marker(const Element& e) { return e.name == "circle" || e.name == "rect" || e.name == "polygon"; }

struct Frame {
    double x0 = 0, y0 = 0, x1 = 0, y1 = 0;
};

/// The plot frame: the unfilled rectangle with the dark stroke.
Frame frame_of(const std::vector<Element>& es) {
    for (const auto& e : es) {
        if (e.name == "rect" && e.attrs.contains("fill") && e.attrs.at("fill") == "none" && e.attrs.at("stroke") == "#333333") {
            return {num(e, "x"), num(e, "y"), num(e, "x") + num(e, "width"), num(e, "y") + num(e, "height")};
        }
    }
    ADD_FAILURE() << "no frame";
    return {};
}

TEST(SvgPlot, LegendMarkersMatchTheirSeries) {
    std::vector<PlotSeries> series{
        {"filled curve", {{0.1, 0.8, "a", false}, {0.3, 0.9, "b", false}}, true, false},
        {"hollow points", {{0.2, 0.7, "c", true}, {0.4, 0.75, "d", true}}, false, false},
        {"mixed", {{0.5, 0.95, "e", false}, {0.6, 0.9, "f", true}}, true, false}};
    const std::string svg = render_recall_latency_svg(text_of("legend"), series);
    const auto es = parse_xml(svg);
    const int legend = find_element(es, "g", "class", "legend");
    ASSERT_GE(legend, 0);
    std::vector<const Element*> markers;
    for (std::size_t i = static_cast<std::size_t>(legend) + 2; i < es.size(); ++i) {  // + 2: the group, its box
        if (is_marker(es[i])) markers.push_back(&es[i]);
    }
    ASSERT_EQ(markers.size(), 4U) << "three series and the hollow-marker note";
    EXPECT_EQ(markers[0]->name, "circle");
    EXPECT_NE(markers[0]->attrs.at("fill"), "white") << "filled series, filled legend marker";
    EXPECT_EQ(markers[1]->name, "rect") << "the series' own shape";
    EXPECT_EQ(markers[1]->attrs.at("fill"), "white") << "all-hollow series, hollow legend marker";
    EXPECT_EQ(markers[1]->attrs.at("stroke"), "#d62728") << "in the series' colour";
    EXPECT_NE(markers[2]->attrs.at("fill"), "white");
    EXPECT_EQ(markers[3]->attrs.at("fill"), "white");
    EXPECT_NE(svg.find(">hollow: off the Pareto front<"), std::string::npos);
    // No mixed series, no note.
    series.pop_back();
    EXPECT_EQ(render_recall_latency_svg(text_of("legend"), series).find("hollow:"), std::string::npos);
}

TEST(SvgPlot, LabelsStayInsideTheFrame) {
    // Labelled points crowded at every edge: fastest and slowest latency,
    // recall 1 and the lowest recall; labels all 12 characters long.
    PlotSeries s{"edge", {}, false, true};
    int n = 0;
    for (double ms : {0.01, 0.0101, 0.0102, 0.5, 9.8, 9.9, 10.0}) {
        for (double rec : {0.0, 0.001, 0.5, 0.999, 1.0}) s.points.push_back({ms, rec, fmt::format("setting-{:04}", n++), false});
    }
    PlotText text = text_of("edges");
    text.subtitle.push_back(std::string(220, 'x'));  // a long provenance line widens the document
    text.recall_lines.push_back({0.999, "target recall 0.999"});
    const std::string svg = render_recall_latency_svg(text, {s});
    const auto es = parse_xml(svg);
    const Frame f = frame_of(es);
    const int labels = find_element(es, "g", "class", "labels");
    ASSERT_GE(labels, 0);
    std::size_t checked = 0;
    for (std::size_t i = static_cast<std::size_t>(labels) + 1; i < es.size() && es[i].name == "text"; ++i) {
        const double w = 6.6 * 12;
        const double x = num(es[i], "x");
        const double y = num(es[i], "y");
        const bool end = es[i].attrs.at("text-anchor") == "end";
        const double x0 = end ? x - w : x;
        EXPECT_GE(x0, f.x0 - 1e-6) << "label " << checked << " at " << x << "," << y;
        EXPECT_LE(x0 + w, f.x1 + 1e-6) << "label " << checked << " at " << x << "," << y;
        EXPECT_GE(y - 10, f.y0 - 1e-6) << "label " << checked;
        EXPECT_LE(y, f.y1 + 1e-6) << "label " << checked;
        ++checked;
    }
    EXPECT_EQ(checked, s.points.size());
    EXPECT_GE(num(es[0], "width"), 72 + 6.6 * 220) << "the subtitle fits";
}

TEST(SvgPlot, RecallLineIsHorizontalAcrossTheFrame) {
    PlotText text = text_of("target");
    text.recall_lines.push_back({0.95, "target recall@10 0.95"});
    // Every point above the target: the axis still reaches down to it.
    const std::string svg = render_recall_latency_svg(text, {{"c", {{0.1, 0.97, "", false}, {0.3, 0.99, "", false}}, true, false}});
    const auto es = parse_xml(svg);
    const Frame f = frame_of(es);
    const int at = find_element(es, "line", "stroke-dasharray", "6 4");
    ASSERT_GE(at, 0) << "no dashed line";
    const Element& l = es[static_cast<std::size_t>(at)];
    EXPECT_EQ(num(l, "y1"), num(l, "y2"));
    EXPECT_DOUBLE_EQ(num(l, "x1"), f.x0);
    EXPECT_DOUBLE_EQ(num(l, "x2"), f.x1);
    EXPECT_GT(num(l, "y1"), f.y0);
    EXPECT_LT(num(l, "y1"), f.y1);
    // Below both points (larger y), since its recall is lower.
    const auto poly = find_element(es, "polyline", "stroke-width", "1.8");
    ASSERT_GE(poly, 0);
    EXPECT_NE(svg.find(">target recall@10 0.95<"), std::string::npos);
    EXPECT_NE(svg.find(">0.90<"), std::string::npos) << "the recall axis reaches the target";
    text.recall_lines[0].recall = 1.5;
    EXPECT_THROW(render_recall_latency_svg(text, {}), InvalidArgument);
}

TunePoint tune_point(double ms, double recall, bool timed, std::size_t cut) {
    TunePoint p;
    p.opts.algorithm = Algorithm::approx;
    p.opts.query_cut = cut;
    p.mean_ms = ms;
    p.recall = recall;
    p.timed = timed;
    return p;
}

TEST(BenchCurve, TunePlotDrawsTheParetoFrontAsALine) {
    // In the order tried (a staircase), latency zig-zags; B and E are dominated, G untimed.
    const std::vector<TunePoint> points = {tune_point(0.1, 0.80, true, 1),  tune_point(0.2, 0.70, true, 2),
                                           tune_point(0.3, 0.90, true, 3),  tune_point(0.25, 0.85, true, 4),
                                           tune_point(0.5, 0.88, true, 5),  tune_point(0.6, 0.97, true, 6),
                                           tune_point(5.0, 0.99, false, 7)};
    const auto series = tune_plot_series(points, 5, 0.96);
    ASSERT_EQ(series.size(), 3U);
    EXPECT_TRUE(series[0].connected);
    std::vector<double> ms;
    for (const auto& p : series[0].points) {
        ms.push_back(p.latency_ms);
        EXPECT_FALSE(p.hollow);
    }
    EXPECT_EQ(ms, (std::vector<double>{0.1, 0.25, 0.3, 0.6})) << "the non-dominated timed points, by latency";
    EXPECT_FALSE(series[1].connected);
    ASSERT_EQ(series[1].points.size(), 2U);
    for (const auto& p : series[1].points) EXPECT_TRUE(p.hollow);
    EXPECT_EQ(series[2].name, "chosen (held-out recall 0.9600)");
    ASSERT_EQ(series[2].points.size(), 1U);
    EXPECT_EQ(series[2].points[0].latency_ms, 0.6);
    EXPECT_TRUE(series[2].label_points);
    // Drawn: one polyline, monotone (x increasing, y decreasing: recall up).
    const auto es = parse_xml(render_recall_latency_svg(text_of("tune"), series));
    const int poly = find_element(es, "polyline", "stroke-width", "1.8");
    ASSERT_GE(poly, 0);
    EXPECT_EQ(count(es, "polyline"), 1U);
    std::string pts = es[static_cast<std::size_t>(poly)].attrs.at("points");
    for (char& c : pts) c = c == ',' ? ' ' : c;
    std::istringstream in(pts);
    std::vector<std::pair<double, double>> xy;
    for (double x = 0, y = 0; in >> x >> y;) xy.emplace_back(x, y);
    ASSERT_EQ(xy.size(), 4U);
    for (std::size_t i = 1; i < xy.size(); ++i) {
        EXPECT_GT(xy[i].first, xy[i - 1].first);
        EXPECT_LT(xy[i].second, xy[i - 1].second);
    }
    // Nothing chosen: no chosen series.
    EXPECT_EQ(tune_plot_series(points, std::nullopt, 0).size(), 2U);
}

TEST(BenchCurve, TunedSettingIsMarkedOnTheBenchPlot) {
    const auto entries = sample_entries();
    auto series = recall_latency_series(entries);
    const std::size_t before = series.size();
    series.push_back(tuned_setting_series(entries[3], "query_cut 5, heap_factor 0.9, knn 0"));
    ASSERT_EQ(series.size(), before + 1);
    EXPECT_TRUE(series.back().label_points);
    ASSERT_EQ(series.back().points.size(), 1U);
    EXPECT_EQ(series.back().points[0].latency_ms, entries[3].mean_ms);
    EXPECT_EQ(series.back().points[0].recall, entries[3].recall);
    const std::string svg = render_recall_latency_svg(text_of("bench"), series);
    parse_xml(svg);
    EXPECT_NE(svg.find(">tuned: query_cut 5, heap_factor 0.9, knn 0<"), std::string::npos) << "legend entry";
    EXPECT_NE(svg.find(">tuned (" + entries[3].label + ")<"), std::string::npos) << "point label";
}

}  // namespace
}  // namespace spindle::cli
