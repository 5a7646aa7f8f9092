#pragma once
// BlockMax-WAND (Ding & Suel, SIGIR 2011), following PISA's block_max_wand_query:
// a WAND pivot from list maxima, then a check of the pivot against the sum of
// block maxima; documents in blocks that cannot beat the threshold are skipped
// without decoding. Under a filter, a pivot outside the allow-set moves the
// lists to the next allowed document.
#include <algorithm>
#include <vector>

#include "spindle/query/cursor_concepts.hpp"
#include "spindle/query/search_stats.hpp"
#include "spindle/query/topk.hpp"

namespace spindle {

template <BlockMaxCursor C>
void block_max_wand_search(std::vector<C>& cursors, docid_t num_docs, TopK& topk, SearchStats& stats) {
    const std::size_t n = cursors.size();
    if (n == 0) return;
    std::vector<C*> ordered;
    ordered.reserve(n);
    for (auto& c : cursors) ordered.push_back(&c);
    auto by_docid = [](const C* a, const C* b) { return a->docid() < b->docid(); };
    std::sort(ordered.begin(), ordered.end(), by_docid);
    // Restores docid order after ordered[i] advanced (it can only move right).
    auto bubble = [&](std::size_t i) {
        while (i + 1 < n && ordered[i + 1]->docid() < ordered[i]->docid()) {
            std::swap(ordered[i], ordered[i + 1]);
            ++i;
        }
    };

    const AllowSet* allowed = topk.allowed();
    for (;;) {
        const score_t threshold = topk.threshold();
        // Pivot: first list where the running sum of list maxima beats the threshold.
        score_t upper = 0;
        std::size_t pivot = n;
        for (std::size_t i = 0; i < n; ++i) {
            if (ordered[i]->docid() >= num_docs) break;
            upper += ordered[i]->max_score();
            if (upper > threshold) {
                pivot = i;
                break;
            }
        }
        if (pivot == n) return;
        const docid_t pivot_doc = ordered[pivot]->docid();
        while (pivot + 1 < n && ordered[pivot + 1]->docid() == pivot_doc) ++pivot;
        if (allowed != nullptr && !allowed->contains(pivot_doc)) {
            // Under a filter: documents before the pivot cannot win and those
            // up to the next allowed one are not allowed, so the lists up to
            // the pivot jump there.
            const docid_t target = allowed->next(pivot_doc);
            if (target >= num_docs) return;
            for (std::size_t i = 0; i <= pivot; ++i) ordered[i]->next_geq(target);
            for (std::size_t i = pivot + 1; i-- > 0;) bubble(i);
            continue;
        }

        score_t block_upper = 0;
        for (std::size_t i = 0; i <= pivot; ++i) {
            ordered[i]->shallow_next_geq(pivot_doc);
            block_upper += ordered[i]->block_max_score();
        }

        if (block_upper > threshold) {
            if (ordered[0]->docid() == pivot_doc) {
                score_t score = 0;
                for (std::size_t i = 0; i <= pivot; ++i) {
                    score += ordered[i]->score();
                    ++stats.postings_scored;
                    ordered[i]->next();
                }
                ++stats.docs_evaluated;
                topk.push(score, pivot_doc);
                // Only ordered[0..pivot] moved (all past pivot_doc): re-insert
                // them from the right instead of re-sorting every cursor.
                for (std::size_t i = pivot + 1; i-- > 0;) bubble(i);
            } else {
                // Move the list just before the pivot group up to the pivot.
                std::size_t i = pivot;
                while (ordered[i]->docid() == pivot_doc) --i;
                ordered[i]->next_geq(pivot_doc);
                bubble(i);
            }
        } else {
            // No document up to the end of the shortest current block can win.
            ++stats.blocks_skipped;
            docid_t next = num_docs;
            for (std::size_t i = 0; i <= pivot; ++i) {
                const docid_t last = ordered[i]->block_last_docid();
                next = std::min<docid_t>(next, last >= num_docs ? num_docs : last + 1);
            }
            if (pivot + 1 < n) next = std::min(next, ordered[pivot + 1]->docid());
            if (next <= pivot_doc) next = pivot_doc + 1;
            // Advance the list with the largest maximum among those up to the pivot.
            std::size_t pick = 0;
            for (std::size_t i = 1; i <= pivot; ++i) {
                if (ordered[i]->max_score() > ordered[pick]->max_score()) pick = i;
            }
            ordered[pick]->next_geq(next);
            bubble(pick);
        }
    }
}

}  // namespace spindle
