#include "spindle/gen/random.hpp"

#include <cstddef>

#include "spindle/common/error.hpp"

namespace spindle::gen {

AliasTable::AliasTable(std::span<const double> weights) {
    const std::size_t n = weights.size();
    double total = 0;
    for (const double w : weights) {
        if (!(w >= 0) || !std::isfinite(w)) throw InvalidArgument("alias table: negative or non-finite weight");
        total += w;
    }
    if (n == 0 || !(total > 0)) throw InvalidArgument("alias table: no positive weight");
    std::vector<double> scaled(n);
    for (std::size_t i = 0; i < n; ++i) scaled[i] = weights[i] * static_cast<double>(n) / total;
    std::vector<std::uint32_t> small, large;
    for (std::size_t i = 0; i < n; ++i) (scaled[i] < 1.0 ? small : large).push_back(static_cast<std::uint32_t>(i));
    prob_.assign(n, 0);
    alias_.assign(n, 0);
    const auto to_threshold = [](double p) {
        if (p >= 1.0) return UINT32_MAX;
        return static_cast<std::uint32_t>(p * 4294967296.0);
    };
    while (!small.empty() && !large.empty()) {
        const std::uint32_t s = small.back();
        small.pop_back();
        const std::uint32_t l = large.back();
        prob_[s] = to_threshold(scaled[s]);
        alias_[s] = l;
        scaled[l] = (scaled[l] + scaled[s]) - 1.0;
        if (scaled[l] < 1.0) {
            large.pop_back();
            small.push_back(l);
        }
    }
    for (const std::uint32_t i : large) {
        prob_[i] = UINT32_MAX;
        alias_[i] = i;
    }
    for (const std::uint32_t i : small) {  // rounding leftovers: keep themselves
        prob_[i] = UINT32_MAX;
        alias_[i] = i;
    }
}

}  // namespace spindle::gen
