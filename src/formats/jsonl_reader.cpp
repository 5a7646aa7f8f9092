#include "spindle/formats/jsonl_reader.hpp"

#include <simdjson.h>

#include "spindle/common/error.hpp"
#include "spindle/io/line_reader.hpp"

namespace spindle {
namespace {

std::string_view read_id(simdjson::dom::object obj, const RawRecord& rec, std::string& scratch) {
    simdjson::dom::element id;
    if (obj["id"].get(id) != simdjson::SUCCESS && obj["_id"].get(id) != simdjson::SUCCESS) {
        throw ParseError(rec.where() + ": record has no \"id\" (or \"_id\") field");
    }
    if (id.is_string()) return id.get_string().value_unsafe();
    if (id.is_int64()) {
        scratch = std::to_string(id.get_int64().value_unsafe());
        return scratch;
    }
    if (id.is_uint64()) {
        scratch = std::to_string(id.get_uint64().value_unsafe());
        return scratch;
    }
    throw ParseError(rec.where() + ": \"id\" must be a string or an integer");
}

}  // namespace

void read_jsonl_vectors(const std::string& path, const RecordCallback& on_record, const ProgressCallback& progress) {
    LineReader reader(path);
    simdjson::dom::parser parser;
    std::string padded;
    std::string id_scratch;
    RawRecord rec;
    rec.file = reader.path();
    std::string_view line;
    std::uint64_t next_report = 0;
    while (reader.next(line)) {
        rec.line = reader.line_number();
        if (line.find_first_not_of(" \t") == std::string_view::npos) continue;
        padded.assign(line);
        padded.resize(line.size() + simdjson::SIMDJSON_PADDING);
        simdjson::dom::element root;
        if (auto err = parser.parse(padded.data(), line.size(), false).get(root)) {
            throw ParseError(rec.where() + ": malformed JSON (" + simdjson::error_message(err) + ")");
        }
        simdjson::dom::object obj;
        if (root.get_object().get(obj) != simdjson::SUCCESS) {
            throw ParseError(rec.where() + ": expected a JSON object");
        }
        rec.id = read_id(obj, rec, id_scratch);
        simdjson::dom::object vec;
        simdjson::dom::element vec_el;
        if (obj["vector"].get(vec_el) != simdjson::SUCCESS) {
            throw ParseError(rec.where() + ": record '" + std::string(rec.id) + "' has no \"vector\" field");
        }
        if (vec_el.get_object().get(vec) != simdjson::SUCCESS) {
            throw ParseError(rec.where() + ": \"vector\" of '" + std::string(rec.id) + "' is not an object");
        }
        rec.payload.clear();
        simdjson::dom::element payload;
        if (obj["payload"].get(payload) == simdjson::SUCCESS && !payload.is_null()) {
            if (!payload.is_object()) {
                throw ParseError(rec.where() + ": \"payload\" of '" + std::string(rec.id) + "' is not an object");
            }
            rec.payload = simdjson::minify(payload);
        }
        rec.filter.clear();
        simdjson::dom::element filter;
        if (obj["filter"].get(filter) == simdjson::SUCCESS && !filter.is_null()) {
            if (!filter.is_object()) {
                throw ParseError(rec.where() + ": \"filter\" of '" + std::string(rec.id) + "' is not an object");
            }
            rec.filter = simdjson::minify(filter);
        }
        rec.tokens.clear();
        for (auto field : vec) {
            double w = 0;
            if (field.value.get_double().get(w) != simdjson::SUCCESS) {
                throw ParseError(rec.where() + ": weight of '" + std::string(field.key) + "' is not a number");
            }
            rec.tokens.emplace_back(field.key, checked_weight(w, field.key, rec));
        }
        on_record(rec);
        if (progress && reader.bytes_consumed() >= next_report) {
            progress(reader.bytes_consumed(), reader.file_bytes());
            next_report = reader.bytes_consumed() + (std::uint64_t{1} << 22);
        }
    }
    if (progress) progress(reader.file_bytes(), reader.file_bytes());
}

}  // namespace spindle
