#pragma once
// Cursor over one term's block-compressed posting list in an InvertedView.
#include <array>
#include <cstdint>

#include "spindle/codec/docid_codec.hpp"
#include "spindle/index/segment.hpp"
#include "spindle/query/cursor_concepts.hpp"
#include "spindle/query/scoring.hpp"
#include "spindle/query/search_stats.hpp"

namespace spindle {

template <class W>
class BlockPostingCursor {
public:
    BlockPostingCursor(const InvertedView<W>& inv, termid_t term, SearchStats* stats)
        : end_(inv.num_docs), stats_(stats) {
        if (term < inv.num_terms) {
            const auto b = inv.term_block_begin[term];
            nblocks_ = static_cast<std::uint32_t>(inv.term_block_begin[term + 1] - b);
            size_ = inv.term_posting_begin[term + 1] - inv.term_posting_begin[term];
            block_last_ = inv.block_last.data() + b;
            block_max_ = inv.block_max.data() + b;
            byte_begin_ = inv.block_byte_begin.data() + b;
            stream_ = inv.docid_stream.data();
            weights_ = inv.weights.data() + inv.term_posting_begin[term];
            max_weight_ = inv.term_max[term];
        }
        if (nblocks_ > 0) {
            decode(0);
        } else {
            cur_ = end_;
        }
    }

    [[nodiscard]] docid_t docid() const { return cur_; }
    [[nodiscard]] W weight() const { return weights_[block_ * codec::kPostingBlock + pos_]; }
    [[nodiscard]] std::uint64_t size() const { return size_; }
    [[nodiscard]] W max_weight() const { return max_weight_; }
    [[nodiscard]] docid_t end() const { return end_; }

    void next() {
        if (++pos_ < len_) {
            cur_ = buf_[pos_];
        } else if (block_ + 1 < nblocks_) {
            decode(block_ + 1);
        } else {
            cur_ = end_;
        }
    }

    void next_geq(docid_t d) {
        if (d <= cur_ || cur_ == end_) return;
        if (block_last_[block_] < d) {
            std::uint32_t b = block_ + 1;
            while (b < nblocks_ && block_last_[b] < d) ++b;
            if (b >= nblocks_) {
                block_ = nblocks_ - 1;
                pos_ = len_;
                cur_ = end_;
                return;
            }
            decode(b);
        }
        while (buf_[pos_] < d) ++pos_;
        cur_ = buf_[pos_];
    }

    void shallow_next_geq(docid_t d) {
        while (shallow_ < nblocks_ && block_last_[shallow_] < d) ++shallow_;
    }
    [[nodiscard]] W shallow_block_max() const { return shallow_ < nblocks_ ? block_max_[shallow_] : W{0}; }
    [[nodiscard]] docid_t block_last_docid() const { return shallow_ < nblocks_ ? block_last_[shallow_] : end_; }

private:
    void decode(std::uint32_t b) {
        block_ = b;
        len_ = b + 1 < nblocks_ ? codec::kPostingBlock
                                : static_cast<std::uint32_t>(size_ - std::uint64_t{b} * codec::kPostingBlock);
        const docid_t prev = b > 0 ? block_last_[b - 1] : 0;
        codec::decode_increasing(stream_ + byte_begin_[b], buf_.data(), len_, prev);
        pos_ = 0;
        cur_ = buf_[0];
        if (stats_ != nullptr) ++stats_->blocks_decoded;
    }

    docid_t end_;
    SearchStats* stats_;
    std::uint32_t nblocks_ = 0;
    std::uint64_t size_ = 0;
    const docid_t* block_last_ = nullptr;
    const W* block_max_ = nullptr;
    const std::uint64_t* byte_begin_ = nullptr;
    const std::uint8_t* stream_ = nullptr;
    const W* weights_ = nullptr;
    W max_weight_{0};
    std::uint32_t block_ = 0;
    std::uint32_t pos_ = 0;
    std::uint32_t len_ = 0;
    std::uint32_t shallow_ = 0;
    docid_t cur_ = 0;
    alignas(64) std::array<docid_t, codec::kPostingBlock> buf_{};
};

/// A BlockPostingCursor scored for one query term.
template <class W>
class ScoredBlockCursor {
public:
    ScoredBlockCursor(const InvertedView<W>& inv, termid_t term, QueryWeight q, SearchStats* stats)
        : c_(inv, term, stats), q_(q), max_score_(contrib<W>(q, c_.max_weight())) {}

    [[nodiscard]] docid_t docid() const { return c_.docid(); }
    void next() { c_.next(); }
    void next_geq(docid_t d) { c_.next_geq(d); }
    [[nodiscard]] std::uint64_t size() const { return c_.size(); }
    [[nodiscard]] score_t score() const { return contrib<W>(q_, c_.weight()); }
    [[nodiscard]] score_t max_score() const { return max_score_; }
    void shallow_next_geq(docid_t d) { c_.shallow_next_geq(d); }
    [[nodiscard]] score_t block_max_score() const { return contrib<W>(q_, c_.shallow_block_max()); }
    [[nodiscard]] docid_t block_last_docid() const { return c_.block_last_docid(); }

private:
    BlockPostingCursor<W> c_;
    QueryWeight q_;
    score_t max_score_;
};

static_assert(BlockMaxCursor<ScoredBlockCursor<std::uint8_t>>);

}  // namespace spindle
