#include "spindle/formats/input_format.hpp"

#include "spindle/common/error.hpp"
#include "spindle/formats/csr.hpp"
#include "spindle/formats/jsonl_reader.hpp"
#include "spindle/formats/query_tsv_reader.hpp"
#include "spindle/formats/trec_run.hpp"

namespace spindle {
namespace {
bool ends_with(std::string_view s, std::string_view suffix) {
    return s.size() >= suffix.size() && s.substr(s.size() - suffix.size()) == suffix;
}
}  // namespace

InputFormat parse_input_format(std::string_view name) {
    if (name == "auto") return InputFormat::automatic;
    if (name == "jsonl") return InputFormat::jsonl;
    if (name == "tsv") return InputFormat::tsv;
    if (name == "csr") return InputFormat::csr;
    throw InvalidArgument("unknown input format '" + std::string(name) + "' (valid: auto, jsonl, tsv, csr)");
}

InputFormat detect_input_format(const std::string& path) {
    std::string_view p = path;
    if (ends_with(p, ".gz")) p.remove_suffix(3);
    if (ends_with(p, ".jsonl") || ends_with(p, ".json")) return InputFormat::jsonl;
    if (ends_with(p, ".tsv") || ends_with(p, ".txt")) return InputFormat::tsv;
    if (ends_with(p, ".csr") || ends_with(p, ".bin")) return InputFormat::csr;
    throw InvalidArgument("cannot tell the format of " + path +
                          " from its extension (.jsonl, .tsv, .csr, optionally .gz); pass --format");
}

void read_records(const std::string& path, InputFormat fmt, const RecordCallback& on_record,
                  const ProgressCallback& progress) {
    if (fmt == InputFormat::automatic) fmt = detect_input_format(path);
    switch (fmt) {
        case InputFormat::jsonl: read_jsonl_vectors(path, on_record, progress); return;
        case InputFormat::tsv: read_query_tsv(path, on_record); return;
        case InputFormat::csr: CsrFile(path).for_each_row(on_record, progress); return;
        case InputFormat::automatic: break;
    }
    throw InvalidArgument("unreachable input format");
}

std::vector<TextQuery> read_queries(const std::string& path, InputFormat fmt) {
    std::vector<TextQuery> out;
    read_records(path, fmt, [&](const RawRecord& rec) {
        TextQuery q;
        check_trec_id(rec.id, rec.where(), "query");
        q.id = std::string(rec.id);
        q.filter = rec.filter;
        if (rec.numeric) {
            for (const auto& [id, w] : rec.ids) q.terms.emplace_back(std::to_string(id), w);
        } else {
            for (const auto& [tok, w] : rec.tokens) q.terms.emplace_back(std::string(tok), w);
        }
        out.push_back(std::move(q));
    });
    return out;
}

}  // namespace spindle
