#pragma once
// The operations a collection's write-ahead log records, and their binary
// encoding inside a log record's payload (docs/format.md, "Log records").
#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <vector>

#include "spindle/collection/point.hpp"

namespace spindle::wal {

/// upsert_dense is an upsert whose points also carry dense vectors (written
/// only then, so logs without dense vectors stay readable by older builds);
/// decode() reports it as Op::upsert.
enum class Op : std::uint8_t { upsert = 1, remove = 2, upsert_dense = 3 };

struct Operation {
    Op op = Op::upsert;
    std::vector<Point> points;   ///< upsert
    std::vector<PointId> ids;    ///< remove
};

std::vector<std::byte> encode_upsert(std::span<const Point> points);
std::vector<std::byte> encode_remove(std::span<const PointId> ids);
/// Throws CorruptIndex naming `where` for a payload that does not decode.
Operation decode(std::span<const std::byte> payload, const std::string& where);

}  // namespace spindle::wal
