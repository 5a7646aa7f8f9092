#pragma once
// Internal: the table entry of one trec_eval measure.
#include <algorithm>
#include <cmath>
#include <functional>
#include <string>
#include <vector>

#include "spindle/eval/measures.hpp"

namespace spindle::eval {

enum class ParamKind {
    None,       ///< no parameters
    Cutoffs,    ///< integer ranks, one value each, printed "name_10"
    Fractions,  ///< real numbers, one value each, printed "name_0.20"
    Reals,      ///< real numbers, one value; printed "name_<params>" when given
    Gains,      ///< "rel=gain" pairs, one value; printed "name_<params>" when given
};

using ComputeFn = void (*)(const RankedQuery& q, const SelectedMeasure& m, double* out);
/// For text measures (relstring), printed per query only.
using TextFn = std::string (*)(const RankedQuery& q, const SelectedMeasure& m);

struct MeasureDef {
    const char* name;
    ParamKind params;
    const char* defaults;  ///< default parameter string (trec_eval's)
    Aggregate aggregate;
    ComputeFn compute;     ///< nullptr for runid, num_q and text measures
    TextFn text = nullptr;
};

namespace calc {

/// nDCG-family discount of the document at 0-based rank i: log2(i + 2).
inline double discount(std::size_t i) { return std::log2(static_cast<double>(i + 2)); }

/// Gain of a relevance value: the "rel=gain" override if given, else the value
/// itself (0 for unjudged and non-pool documents).
inline double gain_of(long rel, const SelectedMeasure& m) {
    for (const auto& [level, gain] : m.gains) {
        if (level == rel) return gain;
    }
    return rel > 0 ? static_cast<double>(rel) : 0.0;
}

/// The ideal ranking's gains: every judged document with a positive gain, best first.
inline std::vector<double> ideal_gains(const RankedQuery& q, const SelectedMeasure& m) {
    std::vector<double> ideal;
    for (const long r : q.judged_desc) {
        const double g = gain_of(r, m);
        if (g > 0) ideal.push_back(g);
    }
    std::sort(ideal.begin(), ideal.end(), std::greater<>());
    return ideal;
}

void num_ret(const RankedQuery& q, const SelectedMeasure& m, double* out);
void num_rel(const RankedQuery& q, const SelectedMeasure& m, double* out);
void num_rel_ret(const RankedQuery& q, const SelectedMeasure& m, double* out);
void map(const RankedQuery& q, const SelectedMeasure& m, double* out);
void rprec(const RankedQuery& q, const SelectedMeasure& m, double* out);
void bpref(const RankedQuery& q, const SelectedMeasure& m, double* out);
void recip_rank(const RankedQuery& q, const SelectedMeasure& m, double* out);
void iprec_at_recall(const RankedQuery& q, const SelectedMeasure& m, double* out);
void precision(const RankedQuery& q, const SelectedMeasure& m, double* out);
void recall(const RankedQuery& q, const SelectedMeasure& m, double* out);
void rprec_mult(const RankedQuery& q, const SelectedMeasure& m, double* out);
void utility(const RankedQuery& q, const SelectedMeasure& m, double* out);
void eleven_pt_avg(const RankedQuery& q, const SelectedMeasure& m, double* out);
void ndcg(const RankedQuery& q, const SelectedMeasure& m, double* out);
void ndcg_cut(const RankedQuery& q, const SelectedMeasure& m, double* out);
void map_cut(const RankedQuery& q, const SelectedMeasure& m, double* out);
void relative_p(const RankedQuery& q, const SelectedMeasure& m, double* out);
void success(const RankedQuery& q, const SelectedMeasure& m, double* out);
void set_p(const RankedQuery& q, const SelectedMeasure& m, double* out);
void set_relative_p(const RankedQuery& q, const SelectedMeasure& m, double* out);
void set_recall(const RankedQuery& q, const SelectedMeasure& m, double* out);
void set_map(const RankedQuery& q, const SelectedMeasure& m, double* out);
void set_f(const RankedQuery& q, const SelectedMeasure& m, double* out);
void num_nonrel_judged_ret(const RankedQuery& q, const SelectedMeasure& m, double* out);
void inf_ap(const RankedQuery& q, const SelectedMeasure& m, double* out);
void bin_g(const RankedQuery& q, const SelectedMeasure& m, double* out);
void g_measure(const RankedQuery& q, const SelectedMeasure& m, double* out);
void ndcg_rel(const RankedQuery& q, const SelectedMeasure& m, double* out);
void rndcg(const RankedQuery& q, const SelectedMeasure& m, double* out);
void rbp(const RankedQuery& q, const SelectedMeasure& m, double* out);
void rbp_resid(const RankedQuery& q, const SelectedMeasure& m, double* out);
void unj(const RankedQuery& q, const SelectedMeasure& m, double* out);
std::string relstring(const RankedQuery& q, const SelectedMeasure& m);
}  // namespace calc

}  // namespace spindle::eval
