#include "spindle/text/collection_reader.hpp"

#include <simdjson.h>

#include <array>

#include "spindle/common/error.hpp"
#include "spindle/io/line_reader.hpp"

namespace spindle::text {
namespace {

constexpr std::array<std::pair<std::string_view, CollectionFormat>, 6> kNames{{
    {"auto", CollectionFormat::automatic},
    {"beir", CollectionFormat::beir},
    {"anserini", CollectionFormat::anserini},
    {"tsv", CollectionFormat::tsv},
    {"trec", CollectionFormat::trec},
    {"smart", CollectionFormat::smart},
}};

class Reporter {
public:
    Reporter(const LineReader& r, const ProgressCallback& p) : r_(r), p_(p) {}
    void tick() {
        if (p_ && r_.bytes_consumed() >= next_) {
            p_(r_.bytes_consumed(), r_.file_bytes());
            next_ = r_.bytes_consumed() + (std::uint64_t{1} << 22);
        }
    }
    void done() {
        if (p_) p_(r_.file_bytes(), r_.file_bytes());
    }

private:
    const LineReader& r_;
    const ProgressCallback& p_;
    std::uint64_t next_ = 0;
};

// A JSON string or integer field as text; false when absent.
bool text_field(simdjson::dom::object o, std::string_view key, std::string_view& out, std::string& scratch,
                const std::string& where) {
    simdjson::dom::element el;
    if (o[key].get(el) != simdjson::SUCCESS || el.is_null()) return false;
    if (el.is_string()) {
        out = el.get_string().value_unsafe();
    } else if (el.is_int64()) {
        scratch = std::to_string(el.get_int64().value_unsafe());
        out = scratch;
    } else if (el.is_uint64()) {
        scratch = std::to_string(el.get_uint64().value_unsafe());
        out = scratch;
    } else {
        throw ParseError(where + ": field \"" + std::string(key) + "\" must be a string");
    }
    return true;
}

void read_json_docs(const std::string& path, CollectionFormat fmt, const TextCallback& on_doc,
                    const ProgressCallback& progress) {
    LineReader reader(path);
    Reporter rep(reader, progress);
    simdjson::dom::parser parser;
    std::string padded;
    std::string id_scratch;
    std::string num_scratch;
    std::string joined;
    std::string_view line;
    while (reader.next(line)) {
        if (line.find_first_not_of(" \t\r") == std::string_view::npos) continue;
        const std::string where = reader.where();
        padded.assign(line);
        padded.resize(line.size() + simdjson::SIMDJSON_PADDING);
        simdjson::dom::element root;
        if (auto err = parser.parse(padded.data(), line.size(), false).get(root)) {
            throw ParseError(where + ": malformed JSON (" + simdjson::error_message(err) + ")");
        }
        simdjson::dom::object obj;
        if (root.get_object().get(obj) != simdjson::SUCCESS) throw ParseError(where + ": expected a JSON object");
        std::string_view id;
        if (!text_field(obj, "_id", id, id_scratch, where) && !text_field(obj, "id", id, id_scratch, where)) {
            throw ParseError(where + ": document has no \"_id\" (or \"id\") field");
        }
        std::string_view contents;
        if (fmt == CollectionFormat::anserini) {
            if (!text_field(obj, "contents", contents, num_scratch, where)) {
                throw ParseError(where + ": document '" + std::string(id) + "' has no \"contents\" field");
            }
        } else {
            std::string_view title;
            std::string_view body;
            const bool has_title = text_field(obj, "title", title, num_scratch, where);
            if (!text_field(obj, "text", body, num_scratch, where) && !has_title) {
                throw ParseError(where + ": document '" + std::string(id) + "' has neither \"title\" nor \"text\"");
            }
            // Anserini's BEIR "flat" documents: title + " " + text.
            joined.assign(title);
            joined += ' ';
            joined.append(body);
            contents = joined;
        }
        on_doc(TextRecord{id, contents, reader.path(), reader.line_number()});
        rep.tick();
    }
    rep.done();
}

void read_tsv_docs(const std::string& path, const TextCallback& on_doc, const ProgressCallback& progress) {
    LineReader reader(path);
    Reporter rep(reader, progress);
    std::string_view line;
    while (reader.next(line)) {
        if (line.find_first_not_of(" \t\r") == std::string_view::npos) continue;
        const auto tab = line.find('\t');
        if (tab == std::string_view::npos) throw ParseError(reader.where() + ": expected id<TAB>text");
        const std::string_view id = line.substr(0, tab);
        if (id.empty()) throw ParseError(reader.where() + ": empty id before the tab");
        on_doc(TextRecord{id, line.substr(tab + 1), reader.path(), reader.line_number()});
        rep.tick();
    }
    rep.done();
}

std::string_view trim(std::string_view s) {
    const auto b = s.find_first_not_of(" \t\r\n");
    if (b == std::string_view::npos) return {};
    return s.substr(b, s.find_last_not_of(" \t\r\n") - b + 1);
}

// Appends `line` to `out` with <...> tags replaced by spaces.
void append_untagged(std::string& out, std::string_view line, bool& in_tag) {
    for (char c : line) {
        if (in_tag) {
            if (c == '>') in_tag = false;
        } else if (c == '<') {
            in_tag = true;
            out += ' ';
        } else {
            out += c;
        }
    }
    out += ' ';
}

}  // namespace

void read_trec_docs(const std::string& path, const TextCallback& on_record, const ProgressCallback& progress) {
    LineReader reader(path);
    Reporter rep(reader, progress);
    std::string id;
    std::string body;
    bool open = false;
    bool in_tag = false;
    std::uint64_t start = 0;
    std::string_view line;
    while (reader.next(line)) {
        const std::string_view t = trim(line);
        if (!open) {
            if (t.empty()) continue;
            if (!t.starts_with("<DOC>")) throw ParseError(reader.where() + ": expected <DOC>");
            open = true;
            id.clear();
            body.clear();
            in_tag = false;
            start = reader.line_number();
            continue;
        }
        if (t.starts_with("</DOC>")) {
            if (id.empty()) throw ParseError(reader.where() + ": <DOC> starting at line " + std::to_string(start) +
                                             " has no <DOCNO>");
            on_record(TextRecord{id, trim(body), reader.path(), start});
            open = false;
            rep.tick();
            continue;
        }
        if (t.starts_with("<DOCNO>")) {
            const auto end = t.find("</DOCNO>");
            if (end == std::string_view::npos) throw ParseError(reader.where() + ": <DOCNO> not closed on its line");
            id = std::string(trim(t.substr(7, end - 7)));
            if (id.empty()) throw ParseError(reader.where() + ": empty <DOCNO>");
            continue;
        }
        append_untagged(body, line, in_tag);
    }
    if (open) throw ParseError(path + ": <DOC> starting at line " + std::to_string(start) + " is not closed");
    rep.done();
}

CollectionFormat parse_collection_format(std::string_view name) {
    for (const auto& [n, f] : kNames) {
        if (n == name) return f;
    }
    throw InvalidArgument("unknown collection format '" + std::string(name) +
                          "' (valid: auto, beir, anserini, tsv, trec, smart)");
}

std::string_view to_string(CollectionFormat f) {
    for (const auto& [n, g] : kNames) {
        if (g == f) return n;
    }
    return "?";
}

CollectionFormat detect_collection_format(const std::string& path) {
    LineReader reader(path);
    std::string_view line;
    while (reader.next(line)) {
        const std::string_view t = trim(line);
        if (t.empty()) continue;
        if (t.front() == '{') {
            return t.find("\"_id\"") != std::string_view::npos ? CollectionFormat::beir : CollectionFormat::anserini;
        }
        if (t.starts_with(".I")) return CollectionFormat::smart;
        if (t.starts_with("<DOC")) return CollectionFormat::trec;
        if (line.find('\t') != std::string_view::npos) return CollectionFormat::tsv;
        break;
    }
    throw ParseError(path + ": cannot detect the collection format (use --collection-format beir|anserini|tsv|trec|smart)");
}

void read_collection(const std::string& path, CollectionFormat fmt, const TextCallback& on_doc,
                     const ProgressCallback& progress) {
    if (fmt == CollectionFormat::automatic) fmt = detect_collection_format(path);
    switch (fmt) {
        case CollectionFormat::beir:
        case CollectionFormat::anserini: read_json_docs(path, fmt, on_doc, progress); break;
        case CollectionFormat::tsv: read_tsv_docs(path, on_doc, progress); break;
        case CollectionFormat::trec: read_trec_docs(path, on_doc, progress); break;
        case CollectionFormat::smart: read_smart(path, on_doc, progress); break;
        case CollectionFormat::automatic: break;
    }
}

}  // namespace spindle::text
