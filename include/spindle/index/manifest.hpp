#pragma once
// The index manifest (MANIFEST): a container holding one JSON document that
// lists the segments and the index-wide settings.
#include <cstdint>
#include <string>
#include <vector>

#include "spindle/common/types.hpp"
#include "spindle/index/reorder.hpp"
#include "spindle/index/segment_writer.hpp"

namespace spindle {

/// Bytes of each component summed over the segments.
struct ComponentBytes {
    std::uint64_t inverted = 0;
    std::uint64_t forward = 0;
    std::uint64_t docids = 0;
    std::uint64_t vocabulary = 0;
    [[nodiscard]] std::uint64_t total() const { return inverted + forward + docids + vocabulary; }
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
    std::uint64_t vocab_bytes = 0;
    Reorder reorder = Reorder::none;  ///< how each segment's documents were ordered
    double build_seconds = 0.0;       ///< wall time of the build, reading input included
    std::uint64_t build_peak_rss = 0; ///< peak resident memory of the building process, bytes
    std::vector<SegmentInfo> segments;

    [[nodiscard]] ComponentBytes component_bytes() const;
    [[nodiscard]] std::string to_json() const;
    static Manifest from_json(std::string_view json, const std::string& where);

    void save(const std::string& path) const;
    static Manifest load(const std::string& path);
};

}  // namespace spindle
