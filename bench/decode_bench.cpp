// Docid block decode: StreamVByte-delta blocks of 128 postings laid out as a
// segment stores them (one stream, a byte offset and a last docid per block,
// padding at the end), decoded block by block as BlockPostingCursor does.
#include <benchmark/benchmark.h>

#include <array>
#include <cmath>
#include <cstdint>
#include <vector>

#include "bench_data.hpp"
#include "spindle/codec/docid_codec.hpp"
#include "spindle/gen/random.hpp"

namespace spindle::bench {
namespace {

constexpr std::uint32_t kBlocks = 1024;

struct EncodedList {
    std::vector<std::uint8_t> stream;
    std::vector<std::uint64_t> byte_begin;  ///< kBlocks + 1 offsets
    std::vector<docid_t> block_last;
};

/// kBlocks full blocks whose gaps are 1 + exponential with mean `mean_gap - 1`.
EncodedList encode_list(std::uint32_t mean_gap) {
    gen::Rng rng(gen::mix_seed(kSeed, mean_gap));
    EncodedList e;
    std::array<docid_t, codec::kPostingBlock> block{};
    docid_t prev = 0;
    docid_t d = 0;
    e.byte_begin.push_back(0);
    for (std::uint32_t b = 0; b < kBlocks; ++b) {
        for (auto& v : block) {
            d += 1 + static_cast<docid_t>(-std::log(rng.uniform_pos()) * (mean_gap - 1.0));
            v = d;
        }
        codec::encode_increasing(block.data(), codec::kPostingBlock, prev, e.stream);
        e.byte_begin.push_back(e.stream.size());
        e.block_last.push_back(block.back());
        prev = block.back();
    }
    e.stream.resize(e.stream.size() + codec::kStreamPadding, 0);
    return e;
}

void BM_decode_blocks(benchmark::State& state) {
    const auto mean_gap = static_cast<std::uint32_t>(state.range(0));
    const EncodedList e = encode_list(mean_gap);
    const std::uint64_t payload = e.byte_begin.back();
    alignas(64) std::array<docid_t, codec::kPostingBlock> buf{};
    for (auto _ : state) {
        for (std::uint32_t b = 0; b < kBlocks; ++b) {
            const docid_t prev = b > 0 ? e.block_last[b - 1] : 0;
            codec::decode_increasing(e.stream.data() + e.byte_begin[b], buf.data(), codec::kPostingBlock, prev);
            benchmark::DoNotOptimize(buf.data());
            benchmark::ClobberMemory();
        }
    }
    const auto iters = static_cast<std::int64_t>(state.iterations());
    state.SetItemsProcessed(iters * kBlocks * codec::kPostingBlock);  // postings decoded
    state.SetBytesProcessed(iters * static_cast<std::int64_t>(payload));  // compressed bytes read
    state.counters["bits/posting"] =
        static_cast<double>(payload) * 8.0 / (double{kBlocks} * codec::kPostingBlock);
}
// Mean docid gap: dense head list, mid list, sparse tail list.
BENCHMARK(BM_decode_blocks)->ArgName("mean_gap")->Arg(4)->Arg(64)->Arg(4096);

}  // namespace
}  // namespace spindle::bench
