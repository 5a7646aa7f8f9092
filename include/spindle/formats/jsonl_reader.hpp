#pragma once
// Anserini JsonVectorCollection: one JSON object per line,
// {"id": "...", "contents": "...", "vector": {"token": weight, ...}}.
// "_id" is accepted for "id"; ids may be strings or integers; weights ints or
// floats; blank lines are skipped; .gz files are read directly.
#include <string>

#include "spindle/formats/raw_record.hpp"

namespace spindle {

/// Reads every record of `path`; throws ParseError naming file:line on bad input.
void read_jsonl_vectors(const std::string& path, const RecordCallback& on_record,
                        const ProgressCallback& progress = {});

}  // namespace spindle
