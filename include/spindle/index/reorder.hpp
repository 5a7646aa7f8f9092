#pragma once
// Document reordering by recursive graph bisection (BP; Dhulipala et al.,
// KDD 2016, as reproduced by Mackenzie et al., ECIR 2021). Documents that
// share terms get nearby docids, so docid gaps shrink (smaller postings) and,
// above all, each block of consecutive docids holds similar documents: the
// per-block maxima used by bmp and bmw become tight bounds.
//
// The set of documents is split in two halves; documents are swapped between
// the halves while a swap lowers the estimated cost of coding the postings
// (sum over terms of deg * log2(n / (deg + 1)) per half, the log-gap model);
// then each half is bisected again, down to `leaf_docs`.
#include <cstdint>
#include <functional>
#include <span>
#include <string_view>
#include <vector>

#include "spindle/common/types.hpp"

namespace spindle {

enum class Reorder : std::uint8_t { none, bp };

/// "none" or "bp"; throws InvalidArgument listing the valid names.
Reorder parse_reorder(std::string_view name);
std::string_view to_string(Reorder r);

struct BisectionOptions {
    /// Maximum swap rounds per bisection. 20 is the literature's default; on
    /// generated SPLADE-like data 4-6 give the same bmp speed at a third of
    /// the cost (docs/BENCHMARKS.md).
    std::uint32_t iterations = 6;
    std::uint32_t leaf_docs = 8;    ///< partitions this small are not split further
    unsigned threads = 1;           ///< halves are bisected in parallel up to this many threads
    /// Called with (documents placed, total) from one thread at a time.
    std::function<void(std::uint64_t, std::uint64_t)> progress;
    /// Throws InvalidArgument for iterations == 0, leaf_docs < 2 or threads == 0.
    void validate() const;
};

/// Computes a new document order for the documents described by
/// `doc_begin` (n+1 offsets) and `terms` (each document's distinct term ids,
/// all < num_terms). Returns order[new docid] = old docid, a permutation.
/// Deterministic: the result does not depend on `threads`.
std::vector<docid_t> graph_bisection_order(std::span<const std::uint64_t> doc_begin, std::span<const termid_t> terms,
                                           std::size_t num_terms, const BisectionOptions& opts);

/// The log-gap cost model BP minimises, in bits: for each term the sum of
/// log2(gap) over its docid gaps under `order` (identity when empty). Used by
/// tests and by the build summary to report what reordering gained.
double log_gap_cost(std::span<const std::uint64_t> doc_begin, std::span<const termid_t> terms, std::size_t num_terms,
                    std::span<const docid_t> order = {});

}  // namespace spindle
