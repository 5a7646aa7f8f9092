#pragma once
// Runs one query over every segment of an index with the chosen algorithm and
// merges the per-segment top-k lists.
#include <cstdint>
#include <optional>
#include <vector>

#include "spindle/index/index.hpp"
#include "spindle/query/algorithm.hpp"
#include "spindle/query/allow_set.hpp"
#include "spindle/query/approximate.hpp"
#include "spindle/query/block_max_pruning.hpp"
#include "spindle/query/scoring.hpp"
#include "spindle/query/search_stats.hpp"

namespace spindle {

struct SearchOptions {
    Algorithm algorithm = Algorithm::maxscore;
    std::size_t k = 10;
    double bmp_alpha = 1.0;  ///< (0, 1]; 1 keeps bmp exact
    std::size_t query_cut = 10;  ///< approx: the query's largest terms that drive the traversal (>= 1)
    double heap_factor = 0.9;    ///< approx: a block is scored when its summary product >= theta / heap_factor; (0, kMaxHeapFactor = 4], above 1 also blocks estimated below theta
    std::size_t knn = 0;         ///< approx: graph neighbours of each result re-scored (0: no refinement)
    /// Under a filter: score the allowed documents directly through the
    /// forward index (true), never (false), or when score_directly() says (unset).
    std::optional<bool> direct;
    /// Under a filter, approx only: search a segment exactly (bmp) instead of
    /// through its approximate structures always (true), never (false), or
    /// when approx_too_sparse() says so (unset: its kept postings hold fewer
    /// than kApproxMinAllowedPerList allowed documents per list).
    std::optional<bool> approx_exact;
    /// Throws InvalidArgument for k == 0, alpha outside (0, 1], heap_factor outside (0, kMaxHeapFactor], or query_cut 0.
    void validate() const;
};

struct Hit {
    double score;            ///< sum of query weight x dequantized stored weight
    score_t raw;             ///< exact fixed-point score within its segment
    std::uint32_t segment;
    docid_t doc;             ///< segment-local docid
    std::uint64_t global_doc;
};

/// Buffers reused across queries by one thread.
struct SearchScratch {
    std::vector<score_t> acc;
    BmpScratch bmp;
    ApproxScratch approx;
};

/// Throws InvalidArgument if `index` cannot run opts.algorithm (approx on an
/// index built without --approx; knn > 0 on an index without a kNN graph).
void check_searchable(const Index& index, const SearchOptions& opts);

/// The top-k of segment `s` of `index` (deleted documents never returned),
/// best first (score descending, docid ascending). With `with_ties`, every
/// document tied with the k-th score is included too, so that a caller
/// merging segments can break ties by another order (external ids) exactly.
/// An approx search on a segment without approximate structures runs bmp.
///
/// With `allowed` (a filter's allow-set for the segment, deletions already
/// left out), only allowed documents are scored or returned, by every
/// algorithm; a small allow-set (score_directly) is scored document by
/// document through the forward index instead. An approx search that finds
/// fewer than k allowed documents falls back to the exact bmp search.
///
/// `floor` (segment-local score units; 0: none): documents scoring less are
/// neither wanted nor returned, e.g. because k documents of other segments
/// already score at least that much. Ignored by approx on a segment with
/// approximate structures (whose fewer-than-k fallback needs every result).
std::vector<ScoredDoc> search_one_segment(const Index& index, std::size_t s, const QueryPlan& plan,
                                          const SearchOptions& opts, SearchScratch& scratch, SearchStats& stats,
                                          bool with_ties, const AllowSet* allowed = nullptr, score_t floor = 0);

/// Allow-sets of at most kDirectMaxDocs documents are scored directly
/// through the forward index (every algorithm, approx included). Measured in
/// docs/BENCHMARKS.md ("The direct-scoring threshold"): on 100K documents
/// direct and bmp-with-allow-set cross near 1,000-1,500 allowed documents;
/// on 1M, bmp with the allow-set was already faster at 996 (a fraction of
/// the segment, the earlier rule, sent 10,000 there: 7x slower).
inline constexpr std::uint64_t kDirectMaxDocs = 1024;
[[nodiscard]] bool score_directly(std::uint64_t allowed);

/// Under a filter, approx searches a segment exactly (bmp with the
/// allow-set) when its lists' kept postings (lambda per term) are expected
/// to hold fewer than this many allowed documents each: lambda x allowed /
/// documents. Measured on 1M generated documents, lambda 400, default
/// settings (docs/BENCHMARKS.md, "Filtered search on 1M"): recall@10 0.664
/// at 1 % (4 allowed postings per kept list), 0.791 at 1.5 % (6), 0.828 at
/// 2 % (8), 0.879 at 3 %, against 0.822 unfiltered; so below 6 the filtered
/// recall falls under the unfiltered one minus 0.02, and exact search pays.
inline constexpr double kApproxMinAllowedPerList = 6.0;
/// lambda 0 (every posting kept): never.
[[nodiscard]] bool approx_too_sparse(std::uint32_t lambda, std::uint64_t allowed, std::uint64_t docs);

/// Top-k hits, best first (score descending, then global docid ascending).
std::vector<Hit> search(const Index& index, const QueryPlan& plan, const SearchOptions& opts, SearchScratch& scratch,
                        SearchStats& stats);

/// Maps a query to the index's term ids: unknown tokens are dropped and
/// counted in `unknown`, repeated tokens summed, zero weights dropped; the
/// multipliers follow the index's weight type and largest stored weight.
/// Throws InvalidArgument for a NaN, infinite or negative weight.
[[nodiscard]] QueryPlan plan_query(const Index& index, const TextQuery& q, std::uint64_t* unknown = nullptr);

}  // namespace spindle
