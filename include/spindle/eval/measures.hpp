#pragma once
// trec_eval measures: names, parameters ("P.5,10", "ndcg.1=3,2=9"), the
// nicknames "official" and "all_trec", and per-query computation.
#include <cstddef>
#include <string>
#include <vector>

#include "spindle/eval/ranked_query.hpp"

namespace spindle::eval {

/// How per-query values become the "all" line.
enum class Aggregate {
    Sum,      ///< num_ret, num_rel, ...: summed, printed as integers
    Mean,     ///< arithmetic mean over the evaluated queries
    GeoMean,  ///< gm_map, gm_bpref: exp(mean(log(max(v, 1e-5))))
    None,     ///< per query only (relstring, a text value)
};

/// One printed value, e.g. "P_10" of measure "P".
struct ValueInfo {
    std::string name;
    Aggregate aggregate = Aggregate::Mean;
    bool text = false;  ///< the value is a string (QueryEvaluation::texts)
    [[nodiscard]] bool integer() const { return aggregate == Aggregate::Sum; }
};

struct MeasureDef;  // measures.cpp: the table of implemented measures

/// A measure selected on the command line with its resolved parameters.
struct SelectedMeasure {
    const MeasureDef* def = nullptr;
    std::vector<long> cutoffs;                   ///< P, recall, ndcg_cut, ... (ascending)
    std::vector<double> fractions;               ///< iprec_at_recall, Rprec_mult, 11pt_avg, utility
    std::vector<std::pair<long, double>> gains;  ///< ndcg: rel_level=gain overrides
    std::size_t first_value = 0;                 ///< index of its first value in MeasureSet::values()
};

/// The measures to compute, in trec_eval's output order (its measure table
/// order, whatever the order of the -m arguments).
class MeasureSet {
public:
    /// Resolves trec_eval -m arguments ("map", "P.5,10", "official",
    /// "all_trec"); an empty list means "official", as in trec_eval. Throws
    /// InvalidArgument for an unknown measure (listing the valid ones) or bad
    /// parameters.
    static MeasureSet parse(const std::vector<std::string>& args);

    [[nodiscard]] const std::vector<ValueInfo>& values() const { return values_; }
    [[nodiscard]] bool prints_runid() const { return runid_; }
    [[nodiscard]] bool prints_num_q() const { return num_q_; }
    /// Fills values()-sized `out` for one query; `texts` gets the text
    /// values (same indices) when has_text().
    void compute(const RankedQuery& q, std::vector<double>& out, std::vector<std::string>& texts) const;
    [[nodiscard]] bool has_text() const { return has_text_; }

private:
    std::vector<SelectedMeasure> measures_;
    std::vector<ValueInfo> values_;
    bool runid_ = false;
    bool num_q_ = false;
    bool has_text_ = false;
};

/// Names accepted by -m, comma-separated (for help and error messages).
std::string measure_names();

}  // namespace spindle::eval
