#pragma once
// The index manifest (MANIFEST): a container holding one JSON document that
// lists the segments and the index-wide settings.
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "spindle/common/types.hpp"
#include "spindle/index/approx_format.hpp"
#include "spindle/index/reorder.hpp"
#include "spindle/index/segment_writer.hpp"

namespace spindle {

/// Version of the single-MANIFEST index layout that came before collections (read only).
inline constexpr std::uint32_t kLegacyIndexVersion = 2;

/// Bytes of each component summed over the segments.
struct ComponentBytes {
    std::uint64_t inverted = 0;
    std::uint64_t forward = 0;
    std::uint64_t docids = 0;
    std::uint64_t vocabulary = 0;
    std::uint64_t approx = 0;
    [[nodiscard]] std::uint64_t total() const { return inverted + forward + docids + vocabulary + approx; }
};

/// How a text index was built: the analyzer that turned text into terms and
/// the BM25 parameters and collection statistics behind the stored weights.
/// Queries must be analyzed with the same analyzer.
struct TextSettings {
    std::string analyzer;            ///< e.g. "english"
    double k1 = 0.9;
    double b = 0.4;
    std::uint64_t docs_with_terms = 0;  ///< BM25's N
    double avgdl = 0.0;              ///< average analyzed document length
};

/// Query settings of approximate search stored with the index (optional
/// "defaults" inside the manifest's "approx" object), written by spindle tune:
/// search and bench use them when the user does not choose. The measured
/// fields are provenance: the recall@k and mean latency on the held-out
/// queries when the setting was chosen.
/// One setting spindle tune timed on its tuning queries: a point of the
/// recall/latency curve stored beside the chosen setting.
struct TunedPoint {
    std::uint64_t query_cut = 1;
    double heap_factor = 1.0;
    std::uint64_t knn = 0;
    double recall = 0.0;   ///< mean recall@k on the tuning queries, [0, 1]
    double mean_ms = 0.0;  ///< mean latency, ms, >= 0
    bool operator==(const TunedPoint&) const = default;
};

/// At most this many points of a tuning curve are stored.
inline constexpr std::size_t kMaxTunedCurve = 256;

struct ApproxDefaults {
    std::uint64_t query_cut = 10;   ///< SearchOptions::query_cut, >= 1
    double heap_factor = 0.9;       ///< SearchOptions::heap_factor, (0, kMaxHeapFactor]
    std::uint64_t knn = 0;          ///< SearchOptions::knn, <= the graph's degree (0: no refinement)
    double target_recall = 0.0;     ///< recall@k the setting was tuned for, (0, 1]
    std::uint64_t k = 10;           ///< the k of recall@k, >= 1
    double recall = 0.0;            ///< measured recall@k (held-out queries), [0, 1]
    double mean_ms = 0.0;           ///< measured mean latency, ms, >= 0
    /// The recall/latency Pareto front of the settings tune timed (no other
    /// timed setting was as fast with at least the recall), fastest first.
    /// Empty when the setting was stored without one (older collections,
    /// set_approx_defaults from a program).
    std::vector<TunedPoint> curve;
    /// Throws InvalidArgument naming the first bad field.
    void validate() const;
};

struct Manifest {
    std::uint32_t format_version = 0;
    WeightType weight_type = WeightType::u16;
    std::uint32_t posting_block = 0;
    std::uint32_t range_block = 0;
    std::uint64_t num_docs = 0;
    std::uint64_t num_terms = 0;
    std::uint64_t num_postings = 0;
    std::uint64_t empty_docs = 0;
    std::uint64_t zero_dropped = 0;
    std::uint64_t clipped = 0;  ///< weights clipped by quantization, all segments (each segment says which document)
    std::uint64_t rank_tied = 0;  ///< weights whose rank order quantization lost, all segments (SegmentInfo::rank_tied)
    std::uint64_t vocab_bytes = 0;
    Reorder reorder = Reorder::none;  ///< how each segment's documents were ordered
    double build_seconds = 0.0;       ///< wall time of the build, reading input included
    std::uint64_t build_peak_rss = 0; ///< peak resident memory of the building process, bytes
    std::vector<SegmentInfo> segments;
    std::optional<TextSettings> text;  ///< set for indexes built from raw text (optional "text" object)
    /// Set when every segment has approx.bin (optional "approx" object; absent: no approximate structures).
    std::optional<ApproxOptions> approx;
    /// Stored query defaults of approximate search (only with `approx`).
    std::optional<ApproxDefaults> approx_defaults;

    [[nodiscard]] ComponentBytes component_bytes() const;
    [[nodiscard]] std::string to_json() const;
    static Manifest from_json(std::string_view json, const std::string& where);

    /// Writes a new MANIFEST at `path` (which must not exist).
    void save(const std::string& path) const;
    /// Replaces the MANIFEST at `path` atomically: writes a temporary file
    /// beside it, fsyncs it, renames it over `path` and fsyncs the directory,
    /// so readers see the old or the new manifest, never a mix.
    void replace(const std::string& path) const;
    static Manifest load(const std::string& path);
};

}  // namespace spindle
