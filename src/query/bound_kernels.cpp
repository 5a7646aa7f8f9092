#include "spindle/query/bound_kernels.hpp"

#if defined(__x86_64__)
#include <immintrin.h>
#endif

namespace spindle::kernels {

// target_clones resolvers run before ThreadSanitizer's runtime is up (and
// crash there), so the TSan build uses the portable loops.
#if defined(__x86_64__) && defined(__GNUC__) && !defined(__clang__) && !defined(__SANITIZE_THREAD__)
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

SPINDLE_CLONES void add_scaled(double* upper, const std::uint8_t* maxima, std::size_t n, double q) {
    for (std::size_t i = 0; i < n; ++i) upper[i] += q * static_cast<double>(maxima[i]);
}

namespace {

SPINDLE_CLONES void add_scaled_pair_portable(std::uint32_t* upper, const std::uint8_t* a, const std::uint8_t* b,
                                             std::size_t n, std::uint32_t qa, std::uint32_t qb) {
    for (std::size_t i = 0; i < n; ++i) upper[i] += qa * static_cast<std::uint32_t>(a[i]) + qb * static_cast<std::uint32_t>(b[i]);
}

#if defined(__x86_64__) && defined(__GNUC__)
// 16 ranges per step: the two terms' maxima are widened to 16 bits and
// interleaved, so vpmaddwd computes qa * a + qb * b in each 32-bit lane.
__attribute__((target("avx2"))) void add_scaled_pair_avx2(std::uint32_t* upper, const std::uint8_t* a,
                                                          const std::uint8_t* b, std::size_t n, std::uint32_t qa,
                                                          std::uint32_t qb) {
    const __m256i q = _mm256_set1_epi32(static_cast<int>(qa | (qb << 16)));
    std::size_t i = 0;
    for (; i + 16 <= n; i += 16) {
        const __m256i wa = _mm256_cvtepu8_epi16(_mm_loadu_si128(reinterpret_cast<const __m128i*>(a + i)));
        const __m256i wb = _mm256_cvtepu8_epi16(_mm_loadu_si128(reinterpret_cast<const __m128i*>(b + i)));
        const __m256i lo = _mm256_madd_epi16(_mm256_unpacklo_epi16(wa, wb), q);  // ranges 0-3 | 8-11
        const __m256i hi = _mm256_madd_epi16(_mm256_unpackhi_epi16(wa, wb), q);  // ranges 4-7 | 12-15
        auto* out = reinterpret_cast<__m256i*>(upper + i);
        _mm256_storeu_si256(out, _mm256_add_epi32(_mm256_loadu_si256(out), _mm256_permute2x128_si256(lo, hi, 0x20)));
        _mm256_storeu_si256(out + 1,
                            _mm256_add_epi32(_mm256_loadu_si256(out + 1), _mm256_permute2x128_si256(lo, hi, 0x31)));
    }
    for (; i < n; ++i) upper[i] += qa * static_cast<std::uint32_t>(a[i]) + qb * static_cast<std::uint32_t>(b[i]);
}
const bool kHaveAvx2 = __builtin_cpu_supports("avx2") != 0;
#endif

}  // namespace

void add_scaled_pair(std::uint32_t* upper, const std::uint8_t* a, const std::uint8_t* b, std::size_t n,
                     std::uint32_t qa, std::uint32_t qb) {
#if defined(__x86_64__) && defined(__GNUC__)
    if (kHaveAvx2 && qa <= kPairMaxWeight && qb <= kPairMaxWeight) {
        add_scaled_pair_avx2(upper, a, b, n, qa, qb);
        return;
    }
#endif
    add_scaled_pair_portable(upper, a, b, n, qa, qb);
}

}  // namespace spindle::kernels
