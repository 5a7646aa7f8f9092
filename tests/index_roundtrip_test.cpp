// Build -> open round trips: the forward and inverted indexes hold exactly the
// (quantized) input, counts are right, and publishing is atomic.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <map>

#include "spindle/codec/docid_codec.hpp"
#include "spindle/common/error.hpp"
#include "spindle/formats/csr.hpp"
#include "spindle/index/index.hpp"
#include "spindle/query/block_cursor.hpp"
#include "test_util.hpp"

namespace spindle::test {
namespace {

template <class W>
void check_contents(const Index& idx, const std::vector<Vec>& docs, WeightType wt) {
    const Segment& seg = idx.segment(0);
    const auto& v = std::get<SegmentViews<W>>(seg.views());
    const double scale = seg.header().scale;
    std::map<termid_t, std::vector<std::pair<docid_t, W>>> postings;
    std::vector<termid_t> terms;
    for (docid_t d = 0; d < docs.size(); ++d) {
        EXPECT_EQ(seg.doc_id(d), docs[d].id);
        // Expected stored entries: quantized, zero input weights dropped, by term id.
        std::vector<std::pair<termid_t, W>> want;
        for (const auto& [tok, w] : docs[d].terms) {
            W code;
            if (wt == WeightType::f32) {
                code = static_cast<W>(w);
            } else {
                const double mx = wt == WeightType::u8 ? 255.0 : 65535.0;
                // Rounded up, at least one code (docs/format.md, "Quantization").
                code = w > 0 ? static_cast<W>(std::clamp(std::ceil(static_cast<double>(w) / scale), 1.0, mx)) : W{0};
            }
            if (code != W{0}) want.emplace_back(*idx.vocabulary().find(tok), code);
        }
        std::sort(want.begin(), want.end());
        const auto b = v.fwd.doc_term_begin[d];
        const auto n = static_cast<std::uint32_t>(v.fwd.doc_term_begin[d + 1] - b);
        ASSERT_EQ(n, want.size()) << "doc " << d;
        terms.resize(n);
        codec::decode_increasing(v.fwd.term_stream.data() + v.fwd.doc_byte_begin[d], terms.data(), n, 0);
        for (std::uint32_t i = 0; i < n; ++i) {
            EXPECT_EQ(terms[i], want[i].first);
            EXPECT_EQ(v.fwd.weights[b + i], want[i].second);
            postings[terms[i]].emplace_back(d, want[i].second);
        }
    }
    // Every inverted list, read through a cursor, equals the transposed forward index.
    for (termid_t t = 0; t < idx.vocabulary().size(); ++t) {
        BlockPostingCursor<W> c(v.inv, t, nullptr);
        const auto& want = postings[t];
        EXPECT_EQ(c.size(), want.size());
        W mx{0};
        for (const auto& [d, w] : want) {
            ASSERT_EQ(c.docid(), d) << "term " << t;
            EXPECT_EQ(c.weight(), w);
            mx = std::max(mx, w);
            c.next();
        }
        EXPECT_EQ(c.docid(), v.inv.num_docs);
        EXPECT_EQ(c.max_weight(), mx);
        // Range maxima (dense or sparse form): per range, the largest weight
        // of the term, rounded up to the RangeMax unit.
        std::map<std::uint32_t, RangeMax<W>> want_ranges;
        for (const auto& [d, w] : want) {
            const RangeMax<W> code = range_max_code(w, v.inv.term_max[t]);
            if constexpr (std::is_integral_v<W>) {
                EXPECT_GE(std::uint32_t{code} * kRangeMaxUnit<W>, std::uint32_t{w});
            } else {
                EXPECT_GE(static_cast<double>(code) * static_cast<double>(v.inv.term_max[t]) / 255.0 * (1.0 + 1e-9),
                          static_cast<double>(w));
            }
            auto& m = want_ranges[d / v.inv.range_block];
            m = std::max(m, code);
        }
        std::map<std::uint32_t, RangeMax<W>> got_ranges;
        const auto rb = v.inv.term_range_begin[t];
        const auto count = static_cast<std::uint32_t>(v.inv.term_range_begin[t + 1] - rb);
        if (v.inv.dense_ranges(t)) {
            for (std::uint32_t r = 0; r < count; ++r) {
                if (v.inv.range_max[rb + r] != RangeMax<W>{0}) got_ranges[r] = v.inv.range_max[rb + r];
            }
        } else {
            std::vector<std::uint32_t> ids(count);
            codec::decode_increasing(v.inv.range_stream.data() + v.inv.term_range_byte_begin[t], ids.data(), count, 0);
            for (std::uint32_t j = 0; j < count; ++j) got_ranges[ids[j]] = v.inv.range_max[rb + j];
        }
        EXPECT_EQ(got_ranges, want_ranges) << "term " << t;
        // next_geq from scratch reaches every posting.
        for (std::size_t i = 0; i < want.size(); i += 37) {
            BlockPostingCursor<W> c2(v.inv, t, nullptr);
            c2.next_geq(want[i].first);
            EXPECT_EQ(c2.docid(), want[i].first);
        }
    }
}

TEST(IndexRoundTrip, ContentsCountsAndSizes) {
    CorpusParams p;
    p.docs = 1500;
    p.discrete_weights = false;
    p.mean_len = 40;
    const auto docs = random_corpus(3, p);
    for (WeightType wt : {WeightType::f32, WeightType::u16, WeightType::u8}) {
        TempDir dir;
        BuildOptions bo;
        bo.weight_type = wt;
        bo.range_block = 16;
        const Manifest m = build_index(dir / "idx", docs, bo);
        const Index idx(dir / "idx");
        std::size_t empty = 0;
        for (const auto& d : docs) empty += d.terms.empty();
        EXPECT_EQ(idx.manifest().num_docs, docs.size());
        EXPECT_EQ(idx.manifest().empty_docs, empty);
        EXPECT_EQ(idx.manifest().weight_type, wt);
        EXPECT_EQ(m.to_json(), idx.manifest().to_json());
        switch (wt) {
            case WeightType::f32: check_contents<float>(idx, docs, wt); break;
            case WeightType::u16: check_contents<std::uint16_t>(idx, docs, wt); break;
            case WeightType::u8: check_contents<std::uint8_t>(idx, docs, wt); break;
        }
    }
}

TEST(IndexRoundTrip, EmptyCollectionOpens) {
    TempDir dir;
    build_index(dir / "idx", {}, {});
    const Index idx(dir / "idx");
    EXPECT_EQ(idx.manifest().num_docs, 0U);
    EXPECT_EQ(idx.num_segments(), 1U);
}

TEST(IndexRoundTrip, ExistingIndexIsKeptUnlessOverwrite) {
    CorpusParams p;
    p.docs = 20;
    TempDir dir;
    build_index(dir / "idx", random_corpus(1, p), {});
    EXPECT_THROW(build_index(dir / "idx", random_corpus(2, p), {}), InvalidArgument);
    BuildOptions o;
    o.overwrite = true;
    p.docs = 30;
    build_index(dir / "idx", random_corpus(2, p), o);
    EXPECT_EQ(Index(dir / "idx").manifest().num_docs, 30U);
    std::size_t entries = 0;
    for ([[maybe_unused]] const auto& e : std::filesystem::directory_iterator(dir.path())) ++entries;
    EXPECT_EQ(entries, 1U) << "staging or old directories left behind";
}

TEST(IndexRoundTrip, AbandonedBuildLeavesNothing) {
    TempDir dir;
    {
        IndexBuilder b(dir / "idx", {});
        RawRecord r;
        r.id = "x";
        r.tokens = {{"a", 1.0F}};
        b.add(r);
        // destroyed without finish(), as after an exception
    }
    EXPECT_TRUE(std::filesystem::is_empty(dir.path()));
}

TEST(IndexRoundTrip, BadBuildOptions) {
    TempDir dir;
    BuildOptions o;
    o.segment_docs = 0;
    EXPECT_THROW(IndexBuilder(dir / "a", o), InvalidArgument);
    o = {};
    o.range_block = 0;
    EXPECT_THROW(IndexBuilder(dir / "b", o), InvalidArgument);
    EXPECT_THROW(IndexBuilder("/nonexistent/dir/idx", {}), InvalidArgument);
    EXPECT_THROW(parse_weight_type("u4"), InvalidArgument);
}

TEST(IndexRoundTrip, CsrWithVocabularyAnswersTextQueries) {
    TempDir dir;
    CsrMatrix m;
    m.ncol = 3;
    m.indices = {0, 2, 1};
    m.data = {1.0F, 2.0F, 3.0F};
    m.indptr = {0, 2, 3};
    write_csr(dir / "d.csr", m);
    write_text(dir / "vocab.txt", "apple\nbanana\ncherry\n");
    {
        IndexBuilder b(dir / "idx", {});
        b.preload_vocabulary(dir / "vocab.txt");
        read_records(dir / "d.csr", InputFormat::automatic, [&](const RawRecord& r) { b.add(r); });
        b.finish();
    }
    const Index idx(dir / "idx");
    EXPECT_EQ(idx.vocabulary().token(2), "cherry");
    std::uint64_t unknown = 0;
    const auto plan = plan_query(idx, TextQuery{"q", {{"cherry", 1.0F}, {"banana", 1.0F}}, {}}, &unknown);
    EXPECT_EQ(unknown, 0U);
    EXPECT_EQ(plan.terms.size(), 2U);
    write_text(dir / "dupvocab.txt", "a\nb\na\n");
    IndexBuilder b(dir / "idx2", {});
    EXPECT_THROW(b.preload_vocabulary(dir / "dupvocab.txt"), ParseError);
}

}  // namespace
}  // namespace spindle::test
