#include "spindle/collection/query_loading.hpp"

#include <charconv>

#include "spindle/common/error.hpp"
#include "spindle/formats/trec_run.hpp"
#include "spindle/text/text_query.hpp"

namespace spindle {

std::vector<TextQuery> load_queries(const QueryFileOptions& q, const Index& index) {
    const auto& text = index.manifest().text;
    if (!text && !q.text) return read_queries(q.path, parse_input_format(q.format));
    if (!text) {
        throw InvalidArgument("--text: vector '" + index.vector() + "' of " + index.path() +
                              " was not built from text (spindle index --text)");
    }
    text::QueryReadOptions opts;
    opts.number_in_file_order = q.number_queries;
    auto queries = text::read_analyzed_queries(q.path, text::parse_query_format(q.format), opts, text->analyzer);
    for (std::size_t i = 0; i < queries.size(); ++i) check_trec_id(queries[i].id, q.path + ": query " + std::to_string(i + 1), "query");
    return queries;
}

std::vector<SearchRequest> to_requests(const std::vector<TextQuery>& queries, const SparseVectorConfig& v,
                                       const std::string& vector, const SearchRequest& base, std::uint64_t* dropped) {
    std::vector<SearchRequest> out;
    out.reserve(queries.size());
    for (const TextQuery& q : queries) {
        SearchRequest r = base;
        r.vector = vector;
        r.query = {};
        if (!q.filter.empty()) {
            // The query's own filter, and the base request's if any: both must hold.
            Filter own;
            try {
                own = parse_filter(q.filter);
            } catch (const InvalidArgument& e) {
                throw InvalidArgument("query '" + q.id + "': " + e.what());
            }
            if (base.filter) {
                Filter both;
                Condition a, b;
                a.filter = base.filter;
                b.filter = std::make_shared<const Filter>(std::move(own));
                both.must = {a, b};
                r.filter = std::make_shared<const Filter>(std::move(both));
            } else {
                r.filter = std::make_shared<const Filter>(std::move(own));
            }
        }
        for (const auto& [tok, w] : q.terms) {
            if (v.keys == VectorKeys::tokens) {
                r.query.tokens.push_back(tok);
                r.query.values.push_back(w);
                continue;
            }
            std::uint32_t dim = 0;
            const auto [end, ec] = std::from_chars(tok.data(), tok.data() + tok.size(), dim);
            if (ec != std::errc() || end != tok.data() + tok.size()) {
                if (dropped != nullptr) ++*dropped;
                continue;
            }
            r.query.indices.push_back(dim);
            r.query.values.push_back(w);
        }
        out.push_back(std::move(r));
    }
    return out;
}

}  // namespace spindle
