#pragma once
// Docid-gap compression: StreamVByte (Lemire, Kurz & Rupp, 2018) with
// differential coding, applied to fixed-size blocks of postings. Encoding uses
// Debian's libstreamvbyte; decoding is ours, because Debian builds that
// library without its SIMD path: an SSSE3 shuffle decoder chosen at run time,
// with the library's portable decoder as the fallback (same format).
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
/// May read up to kStreamPadding bytes past the encoded values.
std::size_t decode_increasing(const std::uint8_t* in, std::uint32_t* out, std::uint32_t n, std::uint32_t prev);

/// Name of the decoder decode_increasing() uses on this CPU ("ssse3" or "portable").
const char* decoder_name();

namespace detail {
/// Debian's libstreamvbyte encoder (the reference encode_increasing() must
/// match byte for byte; tests only).
std::size_t encode_increasing_library(const std::uint32_t* values, std::uint32_t n, std::uint32_t prev,
                                      std::vector<std::uint8_t>& out);
/// The two decoders, exposed so tests can check they agree.
std::size_t decode_increasing_portable(const std::uint8_t* in, std::uint32_t* out, std::uint32_t n,
                                       std::uint32_t prev);
/// Only call when ssse3_available().
std::size_t decode_increasing_ssse3(const std::uint8_t* in, std::uint32_t* out, std::uint32_t n, std::uint32_t prev);
bool ssse3_available();
}  // namespace detail

}  // namespace spindle::codec
