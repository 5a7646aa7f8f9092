// Term-at-a-time accumulation: acc[doc] += contrib<W>(q, weight) over decoded
// 128-posting blocks (docids and stored weights already in memory), for each
// stored weight type. The accumulator covers 131,072 documents (1 MiB).
#include <benchmark/benchmark.h>

#include <algorithm>
#include <cstdint>
#include <limits>
#include <type_traits>
#include <vector>

#include "bench_data.hpp"
#include "spindle/codec/docid_codec.hpp"
#include "spindle/gen/random.hpp"
#include "spindle/query/scoring.hpp"

namespace spindle::bench {
namespace {

constexpr docid_t kAccDocs = 1 << 17;
constexpr std::uint32_t kBlocks = 64;
constexpr std::uint32_t kPostings = kBlocks * codec::kPostingBlock;

template <class W>
struct DecodedBlocks {
    std::vector<docid_t> docs;  ///< increasing, below kAccDocs
    std::vector<W> weights;
};

template <class W>
DecodedBlocks<W> make_blocks() {
    gen::Rng rng(gen::mix_seed(kSeed, 300 + sizeof(W)));
    DecodedBlocks<W> b;
    b.docs.resize(kPostings);
    b.weights.resize(kPostings);
    const docid_t mean_gap = kAccDocs / kPostings;
    docid_t d = 0;
    for (std::uint32_t i = 0; i < kPostings; ++i) {
        d += 1 + static_cast<docid_t>(rng.below(2 * mean_gap - 1));
        b.docs[i] = d < kAccDocs ? d : kAccDocs - 1;
        const double w = rng.lognormal(-1.15, 0.85);  // the generator's document weights
        if constexpr (std::is_integral_v<W>) {
            // Linear codes up to the largest weight (~8), as the segment writer
            // quantizes; zero codes are dropped there, so the smallest is 1.
            const double top = static_cast<double>(std::numeric_limits<W>::max());
            b.weights[i] = static_cast<W>(std::clamp(w / 8.0 * top, 1.0, top));
        } else {
            b.weights[i] = static_cast<W>(w);
        }
    }
    return b;
}

template <class W>
QueryWeight query_weight() {
    if constexpr (std::is_integral_v<W>) return QueryWeight{2800, 0.0};  // a heavy impact-query term
    return QueryWeight{0, 2800.0 * 0x1.0p20};                            // fixed-point multiplier
}

template <class W>
void BM_contrib_accumulate(benchmark::State& state) {
    const DecodedBlocks<W> blocks = make_blocks<W>();
    const QueryWeight q = query_weight<W>();
    std::vector<score_t> acc(kAccDocs, 0);
    for (auto _ : state) {
        for (std::uint32_t b = 0; b < kBlocks; ++b) {
            const docid_t* docs = blocks.docs.data() + std::size_t{b} * codec::kPostingBlock;
            const W* weights = blocks.weights.data() + std::size_t{b} * codec::kPostingBlock;
            for (std::uint32_t i = 0; i < codec::kPostingBlock; ++i) acc[docs[i]] += contrib<W>(q, weights[i]);
        }
        benchmark::DoNotOptimize(acc.data());
        benchmark::ClobberMemory();
    }
    state.SetItemsProcessed(static_cast<std::int64_t>(state.iterations()) * kPostings);
}
BENCHMARK_TEMPLATE(BM_contrib_accumulate, std::uint8_t);
BENCHMARK_TEMPLATE(BM_contrib_accumulate, std::uint16_t);
BENCHMARK_TEMPLATE(BM_contrib_accumulate, float);

}  // namespace
}  // namespace spindle::bench
