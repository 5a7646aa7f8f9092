// Filter evaluation kernels at 1M documents: filling a search's allow-set
// from the filter's roaring bitmap (CRoaring's bulk conversion, as
// AllowSet::assign does, against the per-docid iterator it replaced), and a
// payload range on an integer field (a range spanning every value, which
// returns the field's valued set, against a range missing one value, which
// unions chunks and sorts its two edges).
#include <benchmark/benchmark.h>

#include <algorithm>
#include <cstdint>
#include <utility>
#include <string>
#include <vector>

#include "bench_data.hpp"
#include "spindle/common/bitmap.hpp"
#include "spindle/gen/random.hpp"
#include "spindle/index/payload_index.hpp"
#include "spindle/query/allow_set.hpp"

namespace spindle::bench {
namespace {

#ifdef NDEBUG
constexpr docid_t kDocs = 1'000'000;
#else
constexpr docid_t kDocs = 100'000;  // the Debug smoke run only checks that it runs
#endif

/// A bitmap holding each of kDocs documents with probability `percent` / 100.
Bitmap random_bitmap(int percent) {
    gen::Rng rng(gen::mix_seed(kSeed, static_cast<std::uint64_t>(percent)));
    std::vector<std::uint32_t> ds;
    for (docid_t d = 0; d < kDocs; ++d) {
        if (rng.uniform_pos() * 100.0 < percent) ds.push_back(d);
    }
    Bitmap b;
    b.addMany(ds.size(), ds.data());
    b.runOptimize();
    return b;
}

void BM_AllowSetBulk(benchmark::State& state) {
    const Bitmap b = random_bitmap(static_cast<int>(state.range(0)));
    AllowSet a;
    for (auto _ : state) {
        a.assign(b, kDocs);
        benchmark::DoNotOptimize(a.count());
    }
    state.counters["docs"] = static_cast<double>(b.cardinality());
}
BENCHMARK(BM_AllowSetBulk)->Arg(1)->Arg(10)->Arg(50)->Arg(100)->Unit(benchmark::kMicrosecond);

/// The loop AllowSet::assign ran before: one roaring iterator step per docid.
void BM_AllowSetIterator(benchmark::State& state) {
    const Bitmap b = random_bitmap(static_cast<int>(state.range(0)));
    std::vector<std::uint64_t> words;
    for (auto _ : state) {
        words.assign(kDocs / 64 + 2, 0);
        std::uint64_t count = 0;
        for (const std::uint32_t d : b) {
            if (d >= kDocs) break;
            words[d >> 6U] |= std::uint64_t{1} << (d & 63U);
            ++count;
        }
        benchmark::DoNotOptimize(count);
        benchmark::DoNotOptimize(words.data());
    }
}
BENCHMARK(BM_AllowSetIterator)->Arg(1)->Arg(10)->Arg(50)->Arg(100)->Unit(benchmark::kMicrosecond);

/// An integer field uniform in 0..9,999 over kDocs documents (the column
/// PayloadIndex::build makes: values ascending, ties by docid, chunks).
const FieldIndex& bucket_field() {
    static const FieldIndex f = [] {
        gen::Rng rng(gen::mix_seed(kSeed, 77));
        std::vector<std::pair<double, docid_t>> vs;
        vs.reserve(kDocs);
        for (docid_t d = 0; d < kDocs; ++d) vs.emplace_back(static_cast<double>(static_cast<int>(rng.uniform_pos() * 10000) % 10000), d);
        std::sort(vs.begin(), vs.end());
        FieldIndex fx;
        fx.type = PayloadType::integer;
        for (const auto& [v, d] : vs) {
            fx.values.push_back(v);
            fx.docs.push_back(d);
        }
        fx.build_chunks();
        return fx;
    }();
    return f;
}

/// range(0, hi): hi = 10,000 spans every value; 9,999 leaves the last value out.
void BM_PayloadRange(benchmark::State& state) {
    const FieldIndex& f = bucket_field();
    const double hi = static_cast<double>(state.range(0));
    for (auto _ : state) {
        const Bitmap r = f.range(0, true, hi, false);
        benchmark::DoNotOptimize(r.cardinality());
    }
}
BENCHMARK(BM_PayloadRange)->Arg(10000)->Arg(9999)->Arg(5000)->Arg(1000)->Unit(benchmark::kMicrosecond);

}  // namespace
}  // namespace spindle::bench
