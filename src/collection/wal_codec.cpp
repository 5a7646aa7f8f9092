#include "wal_codec.hpp"

#include <cstring>

#include "spindle/common/error.hpp"

namespace spindle::wal {
namespace {

// Layout: u8 op; upsert: u32 n, then per point: id, u32 vectors, per vector
// (u16 name length, name, u8 keys (0 tokens, 1 indices), u32 nnz, entries
// (tokens: u16 length, bytes, f32; indices: u32, f32)), u32 payload length
// (0xFFFFFFFF: none), payload; upsert_dense: as upsert, each point followed
// by u32 dense vectors, per vector (u16 name length, name, u32 dim, f32[dim]);
// remove: u32 n, ids. An id is u8 kind (1 number: u64; 0 string: u32 length, bytes).
class Out {
public:
    template <class T>
    void put(T v) {
        const auto at = b_.size();
        b_.resize(at + sizeof(T));
        std::memcpy(b_.data() + at, &v, sizeof(T));
    }
    void bytes(std::string_view s) {
        const auto at = b_.size();
        b_.resize(at + s.size());
        if (!s.empty()) std::memcpy(b_.data() + at, s.data(), s.size());
    }
    void id(const PointId& id) {
        if (id.is_number()) {
            put<std::uint8_t>(1);
            put<std::uint64_t>(id.number());
        } else {
            put<std::uint8_t>(0);
            put<std::uint32_t>(static_cast<std::uint32_t>(id.str().size()));
            bytes(id.str());
        }
    }
    std::vector<std::byte> take() { return std::move(b_); }

private:
    std::vector<std::byte> b_;
};

class In {
public:
    In(std::span<const std::byte> b, const std::string& where) : b_(b), where_(where) {}
    template <class T>
    T get() {
        need(sizeof(T));
        T v;
        std::memcpy(&v, b_.data() + at_, sizeof(T));
        at_ += sizeof(T);
        return v;
    }
    std::string_view bytes(std::size_t n) {
        need(n);
        std::string_view s(reinterpret_cast<const char*>(b_.data()) + at_, n);
        at_ += n;
        return s;
    }
    PointId id() {
        const auto kind = get<std::uint8_t>();
        if (kind == 1) return PointId(get<std::uint64_t>());
        if (kind != 0) fail("bad id kind");
        const auto n = get<std::uint32_t>();
        return PointId::from_stored(false, bytes(n));
    }
    [[nodiscard]] bool done() const { return at_ == b_.size(); }
    /// A count of items each at least `min_bytes` long must fit in what is left.
    std::uint32_t count(std::size_t min_bytes) {
        const auto n = get<std::uint32_t>();
        if (static_cast<std::uint64_t>(n) * min_bytes > b_.size() - at_) fail("count exceeds the record");
        return n;
    }
    [[noreturn]] void fail(const char* what) const {
        throw CorruptIndex(where_ + ": log record does not decode (" + what + " at byte " + std::to_string(at_) + ")");
    }

private:
    void need(std::size_t n) const {
        if (n > b_.size() - at_) fail("truncated");
    }
    std::span<const std::byte> b_;
    const std::string& where_;
    std::size_t at_ = 0;
};

}  // namespace

std::vector<std::byte> encode_upsert(std::span<const Point> points) {
    Out o;
    bool dense = false;
    for (const Point& p : points) dense = dense || !p.dense.empty();
    o.put<std::uint8_t>(static_cast<std::uint8_t>(dense ? Op::upsert_dense : Op::upsert));
    o.put<std::uint32_t>(static_cast<std::uint32_t>(points.size()));
    for (const Point& p : points) {
        o.id(p.id);
        o.put<std::uint32_t>(static_cast<std::uint32_t>(p.vectors.size()));
        for (const auto& [name, v] : p.vectors) {
            o.put<std::uint16_t>(static_cast<std::uint16_t>(name.size()));
            o.bytes(name);
            const bool tokens = v.indices.empty() && !v.tokens.empty();
            o.put<std::uint8_t>(tokens ? 0 : 1);
            o.put<std::uint32_t>(static_cast<std::uint32_t>(v.values.size()));
            for (std::size_t i = 0; i < v.values.size(); ++i) {
                if (tokens) {
                    o.put<std::uint16_t>(static_cast<std::uint16_t>(v.tokens[i].size()));
                    o.bytes(v.tokens[i]);
                } else {
                    o.put<std::uint32_t>(v.indices[i]);
                }
                o.put<float>(v.values[i]);
            }
        }
        if (p.payload.empty()) {
            o.put<std::uint32_t>(0xFFFFFFFFU);
        } else {
            o.put<std::uint32_t>(static_cast<std::uint32_t>(p.payload.size()));
            o.bytes(p.payload);
        }
        if (!dense) continue;
        o.put<std::uint32_t>(static_cast<std::uint32_t>(p.dense.size()));
        for (const auto& [name, v] : p.dense) {
            o.put<std::uint16_t>(static_cast<std::uint16_t>(name.size()));
            o.bytes(name);
            o.put<std::uint32_t>(static_cast<std::uint32_t>(v.size()));
            o.bytes(std::string_view(reinterpret_cast<const char*>(v.data()), v.size() * sizeof(float)));
        }
    }
    return o.take();
}

std::vector<std::byte> encode_remove(std::span<const PointId> ids) {
    Out o;
    o.put<std::uint8_t>(static_cast<std::uint8_t>(Op::remove));
    o.put<std::uint32_t>(static_cast<std::uint32_t>(ids.size()));
    for (const PointId& id : ids) o.id(id);
    return o.take();
}

Operation decode(std::span<const std::byte> payload, const std::string& where) {
    In in(payload, where);
    Operation op;
    const auto kind = in.get<std::uint8_t>();
    if (kind == static_cast<std::uint8_t>(Op::upsert) || kind == static_cast<std::uint8_t>(Op::upsert_dense)) {
        const bool dense = kind == static_cast<std::uint8_t>(Op::upsert_dense);
        op.op = Op::upsert;
        const auto n = in.count(1 + 4 + 4 + 4);
        op.points.resize(n);
        for (auto& p : op.points) {
            p.id = in.id();
            const auto nv = in.count(2 + 1 + 4);
            for (std::uint32_t j = 0; j < nv; ++j) {
                const auto len = in.get<std::uint16_t>();
                std::string name(in.bytes(len));
                const auto keys = in.get<std::uint8_t>();
                if (keys > 1) in.fail("bad vector keys");
                SparseVector v;
                const auto nnz = in.count(keys == 0 ? 6 : 8);
                v.values.reserve(nnz);
                for (std::uint32_t e = 0; e < nnz; ++e) {
                    if (keys == 0) {
                        const auto tl = in.get<std::uint16_t>();
                        v.tokens.emplace_back(in.bytes(tl));
                    } else {
                        v.indices.push_back(in.get<std::uint32_t>());
                    }
                    v.values.push_back(in.get<float>());
                }
                p.vectors.emplace(std::move(name), std::move(v));
            }
            const auto pl = in.get<std::uint32_t>();
            if (pl != 0xFFFFFFFFU) p.payload = std::string(in.bytes(pl));
            if (!dense) continue;
            const auto nd = in.count(2 + 4);
            for (std::uint32_t j = 0; j < nd; ++j) {
                const auto len = in.get<std::uint16_t>();
                std::string name(in.bytes(len));
                const auto dim = in.count(4);
                std::vector<float> v(dim);
                const std::string_view b = in.bytes(std::size_t{dim} * sizeof(float));
                if (dim > 0) std::memcpy(v.data(), b.data(), b.size());
                p.dense.emplace(std::move(name), std::move(v));
            }
        }
    } else if (kind == static_cast<std::uint8_t>(Op::remove)) {
        op.op = Op::remove;
        const auto n = in.count(1 + 4);
        op.ids.reserve(n);
        for (std::uint32_t i = 0; i < n; ++i) op.ids.push_back(in.id());
    } else {
        in.fail("unknown operation");
    }
    if (!in.done()) in.fail("trailing bytes");
    return op;
}

}  // namespace spindle::wal
