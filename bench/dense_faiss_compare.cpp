// The measurement behind the choice of HNSW library (docs/dense.md): the same
// generated vectors and queries as spindle_dense_bench, indexed by FAISS's
// IndexHNSWFlat (Debian libfaiss-dev 1.7.3), searched single-threaded with
// SearchParametersHNSW::efSearch; build time, latency and recall@10 against
// FAISS's exact IndexFlat. Built only when FAISS is installed; spindle
// itself does not link FAISS.
//
//   spindle_dense_faiss [--n 100000] [--dim 384] [--queries 200] [--ef 16,32,64,128]
//                       [--m 16] [--ef-construct 100] [--data random|clustered] [--seed 1]
#include <faiss/IndexFlat.h>
#include <faiss/IndexHNSW.h>
#include <fmt/format.h>
#include <omp.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <random>
#include <set>
#include <string>
#include <vector>

namespace {

void normalize(float* v, std::size_t n) {
    double ss = 0;
    for (std::size_t i = 0; i < n; ++i) ss += static_cast<double>(v[i]) * static_cast<double>(v[i]);
    if (ss > 0) {
        const double inv = 1.0 / std::sqrt(ss);
        for (std::size_t i = 0; i < n; ++i) v[i] = static_cast<float>(static_cast<double>(v[i]) * inv);
    }
}

}  // namespace

int main(int argc, char** argv) {
    std::size_t n = 100'000, dim = 384, queries = 200, k = 10;
    int m = 16, efc = 100;
    std::string data = "random";
    std::uint64_t seed = 1;
    std::vector<int> efs = {16, 32, 64, 128};
    for (int i = 1; i + 1 < argc; i += 2) {
        const std::string f = argv[i], v = argv[i + 1];
        if (f == "--n") n = std::stoull(v);
        else if (f == "--dim") dim = std::stoull(v);
        else if (f == "--queries") queries = std::stoull(v);
        else if (f == "--m") m = std::stoi(v);
        else if (f == "--ef-construct") efc = std::stoi(v);
        else if (f == "--data") data = v;
        else if (f == "--seed") seed = std::stoull(v);
        else if (f == "--ef") {
            efs.clear();
            for (std::size_t p = 0; p < v.size();) {
                const auto q = v.find(',', p);
                efs.push_back(std::stoi(v.substr(p, q - p)));
                p = q == std::string::npos ? v.size() : q + 1;
            }
        }
    }
    // The generator of spindle_dense_bench (cosine: normalized rows).
    std::mt19937_64 rng(seed);
    std::normal_distribution<float> g;
    std::vector<float> centres(100 * dim);
    for (float& x : centres) x = g(rng);
    auto draw = [&](float* out) {
        if (data == "clustered") {
            const float* c = centres.data() + (rng() % 100) * dim;
            for (std::size_t j = 0; j < dim; ++j) out[j] = c[j] + 0.3F * g(rng);
        } else {
            for (std::size_t j = 0; j < dim; ++j) out[j] = g(rng);
        }
        normalize(out, dim);
    };
    std::vector<float> x(n * dim), qs(queries * dim);
    for (std::size_t i = 0; i < n; ++i) draw(x.data() + i * dim);
    for (std::size_t i = 0; i < queries; ++i) draw(qs.data() + i * dim);

    faiss::IndexFlatIP flat(static_cast<int>(dim));
    flat.add(static_cast<faiss::Index::idx_t>(n), x.data());
    std::vector<float> td(queries * k);
    std::vector<faiss::Index::idx_t> ti(queries * k);
    flat.search(static_cast<faiss::Index::idx_t>(queries), qs.data(), static_cast<faiss::Index::idx_t>(k), td.data(), ti.data());

    faiss::IndexHNSWFlat h(static_cast<int>(dim), m, faiss::METRIC_INNER_PRODUCT);
    h.hnsw.efConstruction = efc;
    const auto t0 = std::chrono::steady_clock::now();
    h.add(static_cast<faiss::Index::idx_t>(n), x.data());  // OpenMP threads, as spindle's build uses its threads
    const double build_s = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    fmt::print("faiss IndexHNSWFlat: n {} dim {} data {} m {} ef_construct {} build {:.2f} s ({} threads)\n", n, dim, data, m, efc,
               build_s, omp_get_max_threads());
    omp_set_num_threads(1);
    fmt::print("{:>8} {:>10} {:>10}\n", "search", "mean_us", "recall");
    std::vector<float> d(k);
    std::vector<faiss::Index::idx_t> l(k);
    for (const int ef : efs) {
        faiss::SearchParametersHNSW p;
        p.efSearch = ef;
        h.hnsw.efSearch = ef;  // also the index's own (FAISS 1.7.3 ignores the per-call parameter in IndexHNSW::search)
        double total_us = 0, found = 0;
        for (std::size_t i = 0; i < queries; ++i) {
            const auto s = std::chrono::steady_clock::now();
            h.search(1, qs.data() + i * dim, static_cast<faiss::Index::idx_t>(k), d.data(), l.data(), &p);
            total_us += std::chrono::duration<double, std::micro>(std::chrono::steady_clock::now() - s).count();
            const std::set<faiss::Index::idx_t> want(ti.begin() + static_cast<std::ptrdiff_t>(i * k), ti.begin() + static_cast<std::ptrdiff_t>((i + 1) * k));
            for (const auto id : l) found += want.contains(id) ? 1 : 0;
        }
        fmt::print("{:>8} {:>10.1f} {:>10.4f}\n", fmt::format("ef={}", ef), total_us / static_cast<double>(queries),
                   found / static_cast<double>(queries * k));
    }
    return 0;
}
