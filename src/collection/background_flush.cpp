// The background flush (OpenOptions::background_flush): one thread combines
// in-memory tiers and flushes in-memory segments to disk segments, so that
// the writer only validates, logs and builds its batch's own segment.
//
// A job takes what it works on under write_mu_ (copies of the SegStates:
// their data is immutable, their deletion bitmaps are replaced, never
// changed), builds without the lock, and commits under it: deletions made
// meanwhile (replacements, removes) are carried to the new segment through
// the job's docid mapping, and the sources leave the segment list in the same
// publish that adds the result, so a search sees every point exactly once.
// A flush job first moves new writes to a new log file; the manifest that
// lists its segment (durable before the manifest switch) is what lets the
// old log files go, as in the synchronous flush.
#include <fmt/format.h>

#include <chrono>
#include <cstdio>
#include <filesystem>

#include "crash_points.hpp"
#include "live_collection.hpp"
#include "spindle/common/error.hpp"
#include "spindle/index/deletions.hpp"

namespace fs = std::filesystem;

namespace spindle::detail {
namespace {

/// Marks a job running; on exit (also by an exception, the lock retaken)
/// marks it done and wakes whoever waits for the thread to be idle.
struct BusyFlag {
    std::unique_lock<std::mutex>& lock;
    bool& busy;
    std::condition_variable& done;
    BusyFlag(std::unique_lock<std::mutex>& l, bool& b, std::condition_variable& d) : lock(l), busy(b), done(d) { busy = true; }
    BusyFlag(const BusyFlag&) = delete;
    BusyFlag& operator=(const BusyFlag&) = delete;
    ~BusyFlag() {
        if (!lock.owns_lock()) lock.lock();
        busy = false;
        done.notify_all();
    }
};

/// Where `src` sits in `segs` now (it is an in-memory segment only this
/// thread removes, so it is still there).
std::vector<SegState>::iterator find_segment(std::vector<SegState>& segs, const SegState& src) {
    const auto it = std::find_if(segs.begin(), segs.end(), [&](const SegState& s) { return s.data == src.data; });
    if (it == segs.end()) throw Error("in-memory segment " + src.data->name + " vanished during a background job");
    return it;
}

/// Deletions made in the sources since the job took them, in the job's output numbering.
Bitmap carried_deletions(std::vector<SegState>& segs, const std::vector<SegState>& sources,
                         const std::vector<std::vector<docid_t>>& mapping) {
    Bitmap carried;
    for (std::size_t i = 0; i < sources.size(); ++i) {
        const auto it = find_segment(segs, sources[i]);
        const Bitmap fresh = *it->deleted - *sources[i].deleted;
        for (const std::uint32_t d : fresh) {
            if (mapping[i][d] != kNoDoc) carried.add(mapping[i][d]);
        }
    }
    return carried;
}

/// segs without the sources; `added` (if any) goes after the disk segments
/// (disk: a flush of every in-memory segment) or where the first source was
/// (in memory: a tier combination), so that segments stay in arrival order
/// while newer batches arrive during the combination (an optimized
/// collection then holds its points in arrival order, as a bulk build of the
/// same documents does, and its approximate structures are the same).
std::vector<SegState> replace_segments(std::vector<SegState>& segs, const std::vector<SegState>& sources,
                                       std::optional<SegState> added) {
    std::vector<SegState> disk;
    std::vector<SegState> memory;
    for (auto& s : segs) {
        const bool source = std::any_of(sources.begin(), sources.end(), [&](const SegState& x) { return x.data == s.data; });
        if (source) {
            if (added && added->in_memory) {
                memory.push_back(std::move(*added));
                added.reset();
            }
            continue;
        }
        (s.in_memory ? memory : disk).push_back(std::move(s));
    }
    if (added) (added->in_memory ? memory : disk).push_back(std::move(*added));
    for (auto& s : memory) disk.push_back(std::move(s));
    return disk;
}

}  // namespace

void LiveCollection::wait_compactor_idle(std::unique_lock<std::mutex>& l) {
    compact_done_cv_.wait(l, [&] { return !compact_busy_; });
}

bool LiveCollection::memory_full_locked() const {
    const SegmentPolicy& p = config_->segments;
    std::size_t n = 0;
    for (const auto& s : segs_) n += s.in_memory ? 1 : 0;
    return memory_docs_locked() >= 2 * p.flush_docs + p.flush_docs / 2 || n >= 8 * std::size_t{p.memory_merge_factor};
}

void LiveCollection::wait_for_room(std::unique_lock<std::mutex>& l) {
    const auto full = [&] { return memory_full_locked(); };
    if (!full()) return;
    const auto t0 = std::chrono::steady_clock::now();
    while (full()) {
        if (!compact_error_.empty()) {
            throw IoError("collection " + dir_ + ": the background flush failed (" + compact_error_ +
                          "); the batch was not applied");
        }
        compact_cv_.notify_one();
        compact_done_cv_.wait_for(l, std::chrono::milliseconds(200));
    }
    wstats_.wait_seconds += since(t0);
}

void LiveCollection::stop_compactor() {
    {
        std::lock_guard g(write_mu_);
        if (!compactor_on_) return;
        compact_stop_ = true;
    }
    compact_cv_.notify_all();
    if (compact_thread_.joinable()) compact_thread_.join();
    std::lock_guard g(write_mu_);
    compactor_on_ = false;
}

void LiveCollection::compact_loop() {
    std::unique_lock l(write_mu_);
    while (!compact_stop_) {
        bool did = false;
        try {
            // Flush when due, and also when the writer would wait for room
            // (then no combination may be possible: the writer must never
            // wait for a thread that has nothing to do).
            const bool flush = memory_docs_locked() >= config_->segments.flush_docs || memory_full_locked();
            did = flush ? background_flush(l) : background_combine(l);
            if (did) compact_error_.clear();
        } catch (const std::exception& e) {
            compact_error_ = e.what();
            std::fprintf(stderr, "spindle: background flush in %s failed (retried in 1 s): %s\n", dir_.c_str(), e.what());
            compact_done_cv_.notify_all();
            compact_cv_.wait_for(l, std::chrono::seconds(1));
            continue;
        }
        if (!did && !compact_stop_) compact_cv_.wait(l);
    }
}

bool LiveCollection::background_combine(std::unique_lock<std::mutex>& l) {
    const std::vector<std::size_t> group = pick_memory_group_locked();
    if (group.empty()) return false;
    const auto t0 = std::chrono::steady_clock::now();
    const BusyFlag busy(l, compact_busy_, compact_done_cv_);
    std::vector<SegState> sources;
    for (std::size_t s : group) sources.push_back(segs_[s]);
    const std::string name = fmt::format("mem-{:06}", ++mem_counter_);
    const std::shared_ptr<const CollectionConfig> config = config_;
    const std::map<std::string, std::uint64_t> num_terms = num_terms_locked();
    l.unlock();

    auto batch = std::make_shared<DocBatch>(*config);
    std::vector<const SegState*> from;
    for (const auto& s : sources) from.push_back(&s);
    std::vector<std::vector<docid_t>> mapping;
    gather_memory(from, *batch, &mapping);
    std::optional<SegState> combined;
    if (batch->docs() > 0) {
        SegState st;
        st.data = build_memory_segment(name, *batch, *config, num_terms, st.entry);
        st.batch = std::move(batch);
        st.in_memory = true;
        combined = std::move(st);
    }

    l.lock();
    if (config_ != config) return true;  // an admin call changed the config meanwhile: start over
    const Bitmap carried = carried_deletions(segs_, sources, mapping);
    if (combined) combined->deleted = std::make_shared<const Bitmap>(carried);
    segs_ = replace_segments(segs_, sources, std::move(combined));
    publish_locked();
    ++wstats_.combines;
    wstats_.combine_seconds += since(t0);
    return true;
}

bool LiveCollection::background_flush(std::unique_lock<std::mutex>& l) {
    const auto t0 = std::chrono::steady_clock::now();
    std::vector<SegState> sources;
    for (const auto& s : segs_) {
        if (s.in_memory) sources.push_back(s);
    }
    if (sources.empty()) return false;
    const BusyFlag busy(l, compact_busy_, compact_done_cv_);
    // New writes go to a new log file; this one and the older ones hold
    // (at least) every write of the sources and go once the manifest
    // listing the flushed segment is durable.
    wal_.sync();
    unsynced_ = false;
    const std::uint64_t next_number = wal_number_ + 1;
    const std::string next_path = dir_ + "/" + wal_name(next_number);
    std::error_code ec;
    fs::remove(next_path, ec);  // left by an earlier failed flush of this process
    WalWriter next = WalWriter::create(next_path, next_number);
    wal_ = std::move(next);
    wal_number_ = next_number;
    const std::uint64_t first_lsn = next_lsn_;
    const std::string name = segment_name(manifest_.next_segment++);
    const std::shared_ptr<const CollectionConfig> config = config_;
    const std::map<std::string, std::uint64_t> num_terms = num_terms_locked();
    l.unlock();

    DocBatch batch(*config);
    std::vector<const SegState*> from;
    for (const auto& s : sources) from.push_back(&s);
    std::vector<std::vector<docid_t>> mapping;
    gather_memory(from, batch, &mapping);
    std::optional<CollectionSegment> fresh;
    if (batch.docs() > 0) {
        fresh = write_disk_segment(dir_, name, batch, *config, num_terms, "flush");
        crash_point("flush:segment");
    }

    l.lock();
    std::optional<SegState> opened;
    try {
        if (config_ != config) {  // an admin call changed the config meanwhile: start over
            if (fresh) fs::remove_all(dir_ + "/" + fresh->name, ec);
            return true;
        }
        const Bitmap carried = carried_deletions(segs_, sources, mapping);
        CollectionManifest m = next_manifest_locked();
        if (fresh) {
            attach_carried_deletions(*fresh, carried, m.generation);
            m.segments.push_back(*fresh);
            SegState st;
            // Opened before the manifest switch: a segment that does not open is never published.
            st.data = open_collection_segment(dir_, m, *fresh, opts_.in_memory ? MappedFile::Mode::memory : MappedFile::Mode::map);
            st.deleted = std::make_shared<const Bitmap>(carried);
            st.entry = *fresh;
            opened = std::move(st);
        }
        m.wal_first = next_number;
        m.next_lsn = first_lsn;
        // The carried deletions may come from writes not yet synced: the
        // manifest must not make them durable without their log records.
        if (unsynced_) {
            wal_.sync();
            unsynced_ = false;
        }
        save_manifest_locked(std::move(m));
    } catch (...) {
        if (fresh) fs::remove_all(dir_ + "/" + fresh->name, ec);
        throw;
    }
    segs_ = replace_segments(segs_, sources, std::move(opened));
    publish_locked();
    crash_point("flush:published");
    remove_obsolete_files_locked();
    ++wstats_.flushes;
    wstats_.flush_seconds += since(t0);
    if (opts_.background_merges) {
        {
            std::lock_guard g(cv_mu_);
            merge_wanted_ = true;
        }
        cv_.notify_all();
    } else {
        merge_due_ = true;
    }
    return true;
}

}  // namespace spindle::detail
