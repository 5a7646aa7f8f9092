// Measures at rank cutoffs and recall points: P, recall, success, map_cut,
// relative_P, iprec_at_recall, 11pt_avg, Rprec_mult.
#include <algorithm>
#include <cmath>

#include "measure_def.hpp"

namespace spindle::eval::calc {
namespace {

double ratio(long num, long den) { return den > 0 ? static_cast<double>(num) / static_cast<double>(den) : 0.0; }

/// Interpolated precision at the point where `needed` relevant documents have
/// been retrieved: the best precision at that rank or any later one; 0 if the
/// run never retrieves that many (trec_eval's iprec_at_recall).
class InterpolatedPrecision {
public:
    explicit InterpolatedPrecision(const RankedQuery& q) : best_from_(q.rels.size() + 1, 0.0) {
        for (std::size_t i = q.rels.size(); i > 0; --i) {
            const double p = static_cast<double>(q.rel_prefix[i]) / static_cast<double>(i);
            best_from_[i - 1] = std::max(best_from_[i], p);
        }
        for (std::size_t i = 0; i < q.rels.size(); ++i) {
            if (q.relevant(i)) rel_rank_.push_back(i);
        }
    }
    [[nodiscard]] double at(long needed) const {
        if (needed < 1) needed = 1;
        if (needed > static_cast<long>(rel_rank_.size())) return 0.0;
        return best_from_[rel_rank_[static_cast<std::size_t>(needed - 1)]];
    }

private:
    std::vector<double> best_from_;  ///< best_from_[i]: max precision at ranks i+1..num_ret
    std::vector<std::size_t> rel_rank_;
};

}  // namespace

void precision(const RankedQuery& q, const SelectedMeasure& m, double* out) {
    for (std::size_t c = 0; c < m.cutoffs.size(); ++c) out[c] = ratio(q.rel_in_top(m.cutoffs[c]), m.cutoffs[c]);
}

void recall(const RankedQuery& q, const SelectedMeasure& m, double* out) {
    for (std::size_t c = 0; c < m.cutoffs.size(); ++c) out[c] = ratio(q.rel_in_top(m.cutoffs[c]), q.num_rel);
}

void success(const RankedQuery& q, const SelectedMeasure& m, double* out) {
    for (std::size_t c = 0; c < m.cutoffs.size(); ++c) out[c] = q.rel_in_top(m.cutoffs[c]) > 0 ? 1.0 : 0.0;
}

// Precision at k divided by the best possible precision at k.
void relative_p(const RankedQuery& q, const SelectedMeasure& m, double* out) {
    for (std::size_t c = 0; c < m.cutoffs.size(); ++c) {
        out[c] = ratio(q.rel_in_top(m.cutoffs[c]), std::min(m.cutoffs[c], q.num_rel));
    }
}

// Average precision over the first k documents (still divided by num_rel).
void map_cut(const RankedQuery& q, const SelectedMeasure& m, double* out) {
    const std::size_t n = m.cutoffs.size();
    double sum = 0;
    long rel_so_far = 0;
    std::size_t c = 0;
    for (std::size_t i = 0; i < q.rels.size(); ++i) {
        while (c < n && static_cast<long>(i) == m.cutoffs[c]) out[c++] = sum;
        if (c == n) break;
        if (q.relevant(i)) {
            ++rel_so_far;
            sum += static_cast<double>(rel_so_far) / static_cast<double>(i + 1);
        }
    }
    for (; c < n; ++c) out[c] = sum;
    for (std::size_t k = 0; k < n; ++k) out[k] = q.num_rel > 0 ? out[k] / static_cast<double>(q.num_rel) : 0.0;
}

void iprec_at_recall(const RankedQuery& q, const SelectedMeasure& m, double* out) {
    const InterpolatedPrecision ip(q);
    for (std::size_t c = 0; c < m.fractions.size(); ++c) {
        out[c] = ip.at(std::lround(m.fractions[c] * static_cast<double>(q.num_rel)));
    }
}

// Mean interpolated precision over the recall points, summed from the highest
// point down as trec_eval does (the last bits of the sum depend on the order).
void eleven_pt_avg(const RankedQuery& q, const SelectedMeasure& m, double* out) {
    const InterpolatedPrecision ip(q);
    double sum = 0;
    for (std::size_t c = m.fractions.size(); c > 0; --c) {
        sum += ip.at(std::lround(m.fractions[c - 1] * static_cast<double>(q.num_rel)));
    }
    out[0] = m.fractions.empty() ? 0.0 : sum / static_cast<double>(m.fractions.size());
}

// Precision after mult * num_rel documents (rounded up from .1, as trec_eval).
void rprec_mult(const RankedQuery& q, const SelectedMeasure& m, double* out) {
    for (std::size_t c = 0; c < m.fractions.size(); ++c) {
        const auto cut = static_cast<long>(m.fractions[c] * static_cast<double>(q.num_rel) + 0.9);
        out[c] = cut > q.num_ret ? ratio(q.num_rel_ret, cut) : ratio(q.rel_in_top(cut), cut);
    }
}

}  // namespace spindle::eval::calc
