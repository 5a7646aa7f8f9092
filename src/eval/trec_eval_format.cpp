#include "spindle/eval/trec_eval_format.hpp"

#include <cmath>
#include <cstdio>

namespace spindle::eval {
namespace {
/// "%-22s": left-aligned in 22 columns, longer names unchanged.
std::string padded(const std::string& name) {
    std::string s = name;
    if (s.size() < 22) s.append(22 - s.size(), ' ');
    return s;
}
}  // namespace

std::string format_line(const std::string& name, const std::string& qid, double value, bool integer) {
    // The layout trec_eval prints: "%-22s\t%s\t%6.4f\n" (integers "%ld").
    char buf[64];
    if (integer) {
        std::snprintf(buf, sizeof buf, "%ld", std::lround(value));
    } else {
        std::snprintf(buf, sizeof buf, "%6.4f", value);
    }
    return padded(name) + "\t" + qid + "\t" + buf + "\n";
}

std::string format_trec_eval(const Evaluation& e, const FormatOptions& options) {
    std::string out;
    if (options.per_query) {
        for (const auto& q : e.queries) {
            for (std::size_t v = 0; v < e.values.size(); ++v) {
                // trec_eval prints geometric means (gm_map, gm_bpref) only in the summary.
                if (e.values[v].aggregate == Aggregate::GeoMean) continue;
                if (e.values[v].text) {
                    out += padded(e.values[v].name) + "\t" + q.qid + "\t'" + q.texts[v] + "'\n";
                    continue;
                }
                out += format_line(e.values[v].name, q.qid, q.values[v], e.values[v].integer());
            }
        }
    }
    if (!options.summary) return out;
    if (e.print_runid) out += padded("runid") + "\tall\t" + e.runid + "\n";
    if (e.print_num_q) out += format_line("num_q", "all", static_cast<double>(e.num_q), true);
    for (std::size_t v = 0; v < e.values.size(); ++v) {
        if (e.values[v].aggregate == Aggregate::None) continue;  // relstring: per query only
        out += format_line(e.values[v].name, "all", e.summary[v], e.values[v].integer());
    }
    return out;
}

}  // namespace spindle::eval
