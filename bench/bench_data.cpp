#include "bench_data.hpp"

#include <unistd.h>

#include <filesystem>
#include <system_error>

#include "spindle/formats/input_format.hpp"
#include "spindle/formats/raw_record.hpp"
#include "spindle/gen/corpus_model.hpp"
#include "spindle/gen/random.hpp"
#include "spindle/build/index_builder.hpp"
#include "spindle/query/searcher.hpp"

namespace spindle::bench {

TempDir::TempDir() {
    path_ = (std::filesystem::temp_directory_path() / ("spindle-bench-" + std::to_string(::getpid()))).string();
    std::filesystem::remove_all(path_);
    std::filesystem::create_directories(path_);
}

TempDir::~TempDir() {
    std::error_code ec;
    std::filesystem::remove_all(path_, ec);
}

namespace {

// Declaration order matters: indexes (which map files in the directory) are
// destroyed before the directory is removed.
struct Store {
    TempDir dir;
    std::unique_ptr<SpladeWorkload> splade;
    std::unique_ptr<Index> skip;
};

Store& store() {
    static Store s;
    return s;
}

SpladeWorkload build_splade(const std::string& dir) {
    SpladeWorkload w;
    const gen::CorpusModel model(gen::ModelParams{}, kSeed, nullptr);
    gen::CorpusModel::Sampler sampler(model);
    BuildOptions opts;
    opts.weight_type = WeightType::u8;
    IndexBuilder builder(dir, opts);
    RawRecord rec;
    rec.numeric = true;
    rec.file = "generated";
    gen::SparseRow row;
    std::string id;
    for (std::uint64_t d = 0; d < kSpladeDocs; ++d) {
        sampler.document(d, row);
        id = "D" + std::to_string(d);
        rec.id = id;
        rec.line = d + 1;
        rec.ids.clear();
        for (std::size_t i = 0; i < row.ids.size(); ++i) rec.ids.emplace_back(row.ids[i], row.weights[i]);
        w.postings += row.ids.size();
        builder.add(rec);
    }
    builder.finish();
    w.docs = kSpladeDocs;
    w.index = std::make_unique<Index>(dir);
    // Numeric records name term ids by their decimal value.
    gen::ImpactQuery q;
    for (std::uint64_t n = 0; n < kSpladeQueries; ++n) {
        sampler.query(n, q);
        TextQuery tq;
        tq.id = std::to_string(n);
        for (std::size_t i = 0; i < q.ids.size(); ++i) {
            tq.terms.emplace_back(std::to_string(q.ids[i]), static_cast<float>(q.weights[i]));
        }
        w.queries.push_back(plan_query(*w.index, tq));
    }
    return w;
}

std::unique_ptr<Index> build_skip(const std::string& dir) {
    constexpr docid_t kRegion = 8192;
    constexpr double kDensity[] = {0.9, 0.3, 0.02};
    gen::Rng rng(gen::mix_seed(kSeed, 1));
    BuildOptions opts;
    opts.weight_type = WeightType::u8;
    IndexBuilder builder(dir, opts);
    RawRecord rec;
    rec.numeric = true;
    rec.file = "generated";
    std::string id;
    double density = 0;
    double scale = 1;
    for (docid_t d = 0; d < kSkipDocs; ++d) {
        if (d % kRegion == 0) {
            density = kDensity[rng.below(3)];
            scale = rng.lognormal(0.0, 0.8);
        }
        id = "D" + std::to_string(d);
        rec.id = id;
        rec.line = d + 1;
        rec.ids.clear();
        if (rng.bernoulli(density)) rec.ids.emplace_back(0, static_cast<float>(scale * rng.lognormal(-1.0, 0.6)));
        builder.add(rec);
    }
    builder.finish();
    return std::make_unique<Index>(dir);
}

}  // namespace

const SpladeWorkload& splade_workload() {
    Store& s = store();
    if (!s.splade) s.splade = std::make_unique<SpladeWorkload>(build_splade(s.dir.path() + "/splade"));
    return *s.splade;
}

const Index& skip_index() {
    Store& s = store();
    if (!s.skip) s.skip = build_skip(s.dir.path() + "/skip");
    return *s.skip;
}

}  // namespace spindle::bench
