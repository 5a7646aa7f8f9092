// Graded-gain measures beyond nDCG: ndcg_rel, Rndcg, G, binG, rbp, rbp_resid.
// Gains are the relevance values (overridable per level); the ideal ranking
// takes every judged document with a positive gain, best first.
#include <algorithm>
#include <cmath>

#include "measure_def.hpp"

namespace spindle::eval::calc {
namespace {

double at(const std::vector<double>& v, std::size_t i) { return i < v.size() ? v[i] : 0.0; }

}  // namespace

// nDCG averaged over the relevant documents: at each retrieved one (gain > 0),
// plus the final nDCG for each one not retrieved.
void ndcg_rel(const RankedQuery& q, const SelectedMeasure& m, double* out) {
    const auto ideal = ideal_gains(q, m);
    double dcg = 0;
    double idcg = 0;
    double sum = 0;
    long rel_ret = 0;
    std::size_t i = 0;
    for (; i < q.rels.size(); ++i) {
        const double g = gain_of(q.rels[i], m);
        if (g != 0) dcg += g / discount(i);
        if (i < ideal.size()) idcg += ideal[i] / discount(i);
        if (g > 0) {
            sum += dcg / idcg;
            ++rel_ret;
        }
    }
    for (; i < ideal.size(); ++i) idcg += ideal[i] / discount(i);
    const auto num_rel = static_cast<long>(ideal.size());
    if (idcg > 0) sum += static_cast<double>(num_rel - rel_ret) * dcg / idcg;
    out[0] = sum > 0 && num_rel > 0 ? sum / static_cast<double>(num_rel) : 0.0;
}

// nDCG averaged over the ranks where the ideal gain changes (and the end of
// the run when the ideal ranking is exhausted before it).
void rndcg(const RankedQuery& q, const SelectedMeasure& m, double* out) {
    out[0] = 0;
    if (q.num_rel == 0) return;
    const auto ideal = ideal_gains(q, m);
    const std::size_t n = q.rels.size();
    double dcg = 0;
    double idcg = 0;
    double sum = 0;
    long points = 0;
    double old_ideal = at(ideal, 0);
    auto boundary = [&](std::size_t i) {
        const double ig = at(ideal, i);
        if (ig != old_ideal) {
            if (idcg > 0) {
                sum += dcg / idcg;
                ++points;
            }
            old_ideal = ig;
        }
        return ig;
    };
    std::size_t i = 0;
    // While the ideal ranking still has gain (one rank past its end included).
    for (; i < n && !ideal.empty() && i <= ideal.size(); ++i) {
        const double ig = boundary(i);
        const double g = gain_of(q.rels[i], m);
        if (g != 0) dcg += g / discount(i);
        if (ig > 0) idcg += ig / discount(i);
    }
    if (i < n) {
        for (; i < n; ++i) {
            const double g = gain_of(q.rels[i], m);
            if (g != 0) dcg += g / discount(i);
        }
        if (idcg > 0) {
            sum += dcg / idcg;
            ++points;
        }
    } else {
        for (; i <= ideal.size(); ++i) {
            const double ig = boundary(i);
            if (ig > 0) idcg += ig / discount(i);
        }
    }
    out[0] = points > 0 ? sum / static_cast<double>(points) : 0.0;
}

// G: each document's gain discounted by log2(2 + ideal cost so far - gain so far).
void g_measure(const RankedQuery& q, const SelectedMeasure& m, double* out) {
    const auto ideal = ideal_gains(q, m);
    double sum_ideal = 0;
    for (const double g : ideal) sum_ideal += g;
    double sum_results = 0;
    double sum_cost = 0;
    double result = 0;
    for (std::size_t i = 0; i < q.rels.size(); ++i) {
        const double g = gain_of(q.rels[i], m);
        sum_results += g;
        sum_cost += std::max(at(ideal, i), 1.0);
        if (g != 0) result += g / std::log2(2.0 + sum_cost - sum_results);
    }
    out[0] = sum_ideal > 0 ? result / sum_ideal : 0.0;
}

// Binary G: over the relevant documents, 1 / log2(2 + nonrelevant ones above).
void bin_g(const RankedQuery& q, const SelectedMeasure&, double* out) {
    double sum = 0;
    long rel_so_far = 0;
    for (std::size_t i = 0; i < q.rels.size(); ++i) {
        if (!q.relevant(i)) continue;
        ++rel_so_far;
        sum += 1.0 / std::log2(static_cast<double>(3 + static_cast<long>(i) - rel_so_far));
    }
    out[0] = rel_so_far > 0 && q.num_rel > 0 ? sum / static_cast<double>(q.num_rel) : 0.0;
}

// Rank-biased precision (Moffat & Zobel 2008), persistence 0.9; graded gains
// are scaled to [0, 1] by the highest judged level.
void rbp(const RankedQuery& q, const SelectedMeasure&, double* out) {
    constexpr double p = 0.9;
    const double top = q.judged_desc.empty() ? 0.0 : static_cast<double>(q.judged_desc.front());
    double sum = 0;
    double weight = 1.0;
    for (const long r : q.rels) {
        double g = r > 0 ? static_cast<double>(r) : 0.0;
        if (top > 1) g /= top;
        if (g != 0) sum += g * weight;
        weight *= p;
    }
    out[0] = (1.0 - p) * sum;
}

// RBP residual: the weight of the unjudged ranks plus the tail past the run
// (0 when every retrieved document is judged, as in trec_eval).
void rbp_resid(const RankedQuery& q, const SelectedMeasure&, double* out) {
    constexpr double p = 0.9;
    double sum = 0;
    double weight = 1.0;
    long unjudged = 0;
    for (const long r : q.rels) {
        if (r < 0) {
            ++unjudged;
            sum += weight;
        }
        weight *= p;
    }
    out[0] = unjudged > 0 ? weight + (1.0 - p) * sum : 0.0;
}

}  // namespace spindle::eval::calc
