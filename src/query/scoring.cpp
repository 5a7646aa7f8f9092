#include "spindle/query/scoring.hpp"

#include <algorithm>
#include <cmath>

namespace spindle {

QueryPlan make_query_plan(std::vector<QueryTerm> terms, WeightType wt, float max_stored_weight) {
    QueryPlan plan;
    plan.terms = std::move(terms);
    plan.weights.resize(plan.terms.size());
    if (wt == WeightType::f32) {
        double total = 0;
        for (const auto& t : plan.terms) total += static_cast<double>(t.weight) * static_cast<double>(max_stored_weight);
        // Largest power of two (<= 2^40) keeping the worst-case sum below 2^62.
        int shift = 40;
        while (shift > -60 && total * std::ldexp(1.0, shift) >= std::ldexp(1.0, 62)) --shift;
        const double fixed = std::ldexp(1.0, shift);
        for (std::size_t i = 0; i < plan.terms.size(); ++i) plan.weights[i].qd = static_cast<double>(plan.terms[i].weight) * fixed;
        plan.inv_scale = 1.0 / fixed;
        return plan;
    }
    // Integer codes: keep integer query weights as they are (impact queries);
    // otherwise scale the largest weight to 2^20.
    constexpr double kMaxQ = 1 << 20;
    bool integral = true;
    float max_w = 0;
    for (const auto& t : plan.terms) {
        integral = integral && t.weight == std::floor(t.weight) && static_cast<double>(t.weight) <= kMaxQ;
        max_w = std::max(max_w, t.weight);
    }
    const double qscale = (integral || max_w <= 0) ? 1.0 : kMaxQ / static_cast<double>(max_w);
    for (std::size_t i = 0; i < plan.terms.size(); ++i) {
        // A positive weight never becomes multiplier 0 (its documents must still score).
        const auto qi = static_cast<std::uint64_t>(std::llround(static_cast<double>(plan.terms[i].weight) * qscale));
        plan.weights[i].qi = qi == 0 && plan.terms[i].weight > 0 ? 1 : qi;
    }
    plan.inv_scale = 1.0 / qscale;
    return plan;
}

}  // namespace spindle
