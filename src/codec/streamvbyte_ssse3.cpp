// SSSE3 decoder for StreamVByte-delta streams. Layout (the library's): ceil(n/4)
// control bytes, then the values' data bytes. Control byte i/4 holds, in bits
// 2*(i%4) and up, the byte length minus one of value i. A group of four values
// is decoded with one shuffle of 16 data bytes picked by its control byte,
// then turned from gaps into values with a 4-lane prefix sum.
#include <array>
#include <cstring>

#include "spindle/codec/docid_codec.hpp"

#if defined(__x86_64__) || defined(__i386__)
#include <immintrin.h>
#define SPINDLE_HAVE_X86 1
#endif

namespace spindle::codec::detail {
namespace {

struct Tables {
    std::array<std::array<std::uint8_t, 16>, 256> shuffle{};
    std::array<std::uint8_t, 256> length{};
};

constexpr Tables make_tables() {
    Tables t{};
    for (unsigned key = 0; key < 256; ++key) {
        unsigned at = 0;
        for (unsigned lane = 0; lane < 4; ++lane) {
            const unsigned len = ((key >> (2 * lane)) & 3U) + 1;
            for (unsigned b = 0; b < 4; ++b) {
                t.shuffle[key][lane * 4 + b] = b < len ? static_cast<std::uint8_t>(at + b) : std::uint8_t{0x80};
            }
            at += len;
        }
        t.length[key] = static_cast<std::uint8_t>(at);
    }
    return t;
}

constexpr Tables kTables = make_tables();

}  // namespace

#ifdef SPINDLE_HAVE_X86
bool ssse3_available() { return __builtin_cpu_supports("ssse3") != 0; }

__attribute__((target("ssse3"))) std::size_t decode_increasing_ssse3(const std::uint8_t* in, std::uint32_t* out,
                                                                      std::uint32_t n, std::uint32_t prev) {
    const std::uint8_t* keys = in;
    const std::uint8_t* data = in + (n + 3) / 4;
    const std::uint32_t groups = n / 4;
    __m128i last = _mm_set1_epi32(static_cast<int>(prev));
    for (std::uint32_t g = 0; g < groups; ++g) {
        const std::uint8_t key = keys[g];
        __m128i v = _mm_loadu_si128(reinterpret_cast<const __m128i*>(data));
        v = _mm_shuffle_epi8(v, _mm_loadu_si128(reinterpret_cast<const __m128i*>(kTables.shuffle[key].data())));
        data += kTables.length[key];
        v = _mm_add_epi32(v, _mm_slli_si128(v, 4));
        v = _mm_add_epi32(v, _mm_slli_si128(v, 8));
        v = _mm_add_epi32(v, last);
        _mm_storeu_si128(reinterpret_cast<__m128i*>(out + 4 * g), v);
        last = _mm_shuffle_epi32(v, 0xFF);
    }
    std::uint32_t x = static_cast<std::uint32_t>(_mm_cvtsi128_si32(last));
    for (std::uint32_t i = groups * 4; i < n; ++i) {
        const unsigned len = ((keys[i / 4] >> (2 * (i % 4))) & 3U) + 1;
        std::uint32_t gap = 0;
        std::memcpy(&gap, data, len);  // little-endian low bytes
        data += len;
        out[i] = x += gap;
    }
    return static_cast<std::size_t>(data - in);
}
#else
bool ssse3_available() { return false; }
std::size_t decode_increasing_ssse3(const std::uint8_t* in, std::uint32_t* out, std::uint32_t n, std::uint32_t prev) {
    return decode_increasing_portable(in, out, n, prev);
}
#endif

}  // namespace spindle::codec::detail
