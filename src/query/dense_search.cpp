#include "spindle/query/dense_search.hpp"

#include <algorithm>
#include <limits>
#include <queue>

#include "spindle/query/dense_kernels.hpp"

namespace spindle {
namespace {

bool better(const DenseHit& a, const DenseHit& b) { return a.sim > b.sim || (a.sim == b.sim && a.doc < b.doc); }

/// Visited marks by epoch, reused across the queries of a thread.
class Visited {
public:
    void reset(std::size_t n) {
        if (marks_.size() < n) marks_.assign(n, 0);
        if (++epoch_ == 0) {
            std::fill(marks_.begin(), marks_.end(), 0);
            epoch_ = 1;
        }
    }
    /// True the first time `d` is seen since reset.
    bool visit(docid_t d) {
        if (marks_[d] == epoch_) return false;
        marks_[d] = epoch_;
        return true;
    }

private:
    std::vector<std::uint32_t> marks_;
    std::uint32_t epoch_ = 0;
};

}  // namespace

float similarity(const DenseSegment& seg, const float* q, docid_t d) {
    const bool euclid = seg.distance() == DenseDistance::euclid;
    if (seg.storage() == DenseStorage::f16) {
        const std::uint16_t* v = seg.f16_row(d);
        return euclid ? -dense::l2sq(q, v, seg.dim()) : dense::dot(q, v, seg.dim());
    }
    const float* v = seg.f32_row(d);
    return euclid ? -dense::l2sq(q, v, seg.dim()) : dense::dot(q, v, seg.dim());
}

void dense_exact(const DenseSegment& seg, const float* q, std::size_t k, const DenseAccept& ok, std::vector<DenseHit>& out,
                 SearchStats& stats) {
    out.clear();
    const auto n = static_cast<docid_t>(seg.docs());
    if (k == 0) return;
    const bool any_deleted = ok.deleted != nullptr && !ok.deleted->isEmpty();
    const DenseAccept acc{ok.seg, any_deleted ? ok.deleted : nullptr, ok.allow};
    for (docid_t d = ok.allow != nullptr ? ok.allow->next(0) : 0; d < n; d = ok.allow != nullptr ? ok.allow->next(d + 1) : d + 1) {
        if (!acc(d)) continue;
        out.push_back({similarity(seg, q, d), d});
    }
    stats.docs_evaluated += out.size();
    if (out.size() > k) {
        std::nth_element(out.begin(), out.begin() + static_cast<std::ptrdiff_t>(k - 1), out.end(), better);
        const float kth = out[k - 1].sim;
        // Keep the k best and every document tied with the k-th.
        const auto mid = std::partition(out.begin() + static_cast<std::ptrdiff_t>(k), out.end(),
                                        [&](const DenseHit& h) { return h.sim >= kth; });
        out.erase(mid, out.end());
    }
    std::sort(out.begin(), out.end(), better);
}

void dense_hnsw(const DenseSegment& seg, const float* q, std::size_t k, std::size_t ef, const DenseAccept& ok,
                std::vector<DenseHit>& out, SearchStats& stats) {
    out.clear();
    if (k == 0 || !seg.has_graph()) return;
    ef = std::max(ef, k);
    thread_local Visited visited;
    visited.reset(seg.docs());
    const bool any_deleted = ok.deleted != nullptr && !ok.deleted->isEmpty();
    const DenseAccept acc{ok.seg, any_deleted ? ok.deleted : nullptr, ok.allow};
    std::uint64_t evaluated = 0;
    auto sim = [&](docid_t d) {
        ++evaluated;
        return similarity(seg, q, d);
    };
    // Greedy descent on the upper levels.
    docid_t ep = seg.entry();
    float ep_sim = sim(ep);
    for (std::uint32_t lvl = seg.max_level(); lvl > 0; --lvl) {
        for (bool changed = true; changed;) {
            changed = false;
            for (const std::uint32_t t : seg.links(ep, lvl)) {
                const float s = sim(t);
                if (s > ep_sim) {
                    ep_sim = s;
                    ep = t;
                    changed = true;
                }
            }
        }
    }
    // Beam search on level 0: `cand` explores best first; `res` keeps the ef
    // best allowed nodes (a min-heap: worst on top).
    const auto cand_less = [](const DenseHit& a, const DenseHit& b) { return a.sim < b.sim; };
    const auto res_less = [](const DenseHit& a, const DenseHit& b) { return better(a, b); };
    std::priority_queue<DenseHit, std::vector<DenseHit>, decltype(cand_less)> cand(cand_less);
    std::priority_queue<DenseHit, std::vector<DenseHit>, decltype(res_less)> res(res_less);
    visited.visit(ep);
    cand.push({ep_sim, ep});
    if (acc(ep)) res.push({ep_sim, ep});
    float lower = res.size() >= ef ? res.top().sim : -std::numeric_limits<float>::infinity();
    while (!cand.empty()) {
        const DenseHit c = cand.top();
        if (c.sim < lower && res.size() >= ef) break;
        cand.pop();
        for (const std::uint32_t t : seg.links(c.doc, 0)) {
            if (!visited.visit(t)) continue;
            const float s = sim(t);
            if (res.size() < ef || s > lower) {
                cand.push({s, t});
                if (acc(t)) {
                    res.push({s, t});
                    if (res.size() > ef) res.pop();
                }
                if (res.size() >= ef) lower = res.top().sim;
            }
        }
    }
    stats.docs_evaluated += evaluated;
    while (!res.empty()) {
        out.push_back(res.top());
        res.pop();
    }
    std::reverse(out.begin(), out.end());
    if (out.size() > k) out.resize(k);
}

}  // namespace spindle
