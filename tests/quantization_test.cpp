// Quantization of stored weights (issue 10, item 1): a weight > 0 is never
// stored as 0, one outlier cannot squeeze the others into a few codes, and
// clipping is counted and reported. Bulk builds and live collections share
// the quantizer (choose_quantization / quantize_weight).
#include <gtest/gtest.h>

#include <cmath>
#include <map>
#include <set>

#include "spindle/collection/collection.hpp"
#include "spindle/index/index.hpp"
#include "spindle/index/quantize.hpp"
#include "test_util.hpp"

namespace spindle::test {
namespace {

std::vector<Hit> top(const Index& idx, const TextQuery& q, std::size_t k, Algorithm a = Algorithm::exhaustive) {
    SearchOptions o;
    o.algorithm = a;
    o.k = k;
    return search_once(idx, plan_query(idx, q), o);
}

std::set<std::string> id_set(const Index& idx, const std::vector<Hit>& hits) {
    std::set<std::string> s;
    for (const Hit& h : hits) s.insert(std::string(idx.segment(h.segment).doc_id(h.doc)));
    return s;
}

TEST(Quantization, ScaleIsAPowerOfTwoAndCodesRoundUp) {
    const std::vector<float> w = {0.001F, 0.5F, 1.0F, 2.63F};
    for (WeightType wt : {WeightType::u8, WeightType::u16}) {
        const Quantization q = choose_quantization(w, wt);
        int e = 0;
        EXPECT_EQ(std::frexp(q.scale, &e), 0.5) << "scale " << q.scale << " is not a power of two";
        EXPECT_FALSE(q.clips());
        EXPECT_GE(q.cap, 2.63F);
        const double max_code = wt == WeightType::u8 ? 255 : 65535;
        EXPECT_GT(2.63 / q.scale, max_code / 2) << "the largest weight uses at least half of the codes";
        for (float x : w) {
            const double code = wt == WeightType::u8 ? quantize_weight<std::uint8_t>(x, q) : quantize_weight<std::uint16_t>(x, q);
            EXPECT_GE(code, 1.0);
            EXPECT_GE(code * q.scale, static_cast<double>(x)) << "a stored weight never underestimates";
            EXPECT_LT(code * q.scale - q.scale, static_cast<double>(x));
        }
        // Decoding and re-encoding under the same scale is exact (merges do it).
        const auto c = quantize_weight<std::uint8_t>(0.3F, q);
        EXPECT_EQ(quantize_weight<std::uint8_t>(static_cast<float>(c * q.scale), q), c);
    }
    EXPECT_EQ(quantize_weight<std::uint8_t>(0.0F, choose_quantization(w, WeightType::u8)), 0);
}

TEST(Quantization, OneOutlierIsClippedNotEveryoneElse) {
    std::vector<float> w(2900);
    for (std::size_t i = 0; i < w.size(); ++i) w[i] = 0.001F + 2.6F * static_cast<float>(i) / 2900.0F;
    w.push_back(5000.0F);
    const Quantization q8 = choose_quantization(w, WeightType::u8);
    EXPECT_TRUE(q8.clips());
    EXPECT_LT(static_cast<double>(q8.cap), 2.7 * kClipFactorU8 * 2);
    EXPECT_GT(2.6 / q8.scale, 255.0 / kClipFactorU8 / 2) << "ordinary weights keep their codes";
    const Quantization q16 = choose_quantization(w, WeightType::u16);
    EXPECT_TRUE(q16.clips());
    EXPECT_GT(2.6 / q16.scale, 65535.0 / kClipFactorU16 / 2);
}

// The outlier document of the issue: with u8 it used to turn 2900 postings
// into zeros, with u16 245 of them.
TEST(Quantization, OutlierCorpusKeepsTheTop10OfF32) {
    CorpusParams p;
    p.docs = 300;
    p.discrete_weights = false;
    auto docs = random_corpus(11, p);
    docs.push_back({"outlier", {{token_name(0), 5000.0F}}});
    const auto queries = random_queries(11, 40, p.vocab, false);
    TempDir dir;
    build_index(dir / "f32", docs, with_weights(WeightType::f32));
    const Index ref(dir / "f32");
    for (WeightType wt : {WeightType::u16, WeightType::u8}) {
        const std::string path = dir / std::string(to_string(wt));
        const Manifest m = build_index(path, docs, with_weights(wt));
        std::uint64_t input = 0;
        for (const auto& d : docs) input += d.terms.size();
        EXPECT_EQ(m.num_postings, input) << to_string(wt) << ": no posting may be dropped";
        EXPECT_EQ(m.zero_dropped, 0U);
        EXPECT_EQ(m.clipped, 1U);
        const std::string warning = clip_warning(m);
        EXPECT_NE(warning.find("1 weight clipped"), std::string::npos) << warning;
        EXPECT_NE(warning.find("'outlier'"), std::string::npos) << warning;
        const Index idx(path);
        // The warning survives reopening (the manifest records it).
        EXPECT_EQ(idx.manifest().clipped, 1U);
        EXPECT_EQ(clip_warning(idx.manifest()), warning);
        for (const auto& qv : queries) {
            const TextQuery q = to_query(qv);
            // Every document sharing a term with the query is returned.
            EXPECT_EQ(top(idx, q, 1000).size(), top(ref, q, 1000).size()) << qv.id << " " << to_string(wt);
            if (wt == WeightType::u16) {
                EXPECT_EQ(id_set(idx, top(idx, q, 10)), id_set(ref, top(ref, q, 10))) << qv.id;
            }
        }
    }
}

// The toy SPLADE corpus plus the outlier: every toy query keeps its f32 top-10 set.
TEST(Quantization, SpladeToyWithOutlierKeepsTheTop10OfF32) {
    const std::string toy = shared_data() + "/msmarco/splade_toy";
    if (!std::filesystem::exists(toy + "/documents.jsonl")) GTEST_SKIP() << "shared data absent: " << toy;
    TempDir dir;
    auto build = [&](WeightType wt) {
        const std::string path = dir / std::string(to_string(wt));
        IndexBuilder b(path, with_weights(wt));
        read_records(toy + "/documents.jsonl", InputFormat::automatic, [&](const RawRecord& r) { b.add(r); });
        RawRecord rec;
        rec.file = "memory";
        rec.id = "outlier";
        rec.tokens = {{"the", 5000.0F}};
        b.add(rec);
        const Manifest m = b.finish();
        EXPECT_EQ(m.num_postings, 2901U) << to_string(wt);
        return path;
    };
    const Index ref(build(WeightType::f32));
    const auto queries = read_queries(toy + "/queries.jsonl");
    ASSERT_EQ(queries.size(), 5U);
    for (WeightType wt : {WeightType::u16, WeightType::u8}) {
        const Index idx(build(wt));
        for (const auto& q : queries) {
            for (Algorithm a : {Algorithm::exhaustive, Algorithm::maxscore, Algorithm::bmw, Algorithm::bmp}) {
                EXPECT_EQ(id_set(idx, top(idx, q, 10, a)), id_set(ref, top(ref, q, 10))) << q.id << " " << to_string(wt);
            }
        }
    }
}

// {"a":1e30,"b":1e-30} and {"a":0.5}: the second document used to lose its
// only posting (and f32 scoring rounded its contribution to 0).
TEST(Quantization, ExtremeDynamicRangeLosesNoDocument) {
    const std::vector<Vec> docs = {{"x", {{"a", 1e30F}, {"b", 1e-30F}}}, {"y", {{"a", 0.5F}}}};
    for (WeightType wt : {WeightType::f32, WeightType::u16, WeightType::u8}) {
        TempDir dir;
        const Manifest m = build_index(dir / "idx", docs, with_weights(wt));
        EXPECT_EQ(m.num_postings, 3U) << to_string(wt);
        EXPECT_EQ(m.empty_docs, 0U) << to_string(wt);
        EXPECT_EQ(m.clipped, wt == WeightType::f32 ? 0U : 1U) << to_string(wt);
        const Index idx(dir / "idx");
        for (Algorithm a : {Algorithm::exhaustive, Algorithm::maxscore, Algorithm::bmw, Algorithm::bmp}) {
            const auto ha = top(idx, TextQuery{"qa", {{"a", 1.0F}}}, 10, a);
            ASSERT_EQ(ha.size(), 2U) << to_string(wt) << " " << to_string(a);
            EXPECT_EQ(idx.segment(ha[0].segment).doc_id(ha[0].doc), "x");
            EXPECT_EQ(top(idx, TextQuery{"qb", {{"b", 1.0F}}}, 10, a).size(), 1U) << to_string(wt) << " " << to_string(a);
            // A tiny query weight next to a large one still counts.
            EXPECT_EQ(top(idx, TextQuery{"qab", {{"a", 1e-12F}, {"b", 1.0F}}}, 10, a).size(), 2U)
                << to_string(wt) << " " << to_string(a);
        }
    }
}

// Live collections flush through the same quantizer: the outlier is clipped
// and counted, no posting becomes 0.
TEST(Quantization, LiveCollectionFlushUsesTheSameQuantizer) {
    skip_fsync_for_tests();
    TempDir dir;
    CollectionConfig cfg;
    SparseVectorConfig v;
    v.weight_type = WeightType::u8;
    cfg.vectors.emplace("default", v);
    auto c = Collection::create(dir / "c", cfg);
    std::vector<Point> pts;
    for (int i = 0; i < 50; ++i) {
        Point p;
        p.id = PointId::key("d" + std::to_string(i));
        p.vectors["default"] = SparseVector{{}, {"a", "b"}, {0.001F + 0.05F * static_cast<float>(i), 1.0F}};
        pts.push_back(p);
    }
    Point out;
    out.id = PointId::key("outlier");
    out.vectors["default"] = SparseVector{{}, {"b"}, {5000.0F}};
    pts.push_back(out);
    c->upsert(pts);
    c->flush();
    const auto snap = c->snapshot();
    const auto idx = snap->index("default");
    EXPECT_EQ(idx->manifest().num_postings, 101U);
    EXPECT_EQ(idx->manifest().clipped, 1U);
    EXPECT_NE(clip_warning(idx->manifest()).find("'outlier'"), std::string::npos) << clip_warning(idx->manifest());
    SearchRequest r;
    r.query.tokens = {"a"};
    r.query.values = {1.0F};
    r.k = 100;
    r.algorithm = Algorithm::exhaustive;
    const auto res = c->search(r);
    ASSERT_EQ(res.points.size(), 50U);
    EXPECT_EQ(res.points[0].id, PointId::key("d49"));  // ranks of ordinary weights kept
    EXPECT_EQ(res.points[1].id, PointId::key("d48"));
}

// Rank order (issue 10, item 1): a weight "changes rank order" when its code
// equals that of a strictly different weight of the same term. Brute force
// over every pair of each term's weights, against the writer's one-pass count.
std::uint64_t brute_force_rank_ties(const std::vector<Vec>& docs, WeightType wt) {
    if (wt == WeightType::f32) return 0;
    std::vector<float> all;
    std::map<std::string, std::vector<float>> by_term;
    for (const auto& d : docs) {
        for (const auto& [t, w] : d.terms) {
            all.push_back(w);
            by_term[t].push_back(w);
        }
    }
    const Quantization q = choose_quantization(all, wt);
    auto code = [&](float w) -> std::uint32_t {
        return wt == WeightType::u8 ? quantize_weight<std::uint8_t>(w, q) : quantize_weight<std::uint16_t>(w, q);
    };
    std::uint64_t n = 0;
    for (const auto& [t, ws] : by_term) {
        for (std::size_t i = 0; i < ws.size(); ++i) {
            bool tied = false;
            for (std::size_t j = 0; j < ws.size() && !tied; ++j) tied = ws[j] != ws[i] && code(ws[j]) == code(ws[i]);
            n += tied ? 1 : 0;
        }
    }
    return n;
}

TEST(Quantization, RankTiesCountedExactlyAndKeptInTheManifest) {
    for (std::uint64_t seed : {3U, 4U, 5U}) {
        CorpusParams p;
        p.docs = 400;
        p.discrete_weights = false;
        auto docs = random_corpus(seed, p);
        if (seed == 5) docs.push_back({"outlier", {{token_name(0), 5000.0F}}});  // clipping ties too
        for (WeightType wt : {WeightType::f32, WeightType::u16, WeightType::u8}) {
            TempDir dir;
            const Manifest m = build_index(dir / "idx", docs, with_weights(wt));
            ASSERT_EQ(m.segments.size(), 1U);
            const std::uint64_t want = brute_force_rank_ties(docs, wt);
            EXPECT_EQ(m.rank_tied, want) << "seed " << seed << " " << to_string(wt);
            if (wt == WeightType::u8) {
                EXPECT_GT(want, 0U) << "u8 on continuous weights ties some";
            }
            // The example is a document holding a tied weight.
            if (want > 0) {
                const std::string& ex = m.segments[0].tie_example;
                bool found = false;
                for (const auto& d : docs) found = found || d.id == ex;
                EXPECT_TRUE(found) << "example '" << ex << "'";
            }
            const Index idx(dir / "idx");
            EXPECT_EQ(idx.manifest().rank_tied, m.rank_tied) << "kept in the manifest";
            EXPECT_EQ(rank_tie_warning(idx.manifest()), rank_tie_warning(m));
        }
    }
}

TEST(Quantization, RankTiesOfOneListByHand) {
    // One term: weights 1.0, 1.001 and 2.0 with codes 5, 5, 9: the first two
    // tie (2 weights), 2.0 keeps its rank. Equal inputs never count.
    const std::vector<std::uint64_t> begin = {0, 3, 6};
    const std::vector<std::uint8_t> codes = {5, 5, 9, 7, 7, 7};
    const std::vector<float> weights = {1.0F, 1.001F, 2.0F, 0.5F, 0.5F, 0.5F};
    const RankTies r = count_rank_ties<std::uint8_t>(begin, codes, weights);
    EXPECT_EQ(r.count, 2U);
    EXPECT_EQ(r.example, 1U) << "the posting that tied with a different weight";
    // The same code in two different terms is no tie.
    const std::vector<std::uint64_t> split = {0, 1, 2};
    const std::vector<std::uint16_t> c2 = {4, 4};
    const std::vector<float> w2 = {1.0F, 2.0F};
    EXPECT_EQ(count_rank_ties<std::uint16_t>(split, c2, w2).count, 0U);
}

TEST(Quantization, RankTieWarningAboveOnePercentOnly) {
    Manifest m;
    m.weight_type = WeightType::u8;
    m.num_postings = 1000;
    SegmentInfo s;
    s.rank_tied = 10;
    s.tie_example = "doc7";
    m.segments.push_back(s);
    m.rank_tied = 10;
    EXPECT_EQ(rank_tie_warning(m), "") << "1 % exactly is not more than 1 %";
    m.rank_tied = m.segments[0].rank_tied = 11;
    const std::string w = rank_tie_warning(m);
    EXPECT_NE(w.find("11 of 1000 weights (1.1 %)"), std::string::npos) << w;
    EXPECT_NE(w.find("'doc7'"), std::string::npos) << w;
    EXPECT_NE(w.find("u8"), std::string::npos) << w;
    // Discrete weights (multiples of 0.25) are exact in u8: no tie, no warning.
    CorpusParams p;
    p.docs = 300;
    TempDir dir;
    const Manifest exact = build_index(dir / "idx", random_corpus(9, p), with_weights(WeightType::u8));
    EXPECT_EQ(exact.rank_tied, 0U);
    EXPECT_EQ(rank_tie_warning(exact), "");
}

// Flushes count rank ties like bulk builds; a merge re-quantizes decoded
// (already tied) weights, so it carries its sources' counts, bounded by the
// merged segment's postings, and the warning survives.
TEST(Quantization, RankTiesSurviveFlushesAndMerges) {
    skip_fsync_for_tests();
    TempDir dir;
    CollectionConfig cfg;
    SparseVectorConfig v;
    v.weight_type = WeightType::u8;
    cfg.vectors.emplace("default", v);
    auto c = Collection::create(dir / "c", cfg);
    std::uint64_t flushed = 0;
    for (int batch = 0; batch < 2; ++batch) {
        std::vector<Point> pts;
        for (int i = 0; i < 40; ++i) {
            Point p;
            p.id = PointId::key("b" + std::to_string(batch) + "-" + std::to_string(i));
            // 40 weights of "a" within 0.4 % of each other and one of 2 per batch.
            p.vectors["default"] = SparseVector{{}, {"a"}, {i == 0 ? 2.0F : 1.0F + 0.0001F * static_cast<float>(i)}};
            pts.push_back(p);
        }
        c->upsert(pts);
        c->flush();
        const auto m = c->snapshot()->index("default")->manifest();
        EXPECT_GT(m.rank_tied, flushed) << "batch " << batch;
        flushed = m.rank_tied;
    }
    const std::string before = rank_tie_warning(c->snapshot()->index("default")->manifest());
    EXPECT_NE(before.find("lost their rank order"), std::string::npos) << before;
    c->optimize(1);
    const auto m = c->snapshot()->index("default")->manifest();
    ASSERT_EQ(m.segments.size(), 1U);
    EXPECT_GE(m.rank_tied, flushed) << "carried through the merge";
    EXPECT_LE(m.rank_tied, m.num_postings);
    EXPECT_FALSE(m.segments[0].tie_example.empty());
    EXPECT_NE(rank_tie_warning(m).find("lost their rank order"), std::string::npos);
}

}  // namespace
}  // namespace spindle::test
