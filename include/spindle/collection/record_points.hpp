#pragma once
// Records read by the input readers (formats/) as the sparse vectors of
// points: what `spindle upsert` and `spindle bench-ingest` send.
#include <span>
#include <string>

#include "spindle/collection/point.hpp"
#include "spindle/formats/raw_record.hpp"
#include "spindle/index/collection_manifest.hpp"

namespace spindle {

/// The record's vector keyed as a vector with `keys` reads it: token records
/// keep their tokens; CSR columns become indices for an integer-keyed vector,
/// and for a token vector the token `columns[j]` (a CSR vocabulary, as
/// `spindle index --vocab`) or, without one, the column's decimal digits.
/// Throws InvalidArgument naming the record for a column past `columns`.
/// (Upsert validation rejects a token record sent to an integer vector.)
SparseVector record_vector(const RawRecord& rec, VectorKeys keys, std::span<const std::string> columns = {});

}  // namespace spindle
