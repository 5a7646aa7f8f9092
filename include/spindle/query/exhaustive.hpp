#pragma once
// The reference: term-at-a-time scoring of every posting into a dense
// accumulator, then a scan that collects the top k.
#include <vector>

#include "spindle/query/cursor_concepts.hpp"
#include "spindle/query/search_stats.hpp"
#include "spindle/query/topk.hpp"

namespace spindle {

template <ScoredCursor C>
void exhaustive_search(std::vector<C>& cursors, docid_t num_docs, TopK& topk, std::vector<score_t>& acc,
                       SearchStats& stats) {
    acc.assign(num_docs, 0);
    for (auto& c : cursors) {
        for (; c.docid() < num_docs; c.next()) {
            acc[c.docid()] += c.score();
            ++stats.postings_scored;
        }
    }
    const AllowSet* allowed = topk.allowed();
    for (docid_t d = allowed ? allowed->next(0) : 0; d < num_docs; d = allowed ? allowed->next(d + 1) : d + 1) {
        if (acc[d] > topk.threshold()) {
            ++stats.docs_evaluated;
            topk.push(acc[d], d);
        }
    }
}

}  // namespace spindle
