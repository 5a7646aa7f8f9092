// Reads of a live collection: search, batch search, get, scroll, count,
// info and the consistency check. All run on a snapshot, never on the
// writer's state.
#include <fmt/format.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cmath>
#include <exception>
#include <filesystem>
#include <queue>
#include <thread>
#include <unordered_set>

#include "dense_query.hpp"
#include "live_collection.hpp"
#include "spindle/common/error.hpp"
#include "spindle/query/approx_settings.hpp"
#include "spindle/text/analyzer.hpp"

namespace spindle {

TextQuery query_tokens(const SearchRequest& r, const SparseVectorConfig& v, const std::string& vector_name) {
    TextQuery q;
    const std::string where = "query of vector '" + vector_name + "'";
    if (!r.text.empty()) {
        if (!v.text) throw InvalidArgument(where + ": raw text is only for a BM25 text vector (give tokens or indices)");
        thread_local std::map<std::string, std::unique_ptr<text::Analyzer>, std::less<>> analyzers;
        auto it = analyzers.find(v.text->analyzer);
        if (it == analyzers.end()) it = analyzers.emplace(v.text->analyzer, text::make_analyzer(v.text->analyzer)).first;
        std::vector<std::string> terms;
        it->second->analyze(r.text, terms);
        for (auto& t : terms) {
            auto found = std::find_if(q.terms.begin(), q.terms.end(), [&](const auto& e) { return e.first == t; });
            if (found == q.terms.end()) {
                q.terms.emplace_back(std::move(t), 1.0F);
            } else {
                found->second += 1.0F;
            }
        }
        return q;
    }
    const SparseVector& s = r.query;
    const bool tokens = v.keys == VectorKeys::tokens;
    if (tokens && !s.indices.empty()) throw InvalidArgument(where + ": the vector is keyed by tokens, got indices");
    if (!tokens && !s.tokens.empty()) throw InvalidArgument(where + ": the vector is keyed by integer indices, got tokens");
    const std::size_t keys = tokens ? s.tokens.size() : s.indices.size();
    if (keys != s.values.size()) {
        throw InvalidArgument(fmt::format("{}: {} {} but {} values", where, keys, tokens ? "tokens" : "indices", s.values.size()));
    }
    q.terms.reserve(keys);
    for (std::size_t i = 0; i < keys; ++i) {
        q.terms.emplace_back(tokens ? s.tokens[i] : std::to_string(s.indices[i]), s.values[i]);
    }
    return q;
}

namespace detail {
namespace {

struct Candidate {
    double score;
    std::size_t segment;
    docid_t doc;
    PointId id;
};

SearchResult search_inner(const Snapshot& snap, const SearchRequest& r, SearchScratch& scratch);

/// SearchRequest::target_recall: the stored tuned setting must exist and be
/// at least as strong as asked (recall and k), and nothing else may choose
/// the algorithm or the approx knobs.
void check_target_recall(const SearchRequest& r, const Index& idx, const std::string& vname) {
    const double t = *r.target_recall;
    if (!(t > 0.0 && t <= 1.0)) throw InvalidArgument(fmt::format("target_recall must be in (0, 1], got {:g}", t));
    if (r.algorithm && *r.algorithm != Algorithm::approx) {
        throw InvalidArgument(fmt::format("target_recall chooses the approx algorithm and its settings: it cannot be combined with algorithm {}",
                                          to_string(*r.algorithm)));
    }
    if (r.query_cut || r.heap_factor || r.knn) {
        throw InvalidArgument("target_recall chooses the approx settings itself: give either target_recall or query_cut/heap_factor/knn");
    }
    const auto& d = idx.manifest().approx_defaults;
    if (!idx.manifest().approx || !d) {
        throw InvalidArgument(fmt::format("target_recall: vector `{}` has no tuned approx setting; run spindle tune (or spindle.tune) "
                                          "with --target-recall {:g} first", vname, t));
    }
    if (d->target_recall + 1e-12 < t || d->k < r.k) {
        throw InvalidArgument(fmt::format("target_recall: the tuned setting of vector `{}` is for recall@{} {:g} (held-out {:.3f}), "
                                          "less than the recall@{} {:g} asked; run spindle tune --target-recall {:g} -k {}",
                                          vname, d->k, d->target_recall, d->recall, r.k, t, t, r.k));
    }
}

}  // namespace

SearchResult search_on(const Snapshot& snap, const SearchRequest& r, SearchScratch& scratch) {
    const auto t0 = std::chrono::steady_clock::now();
    SearchResult res = search_inner(snap, r, scratch);
    res.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    return res;
}

namespace {

SearchResult search_inner(const Snapshot& snap, const SearchRequest& r, SearchScratch& scratch) {
    if (const auto dense = dense_vector_of(snap, r)) return search_dense(snap, r, *dense);
    if (!r.dense_query.empty()) throw InvalidArgument("a float array queries a dense vector; vector '" + r.vector + "' is sparse");
    if (r.ef || r.exact) throw InvalidArgument("ef and exact are settings of dense search");
    const std::string vname = snap.vector_name(r.vector);
    const SparseVectorConfig& cfg = snap.config->vectors.at(vname);
    const Index& idx = *snap.indexes.at(vname);
    if (r.k == 0) throw InvalidArgument("k must be at least 1");
    if (r.k > (std::size_t{1} << 40) || r.offset > (std::size_t{1} << 40)) {
        throw InvalidArgument(fmt::format("k + offset is too large (k {}, offset {})", r.k, r.offset));
    }
    SearchResult res;
    SearchOptions& opts = res.options;
    if (r.target_recall) check_target_recall(r, idx, vname);
    opts.algorithm = r.target_recall ? Algorithm::approx : r.algorithm.value_or(auto_algorithm(cfg.text.has_value()));
    opts.bmp_alpha = r.bmp_alpha;
    opts.direct = r.direct;
    opts.approx_exact = r.approx_exact;
    if (opts.algorithm == Algorithm::approx) {
        apply_stored_defaults(opts, idx.manifest(), [&](std::string_view o) {
            return (o == "--query-cut" && r.query_cut) || (o == "--heap-factor" && r.heap_factor) || (o == "--knn" && r.knn);
        });
    }
    if (r.query_cut) opts.query_cut = *r.query_cut;
    if (r.heap_factor) opts.heap_factor = *r.heap_factor;
    if (r.knn) opts.knn = *r.knn;
    // At most the live documents: a huge k never allocates more than exists.
    const std::size_t want = r.offset + r.k;
    opts.k = static_cast<std::size_t>(std::min<std::uint64_t>(want, std::max<std::uint64_t>(idx.live_docs(), 1)));
    opts.validate();
    if (opts.algorithm != Algorithm::approx && (r.query_cut || r.heap_factor || r.knn)) {
        throw InvalidArgument("query_cut, heap_factor and knn are settings of the approx algorithm, not of " +
                              std::string(to_string(opts.algorithm)));
    }
    check_searchable(idx, opts);
    const TextQuery tq = query_tokens(r, cfg, vname);
    const QueryPlan plan = plan_query(idx, tq, &res.unknown_terms);
    if (idx.live_docs() == 0) return res;

    // Under a filter: one allow-set per segment, deletions left out.
    // A segment where the filter allows every live document is searched as
    // without a filter (no allow-set to consult).
    // Allow-sets come from the collection's filter cache when an earlier
    // search used the same filter on the same segment state.
    std::vector<SegmentAllow> allow;
    if (r.filter) {
        allow.resize(idx.num_segments());
        const std::string key = filter_key(*r.filter);
        for (std::size_t s = 0; s < idx.num_segments(); ++s) {
            allow[s] = snap.filter_cache->get(key, *r.filter, snap.segs[s], snap.config);
            res.matched += allow[s].matched;
        }
        res.stats.matched = res.matched;
    } else {
        res.matched = idx.live_docs();
    }
    if (plan.terms.empty() || res.matched == 0) return res;

    // Largest segment first; each later one is searched with a floor: once
    // `want` candidates score at least theta, a document below theta cannot
    // be among the results, so no segment scores one (ties at theta still
    // enter and are ordered by id below). Without it every small segment
    // (fresh upserts, in-memory tiers) found its own top-k from scratch:
    // 7x the documents evaluated on 1M documents plus three small segments.
    std::vector<std::size_t> order(idx.num_segments());
    for (std::size_t s = 0; s < order.size(); ++s) order[s] = s;
    std::stable_sort(order.begin(), order.end(), [&](std::size_t a, std::size_t b) {
        return idx.segment(a).num_docs() > idx.segment(b).num_docs();
    });
    std::vector<Candidate> cands;
    std::vector<double> best;  // the `want` best scores so far (a min-heap)
    const auto worse = [](double x, double y) { return x > y; };
    for (const std::size_t s : order) {
        const double mult = idx.segment(s).header().scale * plan.inv_scale;
        if (r.filter && allow[s].matched == 0) continue;
        const AllowSet* a = r.filter ? allow[s].allow.get() : nullptr;  // null: the filter allows every live document
        double theta = r.score_threshold.value_or(0.0);
        if (best.size() >= want) theta = std::max(theta, best.front());
        // Local units, rounded down with a margin: a document whose score
        // times mult reaches theta is never below the floor.
        score_t floor = 0;
        if (theta > 0.0 && mult > 0.0) {
            const double local = std::floor(theta / mult * (1.0 - 1e-9));
            if (local >= 1.0) floor = local >= 1.8e19 ? ~score_t{0} : static_cast<score_t>(local);
        }
        for (const ScoredDoc& e : search_one_segment(idx, s, plan, opts, scratch, res.stats, true, a, floor)) {
            const double score = static_cast<double>(e.score) * mult;
            cands.push_back({score, s, e.doc, snap.point_id(s, e.doc)});
            if (best.size() < want) {
                best.push_back(score);
                std::push_heap(best.begin(), best.end(), worse);
            } else if (score > best.front()) {
                std::pop_heap(best.begin(), best.end(), worse);
                best.back() = score;
                std::push_heap(best.begin(), best.end(), worse);
            }
        }
    }
    std::sort(cands.begin(), cands.end(), [](const Candidate& a, const Candidate& b) {
        return a.score > b.score || (a.score == b.score && a.id < b.id);
    });
    if (cands.size() > want) cands.resize(want);
    for (std::size_t i = r.offset; i < cands.size(); ++i) {
        const Candidate& c = cands[i];
        if (r.score_threshold && c.score < *r.score_threshold) break;
        ScoredPoint p{c.id, c.score, {}};
        if (r.with_payload) p.payload = std::string(snap.payload(c.segment, c.doc));
        res.points.push_back(std::move(p));
    }
    return res;
}

Point read_point(const Snapshot& snap, std::size_t s, docid_t d, bool with_vectors) {
    Point p;
    p.id = snap.point_id(s, d);
    p.payload = std::string(snap.payload(s, d));
    if (!with_vectors) return p;
    std::vector<std::pair<termid_t, float>> entries;
    for (const auto& [name, cfg] : snap.config->vectors) {
        const auto& seg = *snap.segs[s].data->vectors.at(name);
        decode_document(seg, d, entries);
        if (entries.empty()) continue;
        const Vocabulary& voc = snap.indexes.at(name)->vocabulary();
        SparseVector v;
        for (const auto& [t, w] : entries) {
            if (cfg.keys == VectorKeys::tokens) {
                v.tokens.emplace_back(voc.token(t));
            } else {
                v.indices.push_back(static_cast<std::uint32_t>(std::stoul(std::string(voc.token(t)))));
            }
            v.values.push_back(w);
        }
        p.vectors.emplace(name, std::move(v));
    }
    for (const auto& [name, cfg] : snap.config->dense) {
        const DenseSegment& seg = *snap.segs[s].data->dense.at(name);
        if (!seg.present(d)) continue;
        std::vector<float> v(seg.dim());
        seg.decode(d, v.data());
        p.dense.emplace(name, std::move(v));
    }
    return p;
}

}  // namespace

SearchResult LiveCollection::search(const SearchRequest& r) const {
    thread_local SearchScratch scratch;
    const auto snap = current();
    return search_on(*snap, r, scratch);
}

std::vector<SearchResult> LiveCollection::search_batch(std::span<const SearchRequest> reqs, unsigned threads) const {
    const auto snap = current();
    std::vector<SearchResult> out(reqs.size());
    run_batch(reqs.size(), threads, nullptr, [&](std::size_t i, SearchScratch& scratch) { out[i] = search_on(*snap, reqs[i], scratch); });
    return out;
}

std::vector<std::optional<Point>> LiveCollection::get(std::span<const PointId> ids, bool with_vectors) const {
    const auto snap = current();
    std::vector<std::optional<Point>> out;
    out.reserve(ids.size());
    for (const PointId& id : ids) {
        const auto at = snap->locate(id);
        if (at) {
            out.emplace_back(read_point(*snap, at->first, at->second, with_vectors));
        } else {
            out.emplace_back(std::nullopt);
        }
    }
    return out;
}

std::vector<Point> LiveCollection::scroll(const std::optional<PointId>& from, std::size_t limit, bool with_vectors) const {
    const auto snap = current();
    struct Cursor {
        PointId id;
        std::size_t seg;
        std::uint64_t rank;
    };
    auto later = [](const Cursor& a, const Cursor& b) { return b.id < a.id; };
    std::priority_queue<Cursor, std::vector<Cursor>, decltype(later)> heap(later);
    auto push = [&](std::size_t s, std::uint64_t rank) {
        const auto& ids = *snap->segs[s].data->ids;
        if (rank < ids.size()) {
            const docid_t d = ids.by_rank(rank);
            heap.push({PointId::from_stored(ids.is_number(d), ids.key(d)), s, rank});
        }
    };
    for (std::size_t s = 0; s < snap->segs.size(); ++s) {
        const auto& ids = *snap->segs[s].data->ids;
        push(s, from ? ids.rank_lower_bound(from->is_number(), from->text()) : 0);
    }
    std::vector<Point> out;
    while (!heap.empty() && out.size() < limit) {
        const Cursor c = heap.top();
        heap.pop();
        const docid_t d = snap->segs[c.seg].data->ids->by_rank(c.rank);
        if (!snap->segs[c.seg].deleted->contains(d)) out.push_back(read_point(*snap, c.seg, d, with_vectors));
        push(c.seg, c.rank + 1);
    }
    return out;
}

std::uint64_t LiveCollection::count() const { return current()->live; }

std::uint64_t LiveCollection::count(const Filter& filter) const {
    const auto snap = current();
    std::uint64_t n = 0;
    const std::string key = filter_key(filter);
    for (const SegState& st : snap->segs) n += snap->filter_cache->get(key, filter, st, snap->config).matched;
    return n;
}

WriteResult LiveCollection::remove(const Filter& filter, WriteOptions w) {
    check_writable();
    std::vector<PointId> ids;
    {
        const auto snap = current();
        for (std::size_t s = 0; s < snap->segs.size(); ++s) {
            const SegState& st = snap->segs[s];
            for (const std::uint32_t d : evaluate_filter(filter, *st.data, *st.deleted, snap->config->payload_indexes)) {
                ids.push_back(snap->point_id(s, d));
            }
        }
    }
    return remove(std::span<const PointId>(ids), w);
}

CollectionInfo LiveCollection::info() const {
    const auto snap = current();
    CollectionInfo info;
    info.path = dir_;
    info.read_only = opts_.read_only;
    info.points = snap->live;
    for (const auto& s : snap->segs) {
        SegmentSummary sum;
        sum.name = s.entry.name;
        sum.in_memory = s.in_memory;
        sum.origin = s.entry.origin;
        sum.docs = s.data->docs;
        sum.deleted = s.deleted->cardinality();
        sum.bytes = s.entry.docids_bytes + s.entry.payload_bytes + s.entry.payload_index_bytes;
        bool approx = true;
        for (const auto& [name, vi] : s.entry.vectors) {
            sum.bytes += vi.inverted_bytes + vi.forward_bytes + vi.approx_bytes;
            if (snap->config->vectors.at(name).approx) approx = approx && vi.approx_bytes > 0;
        }
        sum.approx = approx;
        bool hnsw = !s.entry.dense.empty();
        for (const auto& [name, di] : s.entry.dense) {
            sum.bytes += di.bytes;
            hnsw = hnsw && di.graph;
        }
        sum.hnsw = hnsw;
        if (s.in_memory) info.memory_docs += s.data->docs;
        info.segments.push_back(std::move(sum));
    }
    for (const auto& [name, idx] : snap->indexes) info.vocabulary_terms[name] = idx->vocabulary().size();
    info.filter_cache = snap->filter_cache->stats();
    info.merge_running = merge_running_.load();
    std::lock_guard g(write_mu_);
    info.manifest = manifest_;
    info.generation = manifest_.generation;
    info.last_merge = manifest_.last_merge;
    info.merges_done = merges_done_;
    info.writes = wstats_;
    info.next_lsn = next_lsn_;
    if (wal_.is_open()) {
        info.wal_bytes = wal_.bytes();
    } else if (!legacy_) {
        std::error_code ec;
        for (const auto& e : std::filesystem::directory_iterator(dir_, ec)) {
            const std::string n = e.path().filename().string();
            if (n.rfind("wal-", 0) == 0) info.wal_bytes += e.file_size(ec);
        }
    }
    return info;
}

void LiveCollection::check() const {
    const auto snap = current();
    std::unordered_set<PointId, PointIdHash> live;
    std::uint64_t total = 0;
    for (std::size_t s = 0; s < snap->segs.size(); ++s) {
        const SegState& st = snap->segs[s];
        const std::string where = dir_ + ": segment " + st.entry.name;
        if (st.data->ids->size() != st.data->docs) throw CorruptIndex(where + ": id count differs from its documents");
        if (!st.deleted->isEmpty() && st.deleted->maximum() >= st.data->docs) {
            throw CorruptIndex(where + ": deletes a document past its end");
        }
        for (const auto& [name, seg] : st.data->vectors) {
            if (seg->num_docs() != st.data->docs) throw CorruptIndex(where + ": vector '" + name + "' has another document count");
            if (seg->header().num_terms > snap->indexes.at(name)->vocabulary().size()) {
                throw CorruptIndex(where + ": vector '" + name + "' has terms past the vocabulary");
            }
        }
        for (const auto& [name, cfg] : snap->config->dense) {
            const auto it = st.data->dense.find(name);
            if (it == st.data->dense.end()) throw CorruptIndex(where + ": dense vector '" + name + "' missing");
            if (it->second->docs() != st.data->docs) throw CorruptIndex(where + ": dense vector '" + name + "' has another document count");
        }
        for (docid_t d = 0; d < st.data->docs; ++d) {
            if (st.deleted->contains(d)) continue;
            ++total;
            if (!live.insert(snap->point_id(s, d)).second) {
                throw CorruptIndex(where + ": point " + snap->point_id(s, d).text() + " is live in two segments");
            }
        }
    }
    if (total != snap->live) throw CorruptIndex(dir_ + ": live count " + std::to_string(snap->live) + ", counted " + std::to_string(total));
    for (const auto& [name, idx] : snap->indexes) {
        if (idx->live_docs() != total) throw CorruptIndex(dir_ + ": vector '" + name + "' sees another live count");
    }
}

std::unique_ptr<Collection> open_collection(const std::string& dir, OpenOptions options);
std::unique_ptr<Collection> create_collection(const std::string& dir, const CollectionConfig& config, OpenOptions opts);

}  // namespace detail

std::unique_ptr<Collection> Collection::create(const std::string& dir, const CollectionConfig& config, OpenOptions options) {
    return detail::create_collection(dir, config, options);
}

std::unique_ptr<Collection> Collection::open(const std::string& dir, OpenOptions options) {
    return detail::open_collection(dir, options);
}

}  // namespace spindle
