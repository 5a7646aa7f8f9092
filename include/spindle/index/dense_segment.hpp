#pragma once
// The dense vectors of one segment for one named dense vector: a container
// file (kind DNSV, docs/format.md) `seg-<n>/<vector>/dense.bin` holding a
// header, a presence flag per document, the vectors row by row (f32 or f16;
// cosine vectors already normalized) and, for segments large enough, an
// HNSW graph over the present documents (docids as node ids). In-memory
// segments hold the same bytes in anonymous memory, without a graph.
#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <vector>

#include "spindle/common/types.hpp"
#include "spindle/index/dense_config.hpp"
#include "spindle/io/container.hpp"

namespace spindle {

/// Dense vectors of a segment being built, one row per document.
struct DenseColumn {
    std::uint32_t dim = 0;
    std::vector<float> values;          ///< docs * dim; zeros where absent
    std::vector<std::uint8_t> present;  ///< per document: 1 when it has the vector
    [[nodiscard]] std::size_t docs() const { return present.size(); }
    void add(std::span<const float> v) {
        values.insert(values.end(), v.begin(), v.end());
        present.push_back(1);
    }
    void add_absent() {
        values.resize(values.size() + dim, 0.0F);
        present.push_back(0);
    }
};

/// Fixed header of a dense file (section kDenseHeader), 64 bytes.
struct DenseHeader {
    std::uint32_t dim;
    std::uint8_t distance;     ///< DenseDistance
    std::uint8_t storage;      ///< DenseStorage
    std::uint8_t has_graph;    ///< 0 or 1
    std::uint8_t reserved0;
    std::uint64_t num_docs;
    std::uint64_t num_present;
    std::uint32_t m0;          ///< graph: link slots per node on level 0
    std::uint32_t m;           ///< graph: link slots per node on upper levels
    std::uint32_t entry;       ///< graph: entry point (docid)
    std::uint32_t max_level;   ///< graph: level of the entry point
    std::uint64_t reserved1;
    std::uint64_t reserved2;
    std::uint64_t reserved3;
};
static_assert(sizeof(DenseHeader) == 64);

class DenseSegment {
public:
    /// Writes `path` (fsynced) from `col`; with `with_graph`, builds an HNSW
    /// graph (hnswlib, cfg.hnsw.m / ef_construct) over the present rows.
    static DenseFileInfo write(const std::string& path, const DenseVectorConfig& cfg, const DenseColumn& col,
                               bool with_graph);
    /// The same bytes in memory, without a graph.
    static std::shared_ptr<const DenseSegment> in_memory(const std::string& name, const DenseVectorConfig& cfg,
                                                         const DenseColumn& col);
    /// Opens a verified container; throws CorruptIndex naming the file when
    /// its header disagrees with `cfg` or `docs`, or a section is malformed.
    DenseSegment(Container c, const DenseVectorConfig& cfg, std::uint64_t docs);

    [[nodiscard]] std::uint32_t dim() const { return h_.dim; }
    [[nodiscard]] std::uint64_t docs() const { return h_.num_docs; }
    [[nodiscard]] std::uint64_t num_present() const { return h_.num_present; }
    [[nodiscard]] bool present(docid_t d) const { return present_[d] != 0; }
    [[nodiscard]] DenseDistance distance() const { return static_cast<DenseDistance>(h_.distance); }
    [[nodiscard]] DenseStorage storage() const { return static_cast<DenseStorage>(h_.storage); }
    [[nodiscard]] std::uint64_t file_bytes() const { return c_.file_bytes(); }
    /// Stored vector of d as f32 (f16 widened).
    void decode(docid_t d, float* out) const;
    /// Row d as stored (f32 storage / f16 storage only).
    [[nodiscard]] const float* f32_row(docid_t d) const { return f32_.data() + std::size_t{d} * h_.dim; }
    [[nodiscard]] const std::uint16_t* f16_row(docid_t d) const { return f16_.data() + std::size_t{d} * h_.dim; }

    // The graph (has_graph() only).
    [[nodiscard]] bool has_graph() const { return h_.has_graph != 0; }
    [[nodiscard]] std::uint32_t entry() const { return h_.entry; }
    [[nodiscard]] std::uint32_t max_level() const { return h_.max_level; }
    /// Top level of d in the graph (0xFF: not a node).
    [[nodiscard]] std::uint8_t level(docid_t d) const { return levels_[d]; }
    /// Neighbours of d on `lvl` (lvl <= level(d)).
    [[nodiscard]] std::span<const std::uint32_t> links(docid_t d, std::uint32_t lvl) const;

private:
    Container c_;
    DenseHeader h_{};
    std::span<const std::uint8_t> present_;
    std::span<const float> f32_;
    std::span<const std::uint16_t> f16_;
    std::span<const std::uint8_t> levels_;
    std::span<const std::uint32_t> links0_;
    std::span<const std::uint64_t> upper_begin_;
    std::span<const std::uint32_t> upper_;
};

}  // namespace spindle
