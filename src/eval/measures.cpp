// The measure table (in trec_eval's output order), -m parsing and nicknames.
#include "spindle/eval/measures.hpp"

#include <algorithm>
#include <array>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <string_view>

#include "measure_def.hpp"
#include "spindle/common/error.hpp"

namespace spindle::eval {
namespace {

constexpr const char* kCutoffs = "5,10,15,20,30,100,200,500,1000";
constexpr const char* kRecallPoints = "0.0,0.1,0.2,0.3,0.4,0.5,0.6,0.7,0.8,0.9,1.0";

// trec_eval's measure table order, restricted to the measures spindle implements.
constexpr auto kMeasures = std::to_array<MeasureDef>({
    {"runid", ParamKind::None, "", Aggregate::Mean, nullptr},
    {"num_q", ParamKind::None, "", Aggregate::Sum, nullptr},
    {"num_ret", ParamKind::None, "", Aggregate::Sum, calc::num_ret},
    {"num_rel", ParamKind::None, "", Aggregate::Sum, calc::num_rel},
    {"num_rel_ret", ParamKind::None, "", Aggregate::Sum, calc::num_rel_ret},
    {"map", ParamKind::None, "", Aggregate::Mean, calc::map},
    {"gm_map", ParamKind::None, "", Aggregate::GeoMean, calc::map},
    {"Rprec", ParamKind::None, "", Aggregate::Mean, calc::rprec},
    {"bpref", ParamKind::None, "", Aggregate::Mean, calc::bpref},
    {"recip_rank", ParamKind::None, "", Aggregate::Mean, calc::recip_rank},
    {"iprec_at_recall", ParamKind::Fractions, kRecallPoints, Aggregate::Mean, calc::iprec_at_recall},
    {"P", ParamKind::Cutoffs, kCutoffs, Aggregate::Mean, calc::precision},
    {"relstring", ParamKind::Reals, "10", Aggregate::None, nullptr, calc::relstring},
    {"recall", ParamKind::Cutoffs, kCutoffs, Aggregate::Mean, calc::recall},
    {"infAP", ParamKind::None, "", Aggregate::Mean, calc::inf_ap},
    {"gm_bpref", ParamKind::None, "", Aggregate::GeoMean, calc::bpref},
    {"Rprec_mult", ParamKind::Fractions, "0.2,0.4,0.6,0.8,1.0,1.2,1.4,1.6,1.8,2.0", Aggregate::Mean,
     calc::rprec_mult},
    {"utility", ParamKind::Reals, "1.0,-1.0,0.0,0.0", Aggregate::Mean, calc::utility},
    {"11pt_avg", ParamKind::Reals, kRecallPoints, Aggregate::Mean, calc::eleven_pt_avg},
    {"binG", ParamKind::None, "", Aggregate::Mean, calc::bin_g},
    {"G", ParamKind::Gains, "", Aggregate::Mean, calc::g_measure},
    {"ndcg", ParamKind::Gains, "", Aggregate::Mean, calc::ndcg},
    {"ndcg_rel", ParamKind::Gains, "", Aggregate::Mean, calc::ndcg_rel},
    {"Rndcg", ParamKind::Gains, "", Aggregate::Mean, calc::rndcg},
    {"ndcg_cut", ParamKind::Cutoffs, kCutoffs, Aggregate::Mean, calc::ndcg_cut},
    {"map_cut", ParamKind::Cutoffs, kCutoffs, Aggregate::Mean, calc::map_cut},
    {"relative_P", ParamKind::Cutoffs, kCutoffs, Aggregate::Mean, calc::relative_p},
    {"success", ParamKind::Cutoffs, "1,5,10", Aggregate::Mean, calc::success},
    {"set_P", ParamKind::None, "", Aggregate::Mean, calc::set_p},
    {"set_relative_P", ParamKind::None, "", Aggregate::Mean, calc::set_relative_p},
    {"set_recall", ParamKind::None, "", Aggregate::Mean, calc::set_recall},
    {"set_map", ParamKind::None, "", Aggregate::Mean, calc::set_map},
    {"set_F", ParamKind::Reals, "1.0", Aggregate::Mean, calc::set_f},
    {"num_nonrel_judged_ret", ParamKind::None, "", Aggregate::Sum, calc::num_nonrel_judged_ret},
    {"rbp", ParamKind::None, "", Aggregate::Mean, calc::rbp},
    {"rbp_resid", ParamKind::None, "", Aggregate::Mean, calc::rbp_resid},
    {"unj", ParamKind::Cutoffs, "5,10,20", Aggregate::Mean, calc::unj},
});

// trec_eval's "official" nickname (its default when no -m is given).
constexpr std::array<std::string_view, 12> kOfficial{"runid",       "num_q", "num_ret", "num_rel",
                                                     "num_rel_ret", "map",   "gm_map",  "Rprec",
                                                     "bpref",       "recip_rank", "iprec_at_recall", "P"};

const MeasureDef* find_def(std::string_view name) {
    for (const auto& d : kMeasures) {
        if (name == d.name) return &d;
    }
    return nullptr;
}

std::vector<std::string_view> split_commas(std::string_view s) {
    std::vector<std::string_view> out;
    std::size_t start = 0;
    for (;;) {
        const auto comma = s.find(',', start);
        out.push_back(s.substr(start, comma == std::string_view::npos ? std::string_view::npos : comma - start));
        if (comma == std::string_view::npos) break;
        start = comma + 1;
    }
    return out;
}

double to_double(std::string_view arg, std::string_view s) {
    const std::string str(s);
    char* end = nullptr;
    const double v = std::strtod(str.c_str(), &end);
    if (str.empty() || end != str.c_str() + str.size() || !std::isfinite(v)) {
        throw InvalidArgument("measure '" + std::string(arg) + "': parameter '" + str + "' is not a number");
    }
    return v;
}

/// Fills `m`'s parameters from `params` (the text after the first '.').
void set_params(SelectedMeasure& m, std::string_view arg, std::string_view params) {
    m.cutoffs.clear();
    m.fractions.clear();
    m.gains.clear();
    if (params.empty()) return;
    for (const auto p : split_commas(params)) {
        switch (m.def->params) {
            case ParamKind::None:
                throw InvalidArgument("measure '" + std::string(m.def->name) + "' takes no parameters (got '" +
                                      std::string(arg) + "')");
            case ParamKind::Cutoffs: {
                // trec_eval reads cutoffs with atol: "23.4" is 23.
                const double v = to_double(arg, p);
                if (v < 1 || v > 1e12) {
                    throw InvalidArgument("measure '" + std::string(arg) + "': cutoff '" + std::string(p) +
                                          "' must be a positive number of documents");
                }
                m.cutoffs.push_back(static_cast<long>(v));
                break;
            }
            case ParamKind::Fractions:
            case ParamKind::Reals: m.fractions.push_back(to_double(arg, p)); break;
            case ParamKind::Gains: {
                const auto eq = p.find('=');
                if (eq == std::string_view::npos) {
                    throw InvalidArgument("measure '" + std::string(arg) + "': parameter '" + std::string(p) +
                                          "' is not rel_level=gain");
                }
                const double level = to_double(arg, p.substr(0, eq));
                if (level < 0 || level != std::floor(level)) {
                    throw InvalidArgument("measure '" + std::string(arg) + "': relevance level '" +
                                          std::string(p.substr(0, eq)) + "' is not a non-negative integer");
                }
                m.gains.emplace_back(static_cast<long>(level), to_double(arg, p.substr(eq + 1)));
                break;
            }
        }
    }
    std::sort(m.cutoffs.begin(), m.cutoffs.end());
    m.cutoffs.erase(std::unique(m.cutoffs.begin(), m.cutoffs.end()), m.cutoffs.end());
    if (m.def->params == ParamKind::Fractions) {
        std::sort(m.fractions.begin(), m.fractions.end());
        m.fractions.erase(std::unique(m.fractions.begin(), m.fractions.end()), m.fractions.end());
    }
    if (m.def->params == ParamKind::Reals && std::string_view(m.def->name) == "11pt_avg") {
        std::sort(m.fractions.begin(), m.fractions.end());
    }
    if (std::string_view(m.def->name) == "utility" && m.fractions.size() != 4) {
        throw InvalidArgument("measure '" + std::string(arg) + "': utility takes exactly 4 coefficients");
    }
    if (std::string_view(m.def->name) == "set_F" && m.fractions.size() != 1) {
        throw InvalidArgument("measure '" + std::string(arg) + "': set_F takes one parameter (beta)");
    }
}

std::string fraction_name(const char* base, double f) {
    char buf[64];
    std::snprintf(buf, sizeof buf, "%s_%3.2f", base, f);
    return buf;
}

}  // namespace

std::string measure_names() {
    std::string out = "official, all_trec";
    for (const auto& d : kMeasures) {
        out += ", ";
        out += d.name;
    }
    return out;
}

MeasureSet MeasureSet::parse(const std::vector<std::string>& args) {
    // Per table entry: selected?, explicit parameter text (empty = defaults).
    std::array<bool, kMeasures.size()> selected{};
    std::array<std::string, kMeasures.size()> given{};
    auto select = [&](std::string_view name) { selected[static_cast<std::size_t>(find_def(name) - kMeasures.data())] = true; };
    std::vector<std::string> list = args;
    if (list.empty()) list.emplace_back("official");
    for (const auto& arg : list) {
        const auto dot = arg.find('.');
        const std::string_view name = std::string_view(arg).substr(0, dot);
        const std::string_view params = dot == std::string::npos ? std::string_view{} : std::string_view(arg).substr(dot + 1);
        if (name == "official" || name == "all_trec") {
            if (!params.empty()) throw InvalidArgument("measure nickname '" + arg + "' takes no parameters");
            if (name == "official") {
                for (const auto n : kOfficial) select(n);
            } else {
                selected.fill(true);
            }
            continue;
        }
        const MeasureDef* def = find_def(name);
        if (def == nullptr) {
            throw InvalidArgument("unknown measure '" + arg + "'; valid measures: " + measure_names() +
                                  " (parameters as in trec_eval: P.5,10  ndcg_cut.10  ndcg.1=3,2=9)");
        }
        if (dot != std::string::npos && params.empty()) {
            throw InvalidArgument("measure '" + arg + "': empty parameter list after '.'");
        }
        const auto i = static_cast<std::size_t>(def - kMeasures.data());
        selected[i] = true;
        if (!params.empty()) {
            SelectedMeasure probe;
            probe.def = def;
            set_params(probe, arg, params);  // validate now, with the argument in the message
            // A measure named twice with cutoffs gets the union ("P.5" "P.10" = "P.5,10");
            // otherwise the last parameters win.
            const bool is_list = def->params == ParamKind::Cutoffs || def->params == ParamKind::Fractions;
            given[i] = is_list && !given[i].empty() ? given[i] + "," + std::string(params) : std::string(params);
        }
    }

    MeasureSet set;
    for (std::size_t i = 0; i < kMeasures.size(); ++i) {
        if (!selected[i]) continue;
        const MeasureDef& d = kMeasures[i];
        const std::string_view name = d.name;
        if (name == "runid") {
            set.runid_ = true;
            continue;
        }
        if (name == "num_q") {
            set.num_q_ = true;
            continue;
        }
        SelectedMeasure m;
        m.def = &d;
        set_params(m, d.name, given[i].empty() ? std::string_view(d.defaults) : std::string_view(given[i]));
        m.first_value = set.values_.size();
        switch (d.params) {
            case ParamKind::None: set.values_.push_back({d.name, d.aggregate}); break;
            case ParamKind::Cutoffs:
                for (const long c : m.cutoffs) set.values_.push_back({std::string(d.name) + "_" + std::to_string(c), d.aggregate});
                break;
            case ParamKind::Fractions:
                for (const double f : m.fractions) set.values_.push_back({fraction_name(d.name, f), d.aggregate});
                break;
            case ParamKind::Reals:
            case ParamKind::Gains:
                // trec_eval appends the parameter text when it was given on the command line.
                set.values_.push_back({given[i].empty() ? std::string(d.name) : std::string(d.name) + "_" + given[i],
                                       d.aggregate, d.text != nullptr});
                set.has_text_ = set.has_text_ || d.text != nullptr;
                break;
        }
        set.measures_.push_back(std::move(m));
    }
    return set;
}

void MeasureSet::compute(const RankedQuery& q, std::vector<double>& out, std::vector<std::string>& texts) const {
    out.assign(values_.size(), 0.0);
    texts.clear();
    if (has_text_) texts.resize(values_.size());
    for (const auto& m : measures_) {
        if (m.def->text != nullptr) {
            texts[m.first_value] = m.def->text(q, m);
        } else {
            m.def->compute(q, m, out.data() + m.first_value);
        }
    }
}

}  // namespace spindle::eval
