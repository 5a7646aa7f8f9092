#pragma once
// Chooses a reader by format name or file extension and reads whole query sets.
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "spindle/formats/raw_record.hpp"

namespace spindle {

enum class InputFormat { automatic, jsonl, tsv, csr };

/// "auto", "jsonl", "tsv" or "csr"; throws InvalidArgument listing the valid names.
InputFormat parse_input_format(std::string_view name);
/// Guesses from the extension (".gz" ignored): .jsonl/.json -> jsonl,
/// .tsv/.txt -> tsv, .csr/.bin -> csr; throws InvalidArgument otherwise.
InputFormat detect_input_format(const std::string& path);

/// Reads every record of `path` in format `fmt` (automatic: by extension).
void read_records(const std::string& path, InputFormat fmt, const RecordCallback& on_record,
                  const ProgressCallback& progress = {});

/// A query as read from a file: its id and (token, weight) pairs.
struct TextQuery {
    std::string id;
    std::vector<std::pair<std::string, float>> terms;
    std::string filter;  ///< JSONL queries: a per-query payload filter ("filter" object; "" = none)
};

/// Reads all queries of `path` (JSONL, impact TSV or CSR) into memory.
std::vector<TextQuery> read_queries(const std::string& path, InputFormat fmt = InputFormat::automatic);

}  // namespace spindle
