// Query trees (Collection::query, QueryRequest): prefetches run bottom up on
// one snapshot, then each node fuses its prefetch lists
// (spindle/query/fusion.hpp) or re-scores their union with its own vector
// query (a search restricted to the candidate ids, scored directly).
#include <fmt/format.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cmath>
#include <exception>
#include <mutex>
#include <thread>

#include "dense_query.hpp"
#include "live_collection.hpp"
#include "spindle/common/error.hpp"

namespace spindle::detail {
namespace {

std::string join(const std::string& path, const std::string& part) { return path.empty() ? part : path + "." + part; }

[[noreturn]] void fail(const std::string& path, const std::string& msg) {
    throw InvalidArgument(path.empty() ? msg : path + ": " + msg);
}

void validate_node(const QueryRequest& q, std::size_t depth, const std::string& path) {
    if (depth > kMaxQueryDepth) fail(path, fmt::format("prefetches nest more than {} levels deep", kMaxQueryDepth));
    if (q.search && q.fusion) fail(path, "give either a vector query or a fusion, not both");
    if (!q.search && !q.fusion) fail(path, "a query is required (a vector query, or a fusion of the prefetches)");
    if (q.limit == 0) fail(path, "limit must be at least 1");
    if (q.limit > (std::size_t{1} << 40) || q.offset > (std::size_t{1} << 40)) {
        fail(path, fmt::format("limit + offset is too large (limit {}, offset {})", q.limit, q.offset));
    }
    if (q.score_threshold && std::isnan(*q.score_threshold)) fail(path, "score_threshold is not a number");
    if (q.fusion) {
        if (q.prefetch.empty()) fail(path, fmt::format("fusion {} needs prefetches to fuse (none given)", to_string(q.fusion->method)));
        try {
            validate_fusion(*q.fusion, q.prefetch.size());
        } catch (const InvalidArgument& e) {
            fail(path, e.what());
        }
    }
    if (q.search) {
        const SearchRequest& s = *q.search;
        const auto misplaced = [&](const char* field) {
            fail(path, fmt::format("{} of a vector query is set on the QueryRequest, not on its SearchRequest", field));
        };
        if (s.filter) misplaced("the filter");
        if (s.score_threshold) misplaced("score_threshold");
        if (s.offset != 0) misplaced("offset");
        if (s.with_payload) misplaced("with_payload");
    }
    for (std::size_t i = 0; i < q.prefetch.size(); ++i) {
        validate_node(q.prefetch[i], depth + 1, join(path, fmt::format("prefetch[{}]", i)));
    }
}

/// a AND b (either may be null or empty).
std::shared_ptr<const Filter> both(const std::shared_ptr<const Filter>& a, const std::shared_ptr<const Filter>& b) {
    if (!a || a->empty()) return b;
    if (!b || b->empty()) return a;
    auto f = std::make_shared<Filter>();
    for (const auto& part : {a, b}) {
        Condition c;
        c.kind = Condition::Kind::filter;
        c.filter = part;
        f->must.push_back(std::move(c));
    }
    return f;
}

class Runner {
public:
    Runner(const Snapshot& snap, SearchScratch& scratch, QueryResult& out) : snap_(snap), scratch_(scratch), out_(out) {}

    std::vector<ScoredPoint> node(const QueryRequest& q, const std::shared_ptr<const Filter>& inherited, const std::string& path) {
        const auto filter = both(inherited, q.filter);
        std::vector<std::vector<ScoredPoint>> lists;
        lists.reserve(q.prefetch.size());
        for (std::size_t i = 0; i < q.prefetch.size(); ++i) {
            lists.push_back(node(q.prefetch[i], filter, join(path, fmt::format("prefetch[{}]", i))));
        }
        const std::size_t want = q.limit + q.offset;
        std::vector<ScoredPoint> ranked = q.fusion ? fused(q, lists, want) : searched(q, lists, filter, want, path);
        if (q.offset >= ranked.size()) {
            ranked.clear();
        } else {
            ranked.erase(ranked.begin(), ranked.begin() + static_cast<std::ptrdiff_t>(q.offset));
        }
        if (ranked.size() > q.limit) ranked.resize(q.limit);
        return ranked;
    }

private:
    std::vector<ScoredPoint> fused(const QueryRequest& q, const std::vector<std::vector<ScoredPoint>>& lists, std::size_t want) {
        // Items numbered in id order, so the formulas' tie-break is by id.
        std::vector<PointId> ids;
        for (const auto& l : lists) {
            for (const ScoredPoint& p : l) ids.push_back(p.id);
        }
        std::sort(ids.begin(), ids.end());
        ids.erase(std::unique(ids.begin(), ids.end()), ids.end());
        std::vector<RankedList> ranked(lists.size());
        for (std::size_t i = 0; i < lists.size(); ++i) {
            ranked[i].reserve(lists[i].size());
            for (const ScoredPoint& p : lists[i]) {
                const auto item = static_cast<std::uint64_t>(std::lower_bound(ids.begin(), ids.end(), p.id) - ids.begin());
                ranked[i].push_back({item, p.score});
            }
        }
        std::vector<ScoredPoint> out;
        for (const FusionHit& h : fuse(ranked, *q.fusion)) {
            if (out.size() >= want || (q.score_threshold && h.score < *q.score_threshold)) break;
            out.push_back({ids[h.item], h.score, {}});
        }
        return out;
    }

    std::vector<ScoredPoint> searched(const QueryRequest& q, const std::vector<std::vector<ScoredPoint>>& lists,
                                      const std::shared_ptr<const Filter>& filter, std::size_t want, const std::string& path) {
        SearchRequest r = *q.search;
        r.k = want;
        r.offset = 0;
        r.filter = filter;
        r.score_threshold = q.score_threshold;
        r.with_payload = false;
        if (!q.prefetch.empty()) {
            // Re-scoring: only the prefetch candidates (they already pass
            // every filter above them), each scored directly.
            Condition c;
            c.kind = Condition::Kind::has_id;
            for (const auto& l : lists) {
                for (const ScoredPoint& p : l) c.ids.push_back(p.id);
            }
            std::sort(c.ids.begin(), c.ids.end());
            c.ids.erase(std::unique(c.ids.begin(), c.ids.end()), c.ids.end());
            if (c.ids.empty()) return {};
            auto f = std::make_shared<Filter>();
            f->must.push_back(std::move(c));
            r.filter = std::move(f);
            if (dense_vector_of(snap_, r)) {
                // A dense re-scoring vector: every candidate scored exactly
                // (no graph walk).
                r.exact = true;
            } else {
                r.direct = true;
            }
            // Exact scores: no approximate search where a segment's live
            // documents are all candidates (searched without an allow-set).
            if (r.target_recall || r.algorithm == Algorithm::approx) {
                r.algorithm.reset();
                r.target_recall.reset();
                r.query_cut.reset();
                r.heap_factor.reset();
                r.knn.reset();
            }
            r.bmp_alpha = 1.0;
        }
        SearchResult res;
        try {
            res = search_on(snap_, r, scratch_);
        } catch (const InvalidArgument& e) {
            fail(path, e.what());
        }
        out_.stats += res.stats;
        out_.unknown_terms += res.unknown_terms;
        ++out_.searches;
        return std::move(res.points);
    }

    const Snapshot& snap_;
    SearchScratch& scratch_;
    QueryResult& out_;
};

QueryResult query_on(const Snapshot& snap, const QueryRequest& q, SearchScratch& scratch) {
    const auto t0 = std::chrono::steady_clock::now();
    validate_node(q, 0, {});
    QueryResult res;
    Runner run(snap, scratch, res);
    res.points = run.node(q, nullptr, {});
    if (q.with_payload) {
        for (ScoredPoint& p : res.points) {
            if (const auto at = snap.locate(p.id)) p.payload = std::string(snap.payload(at->first, at->second));
        }
    }
    res.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    return res;
}

}  // namespace

QueryResult LiveCollection::query(const QueryRequest& q) const {
    thread_local SearchScratch scratch;
    const auto snap = current();
    return query_on(*snap, q, scratch);
}

std::vector<QueryResult> LiveCollection::query_batch(std::span<const QueryRequest> qs, unsigned threads) const {
    const auto snap = current();
    std::vector<QueryResult> out(qs.size());
    run_batch(qs.size(), threads, "queries", [&](std::size_t i, SearchScratch& scratch) { out[i] = query_on(*snap, qs[i], scratch); });
    return out;
}

}  // namespace spindle::detail
