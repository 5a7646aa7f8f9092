#include "spindle/formats/query_tsv_reader.hpp"

#include <unordered_map>

#include "spindle/common/error.hpp"
#include "spindle/io/line_reader.hpp"

namespace spindle {

void read_query_tsv(const std::string& path, const RecordCallback& on_record) {
    LineReader reader(path);
    RawRecord rec;
    rec.file = reader.path();
    std::unordered_map<std::string_view, std::size_t> position;
    std::string_view line;
    while (reader.next(line)) {
        rec.line = reader.line_number();
        if (line.find_first_not_of(" \t") == std::string_view::npos) continue;
        const auto tab = line.find('\t');
        if (tab == std::string_view::npos) {
            throw ParseError(rec.where() + ": expected 'qid<TAB>tokens', found no tab");
        }
        rec.id = line.substr(0, tab);
        if (rec.id.empty()) throw ParseError(rec.where() + ": empty query id");
        rec.tokens.clear();
        position.clear();
        std::string_view rest = line.substr(tab + 1);
        while (!rest.empty()) {
            const auto start = rest.find_first_not_of(" \t");
            if (start == std::string_view::npos) break;
            rest.remove_prefix(start);
            const auto end = rest.find_first_of(" \t");
            const std::string_view tok = rest.substr(0, end);
            rest = end == std::string_view::npos ? std::string_view{} : rest.substr(end);
            // Impact queries repeat each token in a run: check the last one first.
            if (!rec.tokens.empty() && rec.tokens.back().first == tok) {
                rec.tokens.back().second += 1.0F;
                continue;
            }
            auto [it, fresh] = position.try_emplace(tok, rec.tokens.size());
            if (fresh) {
                rec.tokens.emplace_back(tok, 1.0F);
            } else {
                rec.tokens[it->second].second += 1.0F;
            }
        }
        on_record(rec);
    }
}

}  // namespace spindle
