// Round trips of the docid codec and of the cursor over encoded blocks.
#include <gtest/gtest.h>

#include <random>

#include "spindle/codec/docid_codec.hpp"
#include "spindle/query/topk.hpp"

namespace spindle::test {
namespace {

TEST(DocidCodec, RoundTripsRandomIncreasingSequences) {
    std::mt19937_64 rng(1);
    for (int iter = 0; iter < 2000; ++iter) {
        const auto n = static_cast<std::uint32_t>(rng() % 300);
        const std::uint32_t prev = static_cast<std::uint32_t>(rng() % 1000);
        std::vector<std::uint32_t> v(n);
        std::uint32_t x = prev;
        const std::uint64_t max_gap = std::uint64_t{1} << (rng() % 31);
        for (auto& e : v) e = x += static_cast<std::uint32_t>(rng() % max_gap) + (iter % 2);
        std::vector<std::uint8_t> enc;
        const std::size_t bytes = codec::encode_increasing(v.data(), n, prev, enc);
        ASSERT_EQ(bytes, enc.size());
        enc.resize(enc.size() + codec::kStreamPadding);
        std::vector<std::uint32_t> dec(n);
        EXPECT_EQ(codec::decode_increasing(enc.data(), dec.data(), n, prev), bytes);
        EXPECT_EQ(v, dec) << "iteration " << iter;
    }
}

TEST(DocidCodec, HandlesExtremes) {
    std::vector<std::uint32_t> v{0, 0xFFFFFFFEU, 0xFFFFFFFFU};
    std::vector<std::uint8_t> enc;
    codec::encode_increasing(v.data(), 3, 0, enc);
    enc.resize(enc.size() + codec::kStreamPadding);
    std::vector<std::uint32_t> dec(3);
    codec::decode_increasing(enc.data(), dec.data(), 3, 0);
    EXPECT_EQ(v, dec);
}

TEST(TopK, KeepsBestWithTiesByAscendingDocid) {
    std::mt19937_64 rng(2);
    for (int iter = 0; iter < 200; ++iter) {
        const std::size_t k = 1 + rng() % 20;
        TopK topk(k);
        std::vector<ScoredDoc> all;
        for (docid_t d = 0; d < 300; ++d) {
            const score_t s = rng() % 6;  // many ties and zeros
            // Offer in a shuffled order: the result must not depend on it.
            all.push_back({s, static_cast<docid_t>((d * 7919) % 300)});
        }
        for (const auto& e : all) topk.push(e.score, e.doc);
        std::vector<ScoredDoc> want;
        for (const auto& e : all) {
            if (e.score > 0) want.push_back(e);
        }
        std::sort(want.begin(), want.end(), ranks_before);
        if (want.size() > k) want.resize(k);
        const auto got = topk.take_sorted();
        ASSERT_EQ(got.size(), want.size());
        for (std::size_t i = 0; i < got.size(); ++i) {
            EXPECT_EQ(got[i].doc, want[i].doc);
            EXPECT_EQ(got[i].score, want[i].score);
        }
    }
}

}  // namespace
}  // namespace spindle::test
