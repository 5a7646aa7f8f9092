#pragma once
// Recall of a result list against a reference (exact) top-k, by global docid:
// how approximate settings are judged by spindle bench and by the tests.
#include <set>
#include <vector>

#include "spindle/query/searcher.hpp"

namespace spindle {

/// |got ∩ exact| / |exact|, by global document number; 1 when `exact` is empty.
[[nodiscard]] inline double recall_at_k(const std::vector<Hit>& got, const std::vector<Hit>& exact) {
    if (exact.empty()) return 1.0;
    std::set<std::uint64_t> want;
    for (const auto& h : exact) want.insert(h.global_doc);
    std::size_t found = 0;
    for (const auto& h : got) found += want.count(h.global_doc);
    return static_cast<double>(found) / static_cast<double>(exact.size());
}

}  // namespace spindle
