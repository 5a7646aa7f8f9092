#include "spindle/query/dense_kernels.hpp"

#include "spindle/codec/half.hpp"


#if defined(__x86_64__)
#include <cpuid.h>
#include <immintrin.h>
#endif

namespace spindle::dense {

using codec::from_half;

namespace portable {

float dot(const float* q, const float* v, std::size_t n) {
    float s[4] = {0, 0, 0, 0};
    std::size_t i = 0;
    for (; i + 4 <= n; i += 4) {
        for (int j = 0; j < 4; ++j) s[j] += q[i + j] * v[i + j];
    }
    for (; i < n; ++i) s[0] += q[i] * v[i];
    return (s[0] + s[1]) + (s[2] + s[3]);
}

float dot(const float* q, const std::uint16_t* v, std::size_t n) {
    float s = 0;
    for (std::size_t i = 0; i < n; ++i) s += q[i] * from_half(v[i]);
    return s;
}

float l2sq(const float* q, const float* v, std::size_t n) {
    float s[4] = {0, 0, 0, 0};
    std::size_t i = 0;
    for (; i + 4 <= n; i += 4) {
        for (int j = 0; j < 4; ++j) {
            const float d = q[i + j] - v[i + j];
            s[j] += d * d;
        }
    }
    for (; i < n; ++i) {
        const float d = q[i] - v[i];
        s[0] += d * d;
    }
    return (s[0] + s[1]) + (s[2] + s[3]);
}

float l2sq(const float* q, const std::uint16_t* v, std::size_t n) {
    float s = 0;
    for (std::size_t i = 0; i < n; ++i) {
        const float d = q[i] - from_half(v[i]);
        s += d * d;
    }
    return s;
}

}  // namespace portable

namespace {

#if defined(__x86_64__) && defined(__GNUC__)
#define SPINDLE_AVX2 __attribute__((target("avx2,fma,f16c")))

SPINDLE_AVX2 inline float hsum(__m256 v) {
    const __m128 lo = _mm256_castps256_ps128(v);
    const __m128 hi = _mm256_extractf128_ps(v, 1);
    __m128 s = _mm_add_ps(lo, hi);
    s = _mm_add_ps(s, _mm_movehl_ps(s, s));
    s = _mm_add_ss(s, _mm_shuffle_ps(s, s, 0x55));
    return _mm_cvtss_f32(s);
}

SPINDLE_AVX2 float dot_f32_avx2(const float* q, const float* v, std::size_t n) {
    __m256 a0 = _mm256_setzero_ps();
    __m256 a1 = _mm256_setzero_ps();
    std::size_t i = 0;
    for (; i + 16 <= n; i += 16) {
        a0 = _mm256_fmadd_ps(_mm256_loadu_ps(q + i), _mm256_loadu_ps(v + i), a0);
        a1 = _mm256_fmadd_ps(_mm256_loadu_ps(q + i + 8), _mm256_loadu_ps(v + i + 8), a1);
    }
    for (; i + 8 <= n; i += 8) a0 = _mm256_fmadd_ps(_mm256_loadu_ps(q + i), _mm256_loadu_ps(v + i), a0);
    float s = hsum(_mm256_add_ps(a0, a1));
    for (; i < n; ++i) s += q[i] * v[i];
    return s;
}

SPINDLE_AVX2 float dot_f16_avx2(const float* q, const std::uint16_t* v, std::size_t n) {
    __m256 a0 = _mm256_setzero_ps();
    std::size_t i = 0;
    for (; i + 8 <= n; i += 8) {
        const __m256 x = _mm256_cvtph_ps(_mm_loadu_si128(reinterpret_cast<const __m128i*>(v + i)));
        a0 = _mm256_fmadd_ps(_mm256_loadu_ps(q + i), x, a0);
    }
    float s = hsum(a0);
    for (; i < n; ++i) s += q[i] * from_half(v[i]);
    return s;
}

SPINDLE_AVX2 float l2sq_f32_avx2(const float* q, const float* v, std::size_t n) {
    __m256 a0 = _mm256_setzero_ps();
    __m256 a1 = _mm256_setzero_ps();
    std::size_t i = 0;
    for (; i + 16 <= n; i += 16) {
        const __m256 d0 = _mm256_sub_ps(_mm256_loadu_ps(q + i), _mm256_loadu_ps(v + i));
        const __m256 d1 = _mm256_sub_ps(_mm256_loadu_ps(q + i + 8), _mm256_loadu_ps(v + i + 8));
        a0 = _mm256_fmadd_ps(d0, d0, a0);
        a1 = _mm256_fmadd_ps(d1, d1, a1);
    }
    for (; i + 8 <= n; i += 8) {
        const __m256 d0 = _mm256_sub_ps(_mm256_loadu_ps(q + i), _mm256_loadu_ps(v + i));
        a0 = _mm256_fmadd_ps(d0, d0, a0);
    }
    float s = hsum(_mm256_add_ps(a0, a1));
    for (; i < n; ++i) {
        const float d = q[i] - v[i];
        s += d * d;
    }
    return s;
}

SPINDLE_AVX2 float l2sq_f16_avx2(const float* q, const std::uint16_t* v, std::size_t n) {
    __m256 a0 = _mm256_setzero_ps();
    std::size_t i = 0;
    for (; i + 8 <= n; i += 8) {
        const __m256 x = _mm256_cvtph_ps(_mm_loadu_si128(reinterpret_cast<const __m128i*>(v + i)));
        const __m256 d = _mm256_sub_ps(_mm256_loadu_ps(q + i), x);
        a0 = _mm256_fmadd_ps(d, d, a0);
    }
    float s = hsum(a0);
    for (; i < n; ++i) {
        const float d = q[i] - from_half(v[i]);
        s += d * d;
    }
    return s;
}

// F16C from CPUID leaf 1 (ECX bit 29): clang 14's __builtin_cpu_supports
// does not know "f16c". AVX2 implies the OS saves the YMM state F16C uses.
bool cpu_has_f16c() {
    unsigned eax = 0, ebx = 0, ecx = 0, edx = 0;
    return __get_cpuid(1, &eax, &ebx, &ecx, &edx) != 0 && (ecx & (1U << 29U)) != 0;
}

// Checked once at static initialization (no ifunc resolvers, which the
// TSan build cannot run).
const bool kSimd = __builtin_cpu_supports("avx2") != 0 && __builtin_cpu_supports("fma") != 0 && cpu_has_f16c();
#else
constexpr bool kSimd = false;
#endif

}  // namespace

#if defined(__x86_64__) && defined(__GNUC__)
float dot(const float* q, const float* v, std::size_t n) { return kSimd ? dot_f32_avx2(q, v, n) : portable::dot(q, v, n); }
float dot(const float* q, const std::uint16_t* v, std::size_t n) { return kSimd ? dot_f16_avx2(q, v, n) : portable::dot(q, v, n); }
float l2sq(const float* q, const float* v, std::size_t n) { return kSimd ? l2sq_f32_avx2(q, v, n) : portable::l2sq(q, v, n); }
float l2sq(const float* q, const std::uint16_t* v, std::size_t n) { return kSimd ? l2sq_f16_avx2(q, v, n) : portable::l2sq(q, v, n); }
#else
float dot(const float* q, const float* v, std::size_t n) { return portable::dot(q, v, n); }
float dot(const float* q, const std::uint16_t* v, std::size_t n) { return portable::dot(q, v, n); }
float l2sq(const float* q, const float* v, std::size_t n) { return portable::l2sq(q, v, n); }
float l2sq(const float* q, const std::uint16_t* v, std::size_t n) { return portable::l2sq(q, v, n); }
#endif

std::string_view kernel_name() { return kSimd ? "avx2+fma+f16c" : "portable"; }

}  // namespace spindle::dense
