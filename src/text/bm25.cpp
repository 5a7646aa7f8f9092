#include "spindle/text/bm25.hpp"

#include <bit>
#include <cmath>
#include <string>

#include "spindle/common/error.hpp"

namespace spindle::text {
namespace {

// SmallFloat's 4-bit-mantissa code of a non-negative integer: values below 8
// are stored as is; larger ones keep their top 4 bits (the leading one
// implicit) and the shift + 1.
std::uint32_t long_to_int4(std::uint64_t i) {
    const int bits = 64 - std::countl_zero(i);
    if (bits < 4) return static_cast<std::uint32_t>(i);
    const int shift = bits - 4;
    auto encoded = static_cast<std::uint32_t>(i >> shift) & 0x07U;
    encoded |= static_cast<std::uint32_t>(shift + 1) << 3;
    return encoded;
}

std::uint64_t int4_to_long(std::uint32_t i) {
    const std::uint64_t bits = i & 0x07U;
    const int shift = static_cast<int>(i >> 3) - 1;
    if (shift == -1) return bits;
    return (bits | 0x08U) << shift;
}

const std::uint32_t kMaxInt4 = long_to_int4(0x7FFFFFFFULL);  // 231
const std::uint32_t kFreeValues = 255 - kMaxInt4;             // 24 lengths stored exactly

}  // namespace

void Bm25Params::validate() const {
    if (!std::isfinite(k1) || k1 < 0) throw InvalidArgument("BM25 k1 must be finite and >= 0, got " + std::to_string(k1));
    if (!std::isfinite(b) || b < 0 || b > 1) throw InvalidArgument("BM25 b must be in [0, 1], got " + std::to_string(b));
}

std::uint8_t int_to_byte4(std::uint32_t length) {
    if (length > 0x7FFFFFFFU) length = 0x7FFFFFFFU;
    if (length < kFreeValues) return static_cast<std::uint8_t>(length);
    return static_cast<std::uint8_t>(kFreeValues + long_to_int4(length - kFreeValues));
}

std::uint32_t byte4_to_int(std::uint8_t b) {
    if (b < kFreeValues) return b;
    return static_cast<std::uint32_t>(kFreeValues + int4_to_long(b - kFreeValues));
}

Bm25::Bm25(Bm25Params p, std::uint64_t docs_with_terms, std::uint64_t total_terms)
    : p_(p), n_(static_cast<double>(docs_with_terms)) {
    p_.validate();
    // Lucene: avgdl = (float) (sumTotalTermFreq / (double) docCount), 1 when empty.
    avgdl_ = docs_with_terms == 0 ? 1.0F
                                  : static_cast<float>(static_cast<double>(total_terms) /
                                                       static_cast<double>(docs_with_terms));
    for (std::uint32_t i = 0; i < 256; ++i) {
        const auto len = static_cast<float>(byte4_to_int(static_cast<std::uint8_t>(i)));
        inv_norm_[i] = 1.0F / (p_.k1 * ((1.0F - p_.b) + p_.b * len / avgdl_));
    }
}

float Bm25::idf(std::uint64_t df) const {
    const auto d = static_cast<double>(df);
    return static_cast<float>(std::log(1.0 + (n_ - d + 0.5) / (d + 0.5)));
}

float Bm25::weight(float idf, std::uint32_t tf, std::uint32_t length) const {
    const float inv = inv_norm_[int_to_byte4(length)];
    return idf - idf / (1.0F + static_cast<float>(tf) * inv);
}

}  // namespace spindle::text
