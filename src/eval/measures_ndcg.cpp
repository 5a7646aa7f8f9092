// nDCG (Jarvelin & Kekalainen 2002) as trec_eval computes it: gain = the
// relevance value (overridable per level for ndcg), discount log2(rank + 1),
// ideal ranking = every judged document sorted by gain.
#include <algorithm>

#include "measure_def.hpp"

namespace spindle::eval::calc {

void ndcg(const RankedQuery& q, const SelectedMeasure& m, double* out) {
    double dcg = 0;
    for (std::size_t i = 0; i < q.rels.size(); ++i) {
        if (q.rels[i] < 0) continue;  // not judged: no gain
        const double g = gain_of(q.rels[i], m);
        if (g != 0) dcg += g / discount(i);
    }
    const auto ideal = ideal_gains(q, m);
    double idcg = 0;
    for (std::size_t i = 0; i < ideal.size(); ++i) idcg += ideal[i] / discount(i);
    out[0] = idcg > 0 ? dcg / idcg : 0.0;
}

// nDCG of the first k documents against the ideal first k; gains are the
// relevance values (levels >= 1), whatever the relevance threshold.
void ndcg_cut(const RankedQuery& q, const SelectedMeasure& m, double* out) {
    for (std::size_t c = 0; c < m.cutoffs.size(); ++c) {
        const auto k = static_cast<std::size_t>(m.cutoffs[c]);
        double dcg = 0;
        for (std::size_t i = 0; i < std::min(k, q.rels.size()); ++i) {
            if (q.rels[i] > 0) dcg += static_cast<double>(q.rels[i]) / discount(i);
        }
        double idcg = 0;
        for (std::size_t i = 0; i < std::min(k, q.judged_desc.size()) && q.judged_desc[i] > 0; ++i) {
            idcg += static_cast<double>(q.judged_desc[i]) / discount(i);
        }
        out[c] = idcg > 0 ? dcg / idcg : 0.0;
    }
}

}  // namespace spindle::eval::calc
