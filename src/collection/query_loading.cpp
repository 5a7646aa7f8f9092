#include "spindle/collection/query_loading.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <charconv>
#include <string_view>

#include "spindle/common/error.hpp"
#include "spindle/formats/trec_run.hpp"
#include "spindle/text/text_query.hpp"

namespace spindle {

bool looks_like_impact_query(std::string_view text) {
    std::size_t tokens = 0;
    std::size_t in_runs = 0;
    std::size_t run = 0;
    std::size_t longest = 0;
    std::size_t runs = 0;  // runs of 2 or more
    std::string_view prev;
    auto end_run = [&] {
        if (run >= 2) {
            in_runs += run;
            ++runs;
        }
        longest = std::max(longest, run);
    };
    std::size_t at = 0;
    while (at < text.size()) {
        const std::size_t b = text.find_first_not_of(" \t", at);
        if (b == std::string_view::npos) break;
        std::size_t e = text.find_first_of(" \t", b);
        if (e == std::string_view::npos) e = text.size();
        const std::string_view tok = text.substr(b, e - b);
        ++tokens;
        if (run > 0 && tok == prev) {
            ++run;
        } else {
            end_run();
            run = 1;
        }
        prev = tok;
        at = e;
    }
    end_run();
    return tokens >= 4 && runs >= 2 && longest >= 3 && 2 * in_runs >= tokens;
}

std::vector<TextQuery> load_queries(const QueryFileOptions& q, const Index& index) {
    const auto& text = index.manifest().text;
    if (!text && !q.text) return read_queries(q.path, parse_input_format(q.format));
    if (!text) {
        throw InvalidArgument("--text: vector '" + index.vector() + "' of " + index.path() +
                              " was not built from text (spindle index --text)");
    }
    text::QueryReadOptions opts;
    opts.number_in_file_order = q.number_queries;
    const auto raw = text::read_text_queries(q.path, text::parse_query_format(q.format), opts);
    if (!q.allow_impact_like && !raw.empty()) {
        std::size_t impact = 0;
        const text::RawQuery* example = nullptr;
        for (const auto& r : raw) {
            if (!looks_like_impact_query(r.text)) continue;
            ++impact;
            if (example == nullptr) example = &r;
        }
        if (example != nullptr && 2 * impact >= raw.size()) {
            const std::string_view t = example->text;
            throw InvalidArgument(fmt::format(
                "{}: {} of the {} queries look like impact-format vector queries (tokens repeated by weight; query "
                "'{}': '{}{}'), not raw text for text index vector '{}' of {}: search them on a vector index (pass "
                "--allow-empty to search anyway)",
                q.path, impact, raw.size(), example->id, t.substr(0, 40), t.size() > 40 ? "..." : "", index.vector(),
                index.path()));
        }
    }
    const auto analyzer = text::make_analyzer(text->analyzer);
    std::vector<TextQuery> queries;
    queries.reserve(raw.size());
    for (const auto& r : raw) queries.push_back(text::analyze_query(*analyzer, r));
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
