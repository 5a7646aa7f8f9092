#pragma once
// Deletion bitmaps of a collection segment (deleted-<gen>.bin, kind DELS):
// the docids marked deleted, as a CRoaring bitmap in its portable format.
#include <cstdint>
#include <string>

#include "spindle/common/bitmap.hpp"

namespace spindle {

/// Writes `deleted` to `path` (fsynced; the file must not exist); returns its size.
std::uint64_t save_deletions(const std::string& path, const Bitmap& deleted);
/// Reads and checks a deletion file of a segment of `num_docs` documents:
/// throws CorruptIndex naming the file when it is damaged or marks a docid
/// outside the segment.
Bitmap load_deletions(const std::string& path, std::uint64_t num_docs);

}  // namespace spindle
