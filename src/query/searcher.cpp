#include "spindle/query/searcher.hpp"

#include <algorithm>
#include <variant>

#include "spindle/common/error.hpp"
#include "spindle/query/block_cursor.hpp"
#include "spindle/query/block_max_wand.hpp"
#include "spindle/query/exhaustive.hpp"
#include "spindle/query/maxscore.hpp"

namespace spindle {
namespace {

// The one place where run-time choices (weight type x algorithm) become
// template instantiations.
template <class W>
std::vector<ScoredDoc> search_segment(const SegmentViews<W>& v, const ApproxView* approx, const Bitmap* deleted,
                                      const QueryPlan& plan, const SearchOptions& opts, std::size_t k,
                                      SearchScratch& scratch, SearchStats& stats) {
    TopK topk(k, deleted);
    const docid_t n = v.inv.num_docs;
    if (opts.algorithm == Algorithm::bmp) {
        block_max_pruning_search(v, plan, topk, scratch.bmp, stats, opts.bmp_alpha);
        return topk.take_sorted();
    }
    if (opts.algorithm == Algorithm::approx && approx == nullptr) {
        // A segment too small for approximate structures is searched exactly.
        block_max_pruning_search(v, plan, topk, scratch.bmp, stats, 1.0);
        return topk.take_sorted();
    }
    if (opts.algorithm == Algorithm::approx) {
        approximate_search(v, *approx, plan, ApproxParams{opts.query_cut, opts.heap_factor, opts.knn}, topk, scratch.approx,
                           stats);
        return topk.take_sorted();
    }
    std::vector<ScoredBlockCursor<W>> cursors;
    cursors.reserve(plan.terms.size());
    for (std::size_t i = 0; i < plan.terms.size(); ++i) {
        if (v.inv.df(plan.terms[i].term) == 0) continue;
        cursors.emplace_back(v.inv, plan.terms[i].term, plan.weights[i], &stats);
        if (cursors.back().max_score() == 0) cursors.pop_back();
    }
    switch (opts.algorithm) {
        case Algorithm::exhaustive: exhaustive_search(cursors, n, topk, scratch.acc, stats); break;
        case Algorithm::maxscore: maxscore_search(cursors, n, topk, stats); break;
        case Algorithm::bmw: block_max_wand_search(cursors, n, topk, stats); break;
        case Algorithm::bmp:
        case Algorithm::approx: break;
    }
    return topk.take_sorted();
}

}  // namespace

void SearchOptions::validate() const {
    if (k == 0) throw InvalidArgument("k must be at least 1");
    if (!(bmp_alpha > 0.0 && bmp_alpha <= 1.0)) {
        throw InvalidArgument("bmp alpha must be in (0, 1], got " + std::to_string(bmp_alpha));
    }
    if (query_cut == 0) throw InvalidArgument("query cut must be at least 1");
    if (!(heap_factor > 0.0 && heap_factor <= 1.0)) {
        throw InvalidArgument("heap factor must be in (0, 1], got " + std::to_string(heap_factor));
    }
}

void check_searchable(const Index& index, const SearchOptions& opts) {
    if (opts.algorithm == Algorithm::approx && !index.manifest().approx) {
        throw InvalidArgument("index " + index.path() +
                              " has no approximate structures; add them with spindle build-approx");
    }
    if (opts.algorithm == Algorithm::approx && opts.knn > 0 && index.manifest().approx->knn_k == 0) {
        throw InvalidArgument("index " + index.path() +
                              " has no kNN graph for --knn; add one with spindle build-approx --knn K");
    }
}

std::vector<ScoredDoc> search_one_segment(const Index& index, std::size_t s, const QueryPlan& plan,
                                          const SearchOptions& opts, SearchScratch& scratch, SearchStats& stats,
                                          bool with_ties) {
    const Segment& seg = index.segment(s);
    auto run = [&](std::size_t k) {
        return std::visit(
            [&](const auto& v) { return search_segment(v, seg.approx(), index.deleted(s), plan, opts, k, scratch, stats); },
            seg.views());
    };
    if (!with_ties) return run(opts.k);
    // One more than k tells whether the k-th score is tied past k; then
    // widen until the tied run ends (ties are rare outside synthetic data).
    if (opts.k >= seg.num_docs()) return run(opts.k);  // every document fits: no tie can cross k
    std::size_t k = opts.k + 1;
    auto top = run(k);
    while (top.size() == k && top[k - 1].score == top[opts.k - 1].score) {
        k = std::min<std::size_t>(k * 2, seg.num_docs());
        if (k <= top.size()) break;
        top = run(k);
    }
    if (top.size() > opts.k) {
        const score_t kth = top[opts.k - 1].score;
        std::size_t n = opts.k;
        while (n < top.size() && top[n].score == kth) ++n;
        top.resize(n);
    }
    return top;
}

std::vector<Hit> search(const Index& index, const QueryPlan& plan, const SearchOptions& opts, SearchScratch& scratch,
                        SearchStats& stats) {
    opts.validate();
    check_searchable(index, opts);
    std::vector<Hit> hits;
    for (std::size_t s = 0; s < index.num_segments(); ++s) {
        const Segment& seg = index.segment(s);
        const double mult = seg.header().scale * plan.inv_scale;
        const auto top = search_one_segment(index, s, plan, opts, scratch, stats, false);
        for (const auto& e : top) {
            hits.push_back({static_cast<double>(e.score) * mult, e.score, static_cast<std::uint32_t>(s), e.doc,
                            index.first_doc(s) + e.doc});
        }
    }
    if (index.num_segments() > 1) {
        std::sort(hits.begin(), hits.end(), [](const Hit& a, const Hit& b) {
            return a.score > b.score || (a.score == b.score && a.global_doc < b.global_doc);
        });
        if (hits.size() > opts.k) hits.resize(opts.k);
    }
    return hits;
}

}  // namespace spindle
