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
/// Largest heap factor of approximate search. Above 1 a block is also scored
/// when its summary estimate is below the k-th score (at least k-th / heap
/// factor): summaries keeping alpha < 1 of a block's mass underestimate it,
/// and this recovers the blocks they rank too low at query time (recall@10
/// 0.97 -> 0.99 on 1M documents with real queries; docs/BENCHMARKS.md).
inline constexpr double kMaxHeapFactor = 4.0;
/// Marks an unused kNN graph slot (a document with fewer neighbours than k).
inline constexpr docid_t kNoNeighbour = 0xFFFFFFFFU;

/// Build parameters of the approximate structures.
struct ApproxOptions {
    /// Postings kept per term (highest weights); 0 keeps all. With
    /// lambda_per_doc > 0 it is the floor of the per-segment budget.
    std::uint32_t lambda = 0;
    /// > 0: each segment keeps lambda_for(its documents) postings per term,
    /// max(lambda, ceil(lambda_per_doc x documents)) capped at lambda_max, so
    /// the budget grows with the segment (the spindle CLI's default rule,
    /// kDefaultLambdaPerDoc); 0: lambda for every segment.
    double lambda_per_doc = 0.0;
    std::uint32_t lambda_max = 0;    ///< cap of the scaled budget (0: none); unused when lambda_per_doc is 0
    std::uint32_t block_size = 16;   ///< target documents per block (blocks hold at most 2x this)
    double alpha_mass = 0.5;         ///< fraction of a summary's mass kept, in (0, 1]
    std::uint64_t seed = 0x5eed;     ///< seed of the centroid choice
    std::uint32_t knn_k = 0;         ///< neighbours per document in the kNN graph; 0 builds none
    std::uint32_t threads = 0;       ///< build threads; 0: all hardware threads (the result does not depend on it)
    /// Optional progress report: (phase, done, total), phase "blocks" then "graph".
    std::function<void(std::string_view, std::uint64_t, std::uint64_t)> progress;
    /// Throws InvalidArgument for block_size 0, alpha_mass outside (0, 1], knn_k > 1024,
    /// lambda_per_doc outside [0, 1] or a nonzero lambda_max below lambda.
    void validate() const;
    /// Postings kept per term in a segment of `num_docs` documents (0: all).
    [[nodiscard]] std::uint32_t lambda_for(std::uint64_t num_docs) const;
    /// "lambda 400" or "lambda max(400, 0.0004 x docs) capped at 20000".
    [[nodiscard]] std::string describe_lambda() const;
};

/// The default per-term budget of spindle index --approx / build-approx:
/// max(kDefaultLambdaFloor, kDefaultLambdaPerDoc x the segment's documents),
/// capped at kDefaultLambdaMax: 400 up to 1M documents, where 400 reaches
/// recall@10 0.99 (with a heap factor above 1; docs/BENCHMARKS.md, "Recall
/// 0.99"), then the same fraction of every list as there.
inline constexpr std::uint32_t kDefaultLambdaFloor = 400;
inline constexpr double kDefaultLambdaPerDoc = 0.0004;
inline constexpr std::uint32_t kDefaultLambdaMax = 20000;

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
