#include "spindle/query/searcher.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <string>
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
// Every allowed document scored through the forward index (a small allow-set).
template <class W>
void score_allowed(const SegmentViews<W>& v, const QueryPlan& plan, TopK& topk, BmpScratch& s, SearchStats& stats) {
    const AllowSet& allowed = *topk.allowed();
    const auto limit = static_cast<termid_t>(v.inv.num_terms);
    fill_dense<W>(s, plan, v.inv.num_terms);
    for (docid_t d = allowed.next(0); d < v.inv.num_docs; d = allowed.next(d + 1)) {
        ++stats.docs_evaluated;
        topk.push(score_with_dense(v.fwd, d, s, limit, stats), d);
    }
    clear_dense<W>(s, plan, v.inv.num_terms);
}

template <class W>
std::vector<ScoredDoc> search_segment(const SegmentViews<W>& v, const ApproxView* approx, const Bitmap* deleted,
                                      const AllowSet* allowed, const QueryPlan& plan, const SearchOptions& opts,
                                      std::size_t k, SearchScratch& scratch, SearchStats& stats, score_t floor) {
    // Under a filter the allow-set already leaves deleted documents out.
    if (opts.algorithm == Algorithm::approx && approx != nullptr) floor = 0;
    TopK topk(k, allowed != nullptr ? nullptr : deleted, allowed, floor);
    const docid_t n = v.inv.num_docs;
    if (allowed != nullptr && opts.direct.value_or(score_directly(allowed->count()))) {
        ++stats.direct_segments;
        score_allowed(v, plan, topk, scratch.bmp, stats);
        return topk.take_sorted();
    }
    if (opts.algorithm == Algorithm::bmp) {
        block_max_pruning_search(v, plan, topk, scratch.bmp, stats, opts.bmp_alpha);
        return topk.take_sorted();
    }
    if (opts.algorithm == Algorithm::approx && approx == nullptr) {
        // A segment too small for approximate structures is searched exactly.
        block_max_pruning_search(v, plan, topk, scratch.bmp, stats, 1.0);
        return topk.take_sorted();
    }
    if (opts.algorithm == Algorithm::approx && allowed != nullptr &&
        opts.approx_exact.value_or(approx_too_sparse(approx->header.lambda, allowed->count(), n))) {
        ++stats.exact_segments;
        block_max_pruning_search(v, plan, topk, scratch.bmp, stats, 1.0);
        return topk.take_sorted();
    }
    if (opts.algorithm == Algorithm::approx) {
        approximate_search(v, *approx, plan, ApproxParams{opts.query_cut, opts.heap_factor, opts.knn}, topk, scratch.approx,
                           stats);
        if (allowed != nullptr && topk.size() < k) {
            // Fewer than k allowed documents in the blocks visited: the exact
            // search finds every allowed document that shares a term.
            topk.clear();
            block_max_pruning_search(v, plan, topk, scratch.bmp, stats, 1.0);
        }
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
    if (!(heap_factor > 0.0 && heap_factor <= kMaxHeapFactor)) {
        throw InvalidArgument(fmt::format("heap factor must be in (0, {:g}], got {}", kMaxHeapFactor, heap_factor));
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

bool score_directly(std::uint64_t allowed) { return allowed <= kDirectMaxDocs; }

bool approx_too_sparse(std::uint32_t lambda, std::uint64_t allowed, std::uint64_t docs) {
    return lambda > 0 && docs > 0 &&
           static_cast<double>(lambda) * static_cast<double>(allowed) < kApproxMinAllowedPerList * static_cast<double>(docs);
}

std::vector<ScoredDoc> search_one_segment(const Index& index, std::size_t s, const QueryPlan& plan,
                                          const SearchOptions& opts, SearchScratch& scratch, SearchStats& stats,
                                          bool with_ties, const AllowSet* allowed, score_t floor) {
    const Segment& seg = index.segment(s);
    auto run = [&](std::size_t k) {
        return std::visit(
            [&](const auto& v) {
                return search_segment(v, seg.approx(), index.deleted(s), allowed, plan, opts, k, scratch, stats, floor);
            },
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

QueryPlan plan_query(const Index& index, const TextQuery& q, std::uint64_t* unknown) {
    std::vector<QueryTerm> terms;
    terms.reserve(q.terms.size());
    for (const auto& [tok, w] : q.terms) {
        if (!std::isfinite(w) || w < 0) {
            throw InvalidArgument("query '" + q.id + "': weight of '" + tok + "' is " + std::to_string(w) +
                                  " (must be finite and non-negative)");
        }
        const auto id = index.vocabulary().find(tok);
        if (!id) {
            if (unknown != nullptr) ++*unknown;
            continue;
        }
        if (w > 0) terms.push_back({*id, w});
    }
    std::sort(terms.begin(), terms.end(), [](const QueryTerm& a, const QueryTerm& b) { return a.term < b.term; });
    std::size_t out = 0;
    for (std::size_t i = 0; i < terms.size(); ++i) {
        if (out > 0 && terms[out - 1].term == terms[i].term) {
            terms[out - 1].weight += terms[i].weight;
        } else {
            terms[out++] = terms[i];
        }
    }
    terms.resize(out);
    return make_query_plan(std::move(terms), index.manifest().weight_type, index.max_weight());
}

}  // namespace spindle
