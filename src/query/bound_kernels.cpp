#include "spindle/query/bound_kernels.hpp"

namespace spindle::kernels {

#if defined(__x86_64__) && defined(__GNUC__) && !defined(__clang__)
#define SPINDLE_CLONES __attribute__((target_clones("avx2", "default")))
#else
#define SPINDLE_CLONES
#endif

SPINDLE_CLONES void add_scaled(std::uint32_t* upper, const std::uint8_t* maxima, std::size_t n, std::uint32_t q) {
    for (std::size_t i = 0; i < n; ++i) upper[i] += q * static_cast<std::uint32_t>(maxima[i]);
}

SPINDLE_CLONES void add_scaled(std::uint32_t* upper, const std::uint16_t* maxima, std::size_t n, std::uint32_t q) {
    for (std::size_t i = 0; i < n; ++i) upper[i] += q * static_cast<std::uint32_t>(maxima[i]);
}

SPINDLE_CLONES void add_scaled(double* upper, const float* maxima, std::size_t n, double q) {
    for (std::size_t i = 0; i < n; ++i) upper[i] += q * static_cast<double>(maxima[i]);
}

}  // namespace spindle::kernels
