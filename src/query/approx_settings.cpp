#include "spindle/query/approx_settings.hpp"

#include <fmt/format.h>

namespace spindle {

const std::vector<ApproxKnob>& approx_knobs() {
    static const std::vector<ApproxKnob> knobs = {
        {"query_cut", "--query-cut", {1, 2, 3, 4, 5, 6, 8, 10, 12, 16, 20, 30},
         [](const SearchOptions& o) { return static_cast<double>(o.query_cut); },
         [](SearchOptions& o, double v) { o.query_cut = static_cast<std::size_t>(v); },
         [](const ApproxDefaults& d) { return static_cast<double>(d.query_cut); },
         [](ApproxDefaults& d, double v) { d.query_cut = static_cast<std::uint64_t>(v); }},
        {"heap_factor", "--heap-factor", {0.6, 0.7, 0.8, 0.85, 0.9, 0.95, 1.0, 1.25, 1.5, 2.0},
         [](const SearchOptions& o) { return o.heap_factor; }, [](SearchOptions& o, double v) { o.heap_factor = v; },
         [](const ApproxDefaults& d) { return d.heap_factor; }, [](ApproxDefaults& d, double v) { d.heap_factor = v; }},
        {"knn", "--knn", {0, 5, 10},
         [](const SearchOptions& o) { return static_cast<double>(o.knn); },
         [](SearchOptions& o, double v) { o.knn = static_cast<std::size_t>(v); },
         [](const ApproxDefaults& d) { return static_cast<double>(d.knn); },
         [](ApproxDefaults& d, double v) { d.knn = static_cast<std::uint64_t>(v); },
         [](const Manifest& m) { return m.approx && m.approx->knn_k > 0; }},
    };
    return knobs;
}

bool apply_stored_defaults(SearchOptions& opts, const Manifest& m, const std::function<bool(std::string_view)>& given) {
    if (!m.approx || !m.approx_defaults) return false;
    for (const auto& knob : approx_knobs()) {
        if (knob.available && !knob.available(m)) continue;
        if (!given(knob.option)) knob.set(opts, knob.get_stored(*m.approx_defaults));
    }
    return true;
}

std::string describe_approx(const SearchOptions& opts) {
    std::string s;
    for (const auto& knob : approx_knobs()) s += fmt::format("{}{} {:g}", s.empty() ? "" : ", ", knob.name, knob.get(opts));
    return s;
}

std::string describe_approx(const ApproxDefaults& d) {
    std::string s;
    for (const auto& knob : approx_knobs()) s += fmt::format("{}{} {:g}", s.empty() ? "" : ", ", knob.name, knob.get_stored(d));
    return s;
}

ApproxDefaults to_defaults(const SearchOptions& opts) {
    ApproxDefaults d;
    for (const auto& knob : approx_knobs()) knob.set_stored(d, knob.get(opts));
    d.k = opts.k;
    return d;
}

}  // namespace spindle
