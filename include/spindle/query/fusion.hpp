#pragma once
// Fusion of ranked lists (hybrid search): reciprocal rank fusion, Qdrant's
// distribution-based score fusion and a convex combination of normalized
// scores. Pure functions over lists of (item, score), best first; the
// collection layer runs the sub-queries and maps point ids to items.
//
//   rrf:    score(d) = sum over lists i holding d of  1 / ((rank_i(d) + 1) / w_i + k - 1)
//           ranks counted from 0 (the list's order, not its scores); with
//           w_i = 1 this is 1 / (k + rank), Qdrant's RRF (k = 2 by default).
//           The weighted form is Qdrant's weighted RRF: a weight divides the
//           1-based rank, so weights 3:1 interleave three hits of the first
//           list per hit of the second. A weight <= 0 makes the list add 0
//           (its hits are still candidates), as in Qdrant.
//   dbsf:   each list normalized by (s - (mean - 3 sd)) / (6 sd), mean and the
//           sample standard deviation (n - 1) of the list's scores, not
//           clamped; a list of one hit, or of equal scores, normalizes to 0.5;
//           then the normalized scores are summed (times optional weights).
//           A list whose first score is below its last is taken as "smaller
//           is better" (distances) and mirrored: (high - s) / (high - low).
//           As Qdrant's score_fusion with Normalization::Distr.
//   convex: sum over lists of w_i * norm_i(d), the weights scaled to sum to 1
//           (alpha, 1 - alpha for two lists); norm is min-max ((s - min) /
//           (max - min); 1 when every score of the list is equal) or z-score
//           ((s - mean) / sd, sample sd; 0 when sd is 0). A document absent
//           from a list is scored as that list's worst hit (0 under min-max,
//           the lowest z under z-score); an empty list adds nothing; an
//           ascending list (distances) is mirrored as under dbsf.
//           A spindle extension (Qdrant has no convex mode).
//
// Results: every item of any list once, by fused score descending, then
// item ascending (the collection numbers items in point-id order, so ties
// fall to the smaller id as everywhere in spindle). Scores in double.
#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace spindle {

enum class FusionMethod : std::uint8_t { rrf, dbsf, convex };
enum class ScoreNormalization : std::uint8_t { min_max, z_score };

struct FusionParams {
    FusionMethod method = FusionMethod::rrf;
    /// rrf's k (at least 1; Qdrant's default 2).
    std::size_t rrf_k = 2;
    /// One per list, or empty (rrf, dbsf: 1 each; convex: alpha and 1 - alpha
    /// for two lists, else equal). Finite; convex: non-negative, not all 0.
    std::vector<double> weights;
    /// convex with two lists: alpha * first + (1 - alpha) * second, in [0, 1]
    /// (unset: 0.5); not with weights or another number of lists.
    std::optional<double> alpha;
    ScoreNormalization normalization = ScoreNormalization::min_max;  ///< convex only
};

struct FusionHit {
    std::uint64_t item = 0;  ///< the caller's key (ties: smaller first)
    double score = 0.0;
};
/// One ranked list, best first (as a search returns it).
using RankedList = std::vector<FusionHit>;

/// Checks `p` for fusing `lists` lists; throws InvalidArgument naming the problem.
void validate_fusion(const FusionParams& p, std::size_t lists);

/// Fuses the lists as `p` says (validate_fusion first).
[[nodiscard]] std::vector<FusionHit> fuse(std::span<const RankedList> lists, const FusionParams& p);

[[nodiscard]] std::vector<FusionHit> fuse_rrf(std::span<const RankedList> lists, std::size_t k,
                                              std::span<const double> weights = {});
[[nodiscard]] std::vector<FusionHit> fuse_dbsf(std::span<const RankedList> lists, std::span<const double> weights = {});
[[nodiscard]] std::vector<FusionHit> fuse_convex(std::span<const RankedList> lists, std::span<const double> weights,
                                                 ScoreNormalization norm);

/// One list's scores normalized as dbsf does (same order as the list).
[[nodiscard]] std::vector<double> dbsf_normalize(const RankedList& list);

/// "rrf", "dbsf", "convex"; parse_fusion_method throws InvalidArgument listing them.
[[nodiscard]] std::string_view to_string(FusionMethod m);
[[nodiscard]] FusionMethod parse_fusion_method(std::string_view s);
/// "min_max", "z_score".
[[nodiscard]] std::string_view to_string(ScoreNormalization n);
[[nodiscard]] ScoreNormalization parse_score_normalization(std::string_view s);

}  // namespace spindle
