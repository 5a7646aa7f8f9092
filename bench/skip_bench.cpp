// Block-max skipping on a ScoredBlockCursor over one long posting list with
// skewed density and weights: next_geq (decodes the target's block) and
// shallow_next_geq + block_max_score (block metadata only), with random jump
// distances. Each iteration opens a fresh cursor and walks the list once;
// the per-op counter is wall time divided by the number of moves.
#include <benchmark/benchmark.h>

#include <cstdint>
#include <variant>
#include <vector>

#include "bench_data.hpp"
#include "spindle/gen/random.hpp"
#include "spindle/query/block_cursor.hpp"

namespace spindle::bench {
namespace {

using Cursor = ScoredBlockCursor<std::uint8_t>;

const InvertedView<std::uint8_t>& skip_view() {
    return std::get<SegmentViews<std::uint8_t>>(skip_index().segment(0).views()).inv;
}

/// Increasing targets from 1 with jumps uniform in [1, max_jump], below num_docs.
std::vector<docid_t> make_targets(docid_t max_jump, docid_t num_docs) {
    gen::Rng rng(gen::mix_seed(kSeed, 200 + max_jump));
    std::vector<docid_t> t;
    for (std::uint64_t d = 1 + rng.below(max_jump); d < num_docs; d += 1 + rng.below(max_jump)) {
        t.push_back(static_cast<docid_t>(d));
    }
    return t;
}

void set_op_counters(benchmark::State& state, std::size_t ops, const SearchStats& stats) {
    const auto iters = static_cast<double>(state.iterations());
    state.SetItemsProcessed(static_cast<std::int64_t>(state.iterations()) * static_cast<std::int64_t>(ops));
    state.counters["ops"] = static_cast<double>(ops);
    state.counters["time/op"] =
        benchmark::Counter(static_cast<double>(ops), benchmark::Counter::kIsIterationInvariantRate |
                                                         benchmark::Counter::kInvert);
    state.counters["decoded/op"] = static_cast<double>(stats.blocks_decoded) / (iters * static_cast<double>(ops));
}

constexpr QueryWeight kQuery{100, 0.0};

void BM_cursor_next(benchmark::State& state) {
    const auto& inv = skip_view();
    SearchStats stats;
    score_t sum = 0;
    for (auto _ : state) {
        Cursor c(inv, 0, kQuery, &stats);
        for (; c.docid() < inv.num_docs; c.next()) sum += c.score();
        benchmark::DoNotOptimize(sum);
    }
    set_op_counters(state, static_cast<std::size_t>(inv.df(0)), stats);
}
BENCHMARK(BM_cursor_next);

void BM_cursor_next_geq(benchmark::State& state) {
    const auto& inv = skip_view();
    const std::vector<docid_t> targets = make_targets(static_cast<docid_t>(state.range(0)), inv.num_docs);
    SearchStats stats;
    score_t sum = 0;
    for (auto _ : state) {
        Cursor c(inv, 0, kQuery, &stats);
        for (const docid_t t : targets) {
            c.next_geq(t);
            if (c.docid() < inv.num_docs) sum += c.score();
        }
        benchmark::DoNotOptimize(sum);
    }
    set_op_counters(state, targets.size(), stats);
}
BENCHMARK(BM_cursor_next_geq)->ArgName("max_jump")->Arg(32)->Arg(8192);

void BM_cursor_shallow_next_geq(benchmark::State& state) {
    const auto& inv = skip_view();
    const std::vector<docid_t> targets = make_targets(static_cast<docid_t>(state.range(0)), inv.num_docs);
    SearchStats stats;
    score_t sum = 0;
    for (auto _ : state) {
        Cursor c(inv, 0, kQuery, &stats);
        for (const docid_t t : targets) {
            c.shallow_next_geq(t);
            sum += c.block_max_score() + c.block_last_docid();
        }
        benchmark::DoNotOptimize(sum);
    }
    set_op_counters(state, targets.size(), stats);
}
BENCHMARK(BM_cursor_shallow_next_geq)->ArgName("max_jump")->Arg(32)->Arg(8192);

}  // namespace
}  // namespace spindle::bench
