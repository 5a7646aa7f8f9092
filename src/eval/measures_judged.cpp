// Measures about judgment coverage: infAP, unj, relstring.
#include "measure_def.hpp"

namespace spindle::eval::calc {

// Inferred AP (Yilmaz & Aslam 2006) as trec_eval computes it: documents in
// the pool but unjudged (negative qrels value) are inferred from the judged
// ones above; documents outside the pool are skipped.
void inf_ap(const RankedQuery& q, const SelectedMeasure&, double* out) {
    constexpr double eps = 0.00001;
    double sum = 0;
    long rel_so_far = 0;
    long nonrel_so_far = 0;
    long unjudged_so_far = 0;
    for (std::size_t j = 0; j < q.rels.size(); ++j) {
        const long r = q.rels[j];
        if (r == kNotInPool) continue;
        if (r == kUnjudged) {
            ++unjudged_so_far;
            continue;
        }
        if (r < q.relevance_level) {
            ++nonrel_so_far;
            continue;
        }
        ++rel_so_far;
        if (j == 0) {
            sum += 1.0;
        } else {
            const auto fj = static_cast<double>(j);
            const auto above = static_cast<double>(rel_so_far - 1 + nonrel_so_far + unjudged_so_far);
            const auto rel_above = static_cast<double>(rel_so_far - 1);
            sum += 1.0 / (fj + 1.0) + (fj / (fj + 1.0)) * (above / fj) *
                                          ((rel_above + eps) / (rel_above + static_cast<double>(nonrel_so_far) + 2 * eps));
        }
    }
    out[0] = q.num_rel > 0 ? sum / static_cast<double>(q.num_rel) : sum;
}

// Fraction of the first k documents outside the pool or unjudged.
void unj(const RankedQuery& q, const SelectedMeasure& m, double* out) {
    for (std::size_t c = 0; c < m.cutoffs.size(); ++c) {
        const auto k = static_cast<std::size_t>(m.cutoffs[c]);
        long n = 0;
        for (std::size_t i = 0; i < std::min(k, q.rels.size()); ++i) n += q.rels[i] < 0 ? 1 : 0;
        out[c] = static_cast<double>(n) / static_cast<double>(k);
    }
}

// The relevance of the first N documents as characters: 0-9, '>' above 9,
// '-' not in the pool, '.' unjudged.
std::string relstring(const RankedQuery& q, const SelectedMeasure& m) {
    const double wanted = m.fractions.empty() ? 10.0 : m.fractions[0];
    const std::size_t len = wanted <= 0 ? 0 : std::min(static_cast<std::size_t>(wanted), q.rels.size());
    std::string s;
    for (std::size_t i = 0; i < len; ++i) {
        const long r = q.rels[i];
        if (r > 9) {
            s += '>';
        } else if (r >= 0) {
            s += static_cast<char>('0' + r);
        } else if (r == kNotInPool) {
            s += '-';
        } else {
            s += '.';
        }
    }
    return s;
}

}  // namespace spindle::eval::calc
