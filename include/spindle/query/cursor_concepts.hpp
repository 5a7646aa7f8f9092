#pragma once
// Contracts between query algorithms and posting storage (after PISA's
// posting_cursor concepts). Algorithms see cursors, never bytes.
#include <concepts>

#include "spindle/common/types.hpp"

namespace spindle {

/// Iterates one posting list in increasing docid order. docid() equals the
/// segment's document count once the list is exhausted (the end sentinel).
template <class C>
concept PostingCursor = requires(C c, const C cc, docid_t d) {
    { cc.docid() } -> std::same_as<docid_t>;
    c.next();         // advance to the next posting
    c.next_geq(d);    // advance to the first posting with docid >= d (no-op if already there)
    { cc.size() } -> std::convertible_to<std::uint64_t>;  // postings in the list
};

/// A posting cursor that scores its current posting for one query term.
template <class C>
concept ScoredCursor = PostingCursor<C> && requires(const C cc) {
    { cc.score() } -> std::same_as<score_t>;      // contribution of the current posting
    { cc.max_score() } -> std::same_as<score_t>;  // >= score() of every posting in the list
};

/// A scored cursor with block-max bounds reachable without decoding
/// ("shallow" moves, which never move the posting position).
template <class C>
concept BlockMaxCursor = ScoredCursor<C> && requires(C c, const C cc, docid_t d) {
    c.shallow_next_geq(d);  // select the first block whose last docid >= d (targets never decrease)
    { cc.block_max_score() } -> std::same_as<score_t>;  // bound for the selected block (0 past the end)
    { cc.block_last_docid() } -> std::same_as<docid_t>;  // last docid of the selected block (end sentinel past the end)
};

}  // namespace spindle
