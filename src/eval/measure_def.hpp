#pragma once
// Internal: the table entry of one trec_eval measure.
#include <string>

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
