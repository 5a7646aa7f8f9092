#pragma once
// Allow-sets of recent filters, per segment state (internal). Applications
// repeat their filters (a tenant, a language, a date range), and at 1M
// documents evaluating one (its bitmap, the deletions, the flat bitset the
// inner loops read) costs 0.1-1.3 ms per segment: more than a filtered
// approx search itself. Entries are keyed by the filter's canonical text and
// the identities of the segment, its deletion bitmap and the collection's
// config (payload schema); the last three are immutable once published
// (copy on write), so an entry is valid while they live and is never
// consulted after: an entry whose segment, deletions or config are gone
// is a miss. Least recently used entries leave first once the byte budget
// is full. Thread-safe.
#include <cstdint>
#include <list>
#include <memory>
#include <mutex>
#include <string>
#include <unordered_map>

#include "spindle/collection/collection.hpp"
#include "spindle/collection/filter.hpp"
#include "spindle/query/allow_set.hpp"

namespace spindle::detail {

struct SegState;

/// Canonical text of a filter: equal for filters that parse from the same
/// conditions (whatever the JSON's spacing or key order), different otherwise.
std::string filter_key(const Filter& f);

/// A filter's documents in one segment state, deletions left out.
struct SegmentAllow {
    std::uint64_t matched = 0;  ///< allowed live documents
    /// The allowed documents; null when the filter allows every live
    /// document (search as unfiltered) or none.
    std::shared_ptr<const AllowSet> allow;
};

class FilterCache {
public:
    explicit FilterCache(std::size_t max_bytes) : max_bytes_(max_bytes) {}

    /// The allow-set of filter `f` (canonical text `key`) in `st` under
    /// `config`, from the cache or evaluated (and cached when it fits).
    SegmentAllow get(const std::string& key, const Filter& f, const SegState& st,
                     const std::shared_ptr<const CollectionConfig>& config);

    [[nodiscard]] FilterCacheStats stats() const;

private:
    struct Entry {
        std::weak_ptr<SegmentData> data;
        std::weak_ptr<const Bitmap> deleted;
        std::weak_ptr<const CollectionConfig> config;
        SegmentAllow value;
        std::size_t bytes = 0;
        std::list<std::string>::iterator lru;
    };
    void evict_locked();

    std::size_t max_bytes_;
    mutable std::mutex mu_;
    std::unordered_map<std::string, Entry> map_;
    std::list<std::string> lru_;  ///< most recent first
    std::size_t bytes_ = 0;
    std::uint64_t hits_ = 0, misses_ = 0;
};

}  // namespace spindle::detail
