#pragma once
// Inner loops of block-max bound accumulation: upper[r] += q * maxima[r] over
// a term's dense range maxima. Compiled for AVX2 and for the baseline ISA and
// chosen at run time (GCC target_clones), since the default build does not
// assume AVX2.
#include <cstddef>
#include <cstdint>

namespace spindle::kernels {

void add_scaled(std::uint32_t* upper, const std::uint8_t* maxima, std::size_t n, std::uint32_t q);
void add_scaled(std::uint32_t* upper, const std::uint16_t* maxima, std::size_t n, std::uint32_t q);
void add_scaled(double* upper, const float* maxima, std::size_t n, double q);

}  // namespace spindle::kernels
