#pragma once
// Docid-gap compression: StreamVByte (Lemire et al.; Debian's libstreamvbyte)
// with differential coding, applied to fixed-size blocks of postings.
#include <cstddef>
#include <cstdint>
#include <vector>

namespace spindle::codec {

/// Postings per compressed block in inverted lists.
inline constexpr std::uint32_t kPostingBlock = 128;
/// Bytes appended after every encoded stream: the SIMD decoder may load up to
/// 16 bytes past the last value it needs.
inline constexpr std::size_t kStreamPadding = 16;

/// Appends the StreamVByte-delta encoding of `n` increasing values (relative to
/// `prev`) to `out`; returns the number of bytes appended.
std::size_t encode_increasing(const std::uint32_t* values, std::uint32_t n, std::uint32_t prev,
                              std::vector<std::uint8_t>& out);

/// Decodes `n` values written by encode_increasing(); returns bytes consumed.
std::size_t decode_increasing(const std::uint8_t* in, std::uint32_t* out, std::uint32_t n, std::uint32_t prev);

}  // namespace spindle::codec
