#pragma once
// Turns a buffer of parsed documents into one immutable segment on disk:
// inverted.bin (block-compressed postings, block maxima, docid-range maxima),
// forward.bin (per-document term ids and weights) and docids.bin.
#include <cstdint>
#include <span>
#include <string>
#include <vector>

#include "spindle/common/types.hpp"
#include "spindle/io/container.hpp"

namespace spindle {

/// Documents of one segment as parsed, with float weights, each document's
/// entries sorted by term id and free of duplicates.
struct SegmentBuffer {
    std::vector<std::uint64_t> doc_begin{0};
    std::vector<termid_t> terms;
    std::vector<float> weights;
    std::vector<std::uint64_t> id_offsets{0};
    std::string id_chars;

    [[nodiscard]] std::size_t docs() const { return doc_begin.size() - 1; }
    void clear();
};

struct SegmentWriteOptions {
    WeightType weight_type = WeightType::u16;
    std::uint32_t range_block = 8;   ///< docids per BMP range block
    /// A term occurring in at least this fraction of the ranges stores its
    /// maximum for every range (dense: summed by a SIMD loop, no ids to decode)
    /// instead of (range id, maximum) pairs; so does any term for which dense
    /// is no larger. In [0, 1]; 1 means "only when no larger".
    double dense_ranges = 1.0 / 8;
};

/// What was written, for the manifest and the build summary.
struct SegmentInfo {
    std::string name;
    std::uint64_t docs = 0;
    std::uint64_t postings = 0;
    std::uint64_t zero_dropped = 0;  ///< input weights equal to 0 (not indexed; a weight > 0 is never stored as 0)
    std::uint64_t clipped = 0;       ///< weights above the largest storable one, stored as it (u8/u16, see quantize.hpp)
    float clip_max = 0.0F;           ///< when clipped: the largest input weight ...
    float clip_cap = 0.0F;           ///< ... and the weight it was stored as
    std::string clip_example;        ///< when clipped: the id of the first document with a clipped weight
    std::size_t clip_example_doc = 0;  ///< its position in the buffer (for callers keeping ids elsewhere)
    /// Weights whose rank order within their term's postings quantization
    /// lost (tied with a strictly different weight; see count_rank_ties in
    /// quantize.hpp); 0 for f32.
    std::uint64_t rank_tied = 0;
    std::string tie_example;         ///< when rank_tied > 0: the id of a document with such a weight
    std::size_t tie_example_doc = 0; ///< its position in the buffer
    std::uint64_t empty_docs = 0;    ///< documents without a stored entry
    double scale = 1.0;
    float max_weight = 0.0F;
    std::uint64_t inverted_bytes = 0;
    std::uint64_t forward_bytes = 0;
    std::uint64_t docids_bytes = 0;
    double reorder_seconds = 0.0;  ///< time spent computing the document order (0: not reordered)
    std::uint64_t approx_bytes = 0;  ///< size of approx.bin (0: no approximate structures)
    double approx_seconds = 0.0;     ///< time spent building approx.bin
};

/// The search files of one vector of a segment, opened (from disk or memory).
struct VectorFiles {
    Container inverted;
    Container forward;
};

/// Writes segment `name` into directory `dir/name` (created here). A non-empty
/// `order` (a permutation, order[new docid] = buffer position) renumbers the
/// documents; otherwise they keep their buffer order.
SegmentInfo write_segment(const std::string& dir, const std::string& name, const SegmentBuffer& buf,
                          std::size_t num_terms, const SegmentWriteOptions& opts,
                          std::span<const docid_t> order = {});

}  // namespace spindle

namespace spindle {
/// Writes inverted.bin and forward.bin of one vector into `vec_dir` (created
/// here); document ids are stored by the caller (collections keep them once
/// per segment, beside every vector's directory).
SegmentInfo write_vector_files(const std::string& vec_dir, const SegmentBuffer& buf, std::size_t num_terms,
                               const SegmentWriteOptions& opts, std::span<const docid_t> order = {});

/// The same files built in anonymous memory (an in-memory segment of a live
/// collection); `name` names them in messages.
SegmentInfo build_vector_in_memory(const std::string& name, const SegmentBuffer& buf, std::size_t num_terms,
                                   const SegmentWriteOptions& opts, VectorFiles& out);
}  // namespace spindle
