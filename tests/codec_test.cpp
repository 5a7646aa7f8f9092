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

TEST(DocidCodec, EncoderMatchesTheLibraryByteForByte) {
    // encode_increasing is our own branch-free encoder; the files it writes
    // must stay what libstreamvbyte writes (every gap width, every tail length,
    // appended after existing bytes).
    std::mt19937_64 rng(7);
    for (int iter = 0; iter < 3000; ++iter) {
        const auto n = static_cast<std::uint32_t>(rng() % 300);
        const std::uint32_t prev = static_cast<std::uint32_t>(rng() % 100000);
        std::vector<std::uint32_t> v(n);
        std::uint32_t x = prev;
        for (auto& e : v) {
            const std::uint64_t max_gap = std::uint64_t{1} << (rng() % 32);
            const auto gap = static_cast<std::uint32_t>(rng() % max_gap);
            x = x + gap < x ? x : x + gap;  // stays increasing (no wrap)
            e = x;
        }
        std::vector<std::uint8_t> ours(iter % 5, std::uint8_t{0xAB});
        std::vector<std::uint8_t> lib = ours;
        const std::size_t a = codec::encode_increasing(v.data(), n, prev, ours);
        const std::size_t b = codec::detail::encode_increasing_library(v.data(), n, prev, lib);
        ASSERT_EQ(a, b) << "iteration " << iter;
        ASSERT_EQ(ours, lib) << "iteration " << iter;
    }
}

TEST(DocidCodec, SimdAndPortableDecodersAgreeOnEveryControlByte) {
    if (!codec::detail::ssse3_available()) GTEST_SKIP() << "this CPU has no SSSE3; only the portable decoder runs";
    std::mt19937_64 rng(3);
    // Gaps of 1 to 4 bytes; the loop below then forces every control byte.
    for (std::uint32_t n : {0U, 1U, 3U, 4U, 5U, 127U, 128U, 129U, 1024U}) {
        for (int iter = 0; iter < 50; ++iter) {
            std::vector<std::uint32_t> v(n);
            std::uint32_t x = static_cast<std::uint32_t>(rng() % 100);
            const std::uint32_t prev = x;
            for (std::uint32_t i = 0; i < n; ++i) {
                const unsigned width = 8 * (1 + static_cast<unsigned>(rng() % 4));  // 8..32-bit gaps
                const std::uint64_t cap = std::min<std::uint64_t>(1ULL << width, 0xFFFFFFFFULL / (n + 1));
                v[i] = x += static_cast<std::uint32_t>(rng() % cap);
            }
            std::vector<std::uint8_t> enc;
            const std::size_t bytes = codec::encode_increasing(v.data(), n, prev, enc);
            enc.resize(enc.size() + codec::kStreamPadding);
            std::vector<std::uint32_t> a(n), b(n);
            EXPECT_EQ(codec::detail::decode_increasing_ssse3(enc.data(), a.data(), n, prev), bytes);
            EXPECT_EQ(codec::detail::decode_increasing_portable(enc.data(), b.data(), n, prev), bytes);
            EXPECT_EQ(a, v);
            EXPECT_EQ(b, v);
        }
    }
    for (unsigned key = 0; key < 256; ++key) {
        // One group of four gaps whose byte lengths are given by `key`.
        std::vector<std::uint32_t> v(4);
        std::uint32_t x = 0;
        for (unsigned lane = 0; lane < 4; ++lane) {
            const unsigned len = ((key >> (2 * lane)) & 3U) + 1;
            const std::uint32_t gap = len == 1 ? 7U : (1U << (8 * (len - 1))) + 5U;
            v[lane] = x += gap;
        }
        std::vector<std::uint8_t> enc;
        codec::encode_increasing(v.data(), 4, 0, enc);
        ASSERT_EQ(enc[0], key) << "the library's control byte layout changed";
        enc.resize(enc.size() + codec::kStreamPadding);
        std::vector<std::uint32_t> a(4);
        codec::detail::decode_increasing_ssse3(enc.data(), a.data(), 4, 0);
        EXPECT_EQ(a, v) << "control byte " << key;
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
