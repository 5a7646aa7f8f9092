// The write path of a live collection: validation, the log, in-memory
// segments, flushes, merges and manifest generations.
#include <fmt/format.h>
#include <unistd.h>

#include <algorithm>
#include <bit>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <set>
#include <nlohmann/json.hpp>
#include <unordered_map>
#include <unordered_set>

#include "crash_points.hpp"
#include "dense_query.hpp"
#include "live_collection.hpp"
#include "spindle/common/error.hpp"
#include "spindle/index/deletions.hpp"
#include "spindle/io/file_util.hpp"
#include "wal_codec.hpp"

namespace fs = std::filesystem;

namespace spindle::detail {
namespace {


std::string point_label(std::size_t i, const PointId& id) {
    return fmt::format("point {} (id {})", i, id.is_number() ? id.text() : "'" + id.str() + "'");
}

/// Runs `f` and prefixes any InvalidArgument with `label()` (built only
/// then: formatting a label per valid point costs more than the check).
template <class L, class F>
void labelled(L&& label, F&& f) {
    try {
        f();
    } catch (const InvalidArgument& e) {
        throw InvalidArgument(label() + ": " + e.what());
    }
}

/// "a, b (dense)": every vector of the collection, for error messages.
std::string vector_names(const CollectionConfig& c) {
    std::string names;
    for (const auto& [n, v] : c.vectors) names += (names.empty() ? "" : ", ") + n;
    for (const auto& [n, v] : c.dense) names += (names.empty() ? "" : ", ") + n + " (dense)";
    return names;
}

struct MergeFlag {
    std::set<std::string>& merging;
    std::mutex& mu;
    std::vector<std::string> names;
    ~MergeFlag() {
        std::lock_guard g(mu);
        for (const auto& n : names) merging.erase(n);
    }
};

}  // namespace

/// Appends the live documents of in-memory segment `s` to `out`.
void append_memory(const SegState& s, DocBatch& out, std::vector<docid_t>* mapping) {
    if (s.batch) {
        append_batch(*s.batch, s.deleted.get(), out, mapping);
    } else {
        append_live(*s.data, s.deleted.get(), out, mapping);
    }
}

namespace {

/// A token's length as the vocabulary stores it: 1 to 65535 bytes.
bool token_size_ok(std::string_view t) { return !t.empty() && t.size() <= 65535; }

void reserve_memory(const std::vector<const SegState*>& sources, DocBatch& out) {
    std::size_t docs = out.docs();
    for (const SegState* s : sources) docs += s->data->docs;
    out.ids.reserve(docs);
    out.payloads.reserve(docs);
    for (auto& [name, buf] : out.vectors) {
        std::size_t entries = buf.terms.size();
        for (const SegState* s : sources) {
            if (!s->batch) continue;
            const auto it = s->batch->vectors.find(name);
            if (it != s->batch->vectors.end()) entries += it->second.terms.size();
        }
        buf.terms.reserve(entries);
        buf.weights.reserve(entries);
        buf.doc_begin.reserve(docs + 1);
        buf.id_offsets.reserve(docs + 1);
    }
}

}  // namespace

void gather_memory(const std::vector<const SegState*>& sources, DocBatch& out,
                   std::vector<std::vector<docid_t>>* mappings) {
    reserve_memory(sources, out);
    if (mappings != nullptr) mappings->assign(sources.size(), {});
    for (std::size_t i = 0; i < sources.size(); ++i) {
        append_memory(*sources[i], out, mappings != nullptr ? &(*mappings)[i] : nullptr);
    }
}

void LiveCollection::check_writable() const {
    if (opts_.read_only) throw InvalidArgument("collection " + dir_ + " is open read-only");
}

termid_t LiveCollection::dimension_term(std::vector<termid_t>& cache, Vocabulary& voc, std::uint32_t dim) {
    if (dim >= kDimCacheLimit) return voc.add(std::to_string(dim));
    if (dim >= cache.size()) cache.resize(std::max<std::size_t>(dim + 1, cache.size() * 2), kNoTerm);
    termid_t& t = cache[dim];
    if (t == kNoTerm) t = voc.add(std::to_string(dim));
    return t;
}

// --- validation ----------------------------------------------------------------

void LiveCollection::validate_points(std::span<const Point> points) const {
    constexpr std::uint32_t kNoSlot = 0xFFFFFFFFU;
    std::vector<std::uint32_t> slots;
    std::vector<std::size_t> hashes;
    std::vector<std::uint32_t> idx;
    const CollectionConfig& config = this->config();  // outside the writer's lock: the published config
    for (std::size_t i = 0; i < points.size(); ++i) {
        const Point& p = points[i];
        // Messages are built only for an error: formatting a label per point
        // cost a tenth of the write path.
        const auto label = [&] { return point_label(i, p.id); };
        if (!p.id.is_number()) labelled(label, [&] { (void)PointId::key(p.id.str()); });
        for (const auto& [name, v] : p.vectors) {
            const auto it = config.vectors.find(name);
            if (it == config.vectors.end()) {
                if (config.dense.contains(name)) {
                    throw InvalidArgument(label() + ": vector '" + name + "' is a dense vector (give it as a float array, not a sparse vector)");
                }
                throw InvalidArgument(label() + ": unknown vector '" + name + "' (the collection has: " + vector_names(config) + ")");
            }
            const SparseVectorConfig& c = it->second;
            const auto vl = [&label, &name = name] { return label() + ": vector '" + name + "'"; };
            if (c.text) {
                throw InvalidArgument(vl() + " holds BM25 weights computed from text at build time and takes no upserts "
                                           "(rebuild it with spindle index --text)");
            }
            const bool tokens = c.keys == VectorKeys::tokens;
            if (tokens && !v.indices.empty()) throw InvalidArgument(vl() + " is keyed by tokens, got integer indices");
            if (!tokens && !v.tokens.empty()) throw InvalidArgument(vl() + " is keyed by integer indices, got tokens");
            const std::size_t keys = tokens ? v.tokens.size() : v.indices.size();
            if (keys != v.values.size()) {
                throw InvalidArgument(fmt::format("{}: {} {} but {} values", vl(), keys, tokens ? "tokens" : "indices",
                                                  v.values.size()));
            }
            for (std::size_t k = 0; k < v.values.size(); ++k) {
                const float w = v.values[k];
                if (!std::isfinite(w) || w < 0) {
                    throw InvalidArgument(fmt::format("{}: value {} of {} {} must be finite and non-negative", vl(), w,
                                                      tokens ? "token" : "index",
                                                      tokens ? "'" + v.tokens[k] + "'" : std::to_string(v.indices[k])));
                }
            }
            if (tokens) {
                // Repeated tokens: an open-addressing set of the vector's
                // token positions by hash, strings compared only where hashes
                // are equal. Linear in the tokens: sorting the strings was a
                // fifth of the write path, sorting (hash, token) pairs still
                // a third of this check.
                const std::size_t n = v.tokens.size();
                std::size_t cap = 16;
                while (cap < 2 * n) cap <<= 1U;
                slots.assign(cap, kNoSlot);
                hashes.resize(n);
                for (std::size_t k = 0; k < n; ++k) {
                    const std::string& t = v.tokens[k];
                    if (!token_size_ok(t)) {
                        throw InvalidArgument(vl() + ": a token must have 1 to 65535 bytes");
                    }
                    const std::size_t h = std::hash<std::string_view>{}(t);
                    hashes[k] = h;
                    for (std::size_t at = h & (cap - 1);; at = (at + 1) & (cap - 1)) {
                        const std::uint32_t j = slots[at];
                        if (j == kNoSlot) {
                            slots[at] = static_cast<std::uint32_t>(k);
                            break;
                        }
                        if (hashes[j] == h && v.tokens[j] == t) throw InvalidArgument(vl() + ": token '" + t + "' repeated");
                    }
                }
            } else {
                idx = v.indices;
                std::sort(idx.begin(), idx.end());
                const auto dup = std::adjacent_find(idx.begin(), idx.end());
                if (dup != idx.end()) throw InvalidArgument(fmt::format("{}: index {} repeated", vl(), *dup));
            }
        }
        for (const auto& [name, v] : p.dense) {
            const auto it = config.dense.find(name);
            if (it == config.dense.end()) {
                if (config.vectors.contains(name)) {
                    throw InvalidArgument(label() + ": vector '" + name + "' is a sparse vector (give indices and values, not a float array)");
                }
                throw InvalidArgument(label() + ": unknown vector '" + name + "' (the collection has: " + vector_names(config) + ")");
            }
            if (v.size() != it->second.dim) {
                throw InvalidArgument(fmt::format("{}: dense vector '{}' has {} values, its dimension is {}", label(), name, v.size(),
                                                  it->second.dim));
            }
            for (std::size_t k = 0; k < v.size(); ++k) {
                if (!std::isfinite(v[k])) {
                    throw InvalidArgument(fmt::format("{}: dense vector '{}': value {} at position {} is not finite", label(), name, v[k], k));
                }
            }
        }
        if (!p.payload.empty()) {
            const auto j = nlohmann::json::parse(p.payload, nullptr, false);
            if (j.is_discarded()) throw InvalidArgument(label() + ": payload is not valid JSON");
            if (!j.is_object()) throw InvalidArgument(label() + ": payload must be a JSON object");
        }
    }
}

// --- writes ----------------------------------------------------------------------

void LiveCollection::log_append_locked(std::span<const std::byte> payload, bool wait) {
    const auto t0 = std::chrono::steady_clock::now();
    ++wstats_.batches;
    wal_.append(next_lsn_, payload);
    crash_point("log:appended");
    ++next_lsn_;
    if (wait) {
        wal_.sync();
        unsynced_ = false;
    } else {
        unsynced_ = true;
    }
    wstats_.log_seconds += since(t0);
}

WriteResult LiveCollection::upsert(std::span<const Point> points, WriteOptions w) {
    check_writable();
    const auto t_prepare = std::chrono::steady_clock::now();
    validate_points(points);
    if (points.empty()) return {};
    const auto record = wal::encode_upsert(points);
    const double prepare_s = since(t_prepare);
    WriteResult res;
    bool flushed = false;
    {
        std::unique_lock g(write_mu_);
        if (compactor_on_) wait_for_room(g);  // before the log: a refused batch applies nothing
        wstats_.prepare_seconds += prepare_s;
        log_append_locked(record, w.wait);
        res.lsn = next_lsn_ - 1;
        const auto t0 = std::chrono::steady_clock::now();
        res.applied = apply_upsert(points);
        wstats_.points += res.applied;
        const std::uint64_t mem = memory_docs_locked();
        publish_locked();
        wstats_.apply_seconds += since(t0);
        if (compactor_on_) {
            compact_cv_.notify_one();
            flushed = std::exchange(merge_due_, false);
        } else if (mem >= config_->segments.flush_docs) {
            flushed = flush_locked();
            publish_locked();
        }
    }
    if (flushed) {
        if (opts_.background_merges) {
            {
                std::lock_guard g(cv_mu_);
                merge_wanted_ = true;
            }
            cv_.notify_all();
        } else {
            maintain();
        }
    }
    return res;
}

WriteResult LiveCollection::remove(std::span<const PointId> ids, WriteOptions w) {
    check_writable();
    for (std::size_t i = 0; i < ids.size(); ++i) {
        if (!ids[i].is_number()) labelled([&] { return point_label(i, ids[i]); }, [&] { (void)PointId::key(ids[i].str()); });
    }
    if (ids.empty()) return {};
    const auto record = wal::encode_remove(ids);
    WriteResult res;
    std::lock_guard g(write_mu_);
    log_append_locked(record, w.wait);
    res.lsn = next_lsn_ - 1;
    res.applied = apply_remove(ids);
    publish_locked();
    return res;
}

bool LiveCollection::mark_deleted(const PointId& id, std::map<std::size_t, std::shared_ptr<Bitmap>>& pending) const {
    const std::string key = id.text();
    for (std::size_t s = segs_.size(); s-- > 0;) {
        const auto d = segs_[s].data->ids->find(id.is_number(), key);
        if (!d) continue;
        const auto it = pending.find(s);
        const Bitmap& cur = it != pending.end() ? *it->second : *segs_[s].deleted;
        if (cur.contains(*d)) continue;
        if (it == pending.end()) {
            pending.emplace(s, std::make_shared<Bitmap>(*segs_[s].deleted)).first->second->add(*d);
        } else {
            it->second->add(*d);
        }
        return true;
    }
    return false;
}

std::uint64_t LiveCollection::apply_remove(std::span<const PointId> ids) {
    std::map<std::size_t, std::shared_ptr<Bitmap>> pending;
    std::uint64_t n = 0;
    for (const PointId& id : ids) n += mark_deleted(id, pending) ? 1 : 0;
    for (auto& [s, b] : pending) {
        segs_[s].deleted = std::move(b);
        segs_[s].entry.deleted = segs_[s].deleted->cardinality();
    }
    return n;
}

std::map<std::string, std::uint64_t> LiveCollection::num_terms_locked() const {
    std::map<std::string, std::uint64_t> n;
    for (const auto& [name, v] : vocab_) n[name] = v.size();
    return n;
}

std::uint64_t LiveCollection::apply_upsert(std::span<const Point> points) {
    std::unordered_map<PointId, std::size_t, PointIdHash> last;
    for (std::size_t i = 0; i < points.size(); ++i) last[points[i].id] = i;
    std::map<std::size_t, std::shared_ptr<Bitmap>> pending;
    DocBatch batch(*config_);
    // A document's entries sorted by term as one 64-bit key each (term in
    // the high half, the weight's bits in the low half): its terms are
    // distinct (validated), so this is the order of the terms, and sorting
    // integers is cheaper than sorting (term, weight) pairs.
    std::vector<std::uint64_t> entries;
    for (std::size_t i = 0; i < points.size(); ++i) {
        const Point& p = points[i];
        if (last[p.id] != i) continue;
        mark_deleted(p.id, pending);
        for (auto& [vname, buf] : batch.vectors) {
            const auto it = p.vectors.find(vname);
            if (it == p.vectors.end()) continue;
            const SparseVector& v = it->second;
            Vocabulary& voc = vocab_.at(vname);
            std::vector<termid_t>& dims = dim_terms_[vname];
            entries.clear();
            for (std::size_t k = 0; k < v.values.size(); ++k) {
                if (!(v.values[k] > 0.0F)) continue;
                const termid_t t = v.tokens.empty() ? dimension_term(dims, voc, v.indices[k]) : voc.add(v.tokens[k]);
                entries.push_back(std::uint64_t{t} << 32U | std::bit_cast<std::uint32_t>(v.values[k]));
            }
            std::sort(entries.begin(), entries.end());
            for (const std::uint64_t e : entries) {
                buf.terms.push_back(static_cast<termid_t>(e >> 32U));
                buf.weights.push_back(std::bit_cast<float>(static_cast<std::uint32_t>(e)));
            }
        }
        for (auto& [vname, col] : batch.dense) {
            const auto it = p.dense.find(vname);
            if (it == p.dense.end()) continue;  // end_doc adds an absent row
            const std::size_t at = col.values.size();
            col.values.insert(col.values.end(), it->second.begin(), it->second.end());
            col.present.push_back(1);
            if (config_->dense.at(vname).distance == DenseDistance::cosine) normalize(col.values.data() + at, col.dim);
        }
        batch.end_doc(p.id, p.payload);
    }
    for (auto& [s, b] : pending) {
        segs_[s].deleted = std::move(b);
        segs_[s].entry.deleted = segs_[s].deleted->cardinality();
    }
    for (auto& [name, v] : vocab_) {
        if (vocab_pub_[name]->size() != v.size()) vocab_pub_[name] = std::make_shared<const Vocabulary>(v);
    }
    const std::size_t n = batch.docs();
    if (n > 0) {
        push_memory_segment_locked(std::make_shared<const DocBatch>(std::move(batch)));
        if (!compactor_on_) combine_memory_locked();  // else the background thread combines them
    }
    return n;
}

std::uint64_t LiveCollection::memory_docs_locked() const {
    std::uint64_t mem = 0;
    for (const auto& s : segs_) mem += s.in_memory ? s.data->docs : 0;
    return mem;
}

std::vector<std::size_t> LiveCollection::pick_memory_group_locked() const {
    const std::uint32_t f = config_->segments.memory_merge_factor;
    std::map<int, std::vector<std::size_t>> tiers;
    for (std::size_t s = 0; s < segs_.size(); ++s) {
        if (!segs_[s].in_memory) continue;
        const double live = static_cast<double>(std::max<std::uint64_t>(segs_[s].live(), 1));
        tiers[static_cast<int>(std::floor(std::log(live) / std::log(static_cast<double>(f))))].push_back(s);
    }
    // The f oldest segments of a tier are combined. A combination that
    // would hold more than half of flush_docs is skipped: its points reach a
    // disk segment within a few batches, so building it would only add one
    // more build of each of them (at most 2f segments of that size wait for
    // the flush).
    for (const auto& [t, members] : tiers) {
        if (members.size() < f) continue;
        const std::vector<std::size_t> group(members.begin(), members.begin() + f);
        std::uint64_t docs = 0;
        for (std::size_t s : group) docs += segs_[s].live();
        if (2 * docs > config_->segments.flush_docs) continue;
        return group;
    }
    return {};
}

void LiveCollection::combine_memory_locked() {
    for (;;) {
        const std::vector<std::size_t> group = pick_memory_group_locked();
        if (group.empty()) return;
        auto batch = std::make_shared<DocBatch>(*config_);
        std::vector<const SegState*> sources;
        for (std::size_t s : group) sources.push_back(&segs_[s]);
        gather_memory(sources, *batch);
        std::vector<SegState> kept;
        for (std::size_t s = 0; s < segs_.size(); ++s) {
            if (std::find(group.begin(), group.end(), s) == group.end()) kept.push_back(std::move(segs_[s]));
        }
        segs_ = std::move(kept);
        if (batch->docs() > 0) {
            // In the first member's place: segments stay in arrival order.
            push_memory_segment_locked(std::move(batch));
            std::rotate(segs_.begin() + static_cast<std::ptrdiff_t>(group.front()), segs_.end() - 1, segs_.end());
        }
    }
}

void LiveCollection::push_memory_segment_locked(std::shared_ptr<const DocBatch> batch) {
    SegState st;
    st.data = build_memory_segment(fmt::format("mem-{:06}", ++mem_counter_), *batch, *config_, num_terms_locked(), st.entry);
    st.batch = std::move(batch);
    st.deleted = std::make_shared<const Bitmap>();
    st.in_memory = true;
    segs_.push_back(std::move(st));
}

// --- snapshots -------------------------------------------------------------------

void LiveCollection::publish_locked() {
    auto snap = std::make_shared<Snapshot>();
    snap->path = dir_;
    snap->config = config_;
    snap->filter_cache = filter_cache_;
    snap->segs = segs_;
    CollectionManifest view;
    view.config = *config_;
    view.vectors = manifest_.vectors;
    view.reorder = manifest_.reorder;
    view.build_seconds = manifest_.build_seconds;
    view.build_peak_rss = manifest_.build_peak_rss;
    for (auto& s : snap->segs) {
        s.entry.deleted = s.deleted->cardinality();
        view.segments.push_back(s.entry);
        snap->live += s.live();
    }
    for (const auto& [name, voc] : vocab_pub_) view.vectors[name].num_terms = voc->size();
    for (const auto& [name, cfg] : config_->vectors) {
        std::vector<Index::Part> parts;
        for (const auto& s : snap->segs) parts.push_back({s.data->vectors.at(name), s.deleted});
        snap->indexes.emplace(name, std::make_shared<const Index>(dir_, name, view.vector_manifest(name),
                                                                  vocab_pub_.at(name), std::move(parts)));
    }
    std::lock_guard g(snap_mu_);
    snap_ = std::move(snap);
}

// --- manifest generations ------------------------------------------------------

void LiveCollection::attach_carried_deletions(CollectionSegment& seg, const Bitmap& carried, std::uint64_t generation) const {
    seg.deleted = carried.cardinality();
    if (carried.isEmpty()) return;
    seg.deletions = fmt::format("{}/deleted-{:06}.bin", seg.name, generation);
    save_deletions(dir_ + "/" + seg.deletions, carried);
}

CollectionManifest LiveCollection::next_manifest_locked() {
    CollectionManifest m = manifest_;
    m.generation = manifest_.generation + 1;
    m.segments.clear();
    for (auto& s : segs_) {
        if (s.in_memory) continue;
        CollectionSegment e = s.entry;
        const std::uint64_t card = s.deleted->cardinality();
        const auto old = std::find_if(manifest_.segments.begin(), manifest_.segments.end(),
                                      [&](const CollectionSegment& g) { return g.name == e.name; });
        const bool changed = old == manifest_.segments.end() || old->deleted != card;
        e.deleted = card;
        if (card == 0) {
            e.deletions.clear();
        } else if (changed) {
            e.deletions = fmt::format("{}/deleted-{:06}.bin", e.name, m.generation);
            const std::string path = dir_ + "/" + e.deletions;
            std::error_code ec;
            fs::remove(path, ec);
            save_deletions(path, *s.deleted);
        }
        s.entry = e;
        m.segments.push_back(std::move(e));
    }
    for (auto& [name, st] : m.vectors) {
        const Vocabulary& v = vocab_.at(name);
        if (v.size() != st.num_terms) {
            st.vocabulary = fmt::format("vocab-{}-{:06}.bin", name, m.generation);
            const std::string path = dir_ + "/" + st.vocabulary;
            std::error_code ec;
            fs::remove(path, ec);
            st.vocab_bytes = v.save(path);
            st.num_terms = v.size();
        }
    }
    return m;
}

void LiveCollection::save_manifest_locked(CollectionManifest m) {
    const std::string name = manifest_file_name(m.generation);
    std::error_code ec;
    fs::remove(dir_ + "/" + name, ec);
    m.save(dir_);
    crash_point("manifest:saved");
    write_current(dir_, name);
    crash_point("manifest:current");
    manifest_ = std::move(m);
}

void LiveCollection::remove_obsolete_files_locked() {
    std::set<std::string> keep;
    for (const auto& g : manifest_.segments) {
        if (!g.deletions.empty()) keep.insert(g.deletions);
    }
    for (const auto& [n, st] : manifest_.vectors) keep.insert(st.vocabulary);
    const std::string current = manifest_file_name(manifest_.generation);
    std::error_code ec;
    for (const auto& e : fs::directory_iterator(dir_, ec)) {
        const std::string n = e.path().filename().string();
        if (n.rfind("MANIFEST-", 0) == 0 && n != current && n.find_first_not_of("0123456789", 9) == std::string::npos) {
            fs::remove(e.path(), ec);
        } else if (n.rfind("vocab-", 0) == 0 && n.size() > 4 && n.compare(n.size() - 4, 4, ".bin") == 0 &&
                   !keep.contains(n)) {
            fs::remove(e.path(), ec);
        } else if (n.rfind("wal-", 0) == 0 && n.size() == 14 && n.compare(10, 4, ".log") == 0) {
            if (std::stoull(n.substr(4, 6)) < manifest_.wal_first) fs::remove(e.path(), ec);
        }
    }
    for (const auto& g : manifest_.segments) {
        for (const auto& e : fs::directory_iterator(dir_ + "/" + g.name, ec)) {
            const std::string n = e.path().filename().string();
            if (n.rfind("deleted-", 0) == 0 && !keep.contains(g.name + "/" + n)) fs::remove(e.path(), ec);
        }
    }
}

// --- flush -----------------------------------------------------------------------

bool LiveCollection::flush_locked() {
    bool any_memory = false;
    for (const auto& s : segs_) any_memory = any_memory || s.in_memory;
    if (!any_memory && next_lsn_ == manifest_.next_lsn) return false;
    const auto t0 = std::chrono::steady_clock::now();
    // New writes go to a new log file; the old ones are covered by the
    // manifest this flush publishes and removed after it.
    wal_.sync();
    unsynced_ = false;
    const std::uint64_t next_number = wal_number_ + 1;
    const std::string next_path = dir_ + "/" + wal_name(next_number);
    std::error_code ec;
    fs::remove(next_path, ec);  // left by an earlier failed flush of this process
    WalWriter next = WalWriter::create(next_path, next_number);

    DocBatch batch(*config_);
    std::vector<const SegState*> sources;
    for (const auto& s : segs_) {
        if (s.in_memory) sources.push_back(&s);
    }
    gather_memory(sources, batch);
    CollectionManifest m = next_manifest_locked();
    std::optional<CollectionSegment> fresh;
    if (batch.docs() > 0) {
        fresh = write_disk_segment(dir_, segment_name(m.next_segment), batch, *config_, num_terms_locked(), "flush");
        crash_point("flush:segment");
        ++m.next_segment;
        m.segments.push_back(*fresh);
    }
    m.wal_first = next_number;
    m.next_lsn = next_lsn_;
    try {
        save_manifest_locked(m);
    } catch (...) {
        if (fresh) fs::remove_all(dir_ + "/" + fresh->name, ec);
        throw;
    }
    std::vector<SegState> kept;
    for (auto& s : segs_) {
        if (!s.in_memory) kept.push_back(std::move(s));
    }
    if (fresh) {
        SegState st;
        st.data = open_collection_segment(dir_, manifest_, *fresh,
                                          opts_.in_memory ? MappedFile::Mode::memory : MappedFile::Mode::map);
        st.deleted = std::make_shared<const Bitmap>();
        st.entry = *fresh;
        kept.push_back(std::move(st));
    }
    segs_ = std::move(kept);
    wal_ = std::move(next);
    wal_number_ = next_number;
    crash_point("flush:published");
    remove_obsolete_files_locked();
    ++wstats_.flushes;
    wstats_.flush_seconds += since(t0);
    return true;
}

void LiveCollection::flush() {
    check_writable();
    bool flushed = false;
    {
        std::unique_lock g(write_mu_);
        wait_compactor_idle(g);
        flushed = flush_locked();
        publish_locked();
        flushed = std::exchange(merge_due_, false) || flushed;
    }
    if (flushed && !opts_.background_merges) maintain();
}

void LiveCollection::install_config_locked(std::shared_ptr<const CollectionConfig> c) {
    configs_.push_back(c);
    config_ = std::move(c);
    config_now_.store(config_.get(), std::memory_order_release);
}

void LiveCollection::add_payload_index(const std::string& field, PayloadType type) {
    check_writable();
    check_payload_key(field);
    {
        std::lock_guard g(write_mu_);
        if (const auto it = config_->payload_indexes.find(field); it != config_->payload_indexes.end()) {
            if (it->second != type) {
                throw InvalidArgument(fmt::format("payload field `{}` is already indexed as {}, not {}", field,
                                                  to_string(it->second), to_string(type)));
            }
        } else {
            auto cfg = std::make_shared<CollectionConfig>(*config_);
            cfg->payload_indexes[field] = type;
            cfg->validate();
            CollectionManifest m = next_manifest_locked();
            m.config = *cfg;
            save_manifest_locked(std::move(m));  // durable before anything is built with it
            install_config_locked(std::move(cfg));
            publish_locked();
        }
    }
    // Segments written before lack the field's index: rewrite each through
    // the merge path (one at a time; merges already holding one are skipped).
    std::lock_guard mg(merge_mu_);
    std::set<std::string> tried;
    for (;;) {
        std::string name;
        {
            std::lock_guard g(write_mu_);
            for (const auto& st : segs_) {
                if (st.in_memory || tried.contains(st.entry.name)) continue;
                if (st.data->payload_index && st.data->payload_index->field(field) != nullptr) continue;
                name = st.entry.name;
                break;
            }
        }
        if (name.empty()) break;
        tried.insert(name);
        (void)run_one_merge({name});
    }
}

std::uint64_t LiveCollection::add_tokens(const std::string& vector, std::span<const std::string> tokens) {
    check_writable();
    std::lock_guard g(write_mu_);
    const auto it = config_->vectors.find(vector);
    if (it == config_->vectors.end()) throw InvalidArgument("collection " + dir_ + " has no vector '" + vector + "'");
    if (it->second.keys != VectorKeys::tokens || it->second.text) {
        throw InvalidArgument("vector '" + vector + "' is not keyed by tokens: it has no vocabulary to add to");
    }
    for (std::size_t i = 0; i < tokens.size(); ++i) {
        if (!token_size_ok(tokens[i])) {
            throw InvalidArgument(fmt::format("token {} of {}: a token must have 1 to 65535 bytes", i + 1, tokens.size()));
        }
    }
    Vocabulary& voc = vocab_.at(vector);
    const std::uint64_t before = voc.size();
    for (const std::string& t : tokens) voc.add(t);
    const std::uint64_t added = voc.size() - before;
    if (added == 0) return 0;
    vocab_pub_[vector] = std::make_shared<const Vocabulary>(voc);
    save_manifest_locked(next_manifest_locked());
    publish_locked();
    remove_obsolete_files_locked();
    return added;
}

void LiveCollection::set_approx_defaults(const std::string& vector, const ApproxDefaults& d) {
    check_writable();
    d.validate();
    std::lock_guard g(write_mu_);
    const auto it = config_->vectors.find(vector);
    if (it == config_->vectors.end()) throw InvalidArgument("collection " + dir_ + " has no vector '" + vector + "'");
    if (!it->second.approx) throw InvalidArgument("vector '" + vector + "' has no approximate structures");
    if (d.knn > it->second.approx->knn_k) {
        throw InvalidArgument(fmt::format("knn {} exceeds the graph's {} neighbours", d.knn, it->second.approx->knn_k));
    }
    CollectionManifest m = next_manifest_locked();
    m.vectors.at(vector).approx_defaults = d;
    save_manifest_locked(std::move(m));
    publish_locked();
    remove_obsolete_files_locked();
}

// --- merges ----------------------------------------------------------------------

std::vector<std::string> LiveCollection::pick_merge_locked() const {
    std::vector<MergeCandidate> c;
    for (const auto& s : segs_) {
        if (!s.in_memory && !merging_.contains(s.entry.name)) c.push_back({s.entry.name, s.data->docs, s.deleted->cardinality()});
    }
    return pick_merge(c, config_->segments);
}

bool LiveCollection::run_one_merge(const std::vector<std::string>& picked) {
    const auto t0 = std::chrono::steady_clock::now();
    // Sources in segment-number order (the order they were written), not
    // the policy's size order: the merged segment keeps the documents in
    // the order they arrived, as a bulk build of the same input does.
    std::vector<std::string> names = picked;
    std::sort(names.begin(), names.end(), [](const std::string& a, const std::string& b) {
        return a.size() < b.size() || (a.size() == b.size() && a < b);  // seg-NNNNNN, more digits past 999999
    });
    std::vector<SegState> sources;
    std::string name;
    std::map<std::string, std::uint64_t> num_terms;
    std::shared_ptr<const CollectionConfig> config;  // as of the merge's start
    MergeFlag flag{merging_, write_mu_, {}};
    {
        std::lock_guard g(write_mu_);
        for (const auto& n : names) {
            const auto it = std::find_if(segs_.begin(), segs_.end(),
                                         [&](const SegState& s) { return !s.in_memory && s.entry.name == n; });
            if (it == segs_.end() || merging_.contains(n)) return false;
            sources.push_back(*it);
        }
        for (const auto& n : names) merging_.insert(n);
        flag.names = names;
        name = segment_name(manifest_.next_segment++);
        num_terms = num_terms_locked();
        config = config_;
    }
    DocBatch batch(*config);
    std::vector<std::vector<docid_t>> mapping(sources.size());
    std::uint64_t dropped = 0;
    for (std::size_t i = 0; i < sources.size(); ++i) {
        append_live(*sources[i].data, sources[i].deleted.get(), batch, &mapping[i]);
        dropped += sources[i].deleted->cardinality();
    }
    std::optional<CollectionSegment> merged;
    if (batch.docs() > 0) merged = write_disk_segment(dir_, name, batch, *config, num_terms, "merge");
    crash_point("merge:segment");
    std::error_code ec;
    try {
        std::lock_guard g(write_mu_);
        // Deletions that happened while the merge ran move to the new segment.
        Bitmap carried;
        for (std::size_t i = 0; i < sources.size(); ++i) {
            const auto it = std::find_if(segs_.begin(), segs_.end(),
                                         [&](const SegState& s) { return !s.in_memory && s.entry.name == names[i]; });
            if (it == segs_.end()) throw Error("segment " + names[i] + " vanished during a merge");
            const Bitmap fresh = *it->deleted - *sources[i].deleted;
            for (const std::uint32_t d : fresh) {
                if (mapping[i][d] != kNoDoc) carried.add(mapping[i][d]);
            }
        }
        CollectionManifest m = next_manifest_locked();
        std::erase_if(m.segments, [&](const CollectionSegment& s) {
            return std::find(names.begin(), names.end(), s.name) != names.end();
        });
        if (merged) {
            attach_carried_deletions(*merged, carried, m.generation);
            m.segments.push_back(*merged);
        }
        LastMerge lm;
        lm.generation = m.generation;
        lm.sources = sources.size();
        lm.docs = batch.docs();
        lm.dropped = dropped;
        lm.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
        lm.unix_time = std::to_string(std::chrono::duration_cast<std::chrono::seconds>(
                                          std::chrono::system_clock::now().time_since_epoch())
                                          .count());
        m.last_merge = lm;
        std::optional<SegState> opened;
        if (merged) {
            SegState st;
            // Opened before the manifest switch: a segment that does not open is never published.
            CollectionManifest probe = m;
            st.data = open_collection_segment(dir_, probe, *merged,
                                              opts_.in_memory ? MappedFile::Mode::memory : MappedFile::Mode::map);
            st.deleted = std::make_shared<const Bitmap>(carried);
            st.entry = *merged;
            opened = std::move(st);
        }
        save_manifest_locked(std::move(m));
        std::vector<SegState> disk;
        std::vector<SegState> memory;
        for (auto& s : segs_) {
            if (s.in_memory) {
                memory.push_back(std::move(s));
            } else if (std::find(names.begin(), names.end(), s.entry.name) != names.end()) {
                s.data->obsolete = true;
            } else {
                disk.push_back(std::move(s));
            }
        }
        if (opened) disk.push_back(std::move(*opened));
        segs_ = std::move(disk);
        for (auto& s : memory) segs_.push_back(std::move(s));
        ++merges_done_;
        ++wstats_.merges;
        wstats_.merge_seconds += since(t0);
        publish_locked();
        remove_obsolete_files_locked();
    } catch (...) {
        if (merged) fs::remove_all(dir_ + "/" + merged->name, ec);
        throw;
    }
    return true;
}

void LiveCollection::maintain() {
    if (opts_.read_only || legacy_) return;
    std::lock_guard mg(merge_mu_);
    for (;;) {
        std::vector<std::string> names;
        {
            std::lock_guard g(write_mu_);
            names = pick_merge_locked();
        }
        if (names.empty() || !run_one_merge(names)) return;
    }
}

void LiveCollection::optimize(std::size_t max_segments) {
    check_writable();
    if (max_segments == 0) throw InvalidArgument("optimize: the number of segments must be at least 1");
    flush();
    std::lock_guard mg(merge_mu_);
    for (;;) {
        std::vector<std::string> names;
        {
            std::lock_guard g(write_mu_);
            std::vector<const SegState*> disk;
            for (const auto& s : segs_) {
                if (!s.in_memory) disk.push_back(&s);
            }
            if (disk.size() > max_segments) {
                std::sort(disk.begin(), disk.end(), [](const SegState* a, const SegState* b) { return a->live() < b->live(); });
                for (std::size_t i = 0; i < disk.size() - max_segments + 1; ++i) names.push_back(disk[i]->entry.name);
            } else {
                for (const SegState* s : disk) {
                    if (!s->deleted->isEmpty()) names.push_back(s->entry.name);
                }
            }
        }
        if (names.empty() || !run_one_merge(names)) return;
    }
}

void LiveCollection::merge_loop() {
    for (;;) {
        {
            std::unique_lock l(cv_mu_);
            cv_.wait_for(l, std::chrono::seconds(1), [&] { return stop_ || merge_wanted_; });
            if (stop_) return;
            merge_wanted_ = false;
        }
        try {
            std::lock_guard mg(merge_mu_);
            for (;;) {
                {
                    std::lock_guard l(cv_mu_);
                    if (stop_) return;
                }
                std::vector<std::string> names;
                {
                    std::lock_guard g(write_mu_);
                    names = pick_merge_locked();
                }
                if (names.empty()) break;
                merge_running_ = true;
                const bool done = run_one_merge(names);
                merge_running_ = false;
                if (!done) break;
            }
        } catch (const std::exception& e) {
            merge_running_ = false;
            std::lock_guard g(write_mu_);
            merge_error_ = e.what();
            std::fprintf(stderr, "spindle: background merge in %s failed: %s\n", dir_.c_str(), e.what());
        }
    }
}

// --- creation --------------------------------------------------------------------

std::unique_ptr<Collection> create_collection(const std::string& dir, const CollectionConfig& config, OpenOptions opts) {
    config.validate();
    for (const auto& [name, v] : config.vectors) {
        if (v.text) throw InvalidArgument("vector '" + name + "': text vectors are built by spindle index --text");
    }
    if (opts.read_only) throw InvalidArgument("a collection is created for writing (read_only is not allowed)");
    {
        StagingDirectory staging(dir, false);
        CollectionManifest m;
        m.generation = 1;
        m.config = config;
        for (const auto& [name, v] : config.vectors) {
            VectorState st;
            st.vocabulary = fmt::format("vocab-{}-{:06}.bin", name, 1);
            st.vocab_bytes = Vocabulary().save(staging.path() + "/" + st.vocabulary);
            m.vectors.emplace(name, st);
        }
        m.wal_first = 1;
        m.next_lsn = 1;
        WalWriter::create(staging.path() + "/" + wal_name(1), 1).close();
        m.save(staging.path());
        write_current(staging.path(), manifest_file_name(1));
        FileWriter lock(staging.path() + "/LOCK");
        lock.close_and_sync();
        staging.commit();
    }
    return Collection::open(dir, opts);
}

}  // namespace spindle::detail
