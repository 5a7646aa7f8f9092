#pragma once
// A collection on disk (format 3): its configuration and one manifest
// generation. The directory holds
//   CURRENT                 name of the current manifest generation
//   MANIFEST-<gen>          this struct as JSON in a container (kind CMAN)
//   LOCK                    the writer's advisory lock
//   wal-<n>.log             write-ahead log files (collection/wal_codec)
//   vocab-<vector>-<gen>.bin  the vocabulary of a token vector as of <gen>
//   seg-<n>/                one immutable segment: docids.bin, payload.bin,
//                           deleted-<gen>.bin, <vector>/{inverted,forward,approx}.bin,
//                           <dense vector>/dense.bin
// (docs/format.md). Publishing a generation: write MANIFEST-<gen>, fsync,
// replace CURRENT atomically, fsync the directory.
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "spindle/common/types.hpp"
#include "spindle/index/approx_format.hpp"
#include "spindle/index/dense_config.hpp"
#include "spindle/index/manifest.hpp"
#include "spindle/index/payload_index.hpp"
#include "spindle/index/reorder.hpp"
#include "spindle/index/segment_writer.hpp"

namespace spindle {

/// How a sparse vector's dimensions are named: by tokens (a vocabulary that
/// grows as points arrive, as Anserini's JsonVectorCollection) or by unsigned
/// 32-bit integers (Qdrant's `indices`).
enum class VectorKeys : std::uint8_t { tokens, indices };
std::string_view to_string(VectorKeys k);
VectorKeys parse_vector_keys(std::string_view s);

struct SparseVectorConfig {
    VectorKeys keys = VectorKeys::tokens;
    WeightType weight_type = WeightType::u16;
    std::uint32_t range_block = 8;       ///< docids per bmp range
    double dense_ranges = 1.0 / 8;       ///< see SegmentWriteOptions
    /// Approximate structures, built for every segment holding at least
    /// SegmentPolicy::approx_min_docs documents (smaller ones search exactly).
    std::optional<ApproxOptions> approx;
    /// Set for a BM25 text vector (built from raw text by `spindle index
    /// --text`; queries are raw text; points cannot be upserted into it).
    std::optional<TextSettings> text;
    void validate(const std::string& name) const;
};

/// When segments are written and merged.
struct SegmentPolicy {
    std::uint64_t flush_docs = 50'000;        ///< in-memory documents that trigger a flush to a disk segment
    std::uint32_t memory_merge_factor = 8;     ///< in-memory segments of one size tier combined in memory
    std::uint32_t merge_factor = 10;           ///< disk segments of one size tier merged together
    std::uint64_t tier_floor_docs = 10'000;    ///< segments below this size form the lowest tier
    std::uint64_t max_segment_docs = 20'000'000;  ///< a merge never produces a larger segment
    double max_deleted_fraction = 0.3;         ///< a segment with more deleted documents is rewritten
    std::uint64_t approx_min_docs = 10'000;    ///< smallest segment that gets approximate structures
    void validate() const;
};

/// The settings a collection is created with (immutable afterwards, except
/// the approximate structures of a vector, which build-approx may change).
struct CollectionConfig {
    std::map<std::string, SparseVectorConfig> vectors;  ///< sparse vectors; names [A-Za-z0-9_.-]{1,64}
    /// Named dense vectors (names unique across `vectors` and `dense`); a
    /// collection has at least one vector of either kind.
    std::map<std::string, DenseVectorConfig> dense;
    SegmentPolicy segments;
    /// Payload fields extracted into per-segment indexes (payload_index.bin);
    /// filters on other fields read the stored payloads.
    PayloadSchema payload_indexes;
    /// Throws InvalidArgument naming the first bad field.
    void validate() const;
};

/// Throws InvalidArgument unless `name` is a valid vector name.
void check_vector_name(std::string_view name);

/// One vector's state in a manifest generation.
struct VectorState {
    std::string vocabulary;      ///< file name of its vocabulary (relative to the collection)
    std::uint64_t num_terms = 0;
    std::uint64_t vocab_bytes = 0;
    std::optional<ApproxDefaults> approx_defaults;  ///< stored by spindle tune
};

struct CollectionSegment {
    std::string name;            ///< "seg-000003"
    std::uint64_t docs = 0;      ///< documents stored (live + deleted)
    std::uint64_t deleted = 0;   ///< documents marked deleted
    std::string deletions;       ///< deletion bitmap file (relative to the collection); empty: none
    std::uint64_t docids_bytes = 0;
    std::uint64_t payload_bytes = 0;  ///< 0: no payloads
    std::uint64_t payload_index_bytes = 0;  ///< 0: no payload index (none declared)
    std::string origin;          ///< "bulk", "flush" or "merge"
    std::map<std::string, SegmentInfo> vectors;  ///< per vector; SegmentInfo::name is "<segment>/<vector>"
    std::map<std::string, DenseFileInfo> dense;  ///< per dense vector: <segment>/<vector>/dense.bin
};

struct LastMerge {
    std::uint64_t generation = 0;
    std::uint64_t sources = 0;
    std::uint64_t docs = 0;
    std::uint64_t dropped = 0;   ///< deleted documents removed
    double seconds = 0.0;
    std::string unix_time;       ///< seconds since the epoch, as text
};

struct CollectionManifest {
    std::uint64_t generation = 0;
    CollectionConfig config;
    std::map<std::string, VectorState> vectors;
    std::vector<CollectionSegment> segments;
    std::uint64_t next_segment = 0;  ///< number of the next segment directory
    std::uint64_t wal_first = 1;     ///< first write-ahead log file to replay
    std::uint64_t next_lsn = 1;      ///< log sequence number after the last one covered by the segments
    Reorder reorder = Reorder::none; ///< how bulk-loaded segments were ordered
    double build_seconds = 0.0;      ///< bulk load wall time (provenance)
    std::uint64_t build_peak_rss = 0;
    std::optional<LastMerge> last_merge;

    [[nodiscard]] std::string to_json() const;
    static CollectionManifest from_json(std::string_view json, const std::string& where);
    /// Writes `dir`/MANIFEST-<generation> (fsynced; must not exist).
    void save(const std::string& dir) const;
    static CollectionManifest load(const std::string& path);

    /// The v2-style description of one vector (what `Index` and the tools
    /// read): its segments' SegmentInfo, weight type, approx settings.
    [[nodiscard]] Manifest vector_manifest(const std::string& vector) const;
    [[nodiscard]] std::uint64_t live_docs() const;
};

/// "MANIFEST-000007"
std::string manifest_file_name(std::uint64_t generation);
/// Reads CURRENT; throws CorruptIndex/IoError naming the file.
std::string read_current(const std::string& dir);
/// Replaces CURRENT atomically (temp file, fsync, rename, fsync directory).
void write_current(const std::string& dir, const std::string& manifest_name);
/// True when `dir` holds a collection (a CURRENT file).
bool is_collection_dir(const std::string& dir);
/// Loads the manifest CURRENT names.
CollectionManifest load_current_manifest(const std::string& dir);

/// What --overwrite may replace (a ReplaceCheck for StagingDirectory): a
/// collection whose CURRENT names a manifest that parses and that no writer
/// holds open, a format-2 index whose MANIFEST parses, or an empty
/// directory. Anything else (a regular file, a user's directory, a damaged
/// index) throws InvalidArgument naming the path and what is there.
void check_replaceable_index(const std::string& path);

}  // namespace spindle
