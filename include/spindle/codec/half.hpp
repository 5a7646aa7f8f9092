#pragma once
// IEEE binary16 (half precision) <-> binary32: the f16 storage of dense
// vectors. Round to nearest even; overflow gives infinity, NaN stays NaN.
#include <cstddef>
#include <cstdint>

namespace spindle::codec {

std::uint16_t to_half(float f);
float from_half(std::uint16_t h);
void to_half(const float* in, std::uint16_t* out, std::size_t n);
void from_half(const std::uint16_t* in, float* out, std::size_t n);

}  // namespace spindle::codec
