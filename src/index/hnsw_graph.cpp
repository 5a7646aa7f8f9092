#include "hnsw_graph.hpp"

#include <hnswlib/hnswlib.h>

#include <algorithm>
#include <atomic>
#include <memory>
#include <mutex>
#include <thread>

#include "spindle/common/error.hpp"

namespace spindle::detail {

BuiltGraph build_hnsw_graph(const DenseVectorConfig& cfg, const float* rows, const std::vector<std::uint8_t>& present) {
    const std::size_t n = present.size();
    const std::size_t dim = cfg.dim;
    std::vector<std::uint32_t> nodes;
    for (std::size_t d = 0; d < n; ++d) {
        if (present[d] != 0) nodes.push_back(static_cast<std::uint32_t>(d));
    }
    if (nodes.empty()) throw InvalidArgument("an HNSW graph needs at least one vector");
    std::unique_ptr<hnswlib::SpaceInterface<float>> space;
    if (cfg.distance == DenseDistance::euclid) {
        space = std::make_unique<hnswlib::L2Space>(dim);
    } else {
        space = std::make_unique<hnswlib::InnerProductSpace>(dim);
    }
    hnswlib::HierarchicalNSW<float> h(space.get(), nodes.size(), cfg.hnsw.m, cfg.hnsw.ef_construct, 100);
    // The first node is added alone (it becomes the entry point), the rest by
    // a few threads: hnswlib's addPoint is safe for distinct labels.
    h.addPoint(rows + std::size_t{nodes[0]} * dim, nodes[0]);
    const unsigned hw = std::max(1U, std::thread::hardware_concurrency());
    const unsigned threads = nodes.size() >= 20'000 ? std::min(hw, 8U) : 1U;
    std::atomic<std::size_t> next{1};
    std::exception_ptr error;
    std::mutex error_mu;
    auto work = [&] {
        try {
            for (std::size_t i; (i = next.fetch_add(1)) < nodes.size();) h.addPoint(rows + std::size_t{nodes[i]} * dim, nodes[i]);
        } catch (...) {
            std::lock_guard g(error_mu);
            if (!error) error = std::current_exception();
            next = nodes.size();
        }
    };
    std::vector<std::thread> pool;
    for (unsigned t = 1; t < threads; ++t) pool.emplace_back(work);
    work();
    for (auto& t : pool) t.join();
    if (error) std::rethrow_exception(error);

    BuiltGraph g;
    g.m0 = static_cast<std::uint32_t>(h.maxM0_);
    g.m = static_cast<std::uint32_t>(h.maxM_);
    g.levels.assign(n, 0xFF);
    g.links0.assign(n * (g.m0 + 1), 0);
    g.upper_begin.assign(n + 1, 0);
    std::vector<std::uint32_t> label(h.cur_element_count);
    for (hnswlib::tableint i = 0; i < h.cur_element_count; ++i) label[i] = static_cast<std::uint32_t>(h.getExternalLabel(i));
    std::vector<hnswlib::tableint> internal(n, 0);
    for (hnswlib::tableint i = 0; i < h.cur_element_count; ++i) internal[label[i]] = i;
    for (std::size_t d = 0; d < n; ++d) {
        g.upper_begin[d] = g.upper.size();
        if (present[d] == 0) continue;
        const hnswlib::tableint i = internal[d];
        const int lvl = h.element_levels_[i];
        if (lvl > 254) throw Error("HNSW level above 254");
        g.levels[d] = static_cast<std::uint8_t>(lvl);
        auto* l0 = h.get_linklist0(i);
        const std::size_t c0 = h.getListCount(l0);
        const auto* ids0 = reinterpret_cast<const hnswlib::tableint*>(l0 + 1);
        std::uint32_t* out = &g.links0[d * (g.m0 + 1)];
        out[0] = static_cast<std::uint32_t>(c0);
        for (std::size_t j = 0; j < c0; ++j) out[1 + j] = label[ids0[j]];
        for (int l = 1; l <= lvl; ++l) {
            auto* ll = h.get_linklist(i, l);
            const std::size_t c = h.getListCount(ll);
            const auto* ids = reinterpret_cast<const hnswlib::tableint*>(ll + 1);
            const std::size_t at = g.upper.size();
            g.upper.resize(at + g.m + 1, 0);
            g.upper[at] = static_cast<std::uint32_t>(c);
            for (std::size_t j = 0; j < c; ++j) g.upper[at + 1 + j] = label[ids[j]];
        }
    }
    g.upper_begin[n] = g.upper.size();
    g.entry = label[h.enterpoint_node_];
    g.max_level = static_cast<std::uint32_t>(h.maxlevel_);
    return g;
}

}  // namespace spindle::detail
