// BM25 effectiveness against Anserini's published / measured numbers on the
// shared collections (skipped when ../shared/data is absent). The metrics
// below are a small trec_eval-style implementation kept for these checks
// until the evaluation library lands:
//   - a query counts when it is both in the run and in the judgments;
//   - hits are re-sorted by score descending, ties by docno descending
//     (trec_eval's order), then cut at the depth;
//   - relevant = level > 0; MAP divides by all relevant judged documents;
//   - nDCG@10 uses gain = level and a log2(rank + 1) discount, ideal from the
//     judged levels; P@10 divides by 10; R@100 by the number of relevant.
#include <gtest/gtest.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <filesystem>
#include <map>
#include <unordered_map>

#include "spindle/index/index.hpp"
#include "spindle/query/algorithm.hpp"
#include "spindle/query/searcher.hpp"
#include "spindle/text/collection_reader.hpp"
#include "spindle/text/judgments.hpp"
#include "spindle/text/text_index_builder.hpp"
#include "spindle/text/text_query.hpp"
#include "test_util.hpp"

namespace spindle::test {
namespace {

using ResultRun = std::map<std::string, std::vector<std::pair<std::string, double>>>;  // qid -> (docno, score)
using Qrels = std::map<std::string, std::unordered_map<std::string, int>>;

struct Metrics {
    double map = 0, ndcg10 = 0, p10 = 0, r100 = 0;
    std::size_t queries = 0;
};

Metrics evaluate(ResultRun run, const Qrels& qrels) {
    Metrics m;
    for (auto& [qid, hits] : run) {
        const auto j = qrels.find(qid);
        if (j == qrels.end()) continue;
        std::sort(hits.begin(), hits.end(), [](const auto& a, const auto& b) {
            return a.second != b.second ? a.second > b.second : a.first > b.first;
        });
        std::vector<int> ideal;
        for (const auto& [doc, level] : j->second) {
            if (level > 0) ideal.push_back(level);
        }
        std::sort(ideal.rbegin(), ideal.rend());
        const auto num_rel = static_cast<double>(ideal.size());
        double ap = 0, dcg = 0, idcg = 0, rel10 = 0, rel100 = 0, found = 0;
        for (std::size_t r = 0; r < hits.size(); ++r) {
            const auto it = j->second.find(hits[r].first);
            const int level = it == j->second.end() ? 0 : it->second;
            if (level <= 0) continue;
            found += 1;
            ap += found / static_cast<double>(r + 1);
            if (r < 10) {
                dcg += level / std::log2(static_cast<double>(r) + 2.0);
                rel10 += 1;
            }
            if (r < 100) rel100 += 1;
        }
        for (std::size_t r = 0; r < std::min<std::size_t>(10, ideal.size()); ++r) {
            idcg += ideal[r] / std::log2(static_cast<double>(r) + 2.0);
        }
        m.map += num_rel > 0 ? ap / num_rel : 0.0;
        m.ndcg10 += idcg > 0 ? dcg / idcg : 0.0;
        m.p10 += rel10 / 10.0;
        m.r100 += num_rel > 0 ? rel100 / num_rel : 0.0;
        ++m.queries;
    }
    if (m.queries > 0) {
        const auto n = static_cast<double>(m.queries);
        m.map /= n;
        m.ndcg10 /= n;
        m.p10 /= n;
        m.r100 /= n;
    }
    return m;
}

struct Collection {
    std::string name;
    std::string docs;
    text::CollectionFormat doc_format;
    std::string queries;
    text::QueryFormat query_format;
    std::string qrels;
    text::JudgmentFormat qrels_format;
    bool number_queries = false;  ///< Cranfield
    bool remove_query = false;    ///< Anserini -removeQuery (BEIR): drop hits whose docid is the query id
};

Metrics run_collection(const Collection& c, WeightType wt = WeightType::f32) {
    TempDir dir;
    const auto t0 = std::chrono::steady_clock::now();
    text::TextIndexBuilder builder(dir / "idx", with_weights(wt), "english", {});
    text::read_collection(c.docs, c.doc_format,
                          [&](const text::TextRecord& r) { builder.add(r.id, r.text, r.file, r.line); });
    builder.finish();
    const double build_s = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    const Index index(dir / "idx");
    text::QueryReadOptions qopts;
    qopts.number_in_file_order = c.number_queries;
    const auto queries = text::read_analyzed_queries(c.queries, c.query_format, qopts, "english");
    SearchOptions opts;
    opts.k = 1000;  // Anserini's -hits 1000
    SearchScratch scratch;
    SearchStats stats;
    ResultRun run;
    for (const auto& q : queries) {
        auto& hits = run[q.id];
        for (const Hit& h : search(index, plan_query(index, q), opts, scratch, stats)) {
            const std::string doc(index.segment(h.segment).doc_id(h.doc));
            if (c.remove_query && doc == q.id) continue;
            hits.emplace_back(doc, h.score);
        }
    }
    Qrels qrels;
    for (auto& j : text::read_judgments(c.qrels, c.qrels_format)) qrels[j.query][j.doc] = j.level;
    const Metrics m = evaluate(std::move(run), qrels);
    std::printf("[%s %s] %zu queries: MAP %.4f  nDCG@10 %.4f  P@10 %.4f  R@100 %.4f  (build %.2f s)\n",
                c.name.c_str(), std::string(to_string(wt)).c_str(), m.queries, m.map, m.ndcg10, m.p10, m.r100,
                build_s);
    return m;
}

bool have(const std::string& path) { return std::filesystem::exists(path); }

TEST(TextMetrics, TrecEvalStyleOnAHandExample) {
    ResultRun run;
    run["q"] = {{"a", 3.0}, {"b", 2.0}, {"c", 2.0}, {"d", 1.0}};  // ties: "c" ranks before "b"
    Qrels qrels;
    qrels["q"] = {{"b", 2}, {"d", 1}, {"e", 1}, {"a", 0}};
    qrels["unjudged-in-run"] = {{"x", 1}};
    const Metrics m = evaluate(run, qrels);
    EXPECT_EQ(m.queries, 1U);
    // Ranking a c b d: relevant at 3 (b) and 4 (d); 3 relevant judged.
    EXPECT_NEAR(m.map, (1.0 / 3 + 2.0 / 4) / 3, 1e-12);
    const double dcg = 2 / std::log2(4.0) + 1 / std::log2(5.0);
    const double idcg = 2 / std::log2(2.0) + 1 / std::log2(3.0) + 1 / std::log2(4.0);
    EXPECT_NEAR(m.ndcg10, dcg / idcg, 1e-12);
    EXPECT_NEAR(m.p10, 0.2, 1e-12);
    EXPECT_NEAR(m.r100, 2.0 / 3, 1e-12);
}

TEST(TextEffectiveness, SciFactFlatMatchesAnserini) {
    const std::string d = shared_data() + "/beir/scifact";
    if (!have(d + "/corpus.jsonl")) GTEST_SKIP() << "shared data absent: " << d;
    const Collection c{"scifact", d + "/corpus.jsonl", text::CollectionFormat::beir, d + "/queries.test.jsonl",
                       text::QueryFormat::beir, d + "/qrels/test.tsv", text::JudgmentFormat::beir, false, true};
    const Metrics m = run_collection(c);
    EXPECT_EQ(m.queries, 300U);
    EXPECT_NEAR(m.ndcg10, 0.6789, 0.005);  // Anserini BM25 flat
    EXPECT_NEAR(m.r100, 0.9253, 0.01);
}

TEST(TextEffectiveness, SciFactQuantizedWeightsLoseLittle) {
    const std::string d = shared_data() + "/beir/scifact";
    if (!have(d + "/corpus.jsonl")) GTEST_SKIP() << "shared data absent: " << d;
    const Collection c{"scifact", d + "/corpus.jsonl", text::CollectionFormat::beir, d + "/queries.test.jsonl",
                       text::QueryFormat::beir, d + "/qrels/test.tsv", text::JudgmentFormat::beir, false, true};
    const Metrics u16 = run_collection(c, WeightType::u16);
    const Metrics u8 = run_collection(c, WeightType::u8);
    EXPECT_NEAR(u16.ndcg10, 0.6789, 0.005);
    EXPECT_NEAR(u8.ndcg10, 0.6789, 0.02);
}

// BM25 weights are ordinary stored weights: every exact algorithm returns the
// same hits as the exhaustive reference on a real text index.
TEST(TextEffectiveness, AllAlgorithmsAgreeOnBm25Index) {
    const std::string d = shared_data() + "/classic/cisi";
    if (!have(d + "/CISI.ALL")) GTEST_SKIP() << "shared data absent: " << d;
    for (const WeightType wt : {WeightType::f32, WeightType::u8}) {
        TempDir dir;
        text::TextIndexBuilder builder(dir / "idx", with_weights(wt), "english", {});
        text::read_collection(d + "/CISI.ALL", text::CollectionFormat::smart,
                              [&](const text::TextRecord& r) { builder.add(r.id, r.text, r.file, r.line); });
        builder.finish();
        const Index index(dir / "idx");
        const auto queries = text::read_analyzed_queries(d + "/CISI.QRY", text::QueryFormat::smart, {}, "english");
        SearchScratch scratch;
        SearchStats stats;
        for (const auto& q : queries) {
            const QueryPlan plan = plan_query(index, q);
            SearchOptions ref_opts;
            ref_opts.algorithm = Algorithm::exhaustive;
            ref_opts.k = 100;
            const auto ref = search(index, plan, ref_opts, scratch, stats);
            for (const Algorithm a : {Algorithm::maxscore, Algorithm::bmw, Algorithm::bmp}) {
                SearchOptions opts = ref_opts;
                opts.algorithm = a;
                const auto got = search(index, plan, opts, scratch, stats);
                ASSERT_EQ(got.size(), ref.size()) << q.id << " " << to_string(a);
                for (std::size_t i = 0; i < ref.size(); ++i) {
                    ASSERT_EQ(got[i].global_doc, ref[i].global_doc) << q.id << " " << to_string(a) << " rank " << i;
                    ASSERT_EQ(got[i].raw, ref[i].raw) << q.id << " " << to_string(a) << " rank " << i;
                }
            }
        }
    }
}

TEST(TextEffectiveness, CacmAnseriniCopy) {
    const std::string d = shared_data() + "/classic/cacm/anserini";
    if (!have(d + "/cacm.jsonl")) GTEST_SKIP() << "shared data absent: " << d;
    const Collection c{"cacm", d + "/cacm.jsonl", text::CollectionFormat::anserini, d + "/topics.cacm.txt",
                       text::QueryFormat::trec, d + "/qrels.cacm.txt", text::JudgmentFormat::trec};
    const Metrics m = run_collection(c);
    EXPECT_EQ(m.queries, 52U);
    EXPECT_NEAR(m.map, 0.3123, 0.01);
}

// The SMART originals (cacm.all .T + .W, query.text, qrels.text): no published
// reference; checked loosely and printed next to the Anserini copy.
TEST(TextEffectiveness, CacmSmartOriginals) {
    const std::string d = shared_data() + "/classic/cacm";
    if (!have(d + "/cacm.all")) GTEST_SKIP() << "shared data absent: " << d;
    const Collection c{"cacm-smart", d + "/cacm.all", text::CollectionFormat::smart, d + "/query.text",
                       text::QueryFormat::smart, d + "/qrels.text", text::JudgmentFormat::automatic};
    const Metrics m = run_collection(c);
    EXPECT_EQ(m.queries, 52U);
    EXPECT_GT(m.map, 0.25);
}

TEST(TextEffectiveness, Cranfield) {
    const std::string d = shared_data() + "/classic/cranfield";
    if (!have(d + "/cran.all.1400")) GTEST_SKIP() << "shared data absent: " << d;
    const Collection c{"cranfield", d + "/cran.all.1400", text::CollectionFormat::smart, d + "/cran.qry",
                       text::QueryFormat::smart, d + "/cranqrel", text::JudgmentFormat::cranfield, true};
    const Metrics m = run_collection(c);
    EXPECT_EQ(m.queries, 225U);
    EXPECT_NEAR(m.map, 0.2878, 0.01);
}

TEST(TextEffectiveness, Cisi) {
    const std::string d = shared_data() + "/classic/cisi";
    if (!have(d + "/CISI.ALL")) GTEST_SKIP() << "shared data absent: " << d;
    const Collection c{"cisi", d + "/CISI.ALL", text::CollectionFormat::smart, d + "/CISI.QRY",
                       text::QueryFormat::smart, d + "/CISI.REL", text::JudgmentFormat::smart};
    const Metrics m = run_collection(c);
    EXPECT_EQ(m.queries, 76U);
    EXPECT_NEAR(m.map, 0.2045, 0.01);
}

TEST(TextEffectiveness, Med) {
    const std::string d = shared_data() + "/classic/med";
    if (!have(d + "/MED.ALL")) GTEST_SKIP() << "shared data absent: " << d;
    const Collection c{"med", d + "/MED.ALL", text::CollectionFormat::smart, d + "/MED.QRY",
                       text::QueryFormat::smart, d + "/MED.REL", text::JudgmentFormat::trec};
    const Metrics m = run_collection(c);
    EXPECT_EQ(m.queries, 30U);
    EXPECT_NEAR(m.map, 0.5118, 0.01);
}

}  // namespace
}  // namespace spindle::test
