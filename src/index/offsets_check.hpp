#pragma once
// Structural check shared by the readers of index files.
#include <cstdint>
#include <span>
#include <string>

#include "spindle/common/error.hpp"

namespace spindle {

/// Throws CorruptIndex naming `path` and `what` (a plural, e.g. "term block
/// offsets") unless `offsets` is non-empty, starts at 0, never decreases and
/// ends at `last`.
template <class T>
void check_offsets(std::span<const T> offsets, std::uint64_t last, const std::string& path, const char* what) {
    if (offsets.empty() || offsets.front() != 0 || offsets.back() != last) {
        throw CorruptIndex(path + ": " + what + " do not span their data");
    }
    for (std::size_t i = 1; i < offsets.size(); ++i) {
        if (offsets[i] < offsets[i - 1]) throw CorruptIndex(path + ": " + what + " decrease at entry " + std::to_string(i));
    }
}

}  // namespace spindle
