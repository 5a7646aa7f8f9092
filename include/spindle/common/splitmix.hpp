#pragma once
// SplitMix64: the one 64-bit mixing step behind every seeded choice (corpus
// generator, approximate-structure centroids, tune's query split), the same
// on every platform.
#include <cstdint>

namespace spindle {

/// SplitMix64 step: advances `state` and returns a well-distributed 64-bit value.
constexpr std::uint64_t splitmix64(std::uint64_t& state) {
    std::uint64_t z = (state += 0x9E3779B97F4A7C15ULL);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
    return z ^ (z >> 31);
}

}  // namespace spindle
