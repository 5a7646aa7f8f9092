// The bound-summing kernels (SIMD with run-time dispatch) against plain loops.
#include <gtest/gtest.h>

#include <random>
#include <vector>

#include "spindle/query/bound_kernels.hpp"

namespace spindle::test {
namespace {

TEST(BoundKernels, PairAndSingleMatchPlainLoops) {
    std::mt19937_64 rng(11);
    for (std::size_t n : {0U, 1U, 15U, 16U, 17U, 31U, 33U, 4096U, 4101U}) {
        for (std::uint32_t qmax : {255U, kernels::kPairMaxWeight, 1U << 20}) {
            std::vector<std::uint8_t> a(n), b(n);
            for (auto& x : a) x = static_cast<std::uint8_t>(rng());
            for (auto& x : b) x = static_cast<std::uint8_t>(rng() % 3 == 0 ? 0 : rng());
            const auto qa = static_cast<std::uint32_t>(1 + rng() % qmax);
            const auto qb = static_cast<std::uint32_t>(1 + rng() % qmax);
            std::vector<std::uint32_t> start(n);
            for (auto& x : start) x = static_cast<std::uint32_t>(rng() % 1000000);
            std::vector<std::uint32_t> pair = start, single = start, want = start;
            for (std::size_t i = 0; i < n; ++i) want[i] += qa * a[i] + qb * b[i];
            kernels::add_scaled_pair(pair.data(), a.data(), b.data(), n, qa, qb);
            kernels::add_scaled(single.data(), a.data(), n, qa);
            kernels::add_scaled(single.data(), b.data(), n, qb);
            EXPECT_EQ(pair, want) << "n " << n << " qmax " << qmax;
            EXPECT_EQ(single, want) << "n " << n << " qmax " << qmax;
        }
    }
}

TEST(BoundKernels, WideMaximaAndFloats) {
    std::vector<std::uint16_t> m{0, 1, 65535, 300};
    std::vector<std::uint32_t> up{5, 5, 5, 5};
    kernels::add_scaled(up.data(), m.data(), m.size(), 3U);
    EXPECT_EQ(up, (std::vector<std::uint32_t>{5, 8, 5 + 3 * 65535U, 905}));
    std::vector<float> f{0.5F, 2.0F};
    std::vector<double> d{1.0, 1.0};
    kernels::add_scaled(d.data(), f.data(), f.size(), 4.0);
    EXPECT_EQ(d, (std::vector<double>{3.0, 9.0}));
}

}  // namespace
}  // namespace spindle::test
