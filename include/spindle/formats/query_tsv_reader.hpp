#pragma once
// Anserini impact query TSV: "qid<TAB>tok tok tok ...", where a token repeated
// n times has weight n. Tokens are separated by spaces; .gz is read directly.
#include <string>

#include "spindle/formats/raw_record.hpp"

namespace spindle {

void read_query_tsv(const std::string& path, const RecordCallback& on_record);

}  // namespace spindle
