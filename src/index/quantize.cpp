#include "spindle/index/quantize.hpp"

#include <algorithm>
#include <array>
#include <bit>
#include <cstring>
#include <limits>
#include <vector>

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

template <class W>
RankTies count_rank_ties(std::span<const std::uint64_t> list_begin, std::span<const W> codes,
                         std::span<const float> weights) {
    static_assert(std::is_integral_v<W>);
    // One slot per code, valid for the term whose stamp it carries: the
    // first weight seen with that code, how many share it, whether any differs.
    struct Slot {
        std::uint64_t stamp = 0;
        float first = 0.0F;
        std::uint64_t count = 0;
        bool mixed = false;
    };
    // The table (1.5 MB for u16) is kept per thread and its stamps keep
    // counting across calls, so it is never cleared: allocating and zeroing
    // it for every call cost more than the count itself in the 1,000-point
    // in-memory segments of a live collection.
    thread_local std::vector<Slot> slots;
    thread_local std::uint64_t last_stamp = 0;
    if (slots.empty()) slots.resize(std::size_t{std::numeric_limits<W>::max()} + 1);
    std::vector<W> touched;
    RankTies r;
    bool have_example = false;
    for (std::size_t t = 0; t + 1 < list_begin.size(); ++t) {
        if (list_begin[t] == list_begin[t + 1]) continue;
        const std::uint64_t stamp = ++last_stamp;
        touched.clear();
        for (std::uint64_t i = list_begin[t]; i < list_begin[t + 1]; ++i) {
            Slot& s = slots[codes[i]];
            if (s.stamp != stamp) {
                s = Slot{stamp, weights[i], 1, false};
                touched.push_back(codes[i]);
                continue;
            }
            ++s.count;
            if (weights[i] != s.first && !s.mixed) {
                s.mixed = true;
                if (!have_example) {
                    r.example = i;
                    have_example = true;
                }
            }
        }
        for (W c : touched) {
            if (slots[c].mixed) r.count += slots[c].count;
        }
    }
    return r;
}

template RankTies count_rank_ties<std::uint8_t>(std::span<const std::uint64_t>, std::span<const std::uint8_t>,
                                                std::span<const float>);
template RankTies count_rank_ties<std::uint16_t>(std::span<const std::uint64_t>, std::span<const std::uint16_t>,
                                                 std::span<const float>);

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

namespace spindle {

std::string rank_tie_warning(const Manifest& m) {
    if (m.rank_tied == 0 || m.num_postings == 0) return {};
    const double share = static_cast<double>(m.rank_tied) / static_cast<double>(m.num_postings);
    if (!(share > kRankTieWarnShare)) return {};
    std::string example;
    for (const auto& s : m.segments) {
        if (s.rank_tied > 0) {
            example = s.tie_example;
            break;
        }
    }
    return fmt::format(
        "warning: {} of {} weights ({:.1f} %) lost their rank order within their term's postings to {} quantization "
        "(tied with a weight that differed before; first in document '{}'): use --weights {} to keep it",
        m.rank_tied, m.num_postings, 100.0 * share, to_string(m.weight_type), example,
        m.weight_type == WeightType::u8 ? "u16 or f32" : "f32");
}

}  // namespace spindle
