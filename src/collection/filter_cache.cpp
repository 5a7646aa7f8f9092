// The filter cache (filter_cache.hpp).
#include "filter_cache.hpp"

#include <fmt/format.h>

#include "live_collection.hpp"

namespace spindle::detail {
namespace {

void put_str(std::string& o, std::string_view s) {
    o += std::to_string(s.size());
    o += ':';
    o += s;
}

void put_num(std::string& o, const std::optional<double>& v) {
    if (v) {
        o += fmt::format("{:a}", *v);  // hexadecimal: exact
    }
    o += ';';
}

void put_filter(std::string& o, const Filter& f);

void put_conditions(std::string& o, char tag, const std::vector<Condition>& cs) {
    o += tag;
    o += std::to_string(cs.size());
    o += '[';
    for (const Condition& c : cs) {
        o += static_cast<char>('a' + static_cast<int>(c.kind));
        put_str(o, c.key);
        o += std::to_string(c.values.size());
        for (const MatchValue& v : c.values) {
            if (const auto* s = std::get_if<std::string>(&v)) {
                o += 's';
                put_str(o, *s);
            } else if (const auto* i = std::get_if<std::int64_t>(&v)) {
                o += 'i';
                o += std::to_string(*i);
                o += ';';
            } else {
                o += std::get<bool>(v) ? 'T' : 'F';
            }
        }
        put_num(o, c.gt);
        put_num(o, c.gte);
        put_num(o, c.lt);
        put_num(o, c.lte);
        o += std::to_string(c.ids.size());
        for (const PointId& id : c.ids) {
            if (id.is_number()) {
                o += 'n';
                o += std::to_string(id.number());
                o += ';';
            } else {
                o += 'k';
                put_str(o, id.str());
            }
        }
        if (c.filter) {
            o += '{';
            put_filter(o, *c.filter);
            o += '}';
        } else {
            o += '.';
        }
    }
    o += ']';
}

void put_filter(std::string& o, const Filter& f) {
    put_conditions(o, 'M', f.must);
    put_conditions(o, 'S', f.should);
    put_conditions(o, 'N', f.must_not);
    o += std::to_string(f.min_count);
    put_conditions(o, 'Q', f.min_should);
}

/// An entry is one bit per document plus its bookkeeping.
std::size_t entry_bytes(const std::string& key, const SegmentAllow& v) {
    const std::size_t bits = v.allow ? (static_cast<std::size_t>(v.allow->num_docs()) + 63) / 64 * 8 : 0;
    return bits + 2 * key.size() + 256;
}

/// A filter evaluated in a segment state, without the cache.
SegmentAllow evaluate_allow(const Filter& f, const SegState& st, const CollectionConfig& config) {
    const Bitmap b = evaluate_filter(f, *st.data, *st.deleted, config.payload_indexes);
    SegmentAllow out;
    out.matched = b.cardinality();
    if (out.matched != st.live() && out.matched > 0) out.allow = std::make_shared<const AllowSet>(b, static_cast<docid_t>(st.data->docs));
    return out;
}

}  // namespace

std::string filter_key(const Filter& f) {
    std::string o;
    put_filter(o, f);
    return o;
}

SegmentAllow FilterCache::get(const std::string& key, const Filter& f, const SegState& st,
                              const std::shared_ptr<const CollectionConfig>& config) {
    if (max_bytes_ == 0) {
        {
            const std::lock_guard lock(mu_);
            ++misses_;
        }
        return evaluate_allow(f, st, *config);
    }
    // The identities make the full key; the weak pointers confirm them.
    std::string full = fmt::format("{}/{}/{}|", static_cast<const void*>(st.data.get()),
                                   static_cast<const void*>(st.deleted.get()), static_cast<const void*>(config.get()));
    full += key;
    {
        const std::lock_guard lock(mu_);
        const auto it = map_.find(full);
        if (it != map_.end()) {
            const Entry& e = it->second;
            if (e.data.lock() == st.data && e.deleted.lock() == st.deleted && e.config.lock() == config) {
                ++hits_;
                lru_.splice(lru_.begin(), lru_, e.lru);
                return e.value;
            }
            // A dead object's address reused by a new one: stale.
            bytes_ -= e.bytes;
            lru_.erase(e.lru);
            map_.erase(it);
        }
        ++misses_;
    }
    SegmentAllow v = evaluate_allow(f, st, *config);  // outside the lock: searches on other threads go on
    const std::size_t bytes = entry_bytes(full, v);
    if (bytes > max_bytes_ / 4) return v;  // one entry never takes most of the budget
    const std::lock_guard lock(mu_);
    if (map_.contains(full)) return v;  // another thread got there first
    lru_.push_front(full);
    Entry e{st.data, st.deleted, config, v, bytes, lru_.begin()};
    map_.emplace(std::move(full), std::move(e));
    bytes_ += bytes;
    evict_locked();
    return v;
}

void FilterCache::evict_locked() {
    while (bytes_ > max_bytes_ && !lru_.empty()) {
        const auto it = map_.find(lru_.back());
        bytes_ -= it->second.bytes;
        map_.erase(it);
        lru_.pop_back();
    }
}

FilterCacheStats FilterCache::stats() const {
    const std::lock_guard lock(mu_);
    return {map_.size(), bytes_, hits_, misses_};
}

}  // namespace spindle::detail
