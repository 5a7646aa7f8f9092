// Dense search of a live collection's snapshot: per segment exact or HNSW
// (src/query/dense_search.cpp), filters and deletions applied per segment,
// results merged like sparse ones.
#include <fmt/format.h>

#include <algorithm>
#include <cmath>

#include "dense_query.hpp"
#include "live_collection.hpp"
#include "spindle/common/error.hpp"
#include "spindle/query/dense_search.hpp"

namespace spindle::detail {

void normalize(float* v, std::size_t n) {
    double ss = 0.0;
    for (std::size_t i = 0; i < n; ++i) ss += static_cast<double>(v[i]) * static_cast<double>(v[i]);
    if (!(ss > 0.0)) return;
    const double inv = 1.0 / std::sqrt(ss);
    for (std::size_t i = 0; i < n; ++i) v[i] = static_cast<float>(static_cast<double>(v[i]) * inv);
}

std::optional<std::string> dense_vector_of(const Snapshot& snap, const SearchRequest& r) {
    const CollectionConfig& c = *snap.config;
    if (!r.vector.empty()) {
        if (c.dense.contains(r.vector)) return r.vector;
        if (!r.dense_query.empty() && c.vectors.contains(r.vector)) {
            throw InvalidArgument("vector '" + r.vector + "' is sparse: give a sparse query (indices or tokens), not a float array");
        }
        return std::nullopt;
    }
    if (r.dense_query.empty() && !c.vectors.empty()) return std::nullopt;
    if (c.dense.size() == 1) return c.dense.begin()->first;
    if (c.dense.empty()) throw InvalidArgument("collection " + snap.path + " has no dense vector (the query is a float array)");
    std::string list;
    for (const auto& [n, v] : c.dense) list += (list.empty() ? "" : ", ") + n;
    throw InvalidArgument("collection " + snap.path + " has several dense vectors (" + list + "): name one");
}

namespace {

struct Candidate {
    float sim;
    std::size_t segment;
    docid_t doc;
    PointId id;
};

void check_request(const SearchRequest& r, const std::string& vname, const DenseVectorConfig& cfg) {
    const std::string where = "query of dense vector '" + vname + "'";
    if (r.k == 0) throw InvalidArgument("k must be at least 1");
    if (r.k > (std::size_t{1} << 40) || r.offset > (std::size_t{1} << 40)) {
        throw InvalidArgument(fmt::format("k + offset is too large (k {}, offset {})", r.k, r.offset));
    }
    if (r.query.size() > 0 || !r.query.tokens.empty() || !r.query.indices.empty() || !r.text.empty()) {
        throw InvalidArgument(where + ": give a float array (dense_query), not a sparse query or text");
    }
    // `direct` (how sparse search scores an allow-set) is ignored: a dense
    // search scores small allow-sets directly anyway (re-scoring sets it).
    if (r.algorithm || r.query_cut || r.heap_factor || r.knn || r.target_recall) {
        throw InvalidArgument(where + ": algorithm, query_cut, heap_factor, knn and target_recall are settings of "
                                      "sparse search (a dense search takes ef or exact)");
    }
    if (r.dense_query.size() != cfg.dim) {
        throw InvalidArgument(fmt::format("{}: {} values, the vector's dimension is {}", where, r.dense_query.size(), cfg.dim));
    }
    for (std::size_t i = 0; i < r.dense_query.size(); ++i) {
        if (!std::isfinite(r.dense_query[i])) {
            throw InvalidArgument(fmt::format("{}: value {} at position {} is not finite", where, r.dense_query[i], i));
        }
    }
    if (r.ef && (*r.ef == 0 || *r.ef > 100'000)) throw InvalidArgument(fmt::format("ef must be in [1, 100000], got {}", *r.ef));
}

}  // namespace

SearchResult search_dense(const Snapshot& snap, const SearchRequest& r, const std::string& vname) {
    const DenseVectorConfig& cfg = snap.config->dense.at(vname);
    check_request(r, vname, cfg);
    SearchResult res;
    const bool euclid = cfg.distance == DenseDistance::euclid;
    res.ascending = euclid;
    std::vector<float> q = r.dense_query;
    if (cfg.distance == DenseDistance::cosine) normalize(q.data(), q.size());
    const std::size_t want = r.offset + r.k;
    const std::size_t k = static_cast<std::size_t>(std::min<std::uint64_t>(want, std::max<std::uint64_t>(snap.live, 1)));
    const std::size_t ef = std::max(r.ef.value_or(cfg.hnsw.ef), k);
    res.options.k = k;

    std::vector<Candidate> cands;
    std::vector<DenseHit> hits;
    const std::string key = r.filter ? filter_key(*r.filter) : std::string();
    for (std::size_t s = 0; s < snap.segs.size(); ++s) {
        const SegState& st = snap.segs[s];
        const DenseSegment& seg = *st.data->dense.at(vname);
        DenseAccept ok{&seg, st.deleted.get(), nullptr};
        std::shared_ptr<const AllowSet> allow_hold;  // keeps the cached allow-set alive for this segment
        std::uint64_t allowed = st.live();
        if (r.filter) {
            const SegmentAllow sa = snap.filter_cache->get(key, *r.filter, st, snap.config);
            allowed = sa.matched;
            res.matched += allowed;
            if (allowed == 0) continue;
            if (sa.allow) {
                allow_hold = sa.allow;
                ok = DenseAccept{&seg, nullptr, allow_hold.get()};  // the filter's documents leave deleted ones out
            }
        } else {
            res.matched += st.live();
        }
        if (allowed == 0 || seg.num_present() == 0) continue;
        // Small allow-sets are scored exactly: filtered graph traversal
        // would visit most of the graph to find ef allowed nodes.
        const bool small = allowed < cfg.hnsw.min_docs || allowed * 20 < st.live();
        if (seg.has_graph() && !r.exact && !(ok.allow != nullptr && small)) {
            dense_hnsw(seg, q.data(), k, ef, ok, hits, res.stats);
        } else {
            dense_exact(seg, q.data(), k, ok, hits, res.stats);
        }
        for (const DenseHit& h : hits) cands.push_back({h.sim, s, h.doc, snap.point_id(s, h.doc)});
    }
    res.stats.matched = r.filter ? res.matched : 0;
    std::sort(cands.begin(), cands.end(), [](const Candidate& a, const Candidate& b) {
        return a.sim > b.sim || (a.sim == b.sim && a.id < b.id);
    });
    if (cands.size() > want) cands.resize(want);
    for (std::size_t i = r.offset; i < cands.size(); ++i) {
        const Candidate& c = cands[i];
        const double score = euclid ? std::sqrt(std::max(0.0, -static_cast<double>(c.sim))) : static_cast<double>(c.sim);
        if (r.score_threshold && (euclid ? score > *r.score_threshold : score < *r.score_threshold)) break;
        ScoredPoint p{c.id, score, {}};
        if (r.with_payload) p.payload = std::string(snap.payload(c.segment, c.doc));
        res.points.push_back(std::move(p));
    }
    return res;
}

}  // namespace spindle::detail
