// Which disk segments to merge: tiers of similar size in the spirit of
// Lucene's TieredMergePolicy. A segment's tier is floor(log_F(live / floor))
// (everything below `tier_floor_docs` live documents is tier 0); when a tier
// holds F segments, its F smallest are merged, provided the result stays
// within `max_segment_docs`. A segment whose deleted fraction exceeds
// `max_deleted_fraction` is rewritten on its own (its deletions dropped).
#include <algorithm>
#include <cmath>
#include <map>

#include "live_collection.hpp"

namespace spindle::detail {

std::vector<std::string> pick_merge(const std::vector<MergeCandidate>& segs, const SegmentPolicy& p) {
    for (const auto& s : segs) {
        if (s.docs > 0 && static_cast<double>(s.deleted) > p.max_deleted_fraction * static_cast<double>(s.docs)) {
            return {s.name};
        }
    }
    std::map<int, std::vector<const MergeCandidate*>> tiers;
    const double f = p.merge_factor;
    for (const auto& s : segs) {
        const double live = static_cast<double>(s.docs - s.deleted);
        const double rel = std::max(live, static_cast<double>(p.tier_floor_docs)) / static_cast<double>(p.tier_floor_docs);
        tiers[static_cast<int>(std::floor(std::log(rel) / std::log(f) + 1e-9))].push_back(&s);
    }
    for (auto& [tier, members] : tiers) {
        if (members.size() < p.merge_factor) continue;
        std::sort(members.begin(), members.end(), [](const MergeCandidate* a, const MergeCandidate* b) {
            return a->docs - a->deleted < b->docs - b->deleted || (a->docs - a->deleted == b->docs - b->deleted && a->name < b->name);
        });
        std::vector<std::string> names;
        std::uint64_t total = 0;
        for (const MergeCandidate* m : members) {
            if (names.size() == p.merge_factor) break;
            const std::uint64_t live = m->docs - m->deleted;
            if (total + live > p.max_segment_docs) break;
            total += live;
            names.push_back(m->name);
        }
        if (names.size() >= 2) return names;
    }
    return {};
}

}  // namespace spindle::detail
