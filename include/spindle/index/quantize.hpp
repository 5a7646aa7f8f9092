#pragma once
// The one quantizer of stored weights (docs/format.md, "Quantization"): used
// by every segment writer (bulk `spindle index`, live collection flushes and
// merges), so a weight is stored the same way whichever path wrote it.
#include <cmath>
#include <cstdint>
#include <limits>
#include <span>
#include <type_traits>

#include "spindle/common/types.hpp"

namespace spindle {

/// How the float weights of one segment map to integer codes.
struct Quantization {
    double scale = 1.0;     ///< stored weight = code x scale (a power of two for u8/u16; 1 for f32)
    float max_weight = 0;   ///< largest input weight
    float cap = 0;          ///< largest storable weight: max_code x scale (>= max_weight unless clipping)
    float quantile = 0;     ///< upper bound of the 99.9th percentile of the positive weights
    [[nodiscard]] bool clips() const { return max_weight > cap; }
};

/// Codes of u8/u16 segments: the 99.9th percentile of the positive weights
/// gets at least this share of the codes (u8: a quarter, u16: 1/64), so a
/// few outliers cannot squeeze ordinary weights into a handful of codes;
/// larger weights are clipped to the largest code (counted, reported).
inline constexpr double kClipFactorU8 = 4.0;
inline constexpr double kClipFactorU16 = 64.0;

/// Chooses the scale for `weights` (finite, >= 0) stored as `wt`.
Quantization choose_quantization(std::span<const float> weights, WeightType wt);

/// The stored code of weight `w`: rounded up, so a weight > 0 never becomes
/// code 0 and a stored weight never underestimates (except when clipped).
template <class W>
[[nodiscard]] inline W quantize_weight(float w, const Quantization& q) {
    if constexpr (std::is_integral_v<W>) {
        if (!(w > 0.0F)) return W{0};
        constexpr double kMax = std::numeric_limits<W>::max();
        const double c = std::ceil(static_cast<double>(w) / q.scale);  // exact: scale is a power of two
        return static_cast<W>(c < 1.0 ? 1.0 : (c > kMax ? kMax : c));
    } else {
        return w;
    }
}

/// Weights whose rank order within their term's posting list quantization
/// lost: a weight counts when its code equals the code of another weight of
/// the same term that was strictly different before quantizing (codes are a
/// monotone function of the weight, so order is never inverted, only tied).
/// Equivalently: the sizes of the (term, code) groups holding two or more
/// distinct input weights, summed. Clipped weights tie at the largest code and
/// count too. One pass over the postings (docs/format.md, "Quantization").
struct RankTies {
    std::uint64_t count = 0;
    std::uint64_t example = 0;  ///< when count > 0: a posting that tied with a strictly different weight
};

/// `list_begin` (size T + 1) delimits each term's postings in `codes` and
/// `weights` (the input weight of each code, same order).
template <class W>
RankTies count_rank_ties(std::span<const std::uint64_t> list_begin, std::span<const W> codes,
                         std::span<const float> weights);

/// Share of the postings above which the build summary and `spindle info`
/// warn that quantization lost rank order (issue 10: "more than 1 %").
inline constexpr double kRankTieWarnShare = 0.01;

}  // namespace spindle

#include <string>

namespace spindle {
struct Manifest;
/// "N weights above X clipped to Y (first in document ID); ..." when any
/// segment clipped weights, else empty: the build summary and `spindle info` print it.
std::string clip_warning(const Manifest& m);
/// "N of P weights (x %) lost their rank order ... (first in document ID)"
/// when more than kRankTieWarnShare of the postings did, else empty.
std::string rank_tie_warning(const Manifest& m);
}  // namespace spindle
