#pragma once
// The implementation of Collection (internal): the writer's state, snapshot
// publication, recovery, flushes and merges (live_collection.cpp), searches
// and reads (collection_search.cpp), the merge policy (merge_policy.cpp).
#include <fmt/format.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <exception>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "filter_cache.hpp"
#include "segment_build.hpp"
#include "spindle/collection/collection.hpp"
#include "spindle/common/error.hpp"
#include "spindle/index/collection_segment.hpp"
#include "spindle/io/file_lock.hpp"
#include "spindle/io/wal.hpp"

namespace spindle::detail {

/// File names of the collection directory: log file n, segment n.
inline std::string wal_name(std::uint64_t n) { return fmt::format("wal-{:06}.log", n); }
inline std::string segment_name(std::uint64_t n) { return fmt::format("seg-{:06}", n); }

/// Seconds since t0.
inline double since(std::chrono::steady_clock::time_point t0) {
    return std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
}

/// One segment as a snapshot lists it.
struct SegState {
    std::shared_ptr<SegmentData> data;
    std::shared_ptr<const Bitmap> deleted;  ///< never null
    bool in_memory = false;
    /// In-memory segments: the batch the segment was built from (weights as
    /// upserted), so that combining and flushing copy it instead of
    /// decoding the segment.
    std::shared_ptr<const DocBatch> batch;
    CollectionSegment entry;                ///< manifest-shaped description (deleted count as of this state)
    [[nodiscard]] std::uint64_t live() const { return data->docs - deleted->cardinality(); }
};

/// Appends the live documents of in-memory segment `s` to `out` (from its
/// batch when it kept one, else decoded), as append_live.
void append_memory(const SegState& s, DocBatch& out, std::vector<docid_t>* mapping = nullptr);

/// Appends the in-memory segments `sources`, in order, to `out` (append_memory
/// each; `mappings`, if given, gets one old -> new docid map per source),
/// after reserving room for all of them, so that each column is copied once
/// instead of regrown (a flush gathers 100,000 points).
void gather_memory(const std::vector<const SegState*>& sources, DocBatch& out,
                   std::vector<std::vector<docid_t>>* mappings = nullptr);

class Snapshot final : public CollectionSnapshot {
public:
    std::string path;
    std::shared_ptr<const CollectionConfig> config;
    std::vector<SegState> segs;
    std::map<std::string, std::shared_ptr<const Index>> indexes;
    std::uint64_t live = 0;
    std::shared_ptr<FilterCache> filter_cache;  ///< the collection handle's; never null

    [[nodiscard]] std::shared_ptr<const Index> index(const std::string& vector) const override;
    [[nodiscard]] PointId point_id(std::size_t segment, docid_t doc) const override {
        const auto& ids = *segs[segment].data->ids;
        return PointId::from_stored(ids.is_number(doc), ids.key(doc));
    }
    [[nodiscard]] std::string_view payload(std::size_t segment, docid_t doc) const override {
        const auto& p = segs[segment].data->payloads;
        return p ? p->json(doc) : std::string_view();
    }
    [[nodiscard]] std::uint64_t live_points() const override { return live; }
    /// Segment and docid of the live copy of `id`, if any.
    [[nodiscard]] std::optional<std::pair<std::size_t, docid_t>> locate(const PointId& id) const;
    [[nodiscard]] std::string vector_name(const std::string& requested) const;
};

/// One search on `snap` (collection_search.cpp; also run by the query
/// tree of collection_query.cpp).
SearchResult search_on(const Snapshot& snap, const SearchRequest& r, SearchScratch& scratch);

/// Runs `fn(i, scratch)` for every i in [0, n) on `threads` threads (0: all
/// cores), each thread with its own SearchScratch (search_batch and
/// query_batch). The first exception stops the other threads and is
/// rethrown; with a `label`, an InvalidArgument is rethrown as
/// "<label>[i]: <message>".
template <class Fn>
void run_batch(std::size_t n, unsigned threads, const char* label, Fn&& fn) {
    if (threads == 0) threads = std::max(1U, std::thread::hardware_concurrency());
    threads = static_cast<unsigned>(std::min<std::size_t>(threads, std::max<std::size_t>(n, 1)));
    std::atomic<std::size_t> next{0};
    std::exception_ptr error;
    std::mutex error_mu;
    auto work = [&] {
        SearchScratch scratch;
        for (std::size_t i; (i = next.fetch_add(1)) < n;) {
            try {
                fn(i, scratch);
            } catch (const InvalidArgument& e) {
                std::lock_guard g(error_mu);
                if (!error) {
                    error = label == nullptr ? std::current_exception()
                                             : std::make_exception_ptr(InvalidArgument(std::string(label) + "[" +
                                                                                       std::to_string(i) + "]: " + e.what()));
                }
                next = n;
            } catch (...) {
                std::lock_guard g(error_mu);
                if (!error) error = std::current_exception();
                next = n;
            }
        }
    };
    std::vector<std::thread> pool;
    for (unsigned t = 1; t < threads; ++t) pool.emplace_back(work);
    work();
    for (auto& t : pool) t.join();
    if (error) std::rethrow_exception(error);
}

/// Where in the merge policy's eyes a segment sits.
struct MergeCandidate {
    std::string name;
    std::uint64_t docs = 0;
    std::uint64_t deleted = 0;
};
/// The segments to merge next (empty: none), by the tiered policy.
std::vector<std::string> pick_merge(const std::vector<MergeCandidate>& segs, const SegmentPolicy& p);

class LiveCollection final : public Collection {
public:
    LiveCollection(std::string dir, OpenOptions opts);
    ~LiveCollection() override;

    /// Valid for the collection's lifetime: replaced configs are kept (see configs_).
    [[nodiscard]] const CollectionConfig& config() const override { return *config_now_.load(std::memory_order_acquire); }
    [[nodiscard]] const std::string& path() const override { return dir_; }
    [[nodiscard]] bool read_only() const override { return opts_.read_only; }

    WriteResult upsert(std::span<const Point> points, WriteOptions w) override;
    WriteResult remove(std::span<const PointId> ids, WriteOptions w) override;
    WriteResult remove(const Filter& filter, WriteOptions w) override;
    void flush() override;
    void optimize(std::size_t max_segments) override;
    void maintain() override;
    void set_approx_defaults(const std::string& vector, const ApproxDefaults& d) override;
    std::uint64_t add_tokens(const std::string& vector, std::span<const std::string> tokens) override;
    void add_payload_index(const std::string& field, PayloadType type) override;
    void build_approx(const std::string& vector, const AddApproxOptions& opts) override;

    [[nodiscard]] SearchResult search(const SearchRequest& r) const override;
    [[nodiscard]] std::vector<SearchResult> search_batch(std::span<const SearchRequest> r, unsigned threads) const override;
    [[nodiscard]] QueryResult query(const QueryRequest& q) const override;
    [[nodiscard]] std::vector<QueryResult> query_batch(std::span<const QueryRequest> q, unsigned threads) const override;
    [[nodiscard]] std::vector<std::optional<Point>> get(std::span<const PointId> ids, bool with_vectors) const override;
    [[nodiscard]] std::vector<Point> scroll(const std::optional<PointId>& from, std::size_t limit,
                                            bool with_vectors) const override;
    [[nodiscard]] std::uint64_t count() const override;
    [[nodiscard]] std::uint64_t count(const Filter& filter) const override;
    [[nodiscard]] CollectionInfo info() const override;
    [[nodiscard]] std::shared_ptr<const CollectionSnapshot> snapshot() const override { return current(); }
    void check() const override;

    /// Opens a format-2 index directory as a read-only collection with one vector.
    void open_legacy();
    /// Opens the collection at the directory: lock, recovery, log replay, merge thread.
    void open_existing();

private:
    [[nodiscard]] std::shared_ptr<const Snapshot> current() const {
        std::lock_guard g(snap_mu_);
        return snap_;
    }
    void load();
    void take_lock();
    void remove_leftovers();
    void replay_log();
    void publish_locked();
    void check_writable() const;
    /// Makes `c` the collection's config (writer or open; config() readers
    /// on other threads see it through config_now_).
    void install_config_locked(std::shared_ptr<const CollectionConfig> c);
    void validate_points(std::span<const Point> points) const;
    std::uint64_t apply_upsert(std::span<const Point> points);
    std::uint64_t apply_remove(std::span<const PointId> ids);
    /// Marks the live copy of `id` deleted in `pending` (segment index -> new bitmap).
    bool mark_deleted(const PointId& id, std::map<std::size_t, std::shared_ptr<Bitmap>>& pending) const;
    void combine_memory_locked();
    /// In-memory segments (indices into segs_) the tier rule combines next (empty: none).
    std::vector<std::size_t> pick_memory_group_locked() const;
    bool flush_locked();
    // The background flush (background_flush.cpp): one thread combines
    // in-memory tiers and flushes them, dropping write_mu_ while it builds.
    void compact_loop();
    bool background_combine(std::unique_lock<std::mutex>& l);
    bool background_flush(std::unique_lock<std::mutex>& l);
    /// Waits until no background job is between its start and its commit.
    void wait_compactor_idle(std::unique_lock<std::mutex>& l);
    /// Backpressure before a batch is logged: waits while the in-memory
    /// segments are more than the background thread keeps up with.
    void wait_for_room(std::unique_lock<std::mutex>& l);
    void stop_compactor();
    [[nodiscard]] std::uint64_t memory_docs_locked() const;
    /// More in memory than the background thread is allowed to lag behind (writers wait).
    [[nodiscard]] bool memory_full_locked() const;
    CollectionManifest next_manifest_locked();
    /// A segment written by a merge or flush gets the deletions made in its
    /// sources while it was built: counted, and saved for `generation` if any.
    void attach_carried_deletions(CollectionSegment& seg, const Bitmap& carried, std::uint64_t generation) const;
    void save_manifest_locked(CollectionManifest m);
    void remove_obsolete_files_locked();
    std::map<std::string, std::uint64_t> num_terms_locked() const;
    bool run_one_merge(const std::vector<std::string>& names);
    std::vector<std::string> pick_merge_locked() const;
    void merge_loop();
    void log_append_locked(std::span<const std::byte> payload, bool wait);

    std::string dir_;
    OpenOptions opts_;
    std::shared_ptr<FilterCache> filter_cache_;  ///< shared by every snapshot of this handle
    std::shared_ptr<const CollectionConfig> config_;  ///< written under write_mu_ (or while opening)
    /// Every config installed, so a reference from config() never dangles
    /// (a config changes only by an admin call: build_approx, add_payload_index).
    std::vector<std::shared_ptr<const CollectionConfig>> configs_;
    std::atomic<const CollectionConfig*> config_now_{nullptr};
    bool legacy_ = false;

    mutable std::mutex snap_mu_;
    std::shared_ptr<const Snapshot> snap_;

    // Writer state, guarded by write_mu_.
    mutable std::mutex write_mu_;
    CollectionManifest manifest_;                 ///< the last saved generation
    std::map<std::string, Vocabulary> vocab_;     ///< grows with upserts
    /// Integer-keyed vectors: term id of dimension d at [d] (kNoTerm: not
    /// looked up yet), for d < kDimCacheLimit; a memo of vocab_ lookups of
    /// the dimension's decimal name, which cost more than the rest of an upsert.
    std::map<std::string, std::vector<termid_t>> dim_terms_;
    static constexpr std::uint32_t kDimCacheLimit = 1U << 22;
    static constexpr termid_t kNoTerm = ~termid_t{0};
    /// Appends `batch` as a new in-memory segment (writer mutex held).
    void push_memory_segment_locked(std::shared_ptr<const DocBatch> batch);
    static termid_t dimension_term(std::vector<termid_t>& cache, Vocabulary& voc, std::uint32_t dim);
    std::map<std::string, std::shared_ptr<const Vocabulary>> vocab_pub_;  ///< copies snapshots hold
    std::vector<SegState> segs_;                  ///< disk segments (manifest order), then in-memory ones
    std::set<std::string> merging_;
    WalWriter wal_;
    std::uint64_t wal_number_ = 0;
    std::uint64_t next_lsn_ = 1;
    std::uint64_t mem_counter_ = 0;
    std::uint64_t merges_done_ = 0;
    WriteStats wstats_;
    bool unsynced_ = false;
    std::optional<FileLock> lock_;  ///< LOCK (writers only)

    // Merges: one at a time (merge_mu_ is taken before write_mu_).
    std::mutex merge_mu_;
    std::thread merge_thread_;
    std::mutex cv_mu_;
    std::condition_variable cv_;
    bool stop_ = false;
    bool merge_wanted_ = false;
    std::atomic<bool> merge_running_{false};
    std::string merge_error_;

    // Background flush state, guarded by write_mu_.
    std::thread compact_thread_;
    std::condition_variable compact_cv_;       ///< work for the background thread (or stop)
    std::condition_variable compact_done_cv_;  ///< a background job finished
    bool compactor_on_ = false;                ///< the thread runs: upserts leave tiers and flushes to it
    bool compact_busy_ = false;                ///< a job is between its start and its commit
    bool compact_stop_ = false;
    bool merge_due_ = false;                   ///< a background flush asks for the merge policy (run by the writer)
    std::string compact_error_;                ///< the last background failure (cleared by a success)
};

}  // namespace spindle::detail
