#include "spindle/index/dense_segment.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <chrono>
#include <cmath>

#include "hnsw_graph.hpp"
#include "spindle/common/error.hpp"
#include "spindle/index/file_kinds.hpp"
#include "spindle/codec/half.hpp"

namespace spindle {
namespace {

/// Fills `w` with every section of a dense file; `keep` holds what the
/// writer references until finish().
struct Staged {
    DenseHeader h{};
    std::vector<std::uint16_t> halves;
    std::vector<float> widened;  // f16 rows widened again (what the graph is built on)
    detail::BuiltGraph graph;
};

void stage(ContainerWriter& w, Staged& s, const DenseVectorConfig& cfg, const DenseColumn& col, bool with_graph,
           double* graph_seconds) {
    const std::size_t n = col.docs();
    if (col.dim != cfg.dim || col.values.size() != n * std::size_t{cfg.dim}) {
        throw Error(fmt::format("dense column of dimension {} with {} values for {} documents (configured dimension {})",
                                col.dim, col.values.size(), n, cfg.dim));
    }
    s.h.dim = cfg.dim;
    s.h.distance = static_cast<std::uint8_t>(cfg.distance);
    s.h.storage = static_cast<std::uint8_t>(cfg.storage);
    s.h.num_docs = n;
    for (const auto p : col.present) s.h.num_present += p != 0 ? 1 : 0;
    const float* rows = col.values.data();
    if (cfg.storage == DenseStorage::f16) {
        s.halves.resize(col.values.size());
        codec::to_half(col.values.data(), s.halves.data(), s.halves.size());
        if (with_graph) {
            s.widened.resize(col.values.size());
            codec::from_half(s.halves.data(), s.widened.data(), s.widened.size());
            rows = s.widened.data();
        }
    }
    if (with_graph && s.h.num_present > 0) {
        const auto t0 = std::chrono::steady_clock::now();
        s.graph = detail::build_hnsw_graph(cfg, rows, col.present);
        if (graph_seconds != nullptr) *graph_seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
        s.h.has_graph = 1;
        s.h.m0 = s.graph.m0;
        s.h.m = s.graph.m;
        s.h.entry = s.graph.entry;
        s.h.max_level = s.graph.max_level;
    }
    w.add(sections::kDenseHeader, std::span<const DenseHeader>(&s.h, 1));
    w.add(sections::kDensePresent, col.present);
    if (cfg.storage == DenseStorage::f16) {
        w.add(sections::kDenseValues, s.halves);
    } else {
        w.add(sections::kDenseValues, col.values);
    }
    if (s.h.has_graph != 0) {
        w.add(sections::kDenseLevels, s.graph.levels);
        w.add(sections::kDenseLinks0, s.graph.links0);
        w.add(sections::kDenseUpperBegin, s.graph.upper_begin);
        w.add(sections::kDenseUpper, s.graph.upper);
    }
}

}  // namespace

DenseFileInfo DenseSegment::write(const std::string& path, const DenseVectorConfig& cfg, const DenseColumn& col,
                                  bool with_graph) {
    ContainerWriter w(path, kinds::kDense);
    Staged s;
    DenseFileInfo info;
    stage(w, s, cfg, col, with_graph, &info.graph_seconds);
    info.bytes = w.finish();
    info.present = s.h.num_present;
    info.graph = s.h.has_graph != 0;
    return info;
}

std::shared_ptr<const DenseSegment> DenseSegment::in_memory(const std::string& name, const DenseVectorConfig& cfg,
                                                            const DenseColumn& col) {
    ContainerWriter w(name, kinds::kDense);
    Staged s;
    stage(w, s, cfg, col, false, nullptr);
    return std::make_shared<const DenseSegment>(Container(w.finish_in_memory(), kinds::kDense), cfg, col.docs());
}

DenseSegment::DenseSegment(Container c, const DenseVectorConfig& cfg, std::uint64_t docs) : c_(std::move(c)) {
    const std::string& where = c_.path();
    h_ = c_.section<DenseHeader>(sections::kDenseHeader, 1)[0];
    if (h_.dim != cfg.dim || h_.distance != static_cast<std::uint8_t>(cfg.distance) ||
        h_.storage != static_cast<std::uint8_t>(cfg.storage)) {
        throw CorruptIndex(fmt::format("{}: dense vectors of dimension {} (distance {}, storage {}), the manifest says dimension {} "
                                       "({}, {})", where, h_.dim, h_.distance, h_.storage, cfg.dim, to_string(cfg.distance),
                                       to_string(cfg.storage)));
    }
    if (h_.num_docs != docs) {
        throw CorruptIndex(fmt::format("{}: {} documents, the segment has {}", where, h_.num_docs, docs));
    }
    if (h_.has_graph > 1) throw CorruptIndex(where + ": bad graph flag");
    present_ = c_.section<std::uint8_t>(sections::kDensePresent, docs);
    std::uint64_t n_present = 0;
    for (const auto p : present_) {
        if (p > 1) throw CorruptIndex(where + ": bad presence flag");
        n_present += p;
    }
    if (n_present != h_.num_present) throw CorruptIndex(where + ": presence flags disagree with the header");
    const std::size_t values = static_cast<std::size_t>(docs) * h_.dim;
    if (storage() == DenseStorage::f16) {
        f16_ = c_.section<std::uint16_t>(sections::kDenseValues, values);
    } else {
        f32_ = c_.section<float>(sections::kDenseValues, values);
    }
    if (has_graph()) {
        if (docs == 0 || h_.entry >= docs || h_.m0 == 0 || h_.m == 0 || h_.m0 > 4096 || h_.m > 4096) {
            throw CorruptIndex(where + ": bad graph header");
        }
        levels_ = c_.section<std::uint8_t>(sections::kDenseLevels, docs);
        links0_ = c_.section<std::uint32_t>(sections::kDenseLinks0, docs * (std::size_t{h_.m0} + 1));
        upper_begin_ = c_.section<std::uint64_t>(sections::kDenseUpperBegin, docs + 1);
        upper_ = c_.section<std::uint32_t>(sections::kDenseUpper);
        if (levels_[h_.entry] != h_.max_level) throw CorruptIndex(where + ": graph entry point is not on the top level");
        // Every link names a node, and every list fits its slots: a search never leaves the file.
        const auto bad = [&](const char* what, std::uint64_t d) {
            throw CorruptIndex(fmt::format("{}: graph {} of document {}", where, what, d));
        };
        for (std::uint64_t d = 0; d < docs; ++d) {
            const std::uint8_t lvl = levels_[d];
            const std::uint64_t b = upper_begin_[d];
            const std::uint64_t e = upper_begin_[d + 1];
            if (lvl == 0xFF) {
                if (e != b) bad("has upper links but is no node", d);
                continue;
            }
            if (present_[d] == 0 || lvl > h_.max_level) bad("level", d);
            if (e < b || e > upper_.size() || e - b != std::uint64_t{lvl} * (h_.m + 1)) bad("upper link range", d);
            for (std::uint32_t l = 0; l <= lvl; ++l) {
                const std::uint32_t raw = l == 0 ? links0_[d * (std::size_t{h_.m0} + 1)] : upper_[b + std::size_t{l - 1} * (h_.m + 1)];
                if (raw > (l == 0 ? h_.m0 : h_.m)) bad("link count", d);
                const auto s = links(static_cast<docid_t>(d), l);
                for (const std::uint32_t t : s) {
                    if (t >= docs || levels_[t] == 0xFF || levels_[t] < l) bad("link", d);
                }
            }
        }
    }
}

std::span<const std::uint32_t> DenseSegment::links(docid_t d, std::uint32_t lvl) const {
    if (lvl == 0) {
        const std::uint32_t* p = links0_.data() + std::size_t{d} * (h_.m0 + 1);
        return {p + 1, std::min<std::size_t>(p[0], h_.m0)};
    }
    const std::uint32_t* p = upper_.data() + upper_begin_[d] + std::size_t{lvl - 1} * (h_.m + 1);
    return {p + 1, std::min<std::size_t>(p[0], h_.m)};
}

void DenseSegment::decode(docid_t d, float* out) const {
    const std::size_t at = std::size_t{d} * h_.dim;
    if (storage() == DenseStorage::f16) {
        codec::from_half(f16_.data() + at, out, h_.dim);
    } else {
        std::copy_n(f32_.data() + at, h_.dim, out);
    }
}

}  // namespace spindle
