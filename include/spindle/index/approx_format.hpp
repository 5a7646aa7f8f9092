#pragma once
// approx.bin: the approximate (Seismic-style) structures of one segment.
// Each term keeps its highest-weight postings (at most `lambda`), grouped in
// blocks of similar documents; each block carries a summary vector (per-term
// maximum stored weight over its documents, pruned to a fraction of its mass,
// quantized to u8 with a per-block scale, rounded up). Layout: docs/format.md.
#include <cstdint>
#include <functional>
#include <span>
#include <string>
#include <string_view>

#include "spindle/common/types.hpp"
#include "spindle/io/container.hpp"

namespace spindle {

/// Version of approx.bin written by this build (header field `version`).
inline constexpr std::uint32_t kApproxVersion = 2;
/// Marks an unused kNN graph slot (a document with fewer neighbours than k).
inline constexpr docid_t kNoNeighbour = 0xFFFFFFFFU;

/// Build parameters of the approximate structures.
struct ApproxOptions {
    std::uint32_t lambda = 0;        ///< postings kept per term (highest weights); 0 keeps all
    std::uint32_t block_size = 16;   ///< target documents per block (blocks hold at most 2x this)
    double alpha_mass = 0.5;         ///< fraction of a summary's mass kept, in (0, 1]
    std::uint64_t seed = 0x5eed;     ///< seed of the centroid choice
    std::uint32_t knn_k = 0;         ///< neighbours per document in the kNN graph; 0 builds none
    std::uint32_t threads = 0;       ///< build threads; 0: all hardware threads (the result does not depend on it)
    /// Optional progress report: (phase, done, total), phase "blocks" then "graph".
    std::function<void(std::string_view, std::uint64_t, std::uint64_t)> progress;
    /// Throws InvalidArgument for block_size 0, alpha_mass outside (0, 1] or knn_k > 1024.
    void validate() const;
};

/// Fixed header of approx.bin (section kApproxHeader), 80 bytes.
struct ApproxHeader {
    std::uint32_t version;           ///< kApproxVersion
    std::uint32_t summary_id_bytes;  ///< 2 (u16 summary term ids) or 4 (u32)
    std::uint32_t lambda;
    std::uint32_t block_size;
    double alpha_mass;
    std::uint64_t seed;
    std::uint64_t num_terms;         ///< terms covered (the segment's num_terms)
    std::uint64_t num_blocks;
    std::uint64_t num_block_docs;    ///< sum of block sizes (= kept postings)
    std::uint64_t num_summary;       ///< summary entries over all blocks
    std::uint64_t num_docs;          ///< documents of the segment
    std::uint32_t knn_k;             ///< neighbours per document (0: no graph)
    std::uint32_t reserved;          ///< 0
};
static_assert(sizeof(ApproxHeader) == 80);

/// Typed, validated view of approx.bin (or of structures still in memory).
struct ApproxView {
    ApproxHeader header{};
    std::span<const std::uint64_t> term_block_begin;  ///< [T+1]
    std::span<const std::uint32_t> block_doc_begin;   ///< [B+1]
    std::span<const docid_t> block_docs;              ///< increasing within each block
    std::span<const std::uint64_t> summary_begin;     ///< [B+1]
    std::span<const std::uint16_t> summary_terms16;   ///< increasing within each block (summary_id_bytes 2)
    std::span<const std::uint32_t> summary_terms32;   ///< increasing within each block (summary_id_bytes 4)
    std::span<const std::uint8_t> summary_codes;      ///< >= 1
    std::span<const float> summary_scale;             ///< [B]: code * scale >= the block's maximum
    std::span<const docid_t> knn;                     ///< [num_docs * knn_k]: neighbours, most similar first

    /// Maps and checks `path` against a segment of `num_docs` documents and
    /// `num_terms` terms; throws CorruptIndex naming the file.
    static ApproxView open(const Container& c, std::uint64_t num_docs, std::uint64_t num_terms);
};

}  // namespace spindle
