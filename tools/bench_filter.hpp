#pragma once
// `spindle bench --filter`: every variant runs under a payload filter,
// through the collection's search (filter evaluation included in the
// latency), with recall against the exact top-k under the same filter; and
// the post-filtering baseline (`postfilter@C,H`): unfiltered approx with k
// inflated to ceil(k / selectivity), then the points outside the filter
// dropped. Several --filter options make a selectivity sweep: one table,
// one JSON report and one SVG.
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "spindle/collection/collection.hpp"
#include "spindle/collection/point.hpp"
#include "spindle/formats/input_format.hpp"
#include "spindle/query/searcher.hpp"

namespace spindle::cli {

/// "postfilter" or "postfilter@C,H[,KNN]": rewrites `spec` to the approx
/// spec it runs ("approx", "approx@C,H[,KNN]") and returns true; false (spec
/// untouched) for any other spec.
bool strip_postfilter(std::string& spec);

/// One --filter of the sweep: the text given ("none": no filter) and the filter.
struct FilterCase {
    std::string spec;
    std::shared_ptr<const Filter> filter;  ///< null for "none"
};

/// Parses every --filter (before anything is measured): InvalidArgument
/// naming the filter given, "--filter '{...}': filter: must[0]...".
std::vector<FilterCase> parse_filter_cases(const std::vector<std::string>& specs);

/// A variant to time under each filter; opts resolved (stored approx
/// defaults applied), opts.k the k asked.
struct FilterBenchVariant {
    std::string label;
    SearchOptions opts;
    bool postfilter = false;  ///< unfiltered approx with k inflated, then filtered
};

struct FilterBenchArgs {
    std::string index;
    std::string vector;
    std::string queries;
    std::size_t k = 10;
    unsigned warmup = 1;
    unsigned runs = 3;
    bool sequential = false;
    bool quiet = false;
    std::string json;
    std::string svg;
};

/// k of the post-filtering search: ceil(k / (matched / live)), at most the live points (all of them when none matches).
std::size_t postfilter_k(std::size_t k, std::uint64_t matched, std::uint64_t live);

/// Measures every variant under every filter case and prints (and writes
/// as JSON / SVG) the report.
void run_filter_bench(const Collection& coll, const std::vector<TextQuery>& queries,
                      const std::vector<FilterCase>& cases, const std::vector<FilterBenchVariant>& variants,
                      const FilterBenchArgs& a);

}  // namespace spindle::cli
