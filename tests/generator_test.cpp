// spindle generate: determinism, calibration within tolerances, and that every
// file it writes reads back through the library's own readers.
#include <gtest/gtest.h>
#include <unistd.h>

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "spindle/common/error.hpp"
#include <nlohmann/json.hpp>

#include "spindle/common/json.hpp"
#include "spindle/formats/csr.hpp"
#include "spindle/formats/input_format.hpp"
#include "spindle/formats/jsonl_reader.hpp"
#include "spindle/gen/corpus_model.hpp"
#include "spindle/gen/corpus_writer.hpp"
#include "spindle/gen/generate.hpp"
#include "spindle/gen/real_queries.hpp"
#include "spindle/gen/stats.hpp"

namespace spindle::gen {
namespace {

namespace fs = std::filesystem;

class ScratchDir {
public:
    ScratchDir() {
        static int counter = 0;
        path_ = (fs::temp_directory_path() /
                 ("spindle-gen-test-" + std::to_string(::getpid()) + "-" + std::to_string(counter++)))
                    .string();
        fs::remove_all(path_);
        fs::create_directories(path_);
    }
    ~ScratchDir() {
        std::error_code ec;
        fs::remove_all(path_, ec);
    }
    ScratchDir(const ScratchDir&) = delete;
    ScratchDir& operator=(const ScratchDir&) = delete;
    [[nodiscard]] std::string operator/(const std::string& name) const { return path_ + "/" + name; }
    [[nodiscard]] const std::string& path() const { return path_; }

private:
    std::string path_;
};

std::string slurp(const std::string& path) {
    std::ifstream in(path, std::ios::binary);
    std::ostringstream text;
    text << in.rdbuf();
    return text.str();
}

GenerateOptions small_options(const std::string& dir, std::uint64_t seed, std::uint64_t docs = 2000) {
    GenerateOptions o;
    o.docs = docs;
    o.seed = seed;
    o.output_dir = dir;
    o.queries = 20;
    o.real_queries.clear();  // built-in parameters: fast and independent of shared data
    return o;
}

double dot(const SparseRow& d, const ImpactQuery& q) {
    double s = 0;
    std::size_t i = 0, j = 0;
    while (i < d.ids.size() && j < q.ids.size()) {
        if (d.ids[i] < q.ids[j]) {
            ++i;
        } else if (d.ids[i] > q.ids[j]) {
            ++j;
        } else {
            s += static_cast<double>(d.weights[i]) * q.weights[j];
            ++i;
            ++j;
        }
    }
    return s;
}

TEST(Generator, SameSeedSameBytesOtherSeedOtherBytes) {
    ScratchDir a, b, c;
    generate_corpus(small_options(a.path(), 7));
    generate_corpus(small_options(b.path(), 7));
    generate_corpus(small_options(c.path(), 8));
    for (const char* f : {"docs.csr", "docs.jsonl", "queries.tsv", "vocab.txt"}) {
        const std::string x = slurp(a / f);
        ASSERT_FALSE(x.empty()) << f;
        EXPECT_EQ(x, slurp(b / f)) << f << " differs between two runs with the same seed";
    }
    EXPECT_NE(slurp(a / "docs.csr"), slurp(c / "docs.csr"));
    EXPECT_NE(slurp(a / "queries.tsv"), slurp(c / "queries.tsv"));
    // No temporary files are left behind.
    for (const auto& e : fs::directory_iterator(a.path()))
        EXPECT_EQ(e.path().filename().string().find(".tmp"), std::string::npos) << e.path();
}

TEST(Generator, DocumentsArePureFunctionsOfSeedAndNumber) {
    const CorpusModel model(ModelParams{}, 3, nullptr);
    CorpusModel::Sampler s1(model), s2(model);
    SparseRow a, b;
    s1.document(10, a);
    s2.document(99, b);
    s2.document(10, b);
    EXPECT_EQ(a.ids, b.ids);
    EXPECT_EQ(a.weights, b.weights);
    s1.document(11, b);
    EXPECT_NE(a.ids, b.ids);
}

TEST(Generator, StatisticsWithinTolerances) {
    const ModelParams p;
    const CorpusModel model(p, 42, nullptr);
    CorpusModel::Sampler sampler(model);
    StatsAccumulator acc(model.vocab_size(), 1e-3, 50.0);
    SparseRow row;
    for (std::uint64_t d = 0; d < 20000; ++d) {
        sampler.document(d, row);
        ASSERT_GE(row.ids.size(), p.doc_nnz_min);
        ASSERT_LE(row.ids.size(), p.doc_nnz_max);
        ASSERT_TRUE(std::is_sorted(row.ids.begin(), row.ids.end()));
        ASSERT_TRUE(std::adjacent_find(row.ids.begin(), row.ids.end()) == row.ids.end()) << "duplicate column";
        for (const float w : row.weights) ASSERT_TRUE(std::isfinite(w) && w > 0.0F) << w;
        acc.add(row.ids, row.weights);
    }
    const VectorStats s = acc.finish();
    EXPECT_NEAR(s.nnz_mean, 127.0, 12.7);
    EXPECT_GT(s.nnz_p90, s.nnz_p50 * 1.3) << "lengths must spread, not be constant";
    EXPECT_NEAR(s.weight_p50, 0.278, 0.06);
    EXPECT_GT(s.frac_below_3, 0.98);
    EXPECT_GT(s.weight_max, 3.0) << "a long tail above 3";
    EXPECT_GT(s.top10_df, 0.4);
    EXPECT_GT(s.top100_df, 0.15) << "popular terms must cover a large share of documents";
    EXPECT_LT(s.top1000_df, s.top100_df);
}

TEST(Generator, QueriesHaveNearNeighbours) {
    const CorpusModel model(ModelParams{}, 5, nullptr);
    CorpusModel::Sampler sampler(model);
    std::vector<SparseRow> docs(5000);
    for (std::uint64_t d = 0; d < docs.size(); ++d) sampler.document(d, docs[d]);
    double ratio_sum = 0;
    const int nq = 20;
    for (int i = 0; i < nq; ++i) {
        ImpactQuery q;
        sampler.query(static_cast<std::uint64_t>(i), q);
        ASSERT_GE(q.ids.size(), 5U);
        double best = 0, sum = 0;
        for (const auto& d : docs) {
            const double s = dot(d, q);
            best = std::max(best, s);
            sum += s;
        }
        ratio_sum += best / (sum / static_cast<double>(docs.size()));
    }
    // Uniform noise would give a top-1 score close to the mean; topics give real neighbours.
    EXPECT_GT(ratio_sum / nq, 5.0);
}

// ---- Topical mode (--topics N) ----

std::size_t shared_terms(const SparseRow& a, const SparseRow& b) {
    std::size_t n = 0, i = 0, j = 0;
    while (i < a.ids.size() && j < b.ids.size()) {
        if (a.ids[i] < b.ids[j]) {
            ++i;
        } else if (a.ids[i] > b.ids[j]) {
            ++j;
        } else {
            ++n;
            ++i;
            ++j;
        }
    }
    return n;
}

TEST(GeneratorTopical, SameSeedSameBytesAndNotTheCalibratedCorpus) {
    ScratchDir a, b, c, calibrated;
    GenerateOptions o = small_options(a.path(), 7);
    o.topical = TopicalOptions{};
    generate_corpus(o);
    o.output_dir = b.path();
    generate_corpus(o);
    o.output_dir = c.path();
    o.seed = 8;
    generate_corpus(o);
    generate_corpus(small_options(calibrated.path(), 7));
    for (const char* f : {"docs.csr", "docs.jsonl", "queries.tsv", "vocab.txt"}) {
        const std::string x = slurp(a / f);
        ASSERT_FALSE(x.empty()) << f;
        EXPECT_EQ(x, slurp(b / f)) << f << " differs between two topical runs with the same seed";
    }
    EXPECT_NE(slurp(a / "docs.csr"), slurp(c / "docs.csr"));
    EXPECT_NE(slurp(a / "queries.tsv"), slurp(c / "queries.tsv"));
    EXPECT_NE(slurp(a / "docs.csr"), slurp(calibrated / "docs.csr"));
}

TEST(GeneratorTopical, BadOptionsGiveClearErrors) {
    TopicalOptions t;
    t.topic_share = 1.5;
    EXPECT_THROW((void)topical_params(t), InvalidArgument);
    t = TopicalOptions{};
    t.topics = 0;
    EXPECT_THROW((void)topical_params(t), InvalidArgument);
    t = TopicalOptions{};
    t.topic_weight_spread = 2.0;  // above the weight sigma (0.85)
    try {
        (void)topical_params(t);
        ADD_FAILURE() << "expected InvalidArgument";
    } catch (const InvalidArgument& e) {
        EXPECT_NE(std::string(e.what()).find("topic_weight_spread"), std::string::npos) << e.what();
    }
}

// Nonzeros per document, weight marginals, query marginals and topic
// concentration, on 4,000 documents (20 per topic with the default 200).
TEST(GeneratorTopical, StatisticsWithinTolerances) {
    const TopicalOptions t;
    const CorpusModel model(topical_params(t), 42, nullptr);
    const CorpusModel calibrated(ModelParams{}, 42, nullptr);
    CorpusModel::Sampler sampler(model), cal_sampler(calibrated);
    constexpr std::size_t kDocs = 4000;
    std::vector<SparseRow> docs(kDocs);
    std::vector<std::uint32_t> topic(kDocs);
    StatsAccumulator acc(model.vocab_size(), 1e-3, 50.0);
    std::vector<std::uint32_t> per_topic(t.topics, 0);
    for (std::uint64_t d = 0; d < kDocs; ++d) {
        sampler.document(d, docs[d], &topic[d]);
        ASSERT_LT(topic[d], t.topics);
        ++per_topic[topic[d]];
        ASSERT_TRUE(std::is_sorted(docs[d].ids.begin(), docs[d].ids.end()));
        ASSERT_TRUE(std::adjacent_find(docs[d].ids.begin(), docs[d].ids.end()) == docs[d].ids.end());
        for (const float w : docs[d].weights) ASSERT_TRUE(std::isfinite(w) && w > 0.0F) << w;
        acc.add(docs[d].ids, docs[d].weights);
    }
    const VectorStats s = acc.finish();
    EXPECT_NEAR(s.nnz_mean, 114.0, 114.0 * 0.05);
    EXPECT_NEAR(s.weight_p50, 0.278, 0.07) << "weights keep the calibrated marginal";
    EXPECT_GT(s.frac_below_3, 0.98);
    // Topics are uniform: every topic has documents, none more than 3x its share.
    EXPECT_EQ(std::count(per_topic.begin(), per_topic.end(), 0U), 0);
    EXPECT_LT(*std::max_element(per_topic.begin(), per_topic.end()), 3 * kDocs / t.topics);

    // Documents of one topic share far more terms than documents of different topics.
    double same = 0, other = 0;
    std::size_t n_same = 0, n_other = 0;
    for (std::size_t i = 0; i < kDocs; ++i) {
        for (std::size_t j = i + 1; j < std::min(kDocs, i + 400); ++j) {
            const auto n = static_cast<double>(shared_terms(docs[i], docs[j]));
            if (topic[i] == topic[j]) {
                same += n;
                ++n_same;
            } else if (j < i + 20) {
                other += n;
                ++n_other;
            }
        }
    }
    ASSERT_GT(n_same, 1000U);
    same /= static_cast<double>(n_same);
    other /= static_cast<double>(n_other);
    EXPECT_GT(same, 30.0) << "documents of one topic share many terms";
    EXPECT_GT(same, 5.0 * other) << "same-topic " << same << " vs different-topic " << other << " shared terms";

    // Queries keep the calibrated marginals (length, weights) ...
    StatsAccumulator qacc(model.vocab_size(), 1.0, 1e5), cal_qacc(model.vocab_size(), 1.0, 1e5);
    ImpactQuery q;
    double in_topic_top10 = 0, concentration = 0;
    constexpr int kQueries = 30;
    for (int i = 0; i < 500; ++i) {
        std::uint32_t qt = 0;
        sampler.query(static_cast<std::uint64_t>(i), q, &qt);
        qacc.add(q.ids, q.weights);
        cal_sampler.query(static_cast<std::uint64_t>(i), q);
        cal_qacc.add(q.ids, q.weights);
        if (i >= kQueries) continue;
        // ... and come from the documents' topics: their top-10 are documents
        // of their topic, whose scores are close to each other (what makes
        // block-max bounds loose).
        sampler.query(static_cast<std::uint64_t>(i), q, &qt);
        std::vector<std::pair<double, std::uint32_t>> scored;
        std::vector<double> topic_scores;
        for (std::size_t d = 0; d < kDocs; ++d) {
            const double sc = dot(docs[d], q);
            scored.emplace_back(sc, topic[d]);
            if (topic[d] == qt) topic_scores.push_back(sc);
        }
        std::partial_sort(scored.begin(), scored.begin() + 10, scored.end(), std::greater<>());
        for (int r = 0; r < 10; ++r) in_topic_top10 += scored[r].second == qt ? 1 : 0;
        std::sort(topic_scores.begin(), topic_scores.end());
        ASSERT_GE(topic_scores.size(), 4U);
        concentration += topic_scores[topic_scores.size() / 2] / topic_scores.back();
    }
    const VectorStats qs = qacc.finish(), cqs = cal_qacc.finish();
    EXPECT_NEAR(qs.nnz_mean, cqs.nnz_mean, 0.05 * cqs.nnz_mean);
    EXPECT_NEAR(qs.weight_p50, cqs.weight_p50, 0.1 * cqs.weight_p50);
    EXPECT_NEAR(qs.weight_p99, cqs.weight_p99, 0.1 * cqs.weight_p99);
    in_topic_top10 /= kQueries * 10.0;
    concentration /= kQueries;
    // Measured (seed 42): 45 vs 4.1 shared terms, 0.99 of the top-10 in the
    // query's topic, median / best 0.85.
    EXPECT_GT(in_topic_top10, 0.9) << "a query's nearest documents are of its topic";
    EXPECT_GT(concentration, 0.7) << "median / best score among the query topic's documents";
}

TEST(Generator, FilesReadBackThroughLibraryReaders) {
    ScratchDir dir;
    const GenerateOptions opts = small_options(dir.path(), 11, 500);
    const GenerateReport report = generate_corpus(opts);
    EXPECT_EQ(report.docs.count, 500U);

    std::vector<std::string> vocab;
    {
        std::ifstream in(dir / "vocab.txt");
        for (std::string line; std::getline(in, line);) vocab.push_back(line);
    }
    ASSERT_EQ(vocab.size(), 30522U);
    EXPECT_EQ(vocab[17], "tok17");

    const CorpusModel model(opts.params, opts.seed, nullptr);
    CorpusModel::Sampler sampler(model);
    SparseRow expect;

    const CsrFile csr(dir / "docs.csr");
    EXPECT_EQ(csr.rows(), 500);
    EXPECT_EQ(csr.cols(), 30522);
    EXPECT_EQ(static_cast<std::uint64_t>(csr.nnz()), report.docs.nonzeros);
    std::uint64_t rows = 0;
    csr.for_each_row([&](const RawRecord& rec) {
        ASSERT_TRUE(rec.numeric);
        sampler.document(rows, expect);
        ASSERT_EQ(rec.ids.size(), expect.ids.size());
        for (std::size_t i = 0; i < rec.ids.size(); ++i) {
            EXPECT_EQ(rec.ids[i].first, expect.ids[i]);
            EXPECT_EQ(rec.ids[i].second, expect.weights[i]);
        }
        ++rows;
    });
    EXPECT_EQ(rows, 500U);

    rows = 0;
    read_jsonl_vectors(dir / "docs.jsonl", [&](const RawRecord& rec) {
        EXPECT_EQ(rec.id, "D" + std::to_string(rows));
        sampler.document(rows, expect);
        ASSERT_EQ(rec.tokens.size(), expect.ids.size());
        for (std::size_t i = 0; i < rec.tokens.size(); ++i) {
            EXPECT_EQ(rec.tokens[i].first, vocab[expect.ids[i]]);
            EXPECT_EQ(rec.tokens[i].second, expect.weights[i]) << "JSONL weights must round-trip exactly";
        }
        ++rows;
    });
    EXPECT_EQ(rows, 500U);

    const auto queries = read_queries(dir / "queries.tsv", InputFormat::tsv);
    ASSERT_EQ(queries.size(), 20U);
    for (std::size_t i = 0; i < queries.size(); ++i) {
        EXPECT_EQ(queries[i].id, std::to_string(i));
        EXPECT_GE(queries[i].terms.size(), 5U);
        for (const auto& [tok, w] : queries[i].terms) {
            EXPECT_GE(w, 1.0F);
            EXPECT_EQ(w, std::floor(w));
        }
    }
}

TEST(Generator, StatsJsonAndTable) {
    ScratchDir dir;
    GenerateOptions opts = small_options(dir.path(), 1, 300);
    opts.csr = false;
    opts.stats_json = dir / "stats.json";
    const GenerateReport r = generate_corpus(opts);
    EXPECT_FALSE(fs::exists(dir / "docs.csr"));
    EXPECT_TRUE(fs::exists(dir / "docs.jsonl"));
    const std::string json = slurp(dir / "stats.json");
    const auto j = nlohmann::json::parse(json);
    EXPECT_EQ(j["documents"]["generated"]["count"], 300) << json;
    EXPECT_EQ(j["calibrated_from_real_queries"], false) << json;
    EXPECT_TRUE(j["queries"]["real"].is_null()) << json;
    EXPECT_GT(j["documents"]["generated"]["nnz_mean"].get<double>(), 0.0) << json;
    const std::string table = format_calibration(r.docs, r.generated_queries, r.real_queries);
    EXPECT_NE(table.find("nonzeros/vector mean"), std::string::npos);
    EXPECT_NE(table.find("127.0"), std::string::npos) << "the real mean is printed next to the generated one";
}

TEST(Generator, StatsJsonMayGoInsideTheOutputDirItCreates) {
    ScratchDir dir;
    GenerateOptions opts = small_options((fs::path(dir.path()) / "fresh").string(), 1, 50);
    opts.stats_json = (fs::path(dir.path()) / "fresh" / "stats.json").string();
    (void)generate_corpus(opts);
    EXPECT_TRUE(fs::exists(opts.stats_json));
    opts.output_dir = (fs::path(dir.path()) / "other").string();
    opts.stats_json = (fs::path(dir.path()) / "missing" / "stats.json").string();
    EXPECT_THROW((void)generate_corpus(opts), InvalidArgument);
}

TEST(Generator, BadOptionsGiveClearErrors) {
    ScratchDir dir;
    GenerateOptions o = small_options(dir.path(), 1);
    o.docs = 0;
    EXPECT_THROW(generate_corpus(o), InvalidArgument);
    o = small_options(dir.path(), 1);
    o.jsonl = o.csr = false;
    EXPECT_THROW(generate_corpus(o), InvalidArgument);
    o = small_options(dir.path(), 1);
    o.params.doc_nnz_max = 0;
    EXPECT_THROW(generate_corpus(o), InvalidArgument);
    o = small_options(dir.path(), 1, 50);
    o.real_queries = dir / "missing.tsv.gz";
    o.require_real = true;
    try {
        generate_corpus(o);
        ADD_FAILURE() << "expected InvalidArgument";
    } catch (const InvalidArgument& e) {
        EXPECT_NE(std::string(e.what()).find("missing.tsv.gz"), std::string::npos) << e.what();
    }
    o.require_real = false;  // absent file: built-in parameters
    EXPECT_FALSE(generate_corpus(o).calibrated_from_real);
}

TEST(Generator, JsonQuoteEscapes) {
    EXPECT_EQ(json_quote("a\"b\\c"), "\"a\\\"b\\\\c\"");
    EXPECT_EQ(json_quote(std::string(1, '\x01')), "\"\\u0001\"");
    EXPECT_THROW((void)json_quote("\xff\xfe"), InvalidArgument);
}

TEST(Generator, ImpactQueryLineRepeatsTokens) {
    ImpactQuery q;
    q.ids = {0, 2};
    q.weights = {2, 1};
    std::string line;
    append_impact_query(line, "7", q, {"a", "b", "c"});
    EXPECT_EQ(line, "7\ta a c\n");
}

TEST(Generator, CalibratedFromRealQueries) {
    const std::string path = std::string(SPINDLE_SHARED_DATA) + "/" + kRealQueriesRelative;
    if (!fs::exists(path)) GTEST_SKIP() << "real SPLADE++ ED queries not found at " << path;
    const RealQueries real = load_real_queries(path);
    ASSERT_EQ(real.queries.size(), 6980U);
    ASSERT_GT(real.tokens.size(), 10000U);
    EXPECT_TRUE(std::is_sorted(real.df.begin(), real.df.end(), std::greater<>()));
    double distinct = 0;
    for (const auto& q : real.queries) distinct += static_cast<double>(q.size());
    EXPECT_NEAR(distinct / 6980.0, 44.0, 2.0);

    const CorpusModel model(ModelParams{}, 42, &real);
    EXPECT_EQ(model.vocabulary()[0], real.tokens[0]);
    EXPECT_EQ(model.vocabulary().back(), "tok30521");
    CorpusModel::Sampler sampler(model);
    StatsAccumulator real_acc(model.vocab_size(), 1.0, 1e5), gen_acc(model.vocab_size(), 1.0, 1e5);
    for (const auto& q : real.queries) {
        std::vector<std::uint32_t> ids, ws;
        for (const auto& [t, w] : q) {
            ids.push_back(t);
            ws.push_back(w);
        }
        real_acc.add(ids, ws);
    }
    ImpactQuery q;
    for (std::uint64_t i = 0; i < 2000; ++i) {
        sampler.query(i, q);
        gen_acc.add(q.ids, q.weights);
    }
    const VectorStats rs = real_acc.finish(), gs = gen_acc.finish();
    EXPECT_NEAR(gs.nnz_mean, rs.nnz_mean, 0.1 * rs.nnz_mean);
    EXPECT_NEAR(gs.weight_p50, rs.weight_p50, 0.2 * rs.weight_p50);
    EXPECT_NEAR(gs.top100_df, rs.top100_df, 0.3 * rs.top100_df);

    // Real queries find topical neighbours among synthetic documents (their
    // tokens seed topics): the best document scores far above the average.
    std::vector<SparseRow> docs(3000);
    for (std::uint64_t d = 0; d < docs.size(); ++d) sampler.document(d, docs[d]);
    double ratio_sum = 0;
    for (std::size_t i = 0; i < 20; ++i) {
        ImpactQuery rq;
        std::vector<std::pair<std::uint32_t, std::uint32_t>> sorted(real.queries[i].begin(), real.queries[i].end());
        std::sort(sorted.begin(), sorted.end());
        for (const auto& [t, w] : sorted) {
            rq.ids.push_back(t);
            rq.weights.push_back(w);
        }
        double best = 0, sum = 0;
        for (const auto& d : docs) {
            const double s = dot(d, rq);
            best = std::max(best, s);
            sum += s;
        }
        ratio_sum += best / (sum / static_cast<double>(docs.size()));
    }
    EXPECT_GT(ratio_sum / 20.0, 8.0);
}

}  // namespace
}  // namespace spindle::gen
