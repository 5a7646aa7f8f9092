#include "spindle/codec/half.hpp"

#include <bit>

namespace spindle::codec {

std::uint16_t to_half(float f) {
    const std::uint32_t x = std::bit_cast<std::uint32_t>(f);
    const std::uint32_t sign = (x >> 16U) & 0x8000U;
    const std::uint32_t absx = x & 0x7FFFFFFFU;
    if (absx >= 0x7F800000U) {  // inf or nan
        return static_cast<std::uint16_t>(sign | 0x7C00U | (absx > 0x7F800000U ? 0x200U : 0U));
    }
    if (absx >= 0x477FF000U) return static_cast<std::uint16_t>(sign | 0x7C00U);  // rounds past 65504
    if (absx < 0x38800000U) {  // subnormal half (or zero): scale into [0, 1024)
        if (absx < 0x33000000U) return static_cast<std::uint16_t>(sign);  // below half the smallest subnormal
        // value = mant * 2^(e-150) = r * 2^-24 with r = mant * 2^(e-126): shift right by 126-e (14..24).
        const std::uint32_t mant = (absx & 0x7FFFFFU) | 0x800000U;
        const auto s = static_cast<std::uint32_t>(126 - static_cast<int>(absx >> 23U));
        const std::uint32_t q = mant >> s;
        const std::uint32_t rem = mant & ((1U << s) - 1U);
        const std::uint32_t half = 1U << (s - 1U);
        std::uint32_t r = q + ((rem > half || (rem == half && (q & 1U) != 0U)) ? 1U : 0U);
        return static_cast<std::uint16_t>(sign | r);
    }
    // normal: rebias exponent 127 -> 15, round 13 dropped mantissa bits
    std::uint32_t h = ((absx - 0x38000000U) >> 13U);
    const std::uint32_t rem = absx & 0x1FFFU;
    if (rem > 0x1000U || (rem == 0x1000U && (h & 1U) != 0U)) ++h;
    return static_cast<std::uint16_t>(sign | h);
}

float from_half(std::uint16_t h) {
    const std::uint32_t sign = (static_cast<std::uint32_t>(h) & 0x8000U) << 16U;
    const std::uint32_t e = (h >> 10U) & 0x1FU;
    std::uint32_t m = h & 0x3FFU;
    std::uint32_t x;
    if (e == 0) {
        if (m == 0) {
            x = sign;
        } else {  // subnormal: normalize
            int ee = -1;
            do {
                ++ee;
                m <<= 1U;
            } while ((m & 0x400U) == 0);
            x = sign | (static_cast<std::uint32_t>(127 - 15 - ee) << 23U) | ((m & 0x3FFU) << 13U);
        }
    } else if (e == 31) {
        x = sign | 0x7F800000U | (m << 13U);
    } else {
        x = sign | ((e + 112U) << 23U) | (m << 13U);
    }
    return std::bit_cast<float>(x);
}

void to_half(const float* in, std::uint16_t* out, std::size_t n) {
    for (std::size_t i = 0; i < n; ++i) out[i] = to_half(in[i]);
}
void from_half(const std::uint16_t* in, float* out, std::size_t n) {
    for (std::size_t i = 0; i < n; ++i) out[i] = from_half(in[i]);
}

}  // namespace spindle::codec
