#pragma once
// The query-time knobs of approximate search in one table. Everything that
// handles them generically iterates approx_knobs(): applying an index's
// stored defaults (spindle search / bench), naming a setting, and the grid
// that spindle tune sweeps. A new knob (e.g. SearchOptions::knn) is one entry
// in approx_knobs() plus its field in SearchOptions and in ApproxDefaults
// (with its two manifest JSON lines).
#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include "spindle/index/manifest.hpp"
#include "spindle/query/searcher.hpp"

namespace spindle {

struct ApproxKnob {
    std::string_view name;     ///< manifest key in approx.defaults and label, e.g. "query_cut"
    std::string_view option;   ///< the spindle search option, e.g. "--query-cut"
    std::vector<double> grid;  ///< values spindle tune tries, from cheapest to most accurate
    double (*get)(const SearchOptions&);
    void (*set)(SearchOptions&, double);
    double (*get_stored)(const ApproxDefaults&);
    void (*set_stored)(ApproxDefaults&, double);
    /// Whether the index supports the knob (nullptr: always). Unsupported
    /// knobs keep their SearchOptions default and are not swept.
    bool (*available)(const Manifest&) = nullptr;
};

/// The knobs, in a fixed order. spindle tune walks the first two as a
/// staircase (both raise recall as they grow) and sweeps the others as a grid.
const std::vector<ApproxKnob>& approx_knobs();

/// Sets every approx knob that `given` (called with the knob's option, e.g.
/// "--query-cut") reports as not chosen by the user from the index's stored
/// defaults. Returns whether the index has stored defaults (and so whether
/// any value could come from them).
bool apply_stored_defaults(SearchOptions& opts, const Manifest& m, const std::function<bool(std::string_view)>& given);

/// "query_cut 5, heap_factor 0.9": the approx knobs of `opts`.
std::string describe_approx(const SearchOptions& opts);

/// "query_cut 5, heap_factor 0.9": the knobs of stored defaults.
std::string describe_approx(const ApproxDefaults& d);

/// The approx knobs of `opts` stored as index defaults (measured fields zero).
ApproxDefaults to_defaults(const SearchOptions& opts);

}  // namespace spindle
