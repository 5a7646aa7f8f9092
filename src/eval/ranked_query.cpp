#include "spindle/eval/ranked_query.hpp"

#include <algorithm>
#include <functional>

#include "spindle/common/error.hpp"

namespace spindle::eval {

RankedQuery rank_query(const std::vector<ScoredDoc>& docs, const QueryJudgments& judged, long relevance_level,
                       std::size_t max_results) {
    RankedQuery q;
    q.relevance_level = relevance_level;
    // trec_eval's order: score descending, ties by docno in decreasing byte order.
    std::vector<const ScoredDoc*> order(docs.size());
    for (std::size_t i = 0; i < docs.size(); ++i) order[i] = &docs[i];
    std::sort(order.begin(), order.end(), [](const ScoredDoc* a, const ScoredDoc* b) {
        if (a->score != b->score) return a->score > b->score;
        return a->docno > b->docno;
    });
    if (order.size() > max_results) order.resize(max_results);
    {  // trec_eval refuses a document retrieved twice; so do we.
        std::vector<const std::string*> names(order.size());
        for (std::size_t i = 0; i < order.size(); ++i) names[i] = &order[i]->docno;
        std::sort(names.begin(), names.end(), [](const std::string* a, const std::string* b) { return *a < *b; });
        for (std::size_t i = 1; i < names.size(); ++i) {
            if (*names[i] == *names[i - 1]) {
                throw InvalidArgument("document '" + *names[i] + "' retrieved twice for one query");
            }
        }
    }
    q.num_ret = static_cast<long>(order.size());
    q.rels.resize(order.size());
    q.rel_prefix.assign(order.size() + 1, 0);
    for (std::size_t i = 0; i < order.size(); ++i) {
        const Judgment* j = judged.find(order[i]->docno);
        q.rels[i] = j == nullptr ? kNotInPool : (j->rel < 0 ? kUnjudged : j->rel);
        // relevance_level >= 0 (EvalOptions::validate), so the negative markers never count.
        q.rel_prefix[i + 1] = q.rel_prefix[i] + (q.rels[i] >= relevance_level ? 1 : 0);
    }
    q.num_rel_ret = q.rel_prefix.back();
    for (const auto& j : judged.docs) {
        if (j.rel < 0) continue;
        q.judged_desc.push_back(j.rel);
        if (j.rel >= relevance_level) {
            ++q.num_rel;
        } else {
            ++q.num_nonrel;
        }
    }
    std::sort(q.judged_desc.begin(), q.judged_desc.end(), std::greater<>());
    return q;
}

}  // namespace spindle::eval
