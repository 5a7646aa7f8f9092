#pragma once
// The documents a filter allows in one segment, as a flat bitset (one bit
// per docid) for the inner loops: membership, the next allowed docid, and
// whether a docid range holds any (bmp's range skipping). Built from the
// filter's roaring bitmap once per segment and query.
#include <algorithm>
#include <bit>
#include <cstdint>
#include <vector>

#include "spindle/common/bitmap.hpp"
#include "spindle/common/types.hpp"

namespace spindle {

class AllowSet {
public:
    AllowSet() = default;
    AllowSet(const Bitmap& allowed, docid_t num_docs) { assign(allowed, num_docs); }

    void assign(const Bitmap& allowed, docid_t num_docs) {
        n_ = num_docs;
        words_.assign((std::size_t{num_docs} + 63) / 64 + 1, 0);
        count_ = 0;
        // Decoded by CRoaring's bulk conversion in blocks of 64K docids (a
        // container's worth: each call decodes the containers it touches
        // whole, so smaller blocks decode dense containers many times), then
        // set: one iterator step per docid (the earlier loop) was 36 % of a
        // filtered approx search at 1M documents, 50 % selectivity.
        constexpr std::size_t kBlock = 65536;
        thread_local std::vector<std::uint32_t> buf;
        buf.resize(kBlock);
        const std::uint64_t total = allowed.cardinality();
        for (std::uint64_t at = 0; at < total; at += kBlock) {
            const auto len = static_cast<std::size_t>(std::min<std::uint64_t>(kBlock, total - at));
            roaring_bitmap_range_uint32_array(&allowed.roaring, static_cast<std::size_t>(at), len, buf.data());
            for (std::size_t i = 0; i < len; ++i) {
                const std::uint32_t d = buf[i];
                if (d >= num_docs) return;
                words_[d >> 6U] |= std::uint64_t{1} << (d & 63U);
                ++count_;
            }
        }
    }
    [[nodiscard]] bool contains(docid_t d) const { return (words_[d >> 6U] >> (d & 63U)) & 1U; }
    /// The first allowed docid >= d, or num_docs when none.
    [[nodiscard]] docid_t next(docid_t d) const {
        if (d >= n_) return n_;
        std::size_t w = d >> 6U;
        std::uint64_t bits = words_[w] & (~std::uint64_t{0} << (d & 63U));
        const std::size_t nw = (std::size_t{n_} + 63) / 64;
        while (bits == 0) {
            if (++w >= nw) return n_;
            bits = words_[w];
        }
        const auto r = static_cast<docid_t>(w * 64 + static_cast<std::size_t>(std::countr_zero(bits)));
        return r < n_ ? r : n_;
    }
    /// Does [lo, hi) hold an allowed docid?
    [[nodiscard]] bool any_in(docid_t lo, docid_t hi) const {
        if (hi > n_) hi = n_;
        if (lo >= hi) return false;
        const std::size_t wl = lo >> 6U;
        const std::size_t wh = (hi - 1) >> 6U;
        const std::uint64_t first = ~std::uint64_t{0} << (lo & 63U);
        const std::uint64_t last = ~std::uint64_t{0} >> (63U - ((hi - 1) & 63U));
        if (wl == wh) return (words_[wl] & first & last) != 0;
        if ((words_[wl] & first) != 0 || (words_[wh] & last) != 0) return true;
        for (std::size_t w = wl + 1; w < wh; ++w) {
            if (words_[w] != 0) return true;
        }
        return false;
    }
    /// Does [lo, lo + width) hold an allowed docid, for a width dividing 64
    /// and lo a multiple of it (the range lies in one word; bits past the
    /// last document are never set).
    [[nodiscard]] bool any_in_aligned(docid_t lo, unsigned width) const {
        const std::uint64_t mask = width >= 64 ? ~std::uint64_t{0} : (std::uint64_t{1} << width) - 1;
        return ((words_[lo >> 6U] >> (lo & 63U)) & mask) != 0;
    }
    [[nodiscard]] std::uint64_t count() const { return count_; }
    [[nodiscard]] docid_t num_docs() const { return n_; }

private:
    std::vector<std::uint64_t> words_;
    docid_t n_ = 0;
    std::uint64_t count_ = 0;
};

}  // namespace spindle
