#include "spindle/text/judgments.hpp"

#include <charconv>

#include "spindle/common/error.hpp"
#include "spindle/io/line_reader.hpp"

namespace spindle::text {
namespace {

std::vector<std::string_view> split_ws(std::string_view s) {
    std::vector<std::string_view> out;
    std::size_t i = 0;
    while (i < s.size()) {
        while (i < s.size() && (s[i] == ' ' || s[i] == '\t' || s[i] == '\r')) ++i;
        const std::size_t b = i;
        while (i < s.size() && s[i] != ' ' && s[i] != '\t' && s[i] != '\r') ++i;
        if (i > b) out.push_back(s.substr(b, i - b));
    }
    return out;
}

int parse_level(std::string_view s, const LineReader& r) {
    int v = 0;
    const auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
    if (ec != std::errc() || p != s.data() + s.size()) {
        throw ParseError(r.where() + ": relevance '" + std::string(s) + "' is not an integer");
    }
    return v;
}

}  // namespace

JudgmentFormat parse_judgment_format(std::string_view name) {
    if (name == "auto") return JudgmentFormat::automatic;
    if (name == "trec") return JudgmentFormat::trec;
    if (name == "beir") return JudgmentFormat::beir;
    if (name == "smart" || name == "cisi") return JudgmentFormat::smart;
    if (name == "cranfield") return JudgmentFormat::cranfield;
    throw InvalidArgument("unknown judgment format '" + std::string(name) + "' (valid: auto, trec, beir, smart, cranfield)");
}

std::vector<Judgment> read_judgments(const std::string& path, JudgmentFormat fmt) {
    LineReader reader(path);
    std::vector<Judgment> out;
    std::string_view line;
    bool first = true;
    while (reader.next(line)) {
        const auto cols = split_ws(line);
        if (cols.empty()) continue;
        if (first) {
            first = false;
            const bool header = cols[0] == "query-id";
            if (fmt == JudgmentFormat::automatic) {
                if (header) {
                    fmt = JudgmentFormat::beir;
                } else if (cols.size() == 3) {
                    fmt = JudgmentFormat::cranfield;
                } else if (cols.size() == 4 && cols[2] == "0" && cols[1] != "0" && cols[1] != "Q0") {
                    fmt = JudgmentFormat::smart;
                } else {
                    fmt = JudgmentFormat::trec;
                }
            }
            if (header) {
                if (fmt != JudgmentFormat::beir) throw ParseError(reader.where() + ": unexpected header line");
                continue;
            }
        }
        Judgment j;
        switch (fmt) {
            case JudgmentFormat::trec:
                if (cols.size() != 4) throw ParseError(reader.where() + ": expected 'qid iter docid rel'");
                j = {std::string(cols[0]), std::string(cols[2]), parse_level(cols[3], reader)};
                break;
            case JudgmentFormat::beir:
            case JudgmentFormat::cranfield:
                if (cols.size() != 3) throw ParseError(reader.where() + ": expected 'query doc relevance'");
                j = {std::string(cols[0]), std::string(cols[1]), parse_level(cols[2], reader)};
                break;
            case JudgmentFormat::smart: {
                if (cols.size() != 4) throw ParseError(reader.where() + ": expected 'qid docid 0 0'");
                std::string_view q = cols[0];
                while (q.size() > 1 && q[0] == '0') q.remove_prefix(1);  // CACM: "01" is query .I 1
                j = {std::string(q), std::string(cols[1]), 1};
                break;
            }
            case JudgmentFormat::automatic: break;
        }
        out.push_back(std::move(j));
    }
    return out;
}

}  // namespace spindle::text
