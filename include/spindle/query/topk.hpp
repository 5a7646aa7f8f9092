#pragma once
// Top-k collection with a total order: higher score first, then lower docid.
// Only documents with a positive score are collected, and never an excluded
// one (deleted, or outside a filter): algorithms may score such documents
// (their bounds stay valid upper bounds), but the threshold they prune with
// comes from admitted documents only, so pruning stays exact.
#include <algorithm>
#include <cstddef>
#include <vector>

#include "spindle/common/bitmap.hpp"
#include "spindle/query/allow_set.hpp"
#include "spindle/common/types.hpp"

namespace spindle {

struct ScoredDoc {
    score_t score;
    docid_t doc;
};

/// a ranks before b.
[[nodiscard]] inline bool ranks_before(const ScoredDoc& a, const ScoredDoc& b) {
    return a.score > b.score || (a.score == b.score && a.doc < b.doc);
}

class TopK {
public:
    /// `excluded`: deleted documents; `allowed`: when given, the only
    /// documents that may enter (a filter's allow-set). Reserves for at most
    /// 4096 entries up front: k may exceed the documents there are (the heap
    /// grows only with what is pushed).
    /// `floor`: a document needs at least this score to enter (0: any
    /// positive score), e.g. the k-th score already found in other segments
    /// of the same search, so that none below it is ever scored.
    explicit TopK(std::size_t k, const Bitmap* excluded = nullptr, const AllowSet* allowed = nullptr, score_t floor = 0)
        : k_(k), excluded_(excluded), allowed_(allowed), floor_(floor) {
        heap_.reserve(std::min<std::size_t>(k, 4096) + 1);
    }

    /// Score a new document must exceed to enter, for document-at-a-time
    /// traversal (docids increase, so an equal score never wins): below the
    /// floor until full.
    [[nodiscard]] score_t threshold() const {
        return heap_.size() < k_ ? (floor_ > 0 ? floor_ - 1 : 0) : heap_.front().score;
    }
    [[nodiscard]] bool full() const { return heap_.size() >= k_; }
    /// Least score that may enter while not full (at least 1).
    [[nodiscard]] score_t floor() const { return std::max<score_t>(floor_, 1); }
    /// Would (score, doc) enter? Exact for any docid order.
    [[nodiscard]] bool would_enter(score_t score, docid_t doc) const {
        if (score == 0 || score < floor_) return false;
        return heap_.size() < k_ || ranks_before({score, doc}, heap_.front());
    }
    /// The current k-th entry (valid only when full()).
    [[nodiscard]] const ScoredDoc& kth() const { return heap_.front(); }

    /// Inserts if it would enter; returns whether it did.
    bool push(score_t score, docid_t doc) {
        if (!would_enter(score, doc)) return false;
        if (excluded_ != nullptr && excluded_->contains(doc)) return false;
        if (allowed_ != nullptr && !allowed_->contains(doc)) return false;
        if (heap_.size() >= k_) {
            std::pop_heap(heap_.begin(), heap_.end(), ranks_before);
            heap_.pop_back();
        }
        heap_.push_back({score, doc});
        std::push_heap(heap_.begin(), heap_.end(), ranks_before);
        return true;
    }

    /// Results best first; the collector is left empty.
    std::vector<ScoredDoc> take_sorted() {
        std::sort_heap(heap_.begin(), heap_.end(), ranks_before);
        return std::move(heap_);
    }
    /// Results best first; the collector is unchanged.
    [[nodiscard]] std::vector<ScoredDoc> sorted() const {
        std::vector<ScoredDoc> r = heap_;
        std::sort(r.begin(), r.end(), ranks_before);
        return r;
    }
    void clear() { heap_.clear(); }
    /// Empties the collector and sets a new floor (see the constructor).
    void restart(score_t floor) {
        heap_.clear();
        floor_ = floor;
    }
    [[nodiscard]] std::size_t size() const { return heap_.size(); }
    [[nodiscard]] std::size_t k() const { return k_; }
    /// The filter's allow-set, if any (algorithms skip what it leaves out).
    [[nodiscard]] const AllowSet* allowed() const { return allowed_; }

private:
    std::size_t k_;
    const Bitmap* excluded_ = nullptr;
    const AllowSet* allowed_ = nullptr;
    score_t floor_ = 0;
    std::vector<ScoredDoc> heap_;  // heap ordered so that front() is the worst entry
};

}  // namespace spindle
