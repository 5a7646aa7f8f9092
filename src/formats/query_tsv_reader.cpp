#include "spindle/formats/query_tsv_reader.hpp"

#include <cstring>
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
        // A plain scan: impact queries hold ~20,000 tokens a line (each
        // repeated as many times as its weight), so the per-token cost is
        // the reader's cost.
        const char* p = line.data() + tab + 1;
        const char* const stop = line.data() + line.size();
        const auto blank = [](char c) { return c == ' ' || c == '\t'; };
        // Impact queries repeat each token in a run: count the run, then add
        // it once (a token may also come back after others).
        const char* run_p = nullptr;
        std::size_t run_n = 0;
        float run_count = 0.0F;
        const auto flush = [&] {
            if (run_count == 0.0F) return;
            const std::string_view tok(run_p, run_n);
            auto [it, fresh] = position.try_emplace(tok, rec.tokens.size());
            if (fresh) {
                rec.tokens.emplace_back(tok, run_count);
            } else {
                rec.tokens[it->second].second += run_count;
            }
            run_count = 0.0F;
        };
        while (p != stop) {
            while (p != stop && blank(*p)) ++p;
            if (p == stop) break;
            const char* e = p;
            while (e != stop && !blank(*e)) ++e;
            const auto n = static_cast<std::size_t>(e - p);
            if (run_count > 0.0F && n == run_n && std::memcmp(p, run_p, n) == 0) {
                run_count += 1.0F;
            } else {
                flush();
                run_p = p;
                run_n = n;
                run_count = 1.0F;
            }
            p = e;
        }
        flush();
        on_record(rec);
    }
}

}  // namespace spindle
