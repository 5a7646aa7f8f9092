#include "spindle/gen/real_queries.hpp"

#include <algorithm>
#include <cstring>
#include <numeric>
#include <string_view>
#include <unordered_map>

#include "spindle/common/error.hpp"
#include "spindle/io/line_reader.hpp"

namespace spindle::gen {
namespace {

struct TokenTable {
    std::unordered_map<std::string, std::uint32_t> ids;
    std::vector<std::string> names;
    std::uint32_t id_of(std::string_view tok) {
        auto it = ids.find(std::string(tok));
        if (it != ids.end()) return it->second;
        const auto id = static_cast<std::uint32_t>(names.size());
        names.emplace_back(tok);
        ids.emplace(names.back(), id);
        return id;
    }
};

/// Adds the (token, count) runs of one query line body to `q`.
void parse_body(std::string_view body, TokenTable& table, RealQuery& q) {
    std::string_view prev;
    std::uint32_t run = 0;
    const auto flush = [&] {
        if (run == 0) return;
        const std::uint32_t id = table.id_of(prev);
        auto it = std::find_if(q.begin(), q.end(), [id](const auto& p) { return p.first == id; });
        if (it == q.end()) {
            q.emplace_back(id, run);
        } else {
            it->second += run;
        }
    };
    std::size_t pos = 0;
    while (pos < body.size()) {
        if (body[pos] == ' ') {
            ++pos;
            continue;
        }
        const void* sp = std::memchr(body.data() + pos, ' ', body.size() - pos);
        const std::size_t end = sp ? static_cast<std::size_t>(static_cast<const char*>(sp) - body.data()) : body.size();
        const std::string_view tok = body.substr(pos, end - pos);
        if (run > 0 && tok == prev) {
            ++run;
        } else {
            flush();
            prev = tok;
            run = 1;
        }
        pos = end;
    }
    flush();
}

}  // namespace

RealQueries load_real_queries(const std::string& path) {
    LineReader reader(path);
    TokenTable table;
    RealQueries out;
    out.path = path;
    std::string_view line;
    while (reader.next(line)) {
        if (line.empty()) continue;
        const auto tab = line.find('\t');
        if (tab == std::string_view::npos) throw ParseError(reader.where() + ": expected 'qid<TAB>tokens'");
        RealQuery q;
        parse_body(line.substr(tab + 1), table, q);
        out.queries.push_back(std::move(q));
    }
    if (out.queries.empty()) throw ParseError(path + ": no queries");

    // Renumber tokens by decreasing document frequency, ties by string.
    const std::size_t n = table.names.size();
    std::vector<std::uint32_t> df(n, 0);
    for (const auto& q : out.queries)
        for (const auto& [t, w] : q) ++df[t];
    std::vector<std::uint32_t> order(n);
    std::iota(order.begin(), order.end(), 0U);
    std::sort(order.begin(), order.end(), [&](std::uint32_t a, std::uint32_t b) {
        return df[a] != df[b] ? df[a] > df[b] : table.names[a] < table.names[b];
    });
    std::vector<std::uint32_t> rank(n);
    out.tokens.reserve(n);
    out.df.reserve(n);
    for (std::uint32_t r = 0; r < n; ++r) {
        rank[order[r]] = r;
        out.tokens.push_back(table.names[order[r]]);
        out.df.push_back(df[order[r]]);
    }
    for (auto& q : out.queries) {
        for (auto& [t, w] : q) t = rank[t];
        std::sort(q.begin(), q.end(), [](const auto& a, const auto& b) {
            return a.second != b.second ? a.second > b.second : a.first < b.first;
        });
    }
    return out;
}

}  // namespace spindle::gen
