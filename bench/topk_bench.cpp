// Top-k insertion: a stream of (score, increasing docid) offered to TopK, as
// document-at-a-time algorithms do. A random stream mostly fails the
// threshold test; a mostly increasing one enters (and evicts) almost always.
#include <benchmark/benchmark.h>

#include <cstdint>
#include <vector>

#include "bench_data.hpp"
#include "spindle/gen/random.hpp"
#include "spindle/query/topk.hpp"

namespace spindle::bench {
namespace {

constexpr std::uint32_t kStream = 1 << 16;

enum class Stream : std::int64_t { random = 0, increasing = 1 };

std::vector<score_t> make_scores(Stream kind) {
    gen::Rng rng(gen::mix_seed(kSeed, 100 + static_cast<std::uint64_t>(kind)));
    std::vector<score_t> s(kStream);
    for (std::uint32_t i = 0; i < kStream; ++i) {
        // Scores of the magnitude u8-impact queries produce (~1e6), never 0.
        s[i] = kind == Stream::random ? 1 + rng.below(1'000'000)
                                      : 1 + std::uint64_t{i} * 16 + rng.below(256);
    }
    return s;
}

void BM_topk_push(benchmark::State& state) {
    const auto k = static_cast<std::size_t>(state.range(0));
    const auto kind = static_cast<Stream>(state.range(1));
    const std::vector<score_t> scores = make_scores(kind);
    std::uint64_t entered = 0;
    for (auto _ : state) {
        TopK topk(k);
        entered = 0;
        for (std::uint32_t i = 0; i < kStream; ++i) entered += topk.push(scores[i], i) ? 1 : 0;
        benchmark::DoNotOptimize(topk.kth());
        benchmark::DoNotOptimize(entered);
    }
    state.SetItemsProcessed(static_cast<std::int64_t>(state.iterations()) * kStream);
    state.SetLabel(kind == Stream::random ? "random" : "increasing");
    state.counters["entered"] = static_cast<double>(entered) / kStream;  // fraction of pushes that entered
}
BENCHMARK(BM_topk_push)->ArgNames({"k", "increasing"})->ArgsProduct({{10, 1000}, {0, 1}});

}  // namespace
}  // namespace spindle::bench
