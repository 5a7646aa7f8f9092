#pragma once
// One segment of a collection, opened: its ids, payloads, deletion bitmap and
// one `Segment` per vector. Shared (by shared_ptr) between the snapshots that
// list it; in-memory segments of a live collection have the same shape.
#include <atomic>
#include <cstdint>
#include <map>
#include <memory>
#include <string>

#include "spindle/common/bitmap.hpp"
#include "spindle/index/collection_manifest.hpp"
#include "spindle/index/dense_segment.hpp"
#include "spindle/index/doc_ids.hpp"
#include "spindle/index/payload_index.hpp"
#include "spindle/index/payloads.hpp"
#include "spindle/index/segment.hpp"
#include "spindle/io/mapped_file.hpp"

namespace spindle {

struct SegmentData {
    SegmentData() = default;
    SegmentData(const SegmentData&) = delete;
    SegmentData& operator=(const SegmentData&) = delete;
    /// Removes `dir` when `obsolete` was set (a merged-away segment, deleted
    /// once the last snapshot that lists it is gone).
    ~SegmentData();
    std::atomic<bool> obsolete{false};
    std::string name;          ///< "seg-000003", or "mem-000012" for an in-memory segment
    std::string dir;           ///< its directory (empty: in memory)
    std::uint64_t docs = 0;
    std::shared_ptr<const DocIds> ids;
    std::shared_ptr<const PayloadStore> payloads;
    std::shared_ptr<const PayloadIndex> payload_index;  ///< null: the collection indexes no payload field
    std::map<std::string, std::shared_ptr<const Segment>> vectors;
    std::map<std::string, std::shared_ptr<const DenseSegment>> dense;  ///< per dense vector
};

/// Opens segment `g` of the collection at `dir` (every vector's files,
/// checksums verified). Throws CorruptIndex / IoError naming the file.
std::shared_ptr<SegmentData> open_collection_segment(const std::string& dir, const CollectionManifest& m,
                                                     const CollectionSegment& g,
                                                     MappedFile::Mode mode = MappedFile::Mode::map);
/// Loads the deletion bitmap of `g` (an empty bitmap when it has none).
std::shared_ptr<const Bitmap> load_segment_deletions(const std::string& dir, const CollectionSegment& g);

}  // namespace spindle
