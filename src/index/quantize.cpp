#include "spindle/index/quantize.hpp"

#include <algorithm>
#include <array>
#include <bit>
#include <cstring>

namespace spindle {

Quantization choose_quantization(std::span<const float> weights, WeightType wt) {
    Quantization q;
    // Histogram of the positive weights by their top 12 float bits (sign,
    // exponent, 3 mantissa bits: 1/8-octave buckets), so the percentile
    // costs one pass and no copy of the weights.
    std::array<std::uint64_t, 4096> hist{};
    std::uint64_t positive = 0;
    for (float w : weights) {
        q.max_weight = std::max(q.max_weight, w);
        if (w > 0.0F) {
            ++hist[std::bit_cast<std::uint32_t>(w) >> 20];
            ++positive;
        }
    }
    if (wt == WeightType::f32) {
        q.scale = 1.0;
        q.cap = q.max_weight;
        q.quantile = q.max_weight;
        return q;
    }
    const double max_code = wt == WeightType::u8 ? 255.0 : 65535.0;
    if (positive == 0) {
        q.scale = 1.0;
        q.cap = static_cast<float>(max_code);
        return q;
    }
    // Rank of the 99.9th percentile (0-based, among the positive weights).
    const std::uint64_t rank = static_cast<std::uint64_t>(0.999 * static_cast<double>(positive - 1));
    std::uint64_t seen = 0;
    std::uint32_t bucket = 0;
    for (; bucket < hist.size(); ++bucket) {
        seen += hist[bucket];
        if (seen > rank) break;
    }
    // Upper end of the bucket (the next bucket's smallest float), at most the maximum.
    const float upper = std::bit_cast<float>((bucket + 1) << 20);
    q.quantile = std::min(upper, q.max_weight);
    const double factor = wt == WeightType::u8 ? kClipFactorU8 : kClipFactorU16;
    const double want = std::min(static_cast<double>(q.max_weight), factor * static_cast<double>(q.quantile));
    // Smallest power of two with want / scale <= max_code.
    int e = 0;
    std::frexp(want / max_code, &e);  // want / max_code = m x 2^e, m in [0.5, 1)
    double scale = std::ldexp(1.0, e);
    if (want / std::ldexp(1.0, e - 1) <= max_code) scale = std::ldexp(1.0, e - 1);
    q.scale = scale;
    q.cap = static_cast<float>(max_code * scale);
    return q;
}

}  // namespace spindle

#include <fmt/format.h>

#include "spindle/index/manifest.hpp"

namespace spindle {

std::string clip_warning(const Manifest& m) {
    if (m.clipped == 0) return {};
    const SegmentInfo* first = nullptr;
    float max_in = 0;
    for (const auto& s : m.segments) {
        if (s.clipped == 0) continue;
        if (first == nullptr) first = &s;
        max_in = std::max(max_in, s.clip_max);
    }
    if (first == nullptr) return {};
    return fmt::format(
        "warning: {} weight{} clipped by {} quantization (largest {:.6g} stored as {:.6g}; first in document '{}'); "
        "ranking among clipped weights is lost: use --weights f32 to keep them",
        m.clipped, m.clipped == 1 ? "" : "s", to_string(m.weight_type), max_in, first->clip_cap, first->clip_example);
}

}  // namespace spindle
