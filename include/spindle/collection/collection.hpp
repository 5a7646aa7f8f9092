#pragma once
// A live collection: points with named sparse vectors and payloads, upserted
// and deleted while queries run, durable through a write-ahead log, stored as
// immutable segments that are merged in the background. The one library API
// behind the CLI, the server and the Python package.
//
//   auto c = Collection::create("coll/", config);
//   c->upsert(points);                        // durable (wait) and searchable on return
//   auto r = c->search({.vector = "splade", .query = q, .k = 10});
//
// Threads: any number of threads may search (search, search_batch, get,
// count, scroll, info) while one writes; searches run on a snapshot of the
// segment list and never wait for the writer. Writes (upsert, remove, flush,
// optimize) are serialized. One process writes a collection at a time (an
// advisory lock on `LOCK`); read-only opens take no lock.
#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "spindle/collection/filter.hpp"
#include "spindle/collection/point.hpp"
#include "spindle/build/approx_update.hpp"
#include "spindle/index/collection_manifest.hpp"
#include "spindle/index/index.hpp"
#include "spindle/query/algorithm.hpp"
#include "spindle/query/fusion.hpp"
#include "spindle/query/search_stats.hpp"
#include "spindle/query/searcher.hpp"

namespace spindle {

struct OpenOptions {
    bool read_only = false;
    /// Read segment files into memory instead of mapping them (see Index).
    bool in_memory = false;
    /// Merge segments on a background thread (servers). Otherwise the merges
    /// the policy asks for run inside the write that flushed, and `maintain`
    /// runs any that are pending.
    bool background_merges = false;
    /// Bytes of filter allow-sets kept for reuse by later searches with the
    /// same filter (a bit per document of a segment per entry: 125 KiB per
    /// filter at 1M documents); 0: evaluate every filter anew.
    std::size_t filter_cache_bytes = std::size_t{64} << 20U;
    /// Combine in-memory segments and flush them to disk segments on a
    /// background thread, so that the writer only logs its batch and builds
    /// the batch's own in-memory segment. Upserted points are searchable when
    /// upsert returns either way; the log is truncated only after the
    /// flushed segment and its manifest are durable. A writer that gets more
    /// than two flushes ahead waits for the background thread.
    bool background_flush = false;
};

struct WriteOptions {
    /// true: return once the batch is durable (one fsync); false: return at
    /// once (the batch survives a crash of the process, since the kernel has
    /// it, but not of the machine until the next sync or flush).
    bool wait = true;
};

struct SearchRequest {
    std::string vector;          ///< empty: the collection's only vector (of the query's kind)
    SparseVector query;          ///< tokens or indices, as the vector is keyed
    /// Query of a dense vector (`vector` names it, or empty when the
    /// collection has one dense vector): as many floats as its dimension.
    /// Scores: dot product (Dot, and Cosine after normalizing both sides),
    /// or the Euclidean distance (Euclid: results smallest first, and
    /// score_threshold is a largest distance), as Qdrant.
    std::vector<float> dense_query;
    /// HNSW candidate list of a dense search (default: the vector's hnsw.ef;
    /// raised to k + offset). Ignored by segments searched exactly.
    std::optional<std::size_t> ef;
    /// Dense search: score every allowed document of every segment (no graph).
    bool exact = false;
    std::string text;            ///< raw text, for a BM25 text vector (analyzed as its documents were)
    std::size_t k = 10;          ///< results wanted (after `offset`)
    std::size_t offset = 0;      ///< results skipped first
    /// Empty: auto (bmp; maxscore for a text vector).
    std::optional<Algorithm> algorithm;
    /// approx knobs; those not given come from the vector's tuned setting
    /// (spindle tune), else the built-in defaults.
    std::optional<std::size_t> query_cut;
    std::optional<double> heap_factor;
    std::optional<std::size_t> knn;
    /// Approximate search with the vector's tuned setting, which must have
    /// been tuned (spindle tune) for at least this recall at a k of at least
    /// `k`; refused (InvalidArgument) with an exact algorithm, with explicit
    /// approx knobs, without a tuned setting or with a weaker one. In (0, 1].
    std::optional<double> target_recall;
    double bmp_alpha = 1.0;
    std::optional<double> score_threshold;  ///< only results scoring at least this
    bool with_payload = false;
    /// Only points matching it are scored or returned (null: every point).
    std::shared_ptr<const Filter> filter;
    /// Under a filter: score allowed documents directly (true), never
    /// (false), or by the measured threshold (unset; see score_directly).
    std::optional<bool> direct;
    /// Under a filter, approx only: search segments exactly always (true),
    /// never (false), or when their kept postings hold too few allowed
    /// documents (unset; see approx_too_sparse).
    std::optional<bool> approx_exact;
};

struct ScoredPoint {
    PointId id;
    double score = 0.0;
    std::string payload;  ///< JSON text when asked and present
};

struct SearchResult {
    /// Best first: score descending, then id ascending (a Euclid dense
    /// vector: distance ascending, then id ascending).
    std::vector<ScoredPoint> points;
    /// True when smaller scores are better (a Euclid dense vector's distances).
    bool ascending = false;
    SearchStats stats;
    std::uint64_t unknown_terms = 0;  ///< query dimensions the collection has never seen
    SearchOptions options;            ///< what ran (algorithm and knobs resolved)
    double seconds = 0.0;             ///< wall time of the search (planning, segments, merge, payloads)
    /// Live points the request's filter allows (every live point without a filter).
    std::uint64_t matched = 0;
};

/// A query in the shape of Qdrant's Query API: a tree whose prefetches run
/// first (each a QueryRequest of its own, nested at most kMaxQueryDepth
/// deep), then this node's query over their results:
///   - `fusion`: fuses the prefetch lists, one list per prefetch
///     (spindle/query/fusion.hpp: rrf, dbsf, convex);
///   - `search` with prefetches: re-scores the union of the prefetch
///     candidates exactly with `search`'s vector and query (a candidate the
///     vector gives no score, sharing no term with the query, drops out);
///   - `search` without prefetches: a search of the collection.
/// A node's filter applies to its own search and, ANDed with theirs, to
/// every prefetch below it (as Qdrant propagates filters). Every
/// sub-search of one request (and of one query_batch) runs on one snapshot.
///
///   QueryRequest q;
///   q.prefetch.push_back({.search = SearchRequest{.vector = "bm25", .text = "sparse retrieval"}, .limit = 100});
///   q.prefetch.push_back({.search = SearchRequest{.vector = "splade", .query = qv}, .limit = 100});
///   q.fusion = FusionParams{.method = FusionMethod::rrf};
///   auto r = c->query(q);                    // top 10 by RRF (k = 2)
struct QueryRequest {
    std::vector<QueryRequest> prefetch;
    /// The vector query: `vector`, `query` / `text`, and the search knobs
    /// (algorithm, approx settings, target_recall, direct). Its `k` is not
    /// read (this node's limit and offset are); filter, score_threshold,
    /// offset and with_payload belong on the QueryRequest (refused here).
    std::optional<SearchRequest> search;
    std::optional<FusionParams> fusion;  ///< exactly one of search and fusion
    std::shared_ptr<const Filter> filter;
    std::size_t limit = 10;      ///< results of this node (a prefetch: its candidates)
    std::size_t offset = 0;      ///< results skipped first
    std::optional<double> score_threshold;  ///< only results scoring at least this (fused scores for a fusion)
    bool with_payload = false;   ///< payloads of the results (read for the root only)
};

/// How deep prefetches may nest (the root's prefetches are depth 1).
inline constexpr std::size_t kMaxQueryDepth = 8;

struct QueryResult {
    std::vector<ScoredPoint> points;  ///< best first: score descending, then id ascending
    SearchStats stats;                ///< summed over the sub-searches
    std::size_t searches = 0;         ///< sub-searches run
    std::uint64_t unknown_terms = 0;  ///< summed over the sub-searches
    double seconds = 0.0;
};

struct SegmentSummary {
    std::string name;
    bool in_memory = false;
    std::string origin;
    std::uint64_t docs = 0;
    std::uint64_t deleted = 0;
    std::uint64_t bytes = 0;
    bool approx = false;  ///< every vector configured for approx has its structures here
    bool hnsw = false;    ///< every dense vector has its graph here
};

/// Where a writing process spent its time (this process, since open).
struct WriteStats {
    std::uint64_t batches = 0;       ///< upsert and delete batches logged
    std::uint64_t points = 0;        ///< points upserted
    double prepare_seconds = 0.0;    ///< validating batches and encoding their log records (before the writer lock)
    double log_seconds = 0.0;        ///< appending to the log and syncing it
    double apply_seconds = 0.0;      ///< building in-memory segments, marking deletions, publishing
    std::uint64_t flushes = 0;
    double flush_seconds = 0.0;      ///< writing in-memory segments to disk (approx builds included)
    std::uint64_t merges = 0;
    double merge_seconds = 0.0;      ///< disk merges (approx builds included)
    /// With OpenOptions::background_flush: in-memory tier combinations run
    /// by the background thread (flush_seconds then also counts that
    /// thread's time, which overlaps the writer's).
    std::uint64_t combines = 0;
    double combine_seconds = 0.0;
    double wait_seconds = 0.0;       ///< writers held back until the background thread caught up
};

/// The filter cache of this process's handle (OpenOptions::filter_cache_bytes).
struct FilterCacheStats {
    std::uint64_t entries = 0;  ///< (filter, segment) allow-sets held
    std::uint64_t bytes = 0;
    std::uint64_t hits = 0;     ///< segment evaluations served from the cache
    std::uint64_t misses = 0;   ///< evaluated (and kept when they fit)
};

struct CollectionInfo {
    std::string path;
    bool read_only = false;
    std::uint64_t points = 0;      ///< live points
    std::uint64_t generation = 0;  ///< manifest generation
    std::vector<SegmentSummary> segments;
    std::uint64_t memory_docs = 0;   ///< documents in in-memory segments (not yet flushed)
    std::uint64_t wal_bytes = 0;     ///< write-ahead log bytes since the last flush
    std::uint64_t next_lsn = 0;
    std::uint64_t merges_done = 0;   ///< merges by this process
    WriteStats writes;
    bool merge_running = false;
    std::optional<LastMerge> last_merge;
    CollectionManifest manifest;     ///< the last published generation
    std::map<std::string, std::uint64_t> vocabulary_terms;  ///< per vector, including unflushed ones
    FilterCacheStats filter_cache;
};

struct WriteResult {
    std::uint64_t lsn = 0;          ///< sequence number of the batch in the log
    std::uint64_t applied = 0;      ///< points upserted, or points found and deleted
};

/// The state one search runs on: segments and their deletions at one moment.
class CollectionSnapshot {
public:
    virtual ~CollectionSnapshot() = default;
    /// The searchable view of a vector (empty name: the only one).
    [[nodiscard]] virtual std::shared_ptr<const Index> index(const std::string& vector = {}) const = 0;
    /// External id of document `doc` of segment `segment` of any vector's index.
    [[nodiscard]] virtual PointId point_id(std::size_t segment, docid_t doc) const = 0;
    [[nodiscard]] virtual std::string_view payload(std::size_t segment, docid_t doc) const = 0;
    [[nodiscard]] virtual std::uint64_t live_points() const = 0;
};

class Collection {
public:
    /// Creates a collection in `dir` (which must not exist) and opens it for writing.
    static std::unique_ptr<Collection> create(const std::string& dir, const CollectionConfig& config,
                                              OpenOptions options = {});
    /// Opens a collection (or a format-2 index, read-only). Read-write opens
    /// take the writer lock (Busy names the holder), remove what an
    /// interrupted flush or merge left, and replay the log.
    static std::unique_ptr<Collection> open(const std::string& dir, OpenOptions options = {});

    virtual ~Collection() = default;

    [[nodiscard]] virtual const CollectionConfig& config() const = 0;
    [[nodiscard]] virtual const std::string& path() const = 0;
    [[nodiscard]] virtual bool read_only() const = 0;

    /// Adds or replaces points, atomically: a batch with one bad point
    /// applies nothing (InvalidArgument naming the point). A point repeated
    /// in a batch keeps its last copy. Searchable when this returns.
    virtual WriteResult upsert(std::span<const Point> points, WriteOptions w = {}) = 0;
    /// Deletes points by id; ids not present are ignored (`applied` counts the others).
    virtual WriteResult remove(std::span<const PointId> ids, WriteOptions w = {}) = 0;
    /// Deletes the points matching `filter` (as of the call; one logged batch
    /// of their ids). `applied` counts them.
    virtual WriteResult remove(const Filter& filter, WriteOptions w = {}) = 0;
    /// Writes the in-memory segments as one disk segment and truncates the log.
    virtual void flush() = 0;
    /// Flushes, then merges until at most `max_segments` segments remain and
    /// none holds deleted documents.
    virtual void optimize(std::size_t max_segments = 1) = 0;
    /// Runs the merges the policy asks for now (one-shot programs call it before exiting).
    virtual void maintain() = 0;
    /// Builds (or with opts.overwrite, replaces) the approximate structures of
    /// `vector` for every disk segment (in-memory ones are searched exactly
    /// until flushed), records the options in the vector's configuration so
    /// that flushes and merges build them too, and drops stored query
    /// defaults (tuned for the old structures). Writes wait meanwhile. A crash
    /// leaves the old structures, none, or the new ones: never a mix.
    virtual void build_approx(const std::string& vector, const AddApproxOptions& opts) = 0;
    /// Registers `tokens`, in this order, in the vocabulary of token vector
    /// `vector` (a token already known keeps its id), durably (a new manifest
    /// generation when any is new). Given a model's fixed vocabulary (e.g.
    /// SPLADE's word pieces) before the first upsert, terms are numbered as
    /// a bulk build with the same vocabulary file numbers them, so that the
    /// approximate structures built from the same documents are the same
    /// (their clustering is seeded and ordered by term id). Returns how many
    /// tokens were new. InvalidArgument for an unknown, integer-indexed or
    /// text vector, or a token of 0 or more than 65535 bytes (nothing added).
    virtual std::uint64_t add_tokens(const std::string& vector, std::span<const std::string> tokens) = 0;
    /// Stores tuned approx defaults for `vector` in a new manifest generation.
    virtual void set_approx_defaults(const std::string& vector, const ApproxDefaults& d) = 0;
    /// Declares a payload index on `field` (a dotted key) in a collection
    /// that may already hold points. Segments written from now on (upserts,
    /// flushes, merges) index it; then every on-disk segment written before
    /// is rewritten, one at a time, through the merge path (which also drops
    /// its deleted points), so that conditions on the field read the index.
    /// A segment not yet rewritten (or being merged meanwhile) answers those
    /// conditions by reading its stored payloads: same results, slower.
    /// Durable on return. Adding an index the collection has with the same
    /// type does nothing; with another type it is refused (InvalidArgument).
    virtual void add_payload_index(const std::string& field, PayloadType type) = 0;

    [[nodiscard]] virtual SearchResult search(const SearchRequest& r) const = 0;
    /// Searches every request on one snapshot with `threads` threads (0: all cores).
    [[nodiscard]] virtual std::vector<SearchResult> search_batch(std::span<const SearchRequest> r,
                                                                 unsigned threads = 1) const = 0;
    /// Runs a query tree (QueryRequest) on one snapshot; throws
    /// InvalidArgument naming the node ("prefetch[1].prefetch[0]: ...").
    [[nodiscard]] virtual QueryResult query(const QueryRequest& q) const = 0;
    /// Every query on one snapshot with `threads` threads (0: all cores).
    [[nodiscard]] virtual std::vector<QueryResult> query_batch(std::span<const QueryRequest> q,
                                                               unsigned threads = 1) const = 0;
    /// Points by id (nullopt where absent), with their stored vectors (the
    /// stored, possibly quantized, weights) and payloads.
    [[nodiscard]] virtual std::vector<std::optional<Point>> get(std::span<const PointId> ids,
                                                                bool with_vectors = true) const = 0;
    /// Live points in id order, starting at `from` (inclusive), at most `limit`.
    [[nodiscard]] virtual std::vector<Point> scroll(const std::optional<PointId>& from, std::size_t limit,
                                                    bool with_vectors = false) const = 0;
    [[nodiscard]] virtual std::uint64_t count() const = 0;
    /// Live points matching `filter`.
    [[nodiscard]] virtual std::uint64_t count(const Filter& filter) const = 0;
    [[nodiscard]] virtual CollectionInfo info() const = 0;
    [[nodiscard]] virtual std::shared_ptr<const CollectionSnapshot> snapshot() const = 0;
    /// Checks the collection's invariants (ids live once, counts, bitmaps in
    /// range); throws CorruptIndex describing the first violation.
    virtual void check() const = 0;
};

/// Opens the collection at `dir` for writing and builds the approximate
/// structures of `vector` (empty: its only vector); returns the vector's
/// description afterwards. What `spindle build-approx` runs.
Manifest add_approx(const std::string& dir, const AddApproxOptions& opts, const std::string& vector = {});

/// Converts a request's query into the token form `plan_query` reads
/// (indices become their decimal names); throws InvalidArgument for a query
/// of the wrong kind for the vector.
TextQuery query_tokens(const SearchRequest& r, const SparseVectorConfig& v, const std::string& vector_name);

}  // namespace spindle
