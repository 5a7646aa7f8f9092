#include "spindle/codec/docid_codec.hpp"

#include <streamvbyte.h>
#include <streamvbytedelta.h>

#include <cstring>
#include <bit>

namespace spindle::codec {

namespace {
// The StreamVByte-delta layout streamvbyte_delta_encode writes: (n + 3) / 4
// control bytes (2 bits a value, the first value in the low bits: its byte
// count minus one), then each gap's 1-4 little-endian bytes. Ours is
// branch-free (a 4-byte store, advanced by the gap's length); Debian's
// library, built without its SIMD path, branches on every value and was a
// fifth of an in-memory segment build. codec_test checks the two agree byte
// for byte.
static_assert(std::endian::native == std::endian::little, "the 4-byte stores below assume little-endian");

inline std::uint32_t gap_code(std::uint32_t v) {
    return static_cast<std::uint32_t>(v > 0xFFU) + static_cast<std::uint32_t>(v > 0xFFFFU) +
           static_cast<std::uint32_t>(v > 0xFFFFFFU);
}
}  // namespace

std::size_t encode_increasing(const std::uint32_t* values, std::uint32_t n, std::uint32_t prev,
                              std::vector<std::uint8_t>& out) {
    if (n == 0) return 0;
    const std::size_t at = out.size();
    const std::size_t key_bytes = (std::size_t{n} + 3) / 4;
    // Room for the widest encoding plus 3 bytes: every gap is stored as 4
    // bytes and the next one overwrites what it does not use.
    out.resize(at + key_bytes + std::size_t{n} * 4 + 3);
    std::uint8_t* key = out.data() + at;
    std::uint8_t* data = key + key_bytes;
    std::uint32_t i = 0;
    for (; i + 4 <= n; i += 4) {
        std::uint32_t k = 0;
        for (std::uint32_t j = 0; j < 4; ++j) {
            const std::uint32_t v = values[i + j] - prev;
            prev = values[i + j];
            const std::uint32_t c = gap_code(v);
            std::memcpy(data, &v, 4);  // little-endian (x86-64, aarch64)
            data += c + 1;
            k |= c << (2 * j);
        }
        *key++ = static_cast<std::uint8_t>(k);
    }
    if (i < n) {
        std::uint32_t k = 0;
        for (std::uint32_t j = 0; i < n; ++i, ++j) {
            const std::uint32_t v = values[i] - prev;
            prev = values[i];
            const std::uint32_t c = gap_code(v);
            std::memcpy(data, &v, 4);
            data += c + 1;
            k |= c << (2 * j);
        }
        *key = static_cast<std::uint8_t>(k);
    }
    const auto bytes = static_cast<std::size_t>(data - (out.data() + at));
    out.resize(at + bytes);
    return bytes;
}

namespace detail {
std::size_t encode_increasing_library(const std::uint32_t* values, std::uint32_t n, std::uint32_t prev,
                                      std::vector<std::uint8_t>& out) {
    const std::size_t at = out.size();
    out.resize(at + streamvbyte_max_compressedbytes(n));
    const std::size_t bytes = streamvbyte_delta_encode(values, n, out.data() + at, prev);
    out.resize(at + bytes);
    return bytes;
}
}  // namespace detail

namespace detail {
std::size_t decode_increasing_portable(const std::uint8_t* in, std::uint32_t* out, std::uint32_t n,
                                       std::uint32_t prev) {
    return streamvbyte_delta_decode(in, out, n, prev);
}
}  // namespace detail

namespace {
using Decoder = std::size_t (*)(const std::uint8_t*, std::uint32_t*, std::uint32_t, std::uint32_t);
Decoder pick_decoder() {
    return detail::ssse3_available() ? &detail::decode_increasing_ssse3 : &detail::decode_increasing_portable;
}
const Decoder kDecoder = pick_decoder();
}  // namespace

std::size_t decode_increasing(const std::uint8_t* in, std::uint32_t* out, std::uint32_t n, std::uint32_t prev) {
    return kDecoder(in, out, n, prev);
}

const char* decoder_name() { return kDecoder == &detail::decode_increasing_portable ? "portable" : "ssse3"; }

}  // namespace spindle::codec
