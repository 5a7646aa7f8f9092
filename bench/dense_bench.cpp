// End-to-end measurement of one segment's dense search: builds a dense file
// (with its HNSW graph, hnswlib) over generated vectors, then runs the same
// queries exactly and over the graph at several ef, single-threaded, and
// prints build time, mean/p50/p99 latency and recall@10 against exact.
//
//   spindle_dense_bench [--n 100000] [--dim 384] [--queries 200] [--k 10]
//                       [--ef 16,32,64,128] [--m 16] [--ef-construct 100]
//                       [--distance cosine|dot|euclid] [--storage f32|f16]
//                       [--data random|clustered] [--seed 1] [--dir DIR]
//
// random: i.i.d. N(0,1) coordinates (the hardest case for a graph: no
// structure); clustered: 100 N(0,1) centres plus N(0, 0.3^2) noise.
#include <fmt/format.h>

#include <algorithm>
#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <random>
#include <set>
#include <string>
#include <vector>

#include "spindle/index/dense_segment.hpp"
#include "spindle/index/file_kinds.hpp"
#include "spindle/query/dense_kernels.hpp"
#include "spindle/query/dense_search.hpp"

using namespace spindle;

namespace {

struct Args {
    std::size_t n = 100'000, dim = 384, queries = 200, k = 10;
    std::vector<std::size_t> ef = {16, 32, 64, 128};
    std::uint32_t m = 16, ef_construct = 100;
    std::string distance = "cosine", storage = "f32", data = "random", dir;
    std::uint64_t seed = 1;
};

Args parse(int argc, char** argv) {
    Args a;
    for (int i = 1; i < argc; ++i) {
        const std::string f = argv[i];
        const auto val = [&]() -> std::string {
            if (i + 1 >= argc) throw std::runtime_error(f + " needs a value");
            return argv[++i];
        };
        if (f == "--n") a.n = std::stoull(val());
        else if (f == "--dim") a.dim = std::stoull(val());
        else if (f == "--queries") a.queries = std::stoull(val());
        else if (f == "--k") a.k = std::stoull(val());
        else if (f == "--m") a.m = static_cast<std::uint32_t>(std::stoul(val()));
        else if (f == "--ef-construct") a.ef_construct = static_cast<std::uint32_t>(std::stoul(val()));
        else if (f == "--distance") a.distance = val();
        else if (f == "--storage") a.storage = val();
        else if (f == "--data") a.data = val();
        else if (f == "--seed") a.seed = std::stoull(val());
        else if (f == "--dir") a.dir = val();
        else if (f == "--ef") {
            a.ef.clear();
            const std::string s = val();
            for (std::size_t p = 0; p < s.size();) {
                const auto q = s.find(',', p);
                a.ef.push_back(std::stoull(s.substr(p, q - p)));
                p = q == std::string::npos ? s.size() : q + 1;
            }
        } else {
            throw std::runtime_error("unknown flag " + f);
        }
    }
    return a;
}

void normalize(float* v, std::size_t n) {
    double ss = 0;
    for (std::size_t i = 0; i < n; ++i) ss += static_cast<double>(v[i]) * static_cast<double>(v[i]);
    if (ss > 0) {
        const double inv = 1.0 / std::sqrt(ss);
        for (std::size_t i = 0; i < n; ++i) v[i] = static_cast<float>(static_cast<double>(v[i]) * inv);
    }
}

struct Timing {
    double mean_us = 0, p50_us = 0, p99_us = 0;
};

Timing summarize(std::vector<double> us) {
    std::sort(us.begin(), us.end());
    Timing t;
    for (const double x : us) t.mean_us += x;
    t.mean_us /= static_cast<double>(us.size());
    t.p50_us = us[us.size() / 2];
    t.p99_us = us[std::min(us.size() - 1, us.size() * 99 / 100)];
    return t;
}

}  // namespace

int main(int argc, char** argv) {
    try {
        const Args a = parse(argc, argv);
        DenseVectorConfig cfg;
        cfg.dim = static_cast<std::uint32_t>(a.dim);
        cfg.distance = parse_dense_distance(a.distance);
        cfg.storage = parse_dense_storage(a.storage);
        cfg.hnsw.m = a.m;
        cfg.hnsw.ef_construct = a.ef_construct;
        cfg.validate("bench");
        std::mt19937_64 rng(a.seed);
        std::normal_distribution<float> g;
        std::vector<float> centres(100 * a.dim);
        for (float& x : centres) x = g(rng);
        auto draw = [&](float* out) {
            if (a.data == "clustered") {
                const float* c = centres.data() + (rng() % 100) * a.dim;
                for (std::size_t j = 0; j < a.dim; ++j) out[j] = c[j] + 0.3F * g(rng);
            } else {
                for (std::size_t j = 0; j < a.dim; ++j) out[j] = g(rng);
            }
            if (cfg.distance == DenseDistance::cosine) normalize(out, a.dim);
        };
        DenseColumn col;
        col.dim = cfg.dim;
        col.values.resize(a.n * a.dim);
        col.present.assign(a.n, 1);
        for (std::size_t i = 0; i < a.n; ++i) draw(col.values.data() + i * a.dim);
        std::vector<float> qs(a.queries * a.dim);
        for (std::size_t i = 0; i < a.queries; ++i) draw(qs.data() + i * a.dim);

        const std::string dir = a.dir.empty() ? (std::filesystem::temp_directory_path() / "spindle-dense-bench").string() : a.dir;
        std::filesystem::create_directories(dir);
        const std::string path = dir + "/dense.bin";
        std::filesystem::remove(path);
        const auto t0 = std::chrono::steady_clock::now();
        const DenseFileInfo info = DenseSegment::write(path, cfg, col, true);
        const double write_s = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
        const DenseSegment seg(Container(path, kinds::kDense), cfg, a.n);
        std::filesystem::remove(path);

        fmt::print("dense bench: n {} dim {} {} {} data {} m {} ef_construct {} queries {} k {} kernel {}\n", a.n, a.dim,
                   a.distance, a.storage, a.data, a.m, a.ef_construct, a.queries, a.k, dense::kernel_name());
        fmt::print("build: graph {:.2f} s, file write total {:.2f} s, {} bytes\n", info.graph_seconds, write_s, info.bytes);
        const DenseAccept ok{&seg, nullptr, nullptr};
        std::vector<std::vector<docid_t>> truth(a.queries);
        std::vector<double> us;
        std::vector<DenseHit> hits;
        SearchStats stats;
        for (std::size_t i = 0; i < a.queries; ++i) {
            const auto s = std::chrono::steady_clock::now();
            dense_exact(seg, qs.data() + i * a.dim, a.k, ok, hits, stats);
            us.push_back(std::chrono::duration<double, std::micro>(std::chrono::steady_clock::now() - s).count());
            for (std::size_t j = 0; j < std::min(a.k, hits.size()); ++j) truth[i].push_back(hits[j].doc);
        }
        const Timing te = summarize(us);
        fmt::print("{:>8} {:>10} {:>10} {:>10} {:>10} {:>12}\n", "search", "mean_us", "p50_us", "p99_us", "recall", "scored/q");
        fmt::print("{:>8} {:>10.1f} {:>10.1f} {:>10.1f} {:>10.4f} {:>12}\n", "exact", te.mean_us, te.p50_us, te.p99_us, 1.0,
                   stats.docs_evaluated / a.queries);
        for (const std::size_t ef : a.ef) {
            us.clear();
            SearchStats st;
            double found = 0;
            double total = 0;
            for (std::size_t i = 0; i < a.queries; ++i) {
                const auto s = std::chrono::steady_clock::now();
                dense_hnsw(seg, qs.data() + i * a.dim, a.k, ef, ok, hits, st);
                us.push_back(std::chrono::duration<double, std::micro>(std::chrono::steady_clock::now() - s).count());
                const std::set<docid_t> want(truth[i].begin(), truth[i].end());
                for (const auto& h : hits) found += want.contains(h.doc) ? 1 : 0;
                total += static_cast<double>(want.size());
            }
            const Timing t = summarize(us);
            fmt::print("{:>8} {:>10.1f} {:>10.1f} {:>10.1f} {:>10.4f} {:>12}\n", fmt::format("ef={}", ef), t.mean_us, t.p50_us,
                       t.p99_us, found / total, st.docs_evaluated / a.queries);
        }
        return 0;
    } catch (const std::exception& e) {
        fmt::print(stderr, "spindle_dense_bench: {}\n", e.what());
        return 2;
    }
}
