#pragma once
// Shared helpers for the test suite: temporary directories, seeded random
// collections with skew and ties, and index building from memory.
#include <gtest/gtest.h>

#include <cmath>
#include <cstdint>
#include <cstdlib>
#include <filesystem>
#include <random>
#include <string>
#include <utility>
#include <vector>

#include "spindle/common/error.hpp"
#include "spindle/formats/input_format.hpp"
#include "spindle/formats/raw_record.hpp"
#include "spindle/index/collection_manifest.hpp"
#include "spindle/build/index_builder.hpp"
#include "spindle/query/recall.hpp"
#include "spindle/query/searcher.hpp"

namespace spindle::test {

/// A fresh directory under the system temp dir, removed on destruction.
class TempDir {
public:
    TempDir() {
        static int counter = 0;
        path_ = (std::filesystem::temp_directory_path() /
                 ("spindle-test-" + std::to_string(::getpid()) + "-" + std::to_string(counter++)))
                    .string();
        std::filesystem::remove_all(path_);
        std::filesystem::create_directories(path_);
    }
    ~TempDir() {
        std::error_code ec;
        std::filesystem::remove_all(path_, ec);
    }
    TempDir(const TempDir&) = delete;
    TempDir& operator=(const TempDir&) = delete;
    [[nodiscard]] const std::string& path() const { return path_; }
    [[nodiscard]] std::string operator/(const std::string& name) const { return path_ + "/" + name; }

private:
    std::string path_;
};

/// A document or query in memory: token -> weight.
struct Vec {
    std::string id;
    std::vector<std::pair<std::string, float>> terms;
};

struct CorpusParams {
    std::size_t docs = 500;
    std::size_t vocab = 200;
    double zipf = 1.1;            ///< term popularity skew
    std::size_t mean_len = 20;    ///< terms per document (geometric-ish spread)
    std::size_t everywhere = 2;   ///< terms present in every document
    bool discrete_weights = true; ///< weights from a small set: many ties
    double duplicate_rate = 0.05; ///< fraction of documents copied from an earlier one
    double empty_rate = 0.02;     ///< fraction of empty documents
};

/// How many seeds a randomized suite instantiates: `fallback`, or
/// SPINDLE_TEST_SEEDS=N (e.g. 200 for a long local soak; CI keeps the
/// fallback so the sanitizer run stays within its time budget).
inline int test_seeds(int fallback) {
    const char* e = std::getenv("SPINDLE_TEST_SEEDS");
    if (e == nullptr || *e == 0) return fallback;
    const int n = std::atoi(e);
    return n > 0 ? n : fallback;
}

inline std::string token_name(std::size_t t) { return "t" + std::to_string(t); }

/// A seeded random collection: Zipf term popularity, a few terms in every
/// document, discrete or continuous weights, duplicated and empty documents.
inline std::vector<Vec> random_corpus(std::uint64_t seed, const CorpusParams& p) {
    std::mt19937_64 rng(seed);
    std::vector<double> cdf(p.vocab);
    double sum = 0;
    for (std::size_t t = 0; t < p.vocab; ++t) cdf[t] = sum += 1.0 / std::pow(static_cast<double>(t + 1), p.zipf);
    std::uniform_real_distribution<double> u(0.0, 1.0);
    auto draw_term = [&] {
        const double x = u(rng) * sum;
        return static_cast<std::size_t>(std::lower_bound(cdf.begin(), cdf.end(), x) - cdf.begin());
    };
    auto draw_weight = [&]() -> float {
        if (p.discrete_weights) return static_cast<float>(1 + rng() % 8) * 0.25F;
        return static_cast<float>(std::exp(u(rng) * 2.0 - 1.5));
    };
    std::vector<Vec> docs;
    for (std::size_t d = 0; d < p.docs; ++d) {
        Vec v;
        v.id = "doc" + std::to_string(d);
        if (d > 0 && u(rng) < p.duplicate_rate) {
            v.terms = docs[rng() % d].terms;
        } else if (u(rng) >= p.empty_rate) {
            std::vector<char> used(p.vocab, 0);
            for (std::size_t t = 0; t < std::min(p.everywhere, p.vocab); ++t) {
                used[t] = 1;
                v.terms.emplace_back(token_name(t), draw_weight());
            }
            const auto len = static_cast<std::size_t>(-std::log(1.0 - u(rng)) * static_cast<double>(p.mean_len)) + 1;
            for (std::size_t i = 0; i < len && v.terms.size() < p.vocab; ++i) {
                const std::size_t t = draw_term();
                if (used[t]) continue;
                used[t] = 1;
                v.terms.emplace_back(token_name(t), draw_weight());
            }
        }
        docs.push_back(std::move(v));
    }
    return docs;
}

/// Random queries over the same vocabulary, plus some unknown tokens.
inline std::vector<Vec> random_queries(std::uint64_t seed, std::size_t n, std::size_t vocab, bool integer_weights) {
    std::mt19937_64 rng(seed * 7919 + 1);
    std::uniform_real_distribution<double> u(0.0, 1.0);
    std::vector<Vec> qs;
    for (std::size_t i = 0; i < n; ++i) {
        Vec q;
        q.id = "q" + std::to_string(i);
        const std::size_t len = 1 + rng() % 12;
        std::vector<char> used(vocab, 0);
        for (std::size_t j = 0; j < len; ++j) {
            // Skew towards popular terms, as learned-sparse queries do.
            const auto t = static_cast<std::size_t>(std::pow(u(rng), 2.0) * static_cast<double>(vocab));
            if (t >= vocab || used[t]) continue;
            used[t] = 1;
            const float w = integer_weights ? static_cast<float>(1 + rng() % 5)
                                            : static_cast<float>(0.05 + u(rng) * 2.5);
            q.terms.emplace_back(token_name(t), w);
        }
        if (rng() % 4 == 0) q.terms.emplace_back("unknown-token", 1.0F);
        qs.push_back(std::move(q));
    }
    return qs;
}

/// Default build options with the given weight type.
inline BuildOptions with_weights(WeightType wt) {
    BuildOptions o;
    o.weight_type = wt;
    return o;
}

/// Builds an index at `dir` from in-memory documents.
/// Same documents and the same integer scores, rank by rank.
inline void expect_same(const std::vector<Hit>& want, const std::vector<Hit>& got, const std::string& what) {
    ASSERT_EQ(want.size(), got.size()) << what;
    for (std::size_t i = 0; i < want.size(); ++i) {
        EXPECT_EQ(want[i].global_doc, got[i].global_doc) << what << " rank " << i;
        EXPECT_EQ(want[i].raw, got[i].raw) << what << " rank " << i;
    }
}

/// Expects fn() to throw a spindle::Error whose message contains `part`.
template <class Fn>
void expect_message(Fn fn, const std::string& part) {
    try {
        fn();
        ADD_FAILURE() << "no error; expected one containing '" << part << "'";
    } catch (const Error& e) {
        EXPECT_NE(std::string(e.what()).find(part), std::string::npos) << e.what();
    }
}

/// A generated vector as a query.
inline TextQuery to_query(const Vec& v) {
    TextQuery q;
    q.id = v.id;
    for (const auto& [t, w] : v.terms) q.terms.emplace_back(t, w);
    return q;
}

/// One search with fresh buffers.
inline std::vector<Hit> search_once(const Index& idx, const QueryPlan& plan, const SearchOptions& opts) {
    SearchScratch scratch;
    SearchStats stats;
    return search(idx, plan, opts, scratch, stats);
}

/// Mean recall@k of `approx(plan)` against the exhaustive top-k, over the
/// queries that match at least one document; their number goes to `counted`.
template <class Fn>
double mean_recall_at_k(const Index& idx, const std::vector<Vec>& queries, std::size_t k, Fn approx, std::size_t& counted) {
    SearchOptions exhaustive;
    exhaustive.algorithm = Algorithm::exhaustive;
    exhaustive.k = k;
    double recall = 0;
    counted = 0;
    for (const auto& qv : queries) {
        const QueryPlan plan = plan_query(idx, to_query(qv));
        const auto exact = search_once(idx, plan, exhaustive);
        if (exact.empty()) continue;
        recall += recall_at_k(approx(plan), exact);
        ++counted;
    }
    return counted ? recall / static_cast<double>(counted) : 0.0;
}

inline Manifest build_index(const std::string& dir, const std::vector<Vec>& docs, BuildOptions opts) {
    IndexBuilder b(dir, opts);
    RawRecord rec;
    rec.file = "memory";
    for (std::size_t i = 0; i < docs.size(); ++i) {
        rec.id = docs[i].id;
        rec.line = i + 1;
        rec.tokens.clear();
        for (const auto& [t, w] : docs[i].terms) rec.tokens.emplace_back(t, w);
        b.add(rec);
    }
    return b.finish();
}

/// Writes documents as Anserini JSONL.
inline void write_jsonl(const std::string& path, const std::vector<Vec>& docs) {
    std::FILE* f = std::fopen(path.c_str(), "w");
    ASSERT_NE(f, nullptr);
    for (const auto& d : docs) {
        std::fprintf(f, "{\"id\": \"%s\", \"contents\": \"x\", \"vector\": {", d.id.c_str());
        for (std::size_t i = 0; i < d.terms.size(); ++i) {
            std::fprintf(f, "%s\"%s\": %.9g", i ? ", " : "", d.terms[i].first.c_str(),
                         static_cast<double>(d.terms[i].second));
        }
        std::fprintf(f, "}}\n");
    }
    std::fclose(f);
}

inline void write_text(const std::string& path, const std::string& text) {
    std::FILE* f = std::fopen(path.c_str(), "wb");
    ASSERT_NE(f, nullptr);
    std::fwrite(text.data(), 1, text.size(), f);
    std::fclose(f);
}

/// The whole contents of a file (a test failure if it cannot be read).
inline std::string read_file(const std::string& path) {
    std::string out(std::filesystem::file_size(path), '\0');
    std::FILE* f = std::fopen(path.c_str(), "rb");
    if (f == nullptr || std::fread(out.data(), 1, out.size(), f) != out.size()) ADD_FAILURE() << "cannot read " << path;
    if (f != nullptr) std::fclose(f);
    return out;
}

inline std::string shared_data() { return SPINDLE_SHARED_DATA; }

}  // namespace spindle::test
