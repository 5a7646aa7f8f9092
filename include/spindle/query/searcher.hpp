#pragma once
// Runs one query over every segment of an index with the chosen algorithm and
// merges the per-segment top-k lists.
#include <cstdint>
#include <vector>

#include "spindle/index/index.hpp"
#include "spindle/query/algorithm.hpp"
#include "spindle/query/block_max_pruning.hpp"
#include "spindle/query/scoring.hpp"
#include "spindle/query/search_stats.hpp"

namespace spindle {

struct SearchOptions {
    Algorithm algorithm = Algorithm::maxscore;
    std::size_t k = 10;
    double bmp_alpha = 1.0;  ///< (0, 1]; 1 keeps bmp exact
    /// Throws InvalidArgument for k == 0 or alpha outside (0, 1].
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
};

/// Top-k hits, best first (score descending, then global docid ascending).
std::vector<Hit> search(const Index& index, const QueryPlan& plan, const SearchOptions& opts, SearchScratch& scratch,
                        SearchStats& stats);

}  // namespace spindle
