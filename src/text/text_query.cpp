#include "spindle/text/text_query.hpp"

#include <unordered_map>

namespace spindle::text {

TextQuery analyze_query(Analyzer& analyzer, const RawQuery& q) {
    std::vector<std::string> terms;
    analyzer.analyze(q.text, terms);
    TextQuery out;
    out.id = q.id;
    std::unordered_map<std::string, std::size_t> at;
    for (auto& t : terms) {
        const auto [it, fresh] = at.emplace(t, out.terms.size());
        if (fresh) {
            out.terms.emplace_back(std::move(t), 1.0F);
        } else {
            out.terms[it->second].second += 1.0F;
        }
    }
    return out;
}

std::vector<TextQuery> read_analyzed_queries(const std::string& path, QueryFormat fmt, QueryReadOptions opts,
                                             std::string_view analyzer) {
    const auto raw = read_text_queries(path, fmt, opts);
    const auto a = make_analyzer(analyzer);
    std::vector<TextQuery> out;
    out.reserve(raw.size());
    for (const auto& q : raw) out.push_back(analyze_query(*a, q));
    return out;
}

}  // namespace spindle::text
