// Fusion formulas (see fusion.hpp for the definitions and their sources).
#include "spindle/query/fusion.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <unordered_map>

#include "spindle/common/error.hpp"

namespace spindle {
namespace {

/// Sums per-item contributions in first-seen order, then sorts.
class Accumulator {
public:
    void add(std::uint64_t item, double s) {
        const auto [it, fresh] = at_.try_emplace(item, out_.size());
        if (fresh) {
            out_.push_back({item, s});
        } else {
            out_[it->second].score += s;
        }
    }
    std::vector<FusionHit> take() {
        std::sort(out_.begin(), out_.end(), [](const FusionHit& a, const FusionHit& b) {
            return a.score > b.score || (a.score == b.score && a.item < b.item);
        });
        return std::move(out_);
    }

private:
    std::unordered_map<std::uint64_t, std::size_t> at_;
    std::vector<FusionHit> out_;
};

double weight_of(std::span<const double> w, std::size_t i) { return w.empty() ? 1.0 : w[i]; }

void check_weights(std::span<const double> w, std::size_t lists, const char* method) {
    if (!w.empty() && w.size() != lists) {
        throw InvalidArgument(fmt::format("{}: {} weights for {} prefetch lists (give one weight per list)", method,
                                          w.size(), lists));
    }
    for (std::size_t i = 0; i < w.size(); ++i) {
        if (!std::isfinite(w[i])) throw InvalidArgument(fmt::format("{}: weights[{}] is not a finite number", method, i));
    }
}

struct Stats {
    double mean = 0.0;
    double sd = 0.0;  ///< sample standard deviation (n - 1); 0 below 2 hits
};

Stats stats_of(const RankedList& l) {
    Stats s;
    if (l.empty()) return s;
    for (const FusionHit& h : l) s.mean += h.score;
    s.mean /= static_cast<double>(l.size());
    if (l.size() < 2) return s;
    double ss = 0.0;
    for (const FusionHit& h : l) ss += (h.score - s.mean) * (h.score - s.mean);
    s.sd = std::sqrt(ss / static_cast<double>(l.size() - 1));
    return s;
}

/// Min-max (or z-score) normalized scores of one list, and the value given
/// to items absent from it (the list's worst).
std::vector<double> convex_normalize(const RankedList& l, ScoreNormalization n, double& absent) {
    std::vector<double> out(l.size());
    absent = 0.0;
    if (l.empty()) return out;
    // Ascending scores (distances): smaller is better, mirrored as dbsf does.
    const double sign = l.front().score < l.back().score ? -1.0 : 1.0;
    if (n == ScoreNormalization::min_max) {
        const auto [lo, hi] = std::minmax_element(l.begin(), l.end(), [](const FusionHit& a, const FusionHit& b) {
            return a.score < b.score;
        });
        const double mn = lo->score;
        const double mx = hi->score;
        for (std::size_t i = 0; i < l.size(); ++i) {
            out[i] = mx == mn ? 1.0 : (sign > 0 ? (l[i].score - mn) : (mx - l[i].score)) / (mx - mn);
        }
        return out;
    }
    const Stats s = stats_of(l);
    for (std::size_t i = 0; i < l.size(); ++i) out[i] = s.sd == 0.0 ? 0.0 : sign * (l[i].score - s.mean) / s.sd;
    absent = *std::min_element(out.begin(), out.end());
    return out;
}

}  // namespace

std::string_view to_string(FusionMethod m) {
    switch (m) {
        case FusionMethod::rrf: return "rrf";
        case FusionMethod::dbsf: return "dbsf";
        case FusionMethod::convex: return "convex";
    }
    return "?";
}

FusionMethod parse_fusion_method(std::string_view s) {
    if (s == "rrf") return FusionMethod::rrf;
    if (s == "dbsf") return FusionMethod::dbsf;
    if (s == "convex") return FusionMethod::convex;
    throw InvalidArgument(fmt::format("unknown fusion `{}` (valid: rrf, dbsf, convex)", s));
}

std::string_view to_string(ScoreNormalization n) { return n == ScoreNormalization::min_max ? "min_max" : "z_score"; }

ScoreNormalization parse_score_normalization(std::string_view s) {
    if (s == "min_max") return ScoreNormalization::min_max;
    if (s == "z_score") return ScoreNormalization::z_score;
    throw InvalidArgument(fmt::format("unknown score normalization `{}` (valid: min_max, z_score)", s));
}

void validate_fusion(const FusionParams& p, std::size_t lists) {
    const std::string_view name = to_string(p.method);
    if (lists == 0) throw InvalidArgument(fmt::format("fusion {} needs at least one prefetch", name));
    check_weights(p.weights, lists, name.data());
    switch (p.method) {
        case FusionMethod::rrf:
            if (p.rrf_k == 0) throw InvalidArgument("rrf: k must be at least 1");
            break;
        case FusionMethod::dbsf: break;
        case FusionMethod::convex: {
            if (p.alpha) {
                if (!(*p.alpha >= 0.0 && *p.alpha <= 1.0)) {
                    throw InvalidArgument(fmt::format("convex: alpha must be in [0, 1], got {:g}", *p.alpha));
                }
                if (!p.weights.empty()) throw InvalidArgument("convex: give either alpha or weights, not both");
                if (lists != 2) {
                    throw InvalidArgument(fmt::format("convex: alpha weighs two prefetch lists, got {} (give weights instead)", lists));
                }
            }
            double sum = 0.0;
            for (std::size_t i = 0; i < p.weights.size(); ++i) {
                if (p.weights[i] < 0.0) throw InvalidArgument(fmt::format("convex: weights[{}] is negative ({:g})", i, p.weights[i]));
                sum += p.weights[i];
            }
            if (!p.weights.empty() && sum <= 0.0) throw InvalidArgument("convex: the weights sum to 0");
            break;
        }
    }
}

std::vector<FusionHit> fuse_rrf(std::span<const RankedList> lists, std::size_t k, std::span<const double> weights) {
    check_weights(weights, lists.size(), "rrf");
    if (k == 0) throw InvalidArgument("rrf: k must be at least 1");
    Accumulator acc;
    for (std::size_t i = 0; i < lists.size(); ++i) {
        const double w = weight_of(weights, i);
        for (std::size_t pos = 0; pos < lists[i].size(); ++pos) {
            const double s = w <= 0.0 ? 0.0 : 1.0 / (static_cast<double>(pos + 1) / w + static_cast<double>(k) - 1.0);
            acc.add(lists[i][pos].item, s);
        }
    }
    return acc.take();
}

std::vector<double> dbsf_normalize(const RankedList& l) {
    std::vector<double> out(l.size(), 0.5);
    if (l.size() < 2) return out;
    const Stats s = stats_of(l);
    const double lo = s.mean - 3.0 * s.sd;
    const double hi = s.mean + 3.0 * s.sd;
    if (lo == hi) return out;
    const bool smaller_better = l.front().score < l.back().score;
    for (std::size_t i = 0; i < l.size(); ++i) {
        out[i] = smaller_better ? (hi - l[i].score) / (hi - lo) : (l[i].score - lo) / (hi - lo);
    }
    return out;
}

std::vector<FusionHit> fuse_dbsf(std::span<const RankedList> lists, std::span<const double> weights) {
    check_weights(weights, lists.size(), "dbsf");
    Accumulator acc;
    for (std::size_t i = 0; i < lists.size(); ++i) {
        const std::vector<double> n = dbsf_normalize(lists[i]);
        const double w = weight_of(weights, i);
        for (std::size_t j = 0; j < n.size(); ++j) acc.add(lists[i][j].item, n[j] * w);
    }
    return acc.take();
}

std::vector<FusionHit> fuse_convex(std::span<const RankedList> lists, std::span<const double> weights, ScoreNormalization norm) {
    check_weights(weights, lists.size(), "convex");
    std::vector<double> w(lists.size(), lists.empty() ? 0.0 : 1.0 / static_cast<double>(lists.size()));
    if (!weights.empty()) {
        double sum = 0.0;
        for (const double x : weights) {
            if (x < 0.0) throw InvalidArgument(fmt::format("convex: weight {:g} is negative", x));
            sum += x;
        }
        if (sum <= 0.0) throw InvalidArgument("convex: the weights sum to 0");
        for (std::size_t i = 0; i < w.size(); ++i) w[i] = weights[i] / sum;
    }
    // Every item first gets every list's "absent" value; a list holding it
    // then adds the difference to its own normalized score.
    std::vector<std::vector<double>> n(lists.size());
    double base = 0.0;
    for (std::size_t i = 0; i < lists.size(); ++i) {
        double absent = 0.0;
        n[i] = convex_normalize(lists[i], norm, absent);
        base += w[i] * absent;
        for (double& x : n[i]) x -= absent;
    }
    Accumulator acc;
    for (std::size_t i = 0; i < lists.size(); ++i) {
        for (std::size_t j = 0; j < n[i].size(); ++j) acc.add(lists[i][j].item, 0.0);
    }
    std::vector<FusionHit> out = acc.take();
    std::unordered_map<std::uint64_t, std::size_t> at;
    for (std::size_t j = 0; j < out.size(); ++j) {
        at.emplace(out[j].item, j);
        out[j].score = base;
    }
    for (std::size_t i = 0; i < lists.size(); ++i) {
        for (std::size_t j = 0; j < n[i].size(); ++j) out[at.at(lists[i][j].item)].score += w[i] * n[i][j];
    }
    std::sort(out.begin(), out.end(), [](const FusionHit& a, const FusionHit& b) {
        return a.score > b.score || (a.score == b.score && a.item < b.item);
    });
    return out;
}

std::vector<FusionHit> fuse(std::span<const RankedList> lists, const FusionParams& p) {
    validate_fusion(p, lists.size());
    switch (p.method) {
        case FusionMethod::rrf: return fuse_rrf(lists, p.rrf_k, p.weights);
        case FusionMethod::dbsf: return fuse_dbsf(lists, p.weights);
        case FusionMethod::convex: {
            if (p.weights.empty() && lists.size() == 2) {
                const double a = p.alpha.value_or(0.5);
                const double w[2] = {a, 1.0 - a};
                return fuse_convex(lists, w, p.normalization);
            }
            return fuse_convex(lists, p.weights, p.normalization);
        }
    }
    return {};
}

}  // namespace spindle
