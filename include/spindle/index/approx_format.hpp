#pragma once
// approx.bin: the approximate (Seismic-style) structures of one segment.
// Each term keeps its highest-weight postings (at most `lambda`), grouped in
// blocks of similar documents; each block carries a summary vector (per-term
// maximum stored weight over its documents, pruned to a fraction of its mass,
// quantized to u8 with a per-block scale, rounded up). Layout: docs/format.md.
#include <cstdint>
#include <span>
#include <string>

#include "spindle/common/types.hpp"
#include "spindle/io/container.hpp"

namespace spindle {

/// Build parameters of the approximate structures.
struct ApproxOptions {
    std::uint32_t lambda = 0;        ///< postings kept per term (highest weights); 0 keeps all
    std::uint32_t block_size = 16;   ///< average documents per block: ceil(kept / block_size) centroids
    double alpha_mass = 0.5;         ///< fraction of a summary's mass kept, in (0, 1]
    std::uint64_t seed = 0x5eed;     ///< seed of the centroid choice
    /// Throws InvalidArgument for block_size 0 or alpha_mass outside (0, 1].
    void validate() const;
};

/// Fixed header of approx.bin (section kApproxHeader), 64 bytes.
struct ApproxHeader {
    std::uint32_t lambda;
    std::uint32_t block_size;
    double alpha_mass;
    std::uint64_t seed;
    std::uint64_t num_terms;         ///< terms covered (the segment's num_terms)
    std::uint64_t num_blocks;
    std::uint64_t num_block_docs;    ///< sum of block sizes (= kept postings)
    std::uint64_t num_summary;       ///< summary entries over all blocks
    std::uint64_t num_docs;          ///< documents of the segment
};
static_assert(sizeof(ApproxHeader) == 64);

/// Typed, validated view of approx.bin.
struct ApproxView {
    ApproxHeader header{};
    std::span<const std::uint64_t> term_block_begin;  ///< [T+1]
    std::span<const std::uint64_t> block_doc_begin;   ///< [B+1]
    std::span<const docid_t> block_docs;              ///< increasing within each block
    std::span<const std::uint64_t> summary_begin;     ///< [B+1]
    std::span<const std::uint32_t> summary_terms;     ///< increasing within each block
    std::span<const std::uint8_t> summary_codes;      ///< >= 1
    std::span<const float> summary_scale;             ///< [B]: code * scale >= the block's maximum

    /// Maps and checks `path` against a segment of `num_docs` documents and
    /// `num_terms` terms; throws CorruptIndex naming the file.
    static ApproxView open(const Container& c, std::uint64_t num_docs, std::uint64_t num_terms);
};

}  // namespace spindle
