#pragma once
// Readers of raw-text collections. Each produces (id, text) records in file
// order; a malformed line throws ParseError naming file:line.
//   beir      corpus.jsonl  {"_id", "title", "text"} -> title + " " + text
//   anserini  JSONL         {"id", "contents"}
//   tsv       id<TAB>text
//   trec      <DOC><DOCNO>id</DOCNO> ... </DOC>; the text is everything else
//             inside <DOC>, tags removed
//   smart     .I id / .T title / .W abstract / other fields (.A .B .X ...)
//             ignored: the text is .T + " " + .W
#include <cstdint>
#include <functional>
#include <string>
#include <string_view>

#include "spindle/formats/raw_record.hpp"

namespace spindle::text {

enum class CollectionFormat { automatic, beir, anserini, tsv, trec, smart };

struct TextRecord {
    std::string_view id;
    std::string_view text;
    std::string_view file;
    std::uint64_t line = 0;  ///< 1-based line where the record starts
    [[nodiscard]] std::string where() const { return std::string(file) + ":" + std::to_string(line); }
};
using TextCallback = std::function<void(const TextRecord&)>;

/// "auto", "beir", "anserini", "tsv", "trec" or "smart"; InvalidArgument lists them otherwise.
CollectionFormat parse_collection_format(std::string_view name);
[[nodiscard]] std::string_view to_string(CollectionFormat f);
/// Sniffs the first non-blank line: '{' + "_id" -> beir, other '{' -> anserini,
/// ".I" -> smart, "<DOC" -> trec, a tab -> tsv; ParseError if none fits.
CollectionFormat detect_collection_format(const std::string& path);

/// Reads every document of `path`; `progress(bytes done, total)` is optional.
void read_collection(const std::string& path, CollectionFormat fmt, const TextCallback& on_doc,
                     const ProgressCallback& progress = {});

/// SMART reader shared by documents and queries: calls back with the .I id
/// and the .T and .W fields joined by a space.
void read_smart(const std::string& path, const TextCallback& on_record, const ProgressCallback& progress = {});

/// TREC <DOC> reader shared by documents and CACM-style topics.
void read_trec_docs(const std::string& path, const TextCallback& on_record, const ProgressCallback& progress = {});

}  // namespace spindle::text
