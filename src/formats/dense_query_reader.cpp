#include "spindle/formats/dense_query_reader.hpp"

#include <fmt/format.h>

#include <cmath>
#include <cstdlib>
#include <unordered_map>

#include "spindle/common/error.hpp"
#include "spindle/io/line_reader.hpp"

namespace spindle {

std::vector<DenseQuery> read_dense_queries(const std::string& path, std::size_t dim, const std::string& vector) {
    if (dim == 0) throw InvalidArgument("read_dense_queries: dense vector '" + vector + "' has dimension 0");
    LineReader reader(path);
    std::vector<DenseQuery> out;
    std::unordered_map<std::string, std::uint64_t> seen;  // id -> line
    std::string_view line;
    std::string token;
    while (reader.next(line)) {
        if (line.find_first_not_of(" \t\r") == std::string_view::npos) continue;
        const std::string where = reader.where();
        const auto tab = line.find('\t');
        if (tab == std::string_view::npos) {
            throw ParseError(where + ": expected 'qid<TAB>v1 v2 ...' (a dense query), found no tab");
        }
        DenseQuery q;
        q.id = std::string(line.substr(0, tab));
        q.line = reader.line_number();
        if (q.id.empty()) throw ParseError(where + ": empty query id");
        if (const auto [it, fresh] = seen.try_emplace(q.id, q.line); !fresh) {
            throw ParseError(fmt::format("{}: query id '{}' repeated (first on line {})", where, q.id, it->second));
        }
        const auto sep = [](char c) { return c == ' ' || c == '\t' || c == ',' || c == '\r'; };
        std::size_t p = tab + 1;
        while (p < line.size()) {
            while (p < line.size() && sep(line[p])) ++p;
            if (p >= line.size()) break;
            std::size_t e = p;
            while (e < line.size() && !sep(line[e])) ++e;
            token.assign(line.substr(p, e - p));
            char* end = nullptr;
            const float v = std::strtof(token.c_str(), &end);
            if (end != token.c_str() + token.size() || token.empty()) {
                throw ParseError(fmt::format("{}: query '{}': value {} '{}' is not a number", where, q.id,
                                             q.values.size() + 1, token));
            }
            if (!std::isfinite(v)) {
                throw ParseError(fmt::format("{}: query '{}': value {} '{}' is not finite", where, q.id,
                                             q.values.size() + 1, token));
            }
            q.values.push_back(v);
            p = e;
        }
        if (q.values.size() != dim) {
            throw ParseError(fmt::format("{}: query '{}' has {} values, dense vector '{}' has dimension {}", where, q.id,
                                         q.values.size(), vector, dim));
        }
        out.push_back(std::move(q));
    }
    return out;
}

}  // namespace spindle
