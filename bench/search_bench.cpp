// Macro benchmark: spindle::search() over a 20,000-document generated
// SPLADE-like index (u8 weights, built once into a temporary directory on
// first use) for each algorithm, k = 10. One iteration runs all 16 generated
// queries; items/s is queries per second.
#include <benchmark/benchmark.h>

#include <exception>
#include <string>
#include <vector>

#include "bench_data.hpp"
#include "spindle/query/searcher.hpp"

namespace spindle::bench {
namespace {

class SearchBench : public benchmark::Fixture {
public:
    using benchmark::Fixture::SetUp;
    void SetUp(const benchmark::State& /*state*/) override { w_ = &splade_workload(); }

protected:
    void run(benchmark::State& state, Algorithm algorithm) const {
        SearchOptions opts;
        opts.algorithm = algorithm;
        opts.k = 10;
        SearchScratch scratch;
        SearchStats stats;
        try {
            for (auto _ : state) {
                for (const QueryPlan& plan : w_->queries) {
                    const std::vector<Hit> hits = search(*w_->index, plan, opts, scratch, stats);
                    benchmark::DoNotOptimize(hits.data());
                }
                benchmark::ClobberMemory();
            }
        } catch (const std::exception& e) {
            state.SkipWithError(e.what());
            return;
        }
        const auto nq = static_cast<double>(w_->queries.size());
        const double queries = static_cast<double>(state.iterations()) * nq;
        state.SetItemsProcessed(static_cast<std::int64_t>(queries));
        state.SetLabel(std::string(to_string(algorithm)));
        state.counters["time/query"] = benchmark::Counter(
            nq, benchmark::Counter::kIsIterationInvariantRate | benchmark::Counter::kInvert);
        state.counters["postings/q"] = static_cast<double>(stats.postings_scored) / queries;
        state.counters["docs/q"] = static_cast<double>(stats.docs_evaluated) / queries;
        state.counters["skipped/q"] = static_cast<double>(stats.blocks_skipped) / queries;
    }

    const SpladeWorkload* w_ = nullptr;
};

BENCHMARK_DEFINE_F(SearchBench, exhaustive)(benchmark::State& state) { run(state, Algorithm::exhaustive); }
BENCHMARK_DEFINE_F(SearchBench, maxscore)(benchmark::State& state) { run(state, Algorithm::maxscore); }
BENCHMARK_DEFINE_F(SearchBench, bmw)(benchmark::State& state) { run(state, Algorithm::bmw); }
BENCHMARK_DEFINE_F(SearchBench, bmp)(benchmark::State& state) { run(state, Algorithm::bmp); }
BENCHMARK_REGISTER_F(SearchBench, exhaustive)->Unit(benchmark::kMillisecond);
BENCHMARK_REGISTER_F(SearchBench, maxscore)->Unit(benchmark::kMillisecond);
BENCHMARK_REGISTER_F(SearchBench, bmw)->Unit(benchmark::kMillisecond);
BENCHMARK_REGISTER_F(SearchBench, bmp)->Unit(benchmark::kMillisecond);

}  // namespace
}  // namespace spindle::bench
