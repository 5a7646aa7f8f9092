#pragma once
// Exact fixed-point scoring. A document's score is the sum over shared terms
// of contrib(query weight, stored weight). Each contribution is an integer
// computed independently of evaluation order, so every algorithm computes
// bit-identical scores and ties are real ties (broken by ascending docid).
//  - u8/u16 weights: query weights are scaled to integers (kept exact when
//    they already are integers, as in Anserini impact queries) and
//    contrib = q_int * code.
//  - f32 weights: contrib = ceil(q * w * 2^s) with a per-query power of two s
//    chosen so that no sum can overflow.
// A positive query weight times a positive stored weight is never 0 (query
// multipliers and f32 products are rounded up), so every document sharing a
// term with the query scores > 0 and can be returned, whatever the dynamic
// range of the weights.
// contrib is monotone in the stored weight, so block and list maxima of stored
// weights give valid upper bounds.
#include <cstdint>
#include <span>
#include <type_traits>
#include <vector>

#include "spindle/common/types.hpp"

namespace spindle {

/// Query-side multiplier of one term.
struct QueryWeight {
    std::uint64_t qi = 0;  ///< integer multiplier (u8/u16 indexes)
    double qd = 0.0;       ///< fixed-point multiplier (f32 indexes)
};

template <class W>
[[nodiscard]] inline score_t contrib(const QueryWeight& q, W w) {
    if constexpr (std::is_integral_v<W>) {
        return q.qi * static_cast<std::uint64_t>(w);
    } else {
        // ceil for x >= 0 without a libm call: truncate, add 1 if below.
        const double x = q.qd * static_cast<double>(w);
        const auto t = static_cast<score_t>(x);
        return t + static_cast<score_t>(static_cast<double>(t) < x);
    }
}

struct QueryTerm {
    termid_t term;
    float weight;
};

/// Query terms mapped to the index vocabulary plus their scoring multipliers.
struct QueryPlan {
    std::vector<QueryTerm> terms;       ///< distinct terms, weight > 0
    std::vector<QueryWeight> weights;   ///< parallel to `terms`
    double inv_scale = 1.0;             ///< display score = integer score * segment scale * inv_scale
};

/// Builds the multipliers for `terms` (distinct ids, finite positive weights).
/// `max_stored_weight` is the largest dequantized weight in the index.
QueryPlan make_query_plan(std::vector<QueryTerm> terms, WeightType wt, float max_stored_weight);

}  // namespace spindle
