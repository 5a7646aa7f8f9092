#pragma once
// Document-at-a-time MaxScore (Turtle & Flood 1995), in the form of PISA's
// maxscore_query: lists sorted by maximum score; the lists whose cumulative
// maxima cannot beat the threshold are "non-essential" and only probed for
// documents found in the essential lists. Under a filter, candidates outside
// the allow-set are skipped before they are scored.
#include <algorithm>
#include <vector>

#include "spindle/query/cursor_concepts.hpp"
#include "spindle/query/search_stats.hpp"
#include "spindle/query/topk.hpp"

namespace spindle {

template <ScoredCursor C>
void maxscore_search(std::vector<C>& cursors, docid_t num_docs, TopK& topk, SearchStats& stats) {
    const std::size_t n = cursors.size();
    if (n == 0) return;
    std::vector<C*> ordered;
    ordered.reserve(n);
    for (auto& c : cursors) ordered.push_back(&c);
    std::sort(ordered.begin(), ordered.end(), [](const C* a, const C* b) { return a->max_score() < b->max_score(); });
    // upper[i] = sum of max scores of ordered[0..i].
    std::vector<score_t> upper(n);
    score_t sum = 0;
    for (std::size_t i = 0; i < n; ++i) upper[i] = sum += ordered[i]->max_score();

    std::size_t non_essential = 0;
    score_t threshold = topk.threshold();
    while (non_essential < n && upper[non_essential] <= threshold) ++non_essential;

    docid_t cur = num_docs;
    for (std::size_t i = non_essential; i < n; ++i) cur = std::min(cur, ordered[i]->docid());

    const AllowSet* allowed = topk.allowed();
    while (non_essential < n && cur < num_docs) {
        if (allowed != nullptr && !allowed->contains(cur)) {
            // Under a filter: jump the essential lists to the next allowed document.
            const docid_t target = allowed->next(cur);
            if (target >= num_docs) break;
            cur = num_docs;
            for (std::size_t i = non_essential; i < n; ++i) {
                ordered[i]->next_geq(target);
                cur = std::min(cur, ordered[i]->docid());
            }
            continue;
        }
        score_t score = 0;
        docid_t next = num_docs;
        for (std::size_t i = non_essential; i < n; ++i) {
            C& c = *ordered[i];
            if (c.docid() == cur) {
                score += c.score();
                ++stats.postings_scored;
                c.next();
            }
            next = std::min(next, c.docid());
        }
        for (std::size_t i = non_essential; i-- > 0;) {
            if (score + upper[i] <= threshold) break;
            C& c = *ordered[i];
            c.next_geq(cur);
            if (c.docid() == cur) {
                score += c.score();
                ++stats.postings_scored;
            }
        }
        ++stats.docs_evaluated;
        if (topk.push(score, cur)) {
            threshold = topk.threshold();
            while (non_essential < n && upper[non_essential] <= threshold) ++non_essential;
        }
        cur = next;
    }
}

}  // namespace spindle
