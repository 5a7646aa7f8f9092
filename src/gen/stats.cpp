#include "spindle/gen/stats.hpp"

#include <fmt/format.h>

#include <cstdlib>

#include <algorithm>
#include <cmath>
#include <functional>
#include <limits>

namespace spindle::gen {
namespace {

constexpr std::size_t kMaxNnz = 4096;

/// Value at quantile q of a histogram whose bin i stands for value i * step.
double quantile(const std::vector<std::uint64_t>& hist, std::uint64_t total, double q, double step) {
    if (total == 0) return 0;
    const auto target = static_cast<std::uint64_t>(std::ceil(q * static_cast<double>(total)));
    std::uint64_t seen = 0;
    for (std::size_t i = 0; i < hist.size(); ++i) {
        seen += hist[i];
        if (seen >= std::max<std::uint64_t>(target, 1)) return static_cast<double>(i) * step;
    }
    return static_cast<double>(hist.size() - 1) * step;
}

std::string num(double v) {
    if (std::isnan(v)) return "n/a";
    if (v != 0 && std::fabs(v) < 10) return fmt::format("{:.3f}", v);
    return fmt::format("{:.1f}", v);
}

/// A statistic as JSON: six significant digits, null when unknown.
nlohmann::ordered_json json_num(double v) {
    if (std::isnan(v)) return nullptr;
    return std::strtod(fmt::format("{:.6g}", v).c_str(), nullptr);
}

nlohmann::ordered_json stats_json(const VectorStats& s) {
    return {{"count", s.count},
            {"nonzeros", s.nonzeros},
            {"nnz_mean", json_num(s.nnz_mean)},
            {"nnz_p50", json_num(s.nnz_p50)},
            {"nnz_p90", json_num(s.nnz_p90)},
            {"weight_mean", json_num(s.weight_mean)},
            {"weight_p50", json_num(s.weight_p50)},
            {"weight_p99", json_num(s.weight_p99)},
            {"weight_max", json_num(s.weight_max)},
            {"frac_below_3", json_num(s.frac_below_3)},
            {"top10_df", json_num(s.top10_df)},
            {"top100_df", json_num(s.top100_df)},
            {"top1000_df", json_num(s.top1000_df)}};
}

struct Row {
    const char* name;
    double VectorStats::*field;
};
constexpr Row kRows[] = {
    {"nonzeros/vector mean", &VectorStats::nnz_mean},
    {"nonzeros/vector p50", &VectorStats::nnz_p50},
    {"nonzeros/vector p90", &VectorStats::nnz_p90},
    {"weight mean", &VectorStats::weight_mean},
    {"weight p50", &VectorStats::weight_p50},
    {"weight p99", &VectorStats::weight_p99},
    {"weight max", &VectorStats::weight_max},
    {"fraction of weights < 3", &VectorStats::frac_below_3},
    {"df of top-10 tokens", &VectorStats::top10_df},
    {"df of top-100 tokens", &VectorStats::top100_df},
    {"df of top-1000 tokens", &VectorStats::top1000_df},
};

}  // namespace

StatsAccumulator::StatsAccumulator(std::uint32_t vocab_size, double weight_step, double max_weight)
    : step_(weight_step),
      nnz_hist_(kMaxNnz + 1, 0),
      weight_hist_(static_cast<std::size_t>(max_weight / weight_step) + 2, 0),
      df_(vocab_size, 0) {}

void StatsAccumulator::add_weight(double w) {
    weight_sum_ += w;
    weight_max_ = std::max(weight_max_, w);
    if (w < 3.0) ++below3_;
    const double bin = std::round(w / step_);
    const std::size_t last = weight_hist_.size() - 1;
    ++weight_hist_[bin >= static_cast<double>(last) ? last : static_cast<std::size_t>(bin)];
}

void StatsAccumulator::add_ids(std::span<const std::uint32_t> ids) {
    ++count_;
    nnz_ += ids.size();
    ++nnz_hist_[std::min(ids.size(), kMaxNnz)];
    for (const std::uint32_t id : ids)
        if (id < df_.size()) ++df_[id];
}

void StatsAccumulator::add(std::span<const std::uint32_t> ids, std::span<const float> weights) {
    add_ids(ids);
    for (const float w : weights) add_weight(static_cast<double>(w));
}

void StatsAccumulator::add(std::span<const std::uint32_t> ids, std::span<const std::uint32_t> weights) {
    add_ids(ids);
    for (const std::uint32_t w : weights) add_weight(static_cast<double>(w));
}

VectorStats StatsAccumulator::finish() const {
    VectorStats s;
    s.count = count_;
    s.nonzeros = nnz_;
    if (count_ == 0) return s;
    const auto n = static_cast<double>(count_);
    s.nnz_mean = static_cast<double>(nnz_) / n;
    s.nnz_p50 = quantile(nnz_hist_, count_, 0.5, 1.0);
    s.nnz_p90 = quantile(nnz_hist_, count_, 0.9, 1.0);
    if (nnz_ > 0) {
        s.weight_mean = weight_sum_ / static_cast<double>(nnz_);
        s.weight_p50 = quantile(weight_hist_, nnz_, 0.5, step_);
        s.weight_p99 = quantile(weight_hist_, nnz_, 0.99, step_);
        s.weight_max = weight_max_;
        s.frac_below_3 = static_cast<double>(below3_) / static_cast<double>(nnz_);
    }
    std::vector<std::uint64_t> df = df_;
    const std::size_t k = std::min<std::size_t>(1000, df.size());
    std::partial_sort(df.begin(), df.begin() + static_cast<std::ptrdiff_t>(k), df.end(), std::greater<>());
    const auto top = [&](std::size_t m) {
        m = std::min(m, k);
        double sum = 0;
        for (std::size_t i = 0; i < m; ++i) sum += static_cast<double>(df[i]);
        return m ? sum / static_cast<double>(m) / n : 0.0;
    };
    s.top10_df = top(10);
    s.top100_df = top(100);
    s.top1000_df = top(1000);
    return s;
}

VectorStats reference_document_stats() {
    constexpr double nan = std::numeric_limits<double>::quiet_NaN();
    VectorStats s;
    s.count = 8'841'823;
    s.nnz_mean = 127.0;  // MS MARCO passages, SPLADE++ ED (brief)
    s.nonzeros = 0;
    s.nnz_p50 = nan;
    s.nnz_p90 = nan;
    // 20 real MS MARCO passages with SPLADE weights (Seismic toy set, 2,900 weights).
    s.weight_mean = 0.442;
    s.weight_p50 = 0.278;
    s.weight_p99 = 1.998;
    s.weight_max = 2.630;
    s.frac_below_3 = 1.0;
    s.top10_df = nan;
    s.top100_df = nan;
    s.top1000_df = nan;
    return s;
}

std::string format_calibration(const VectorStats& docs, const std::optional<VectorStats>& gen_queries,
                               const std::optional<VectorStats>& real_queries) {
    const VectorStats ref = reference_document_stats();
    std::string out = fmt::format("{:<26} {:>12} {:>12} | {:>12} {:>12}\n", "statistic", "gen docs", "real docs",
                                  "gen queries", "real queries");
    out += fmt::format("{:<26} {:>12} {:>12} | {:>12} {:>12}\n", "vectors", docs.count, ref.count,
                       gen_queries ? fmt::format("{}", gen_queries->count) : "-",
                       real_queries ? fmt::format("{}", real_queries->count) : "-");
    for (const auto& row : kRows) {
        out += fmt::format("{:<26} {:>12} {:>12} | {:>12} {:>12}\n", row.name, num(docs.*row.field),
                           num(ref.*row.field), gen_queries ? num((*gen_queries).*row.field) : "-",
                           real_queries ? num((*real_queries).*row.field) : "-");
    }
    out +=
        "real docs: mean nonzeros from the brief (8.8M passages), weights from 20 real SPLADE passages;\n"
        "n/a = not known without the real corpus. Query weights are integer impacts (x100 quantized).\n";
    return out;
}

std::string calibration_json(const VectorStats& docs, const std::optional<VectorStats>& gen_queries,
                             const std::optional<VectorStats>& real_queries, const nlohmann::ordered_json& extra_fields) {
    nlohmann::ordered_json j = extra_fields.is_object() ? extra_fields : nlohmann::ordered_json::object();
    j["documents"] = {{"generated", stats_json(docs)}, {"reference", stats_json(reference_document_stats())}};
    j["queries"] = {{"generated", gen_queries ? stats_json(*gen_queries) : nlohmann::ordered_json(nullptr)},
                    {"real", real_queries ? stats_json(*real_queries) : nlohmann::ordered_json(nullptr)}};
    return j.dump(2) + "\n";
}

}  // namespace spindle::gen
