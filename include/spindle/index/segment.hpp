#pragma once
// Read side of one segment: maps its three files, validates their structure
// and exposes typed views. Opening costs a checksum pass and O(terms + blocks
// + docs) consistency checks; no posting is decoded.
#include <algorithm>
#include <cmath>
#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <type_traits>
#include <variant>

#include "spindle/common/types.hpp"
#include "spindle/index/approx_format.hpp"
#include "spindle/index/doc_ids.hpp"
#include "spindle/index/file_kinds.hpp"
#include "spindle/index/segment_writer.hpp"
#include "spindle/io/container.hpp"

namespace spindle {

/// Type of the docid-range maxima (the bounds bmp sums): one byte whatever the
/// weight type, so summing them moves as few bytes as possible. Codes are
/// rounded up so they never underestimate: a u8 maximum is stored as it is; a
/// u16 maximum m as ceil(m / 257), one unit weighing 257; an f32 maximum m of
/// a term whose largest weight is T as ceil(255 m / T), one unit weighing T/255.
template <class W>
using RangeMax = std::uint8_t;
/// Weight of one unit of a stored integer range maximum, in stored weight units.
template <class W>
inline constexpr std::uint32_t kRangeMaxUnit = std::is_same_v<W, std::uint16_t> ? 257 : 1;

/// The stored range-maximum code of weight w for a term whose largest stored
/// weight is term_max (see RangeMax); 0 only for w == 0.
template <class W>
[[nodiscard]] inline std::uint8_t range_max_code(W w, W term_max) {
    if constexpr (std::is_integral_v<W>) {
        return static_cast<std::uint8_t>((w + kRangeMaxUnit<W> - 1) / kRangeMaxUnit<W>);
    } else {
        if (!(w > 0.0F) || !(term_max > 0.0F)) return 0;
        const double c = std::ceil(static_cast<double>(w) / static_cast<double>(term_max) * 255.0);
        return static_cast<std::uint8_t>(std::clamp(c, 1.0, 255.0));
    }
}

/// Inverted index of a segment with stored weight type W.
template <class W>
struct InvertedView {
    std::span<const std::uint64_t> term_block_begin;
    std::span<const std::uint64_t> term_posting_begin;
    std::span<const W> term_max;
    std::span<const docid_t> block_last;
    std::span<const W> block_max;
    std::span<const std::uint64_t> block_byte_begin;
    std::span<const std::uint8_t> docid_stream;
    std::span<const W> weights;
    std::span<const std::uint64_t> term_range_begin;
    std::span<const std::uint64_t> term_range_byte_begin;
    std::span<const std::uint8_t> range_stream;
    std::span<const RangeMax<W>> range_max;
    std::uint64_t num_terms = 0;
    docid_t num_docs = 0;
    std::uint32_t range_block = 0;
    std::uint64_t num_ranges = 0;  ///< ceil(num_docs / range_block)

    /// Term t stores a maximum for every range (no range ids) rather than for
    /// the ranges it occurs in.
    [[nodiscard]] bool dense_ranges(termid_t t) const {
        return term_range_begin[t + 1] - term_range_begin[t] == num_ranges;
    }
    [[nodiscard]] std::uint64_t df(termid_t t) const {
        return t < num_terms ? term_posting_begin[t + 1] - term_posting_begin[t] : 0;
    }
};

/// Forward index of a segment: each document's sorted term ids and weights.
template <class W>
struct ForwardView {
    std::span<const std::uint64_t> doc_term_begin;
    std::span<const std::uint64_t> doc_byte_begin;
    std::span<const std::uint8_t> term_stream;
    std::span<const W> weights;
};

template <class W>
struct SegmentViews {
    InvertedView<W> inv;
    ForwardView<W> fwd;
};

using AnySegmentViews = std::variant<SegmentViews<float>, SegmentViews<std::uint16_t>, SegmentViews<std::uint8_t>>;

class Segment {
public:
    /// Opens segment `info.name` under `index_dir`; throws CorruptIndex naming the file.
    /// `mode`: map the files or read them into memory (MappedFile::Mode).
    Segment(const std::string& index_dir, const SegmentInfo& info, WeightType weight_type, std::uint64_t vocab_size,
            MappedFile::Mode mode = MappedFile::Mode::map);
    /// One vector of a collection segment: its files already opened (from
    /// disk or memory), the segment's ids shared with its other vectors, and
    /// optionally its approx.bin.
    Segment(VectorFiles files, std::optional<Container> approx, std::shared_ptr<const DocIds> ids,
            const SegmentInfo& info, WeightType weight_type, std::uint64_t vocab_size);

    [[nodiscard]] const SegmentHeader& header() const { return header_; }
    [[nodiscard]] docid_t num_docs() const { return static_cast<docid_t>(header_.num_docs); }
    [[nodiscard]] std::string_view doc_id(docid_t d) const { return ids_->key(d); }
    [[nodiscard]] const DocIds& ids() const { return *ids_; }
    [[nodiscard]] const std::shared_ptr<const DocIds>& shared_ids() const { return ids_; }
    [[nodiscard]] const AnySegmentViews& views() const { return views_; }
    [[nodiscard]] const SegmentInfo& info() const { return info_; }
    /// The approximate structures (approx.bin), or nullptr when the segment has none.
    [[nodiscard]] const ApproxView* approx() const { return approx_view_ ? &*approx_view_ : nullptr; }

private:
    template <class W>
    SegmentViews<W> make_views() const;
    void init(WeightType weight_type, std::uint64_t vocab_size);

    SegmentInfo info_;
    Container inverted_;
    Container forward_;
    Container approx_;
    std::shared_ptr<const DocIds> ids_;
    std::optional<ApproxView> approx_view_;
    SegmentHeader header_{};
    AnySegmentViews views_;
};

}  // namespace spindle
