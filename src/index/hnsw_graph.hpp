#pragma once
// Building an HNSW graph over the rows of a dense column (internal to
// dense_segment.cpp): hnswlib builds it, then its link lists are copied out
// with hnswlib's internal ids replaced by docids, in the DNSV layout.
#include <cstdint>
#include <vector>

#include "spindle/index/dense_config.hpp"

namespace spindle::detail {

struct BuiltGraph {
    std::uint32_t m0 = 0;
    std::uint32_t m = 0;
    std::uint32_t entry = 0;
    std::uint32_t max_level = 0;
    std::vector<std::uint8_t> levels;       ///< per doc (0xFF: not a node)
    std::vector<std::uint32_t> links0;      ///< docs * (m0 + 1)
    std::vector<std::uint64_t> upper_begin; ///< docs + 1
    std::vector<std::uint32_t> upper;
};

/// `rows`: docs * dim floats as stored (cosine rows normalized, f16 widened);
/// only documents with present[d] become nodes. At least one must be present.
BuiltGraph build_hnsw_graph(const DenseVectorConfig& cfg, const float* rows, const std::vector<std::uint8_t>& present);

}  // namespace spindle::detail
