#pragma once
// Portable random numbers for the corpus generator. std:: distributions give
// different streams on different standard libraries, so every distribution
// here is built from raw 64-bit draws: the same seed gives the same corpus
// with any compiler (up to libm rounding of log/exp/pow, which glibc, musl and
// libc++ platforms compute identically for the values used here in practice).
#include <cmath>
#include <cstdint>
#include <span>
#include <vector>

#include "spindle/common/splitmix.hpp"

namespace spindle::gen {

__extension__ typedef unsigned __int128 uint128;  // GCC/Clang builtin; __extension__ keeps -Wpedantic quiet

using spindle::splitmix64;

/// Mixes two 64-bit values into an independent seed (e.g. corpus seed + doc number).
constexpr std::uint64_t mix_seed(std::uint64_t a, std::uint64_t b) {
    std::uint64_t s = a ^ (b * 0xD1B54A32D192ED03ULL);
    splitmix64(s);
    return splitmix64(s);
}

/// xoshiro256** (Blackman & Vigna), seeded through SplitMix64.
class Rng {
public:
    explicit Rng(std::uint64_t seed) {
        for (auto& w : s_) w = splitmix64(seed);
    }

    std::uint64_t next() {
        const std::uint64_t result = rotl(s_[1] * 5, 7) * 9;
        const std::uint64_t t = s_[1] << 17;
        s_[2] ^= s_[0];
        s_[3] ^= s_[1];
        s_[1] ^= s_[2];
        s_[0] ^= s_[3];
        s_[2] ^= t;
        s_[3] = rotl(s_[3], 45);
        return result;
    }

    /// Uniform in [0, 1) with 53 random bits.
    double uniform() { return static_cast<double>(next() >> 11) * 0x1.0p-53; }
    /// Uniform in (0, 1]: safe to take the log of.
    double uniform_pos() { return static_cast<double>((next() >> 11) + 1) * 0x1.0p-53; }
    /// Uniform integer in [0, n), n > 0 (Lemire's multiply-shift; bias < n / 2^64).
    std::uint64_t below(std::uint64_t n) {
        return static_cast<std::uint64_t>((static_cast<uint128>(next()) * n) >> 64);
    }
    /// True with probability p.
    bool bernoulli(double p) { return uniform() < p; }

    /// Standard normal by the Marsaglia polar method (one value per call, the
    /// second one is cached).
    double normal() {
        if (has_spare_) {
            has_spare_ = false;
            return spare_;
        }
        double u = 0, v = 0, s = 0;
        do {
            u = 2.0 * uniform() - 1.0;
            v = 2.0 * uniform() - 1.0;
            s = u * u + v * v;
        } while (s >= 1.0 || s == 0.0);
        const double m = std::sqrt(-2.0 * std::log(s) / s);
        spare_ = v * m;
        has_spare_ = true;
        return u * m;
    }
    /// exp(N(mu, sigma^2)).
    double lognormal(double mu, double sigma) { return std::exp(mu + sigma * normal()); }

private:
    static constexpr std::uint64_t rotl(std::uint64_t x, int k) { return (x << k) | (x >> (64 - k)); }
    std::uint64_t s_[4]{};
    double spare_ = 0;
    bool has_spare_ = false;
};

/// Walker/Vose alias table: O(1) draws from a fixed discrete distribution.
class AliasTable {
public:
    AliasTable() = default;
    /// Builds from non-negative weights (at least one positive); throws InvalidArgument otherwise.
    explicit AliasTable(std::span<const double> weights);

    [[nodiscard]] std::uint32_t sample(Rng& rng) const {
        const std::uint64_t r = rng.next();
        const auto i = static_cast<std::uint32_t>((static_cast<uint128>(r) * prob_.size()) >> 64);
        // The low 32 bits are independent enough of the high bits used for i.
        const std::uint32_t frac = static_cast<std::uint32_t>(r);
        return frac < prob_[i] ? i : alias_[i];
    }
    [[nodiscard]] std::size_t size() const { return prob_.size(); }

private:
    std::vector<std::uint32_t> prob_;  ///< acceptance threshold scaled to 2^32
    std::vector<std::uint32_t> alias_;
};

}  // namespace spindle::gen
