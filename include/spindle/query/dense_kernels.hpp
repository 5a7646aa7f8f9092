#pragma once
// Distance kernels of dense vectors: inner product and squared Euclidean
// distance of an f32 query against an f32 or f16 stored vector, and the
// f16 widening (codec/half.hpp). Chosen once at run time: AVX2+FMA (+F16C for f16)
// where the CPU has them, else portable loops (namespace `portable`, also
// what the tests compare the SIMD kernels against).
#include <cstddef>
#include <cstdint>
#include <string_view>

namespace spindle::dense {

float dot(const float* q, const float* v, std::size_t n);
float dot(const float* q, const std::uint16_t* v, std::size_t n);
float l2sq(const float* q, const float* v, std::size_t n);
float l2sq(const float* q, const std::uint16_t* v, std::size_t n);

/// "avx2+fma+f16c" or "portable": what dot/l2sq run.
std::string_view kernel_name();

namespace portable {
float dot(const float* q, const float* v, std::size_t n);
float dot(const float* q, const std::uint16_t* v, std::size_t n);
float l2sq(const float* q, const float* v, std::size_t n);
float l2sq(const float* q, const std::uint16_t* v, std::size_t n);
}  // namespace portable

}  // namespace spindle::dense
