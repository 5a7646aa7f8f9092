#pragma once
// File kinds and section ids of every index file (documented in docs/format.md).
#include <cstdint>

#include "spindle/io/container.hpp"

namespace spindle {
namespace kinds {
inline constexpr std::uint32_t kManifest = fourcc("MANI");
inline constexpr std::uint32_t kVocabulary = fourcc("VOCB");
inline constexpr std::uint32_t kInverted = fourcc("INVX");
inline constexpr std::uint32_t kForward = fourcc("FWDX");
inline constexpr std::uint32_t kDocIds = fourcc("DOCS");
inline constexpr std::uint32_t kApprox = fourcc("APRX");
inline constexpr std::uint32_t kCollectionManifest = fourcc("CMAN");
inline constexpr std::uint32_t kDeletions = fourcc("DELS");
inline constexpr std::uint32_t kPayloads = fourcc("PAYL");
inline constexpr std::uint32_t kPayloadIndex = fourcc("PIDX");
inline constexpr std::uint32_t kDense = fourcc("DNSV");
}  // namespace kinds

namespace sections {
// MANI
inline constexpr std::uint32_t kManifestJson = 1;
// VOCB
inline constexpr std::uint32_t kVocabOffsets = 1;  // u64[V+1]
inline constexpr std::uint32_t kVocabChars = 2;    // char[]
// INVX
inline constexpr std::uint32_t kInvHeader = 1;          // SegmentHeader
inline constexpr std::uint32_t kTermBlockBegin = 2;     // u64[T+1]: first posting block of each term
inline constexpr std::uint32_t kTermPostingBegin = 3;   // u64[T+1]: first posting of each term
inline constexpr std::uint32_t kTermMaxWeight = 4;      // W[T]
inline constexpr std::uint32_t kBlockLastDoc = 5;       // u32[B]
inline constexpr std::uint32_t kBlockMaxWeight = 6;     // W[B]
inline constexpr std::uint32_t kBlockByteBegin = 7;     // u64[B+1]: offsets into kDocidStream
inline constexpr std::uint32_t kDocidStream = 8;        // u8[]: StreamVByte-delta blocks (+16 pad)
inline constexpr std::uint32_t kPostingWeights = 9;     // W[P]
inline constexpr std::uint32_t kTermRangeBegin = 10;    // u64[T+1]: first docid-range entry of each term
inline constexpr std::uint32_t kTermRangeByteBegin = 11;// u64[T+1]: offsets into kRangeIdStream
inline constexpr std::uint32_t kRangeIdStream = 12;     // u8[]: StreamVByte-delta range ids per term (+16 pad)
inline constexpr std::uint32_t kRangeMaxWeight = 13;    // W[R]
// FWDX
inline constexpr std::uint32_t kDocTermBegin = 1;       // u64[N+1]: first entry of each document
inline constexpr std::uint32_t kDocByteBegin = 2;       // u64[N+1]: offsets into kDocTermStream
inline constexpr std::uint32_t kDocTermStream = 3;      // u8[]: StreamVByte-delta term ids (+16 pad)
inline constexpr std::uint32_t kDocWeights = 4;         // W[nnz]
// DOCS
inline constexpr std::uint32_t kDocIdOffsets = 1;       // u64[N+1]
inline constexpr std::uint32_t kDocIdChars = 2;         // char[]
inline constexpr std::uint32_t kDocIdKinds = 3;         // u8[N]: 0 string, 1 unsigned number (optional, format 3)
inline constexpr std::uint32_t kDocIdSorted = 4;        // u32[N]: docids in id order (optional, format 3)
// DELS
inline constexpr std::uint32_t kDeletionBitmap = 1;     // u8[]: CRoaring portable serialization of deleted docids
// PAYL
inline constexpr std::uint32_t kPayloadOffsets = 1;     // u64[N+1]
inline constexpr std::uint32_t kPayloadChars = 2;       // char[]: compact JSON object per document ("" = none)
// PIDX
inline constexpr std::uint32_t kPidxSchema = 1;         // char[]: JSON {version, fields: [{key, type, terms, values, empty, null}]}
inline constexpr std::uint32_t kPidxTermOffsets = 2;    // u64[K+1]: keyword/bool values of every field, field by field
inline constexpr std::uint32_t kPidxTermChars = 3;      // char[]
inline constexpr std::uint32_t kPidxBitmapOffsets = 4;  // u64[M+1]: K term bitmaps, then per field its empty and null bitmaps
inline constexpr std::uint32_t kPidxBitmapBytes = 5;    // u8[]: CRoaring portable serializations
inline constexpr std::uint32_t kPidxValues = 6;         // f64[V]: numeric columns of every field, each ascending
inline constexpr std::uint32_t kPidxValueDocs = 7;      // u32[V]: docid of each value
// APRX
inline constexpr std::uint32_t kApproxHeader = 1;       // ApproxHeader
inline constexpr std::uint32_t kApproxTermBlockBegin = 2;  // u64[T+1]: first block of each term
inline constexpr std::uint32_t kApproxBlockDocBegin = 3;   // u32[B+1]: first entry of each block in section 4
inline constexpr std::uint32_t kApproxBlockDocs = 4;       // u32[D]: docids of each block, increasing
inline constexpr std::uint32_t kApproxSummaryBegin = 5;    // u64[B+1]: first summary entry of each block
inline constexpr std::uint32_t kApproxSummaryTerms = 6;    // u16[S] or u32[S]: summary term ids, increasing per block
inline constexpr std::uint32_t kApproxSummaryCodes = 7;    // u8[S]: quantized summary values (>= 1)
inline constexpr std::uint32_t kApproxSummaryScale = 8;    // f32[B]: value = code * scale
inline constexpr std::uint32_t kApproxKnn = 9;             // u32[N*k]: kNN graph (only when knn_k > 0)
// DNSV (one named dense vector of one segment)
inline constexpr std::uint32_t kDenseHeader = 1;           // DenseHeader
inline constexpr std::uint32_t kDensePresent = 2;          // u8[N]: 1 when document d has the vector
inline constexpr std::uint32_t kDenseValues = 3;           // f32[N*dim] or u16[N*dim] (f16), row d at d*dim; zeros when absent
inline constexpr std::uint32_t kDenseLevels = 4;           // u8[N]: graph level of d (0xFF: not a node)      (graph only)
inline constexpr std::uint32_t kDenseLinks0 = 5;           // u32[N*(m0+1)]: level-0 neighbour count, then m0 slots (graph only)
inline constexpr std::uint32_t kDenseUpperBegin = 6;       // u64[N+1]: first entry of d in section 7            (graph only)
inline constexpr std::uint32_t kDenseUpper = 7;            // u32[]: per node, levels 1..L each count + m slots  (graph only)
}  // namespace sections

/// Fixed header of an inverted file (section kInvHeader), 64 bytes.
struct SegmentHeader {
    std::uint32_t weight_type;     ///< WeightType
    std::uint32_t posting_block;   ///< postings per compressed block (128)
    std::uint32_t range_block;     ///< docids per block-max range (BMP)
    std::uint32_t reserved0;
    std::uint64_t num_docs;
    std::uint64_t num_terms;       ///< vocabulary size when the segment was written
    std::uint64_t num_postings;
    double scale;                  ///< stored code * scale = weight (1 for f32)
    float max_weight;              ///< largest weight in the segment (dequantized)
    std::uint32_t reserved1;
    std::uint64_t reserved2;
};
static_assert(sizeof(SegmentHeader) == 64);

}  // namespace spindle
