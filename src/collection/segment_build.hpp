#pragma once
// Building collection segments from documents: an upsert batch becomes an
// in-memory segment; flushes and merges gather the live documents of
// existing segments (stored weights decoded back, re-quantized exactly when
// scales are powers of two) and write a disk segment.
#include <algorithm>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "spindle/collection/point.hpp"
#include "spindle/common/bitmap.hpp"
#include "spindle/index/collection_manifest.hpp"
#include "spindle/index/collection_segment.hpp"
#include "spindle/index/dense_segment.hpp"
#include "spindle/index/segment_writer.hpp"

namespace spindle::detail {

/// Documents in columns: ids, payloads and one SegmentBuffer per vector
/// (every configured vector; a document without a vector has no entries in it).
struct DocBatch {
    std::vector<PointId> ids;
    std::vector<std::string> payloads;
    std::map<std::string, SegmentBuffer> vectors;
    /// One column per configured dense vector (absent rows are zeros).
    std::map<std::string, DenseColumn> dense;
    /// Per vector: weights clipped when the source segments were first
    /// quantized (their decoded weights are already at the cap, so the new
    /// segment's quantizer cannot see them) and the first such document's id.
    struct Clips {
        std::uint64_t count = 0;
        std::string example;
        float max = 0.0F;  ///< largest input weight clipped
        float cap = 0.0F;  ///< what it was stored as
        /// Weights whose rank order the sources' quantization lost (their
        /// decoded weights are already tied, so the new quantizer cannot
        /// see them) and a document with one.
        std::uint64_t rank_tied = 0;
        std::string tie_example;
        /// Adds another source's counts (the first source's examples are kept).
        void add(const Clips& o) {
            if (o.count > 0) {
                if (count == 0) {
                    example = o.example;
                    cap = o.cap;
                }
                count += o.count;
                max = std::max(max, o.max);
            }
            if (o.rank_tied > 0) {
                if (rank_tied == 0) tie_example = o.tie_example;
                rank_tied += o.rank_tied;
            }
        }
    };
    std::map<std::string, Clips> carried_clips;

    explicit DocBatch(const CollectionConfig& c);
    [[nodiscard]] std::size_t docs() const { return ids.size(); }
    /// Ends the current document: its entries (already appended to each
    /// vector's terms/weights, sorted by term, and each dense column's row
    /// when it has one) become one document.
    void end_doc(PointId id, std::string payload);
};

/// Appends the live documents of `seg` (those not in `deleted`) to `out`;
/// when `mapping` is given, sets (*mapping)[old docid] to the new position
/// in `out` (kNoDoc for deleted ones).
inline constexpr docid_t kNoDoc = 0xFFFFFFFFU;
void append_live(const SegmentData& seg, const Bitmap* deleted, DocBatch& out, std::vector<docid_t>* mapping = nullptr);

/// Appends the documents of `src` not in `deleted` to `out`, as append_live
/// does for a segment but from the batch an in-memory segment was built from
/// (its weights as upserted: nothing decoded, nothing quantized twice).
void append_batch(const DocBatch& src, const Bitmap* deleted, DocBatch& out, std::vector<docid_t>* mapping = nullptr);

/// The stored entries of document d of one vector, decoded: (term, weight).
void decode_document(const Segment& seg, docid_t d, std::vector<std::pair<termid_t, float>>& out);

/// An in-memory segment of `batch`; fills `entry` (its manifest-shaped description).
std::shared_ptr<SegmentData> build_memory_segment(const std::string& name, const DocBatch& batch,
                                                  const CollectionConfig& config,
                                                  const std::map<std::string, std::uint64_t>& num_terms,
                                                  CollectionSegment& entry);

/// Writes segment `name` of the collection at `dir` (staged in a hidden
/// directory, fsynced, renamed into place), with approximate structures for
/// the vectors that ask for them when it is large enough. Returns its entry.
CollectionSegment write_disk_segment(const std::string& dir, const std::string& name, const DocBatch& batch,
                                     const CollectionConfig& config,
                                     const std::map<std::string, std::uint64_t>& num_terms, const std::string& origin);

}  // namespace spindle::detail
