#pragma once
// Calibration statistics: accumulated while streaming documents or queries,
// printed next to the real SPLADE++ ED / MS MARCO values and written as JSON.
#include <cstdint>
#include <nlohmann/json.hpp>
#include <optional>
#include <span>
#include <string>
#include <vector>

namespace spindle::gen {

/// Summary of a set of sparse vectors (documents or queries).
struct VectorStats {
    std::uint64_t count = 0;     ///< vectors
    std::uint64_t nonzeros = 0;  ///< total nonzeros
    double nnz_mean = 0, nnz_p50 = 0, nnz_p90 = 0;
    double weight_mean = 0, weight_p50 = 0, weight_p99 = 0, weight_max = 0;
    double frac_below_3 = 0;  ///< share of weights < 3
    /// Mean over the k most frequent columns of (vectors containing it / count), k = 10, 100, 1000.
    double top10_df = 0, top100_df = 0, top1000_df = 0;
};

/// Streams vectors into histograms; memory is O(vocabulary), not O(corpus).
class StatsAccumulator {
public:
    /// `weight_step`: histogram resolution of weights (1e-3 for float
    /// documents, 1 for integer query weights); `max_weight`: histogram range.
    StatsAccumulator(std::uint32_t vocab_size, double weight_step, double max_weight);

    void add(std::span<const std::uint32_t> ids, std::span<const float> weights);
    void add(std::span<const std::uint32_t> ids, std::span<const std::uint32_t> weights);
    [[nodiscard]] VectorStats finish() const;

private:
    void add_weight(double w);
    void add_ids(std::span<const std::uint32_t> ids);
    double step_;
    std::vector<std::uint64_t> nnz_hist_;
    std::vector<std::uint64_t> weight_hist_;
    std::vector<std::uint64_t> df_;
    std::uint64_t count_ = 0, nnz_ = 0, below3_ = 0;
    double weight_sum_ = 0, weight_max_ = 0;
};

/// What is known about real MS MARCO SPLADE++ ED documents (the corpus itself
/// is not available here): mean nonzeros from the brief, weight quantiles from
/// 20 real SPLADE passages (Seismic's toy set); NaN where unknown.
VectorStats reference_document_stats();

/// Side-by-side text table: generated vs real documents and queries.
std::string format_calibration(const VectorStats& docs, const std::optional<VectorStats>& gen_queries,
                               const std::optional<VectorStats>& real_queries);

/// The same as JSON: `extra_fields` (an object, or null for none) followed by
/// {"documents": {"generated":…, "reference":…}, "queries": {…}}.
std::string calibration_json(const VectorStats& docs, const std::optional<VectorStats>& gen_queries,
                             const std::optional<VectorStats>& real_queries,
                             const nlohmann::ordered_json& extra_fields = nullptr);

}  // namespace spindle::gen
