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
void add_scaled(double* upper, const std::uint8_t* maxima, std::size_t n, double q);

/// upper[r] += qa * a[r] + qb * b[r]: two terms per pass over the bounds. With
/// AVX2 and qa, qb < 2^15 one multiply-add (vpmaddwd) handles both terms;
/// otherwise a portable loop gives the same sums.
void add_scaled_pair(std::uint32_t* upper, const std::uint8_t* a, const std::uint8_t* b, std::size_t n,
                     std::uint32_t qa, std::uint32_t qb);

/// Largest query multiplier add_scaled_pair() handles on its fast path.
inline constexpr std::uint32_t kPairMaxWeight = 32767;

}  // namespace spindle::kernels
