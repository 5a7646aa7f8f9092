#include "spindle/text/query_reader.hpp"

#include <simdjson.h>

#include "spindle/common/error.hpp"
#include "spindle/io/line_reader.hpp"
#include "spindle/text/collection_reader.hpp"

namespace spindle::text {
namespace {

std::string_view trim(std::string_view s) {
    const auto b = s.find_first_not_of(" \t\r\n");
    if (b == std::string_view::npos) return {};
    return s.substr(b, s.find_last_not_of(" \t\r\n") - b + 1);
}

std::vector<RawQuery> read_beir_queries(const std::string& path) {
    std::vector<RawQuery> out;
    LineReader reader(path);
    simdjson::dom::parser parser;
    std::string padded;
    std::string_view line;
    while (reader.next(line)) {
        if (trim(line).empty()) continue;
        padded.assign(line);
        padded.resize(line.size() + simdjson::SIMDJSON_PADDING);
        simdjson::dom::object obj;
        if (parser.parse(padded.data(), line.size(), false).get(obj) != simdjson::SUCCESS) {
            throw ParseError(reader.where() + ": malformed JSON query (expected an object)");
        }
        RawQuery q;
        simdjson::dom::element id;
        if (obj["_id"].get(id) != simdjson::SUCCESS && obj["id"].get(id) != simdjson::SUCCESS) {
            throw ParseError(reader.where() + ": query has no \"_id\" (or \"id\") field");
        }
        if (id.is_string()) {
            q.id = std::string(id.get_string().value_unsafe());
        } else if (id.is_int64()) {
            q.id = std::to_string(id.get_int64().value_unsafe());
        } else {
            throw ParseError(reader.where() + ": query id must be a string or an integer");
        }
        std::string_view text;
        if (obj["text"].get(text) != simdjson::SUCCESS && obj["contents"].get(text) != simdjson::SUCCESS) {
            throw ParseError(reader.where() + ": query '" + q.id + "' has no string \"text\" field");
        }
        q.text = std::string(text);
        out.push_back(std::move(q));
    }
    return out;
}

std::vector<RawQuery> read_tsv_queries(const std::string& path) {
    std::vector<RawQuery> out;
    LineReader reader(path);
    std::string_view line;
    while (reader.next(line)) {
        if (trim(line).empty()) continue;
        const auto tab = line.find('\t');
        if (tab == std::string_view::npos || tab == 0) throw ParseError(reader.where() + ": expected qid<TAB>text");
        out.push_back({std::string(line.substr(0, tab)), std::string(line.substr(tab + 1))});
    }
    return out;
}

// <top> topics: the id follows <num> (after an optional "Number:"); the text
// is the <title> section, which may continue on the following lines up to the
// next tag.
std::vector<RawQuery> read_top_topics(const std::string& path) {
    std::vector<RawQuery> out;
    LineReader reader(path);
    std::string_view line;
    RawQuery q;
    bool in_top = false;
    bool in_title = false;
    std::uint64_t start = 0;
    while (reader.next(line)) {
        std::string_view t = trim(line);
        if (t.starts_with("<top>")) {
            if (in_top) throw ParseError(reader.where() + ": <top> inside the topic opened at line " + std::to_string(start));
            in_top = true;
            in_title = false;
            q = {};
            start = reader.line_number();
            continue;
        }
        if (!in_top) {
            if (!t.empty()) throw ParseError(reader.where() + ": text outside <top> ... </top>");
            continue;
        }
        if (t.starts_with("</top>")) {
            if (q.id.empty()) throw ParseError(reader.where() + ": topic starting at line " + std::to_string(start) + " has no <num>");
            q.text = std::string(trim(q.text));
            out.push_back(std::move(q));
            in_top = false;
            continue;
        }
        if (t.starts_with("<")) {
            in_title = false;
            if (t.starts_with("<num>")) {
                t = trim(t.substr(5));
                if (t.starts_with("Number:")) t = trim(t.substr(7));
                if (const auto close = t.find("</num>"); close != std::string_view::npos) t = trim(t.substr(0, close));
                if (t.empty()) throw ParseError(reader.where() + ": empty <num>");
                q.id = std::string(t);
            } else if (t.starts_with("<title>")) {
                in_title = true;
                t = trim(t.substr(7));
                if (const auto close = t.find("</title>"); close != std::string_view::npos) {
                    t = t.substr(0, close);
                    in_title = false;
                }
                if (t.starts_with("Topic:")) t = trim(t.substr(6));
                q.text.append(t);
            }
            continue;
        }
        if (in_title) {
            q.text += ' ';
            q.text.append(t);
        }
    }
    if (in_top) throw ParseError(path + ": topic starting at line " + std::to_string(start) + " is not closed");
    return out;
}

QueryFormat detect(const std::string& path) {
    LineReader reader(path);
    std::string_view line;
    while (reader.next(line)) {
        const std::string_view t = trim(line);
        if (t.empty()) continue;
        if (t.front() == '{') return QueryFormat::beir;
        if (t.starts_with(".I")) return QueryFormat::smart;
        if (t.front() == '<') return QueryFormat::trec;
        if (line.find('\t') != std::string_view::npos) return QueryFormat::tsv;
        break;
    }
    throw ParseError(path + ": cannot detect the query format (use beir, trec, smart or tsv)");
}

}  // namespace

QueryFormat parse_query_format(std::string_view name) {
    if (name == "auto") return QueryFormat::automatic;
    if (name == "beir" || name == "jsonl") return QueryFormat::beir;
    if (name == "trec") return QueryFormat::trec;
    if (name == "smart") return QueryFormat::smart;
    if (name == "tsv") return QueryFormat::tsv;
    throw InvalidArgument("unknown text query format '" + std::string(name) + "' (valid: auto, beir, trec, smart, tsv)");
}

std::vector<RawQuery> read_text_queries(const std::string& path, QueryFormat fmt, QueryReadOptions opts) {
    if (fmt == QueryFormat::automatic) fmt = detect(path);
    std::vector<RawQuery> out;
    auto collect = [&](const TextRecord& r) { out.push_back({std::string(r.id), std::string(r.text)}); };
    switch (fmt) {
        case QueryFormat::beir: out = read_beir_queries(path); break;
        case QueryFormat::tsv: out = read_tsv_queries(path); break;
        case QueryFormat::smart: read_smart(path, collect); break;
        case QueryFormat::trec: {
            LineReader probe(path);
            std::string_view line;
            bool doc_style = false;
            while (probe.next(line)) {
                if (trim(line).empty()) continue;
                doc_style = trim(line).starts_with("<DOC>");
                break;
            }
            if (doc_style) {
                read_trec_docs(path, collect);
            } else {
                out = read_top_topics(path);
            }
            break;
        }
        case QueryFormat::automatic: break;
    }
    if (opts.number_in_file_order) {
        for (std::size_t i = 0; i < out.size(); ++i) out[i].id = std::to_string(i + 1);
    }
    return out;
}

}  // namespace spindle::text
