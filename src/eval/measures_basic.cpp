// Whole-ranking measures: counts, map, Rprec, bpref, recip_rank, set_*, utility.
#include <algorithm>

#include "measure_def.hpp"

namespace spindle::eval::calc {
namespace {
double ratio(long num, long den) { return den > 0 ? static_cast<double>(num) / static_cast<double>(den) : 0.0; }
}  // namespace

void num_ret(const RankedQuery& q, const SelectedMeasure&, double* out) { out[0] = static_cast<double>(q.num_ret); }
void num_rel(const RankedQuery& q, const SelectedMeasure&, double* out) { out[0] = static_cast<double>(q.num_rel); }
void num_rel_ret(const RankedQuery& q, const SelectedMeasure&, double* out) {
    out[0] = static_cast<double>(q.num_rel_ret);
}

void num_nonrel_judged_ret(const RankedQuery& q, const SelectedMeasure&, double* out) {
    long n = 0;
    for (const long r : q.rels) n += (r >= 0 && r < q.relevance_level) ? 1 : 0;
    out[0] = static_cast<double>(n);
}

// Average precision: mean over the relevant documents of the precision at their rank.
void map(const RankedQuery& q, const SelectedMeasure&, double* out) {
    double sum = 0;
    long rel_so_far = 0;
    for (std::size_t i = 0; i < q.rels.size(); ++i) {
        if (!q.relevant(i)) continue;
        ++rel_so_far;
        sum += static_cast<double>(rel_so_far) / static_cast<double>(i + 1);
    }
    out[0] = q.num_rel > 0 ? sum / static_cast<double>(q.num_rel) : 0.0;
}

// Precision after num_rel documents.
void rprec(const RankedQuery& q, const SelectedMeasure&, double* out) { out[0] = ratio(q.rel_in_top(q.num_rel), q.num_rel); }

// Buckley & Voorhees 2004, as trec_eval computes it: unjudged documents are
// skipped; each relevant one scores 1 - min(nonrel above, R) / min(N, R).
void bpref(const RankedQuery& q, const SelectedMeasure&, double* out) {
    double sum = 0;
    long nonrel_so_far = 0;
    for (const long r : q.rels) {
        if (r < 0) continue;  // not in the pool, or in the pool but unjudged
        if (r < q.relevance_level) {
            ++nonrel_so_far;
        } else if (nonrel_so_far > 0) {
            sum += 1.0 - static_cast<double>(std::min(nonrel_so_far, q.num_rel)) /
                             static_cast<double>(std::min(q.num_nonrel, q.num_rel));
        } else {
            sum += 1.0;
        }
    }
    out[0] = q.num_rel > 0 ? sum / static_cast<double>(q.num_rel) : sum;
}

void recip_rank(const RankedQuery& q, const SelectedMeasure&, double* out) {
    out[0] = 0;
    for (std::size_t i = 0; i < q.rels.size(); ++i) {
        if (q.relevant(i)) {
            out[0] = 1.0 / static_cast<double>(i + 1);
            return;
        }
    }
}

void set_p(const RankedQuery& q, const SelectedMeasure&, double* out) { out[0] = ratio(q.num_rel_ret, q.num_ret); }
void set_relative_p(const RankedQuery& q, const SelectedMeasure&, double* out) {
    out[0] = ratio(q.num_rel_ret, std::min(q.num_ret, q.num_rel));
}
void set_recall(const RankedQuery& q, const SelectedMeasure&, double* out) { out[0] = ratio(q.num_rel_ret, q.num_rel); }
void set_map(const RankedQuery& q, const SelectedMeasure&, double* out) {
    out[0] = ratio(q.num_rel_ret, q.num_ret) * ratio(q.num_rel_ret, q.num_rel);
}

// F-measure of set precision and recall; the parameter is beta.
void set_f(const RankedQuery& q, const SelectedMeasure& m, double* out) {
    const double beta = m.fractions[0];
    const double p = ratio(q.num_rel_ret, q.num_ret);
    const double r = ratio(q.num_rel_ret, q.num_rel);
    out[0] = q.num_rel_ret > 0 ? (beta * beta + 1.0) * p * r / (beta * beta * p + r) : 0.0;
}

// a*rel_ret + b*nonrel_ret + c*rel_not_ret + d*nonrel_not_ret; the collection
// size is unknown (trec_eval's -N defaults to 0), as in trec_eval.
void utility(const RankedQuery& q, const SelectedMeasure& m, double* out) {
    const auto& c = m.fractions;
    const auto d = [](long v) { return static_cast<double>(v); };
    out[0] = c[0] * d(q.num_rel_ret) + c[1] * d(q.num_ret - q.num_rel_ret) + c[2] * d(q.num_rel - q.num_rel_ret) +
             c[3] * d(q.num_rel_ret - q.num_ret - q.num_rel);
}

}  // namespace spindle::eval::calc
