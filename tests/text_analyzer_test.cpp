// The English analyzer (Lucene EnglishAnalyzer semantics) and Lucene BM25.
#include <gtest/gtest.h>

#include <cmath>
#include <iterator>
#include <random>

#include "spindle/common/error.hpp"
#include "spindle/text/analyzer.hpp"
#include "spindle/text/bm25.hpp"
#include "spindle/text/text_query.hpp"

namespace spindle::text {
namespace {

std::vector<std::string> analyze(std::string_view s) {
    auto a = make_analyzer("english");
    std::vector<std::string> out;
    a->analyze(s, out);
    return out;
}

using V = std::vector<std::string>;

TEST(EnglishAnalyzer, PossessivesAreRemoved) {
    EXPECT_EQ(analyze("John's dog"), (V{"john", "dog"}));
    EXPECT_EQ(analyze("JOHN'S DOG"), (V{"john", "dog"}));
    EXPECT_EQ(analyze("John\u2019s dog"), (V{"john", "dog"}));  // right single quotation mark
    EXPECT_EQ(analyze("the dogs' bones"), (V{"dog", "bone"}));  // trailing apostrophe is punctuation
}

TEST(EnglishAnalyzer, InnerApostrophesStayInTheWord) {
    EXPECT_EQ(analyze("don't O'Neil's"), (V{"don't", "o'neil"}));
}

TEST(EnglishAnalyzer, StopwordsAreLuceneDefaultSet) {
    EXPECT_TRUE(analyze("a an and are as at be but by for if in into is it no not of on or such that the "
                        "their then there these they this to was will with THE")
                    .empty());
    // Not in Lucene's 33-word set (other stopword lists have them).
    EXPECT_EQ(analyze("we have been"), (V{"we", "have", "been"}));
    EXPECT_TRUE(is_english_stopword("with"));
    EXPECT_FALSE(is_english_stopword("which"));
}

TEST(EnglishAnalyzer, PorterStemmingAsLucene) {
    EXPECT_EQ(analyze("running caresses ponies relational generalizations"),
              (V{"run", "caress", "poni", "relat", "gener"}));
    // Lucene's PorterStemmer departures: -bli -> -ble, -logi -> -log (when m > 0
    // before the suffix: "bio" has m = 0, so "biology" keeps its "i" in Lucene too).
    EXPECT_EQ(analyze("terminology terminological biology possibly possible probably"),
              (V{"terminolog", "terminolog", "biologi", "possibl", "possibl", "probabl"}));
    // Words of one or two characters are not stemmed (Snowball would make "us" -> "u").
    EXPECT_EQ(analyze("us as ms"), (V{"us", "ms"}));
}

TEST(EnglishAnalyzer, NumbersAndAbbreviations) {
    EXPECT_EQ(analyze("3.14 1,000 2nd h2o U.S.A."), (V{"3.14", "1,000", "2nd", "h2o", "u.s.a"}));
}

TEST(EnglishAnalyzer, HyphensAndPunctuationSplit) {
    EXPECT_EQ(analyze("state-of-the-art (x-ray)!"), (V{"state", "art", "x", "rai"}));
    EXPECT_EQ(analyze("snake_case"), (V{"snake_cas"}));  // '_' joins words in UAX #29
    EXPECT_TRUE(analyze(" ... --- !!! ").empty());
    EXPECT_TRUE(analyze("").empty());
}

TEST(EnglishAnalyzer, CjkLikeStandardTokenizer) {
    EXPECT_EQ(analyze("中文字"), (V{"中", "文", "字"}));            // one token per ideograph
    EXPECT_EQ(analyze("ひらがな"), (V{"ひ", "ら", "が", "な"}));     // and per hiragana
    EXPECT_EQ(analyze("カタカナ"), (V{"カタカナ"}));                 // katakana runs stay whole
    EXPECT_EQ(analyze("Über Straße"), (V{"über", "straße"}));
}

TEST(EnglishAnalyzer, EmojiAreTokensLikeStandardTokenizer) {
    EXPECT_EQ(analyze("I \u2764\uFE0F NY \U0001F600 \U0001F1FA\U0001F1F8 \u00A9 2024"),
              (V{"i", "\u2764\uFE0F", "ny", "\U0001F600", "\U0001F1FA\U0001F1F8", "2024"}));  // (c) is a symbol
}

TEST(EnglishAnalyzer, LongTokensAreCutAt255) {
    const auto out = analyze(std::string(300, 'x'));
    ASSERT_EQ(out.size(), 2U);
    EXPECT_EQ(out[0].size(), 255U);
    EXPECT_EQ(out[1].size(), 45U);
}

TEST(EnglishAnalyzer, InvalidUtf8IsReplacedAndCounted) {
    auto a = make_analyzer("english");
    std::vector<std::string> out;
    a->analyze("good\xff" "bad \xc3 tail \xe2\x82", out);
    EXPECT_EQ(out, (V{"good", "bad", "tail"}));
    EXPECT_EQ(a->stats().invalid_utf8, 3U);
    out.clear();
    a->analyze(std::string("nul\0byte", 8), out);
    EXPECT_EQ(out, (V{"nul", "byte"}));
}

// A token is well-formed UTF-8 (no surrogates, no overlongs) and non-empty.
bool valid_utf8(std::string_view s) {
    if (s.empty()) return false;
    for (std::size_t i = 0; i < s.size();) {
        const auto c = static_cast<unsigned char>(s[i]);
        std::size_t n = c < 0x80 ? 1 : (c >> 5) == 6 ? 2 : (c >> 4) == 14 ? 3 : (c >> 3) == 30 ? 4 : 0;
        if (n == 0 || i + n > s.size()) return false;
        for (std::size_t k = 1; k < n; ++k) {
            if ((static_cast<unsigned char>(s[i + k]) & 0xC0) != 0x80) return false;
        }
        i += n;
    }
    return true;
}

TEST(EnglishAnalyzer, RandomBytesNeverCrashAndGiveValidUtf8) {
    auto a = make_analyzer("english");
    std::mt19937_64 rng(20261126);
    const std::string pieces[] = {"a", "Z", " ", "'", "s", "\xe2\x80\x99", "\xff", "\xc3", "\xa9", "\xe4\xb8\xad",
                                  "\xf0\x9f\x98\x80", "\xed\xa0\x80", "1", ".", ",", "-", "_", "\0", "ing", "\xef\xbc\x87"};
    std::vector<std::string> out;
    for (int iter = 0; iter < 3000; ++iter) {
        std::string text;
        const std::size_t len = rng() % 80;
        for (std::size_t i = 0; i < len; ++i) text += pieces[rng() % std::size(pieces)];
        out.clear();
        ASSERT_NO_THROW(a->analyze(text, out)) << iter;
        for (const auto& t : out) ASSERT_TRUE(valid_utf8(t)) << "iteration " << iter;
    }
    EXPECT_GT(a->stats().invalid_utf8, 0U);
}

TEST(EnglishAnalyzer, UnknownNameListsValidOnes) {
    try {
        (void)make_analyzer("klingon");
        FAIL();
    } catch (const InvalidArgument& e) {
        EXPECT_NE(std::string(e.what()).find("english"), std::string::npos);
    }
}

TEST(TextQuery, RepeatedTermsCountTwice) {
    auto a = make_analyzer("english");
    const TextQuery q = analyze_query(*a, {"7", "Running runs the runner's run"});
    ASSERT_EQ(q.terms.size(), 2U);
    EXPECT_EQ(q.id, "7");
    EXPECT_EQ(q.terms[0], (std::pair<std::string, float>{"run", 3.0F}));
    EXPECT_EQ(q.terms[1], (std::pair<std::string, float>{"runner", 1.0F}));
}

TEST(SmallFloat, LengthNormLikeLucene) {
    for (std::uint32_t i = 0; i < 24; ++i) {
        EXPECT_EQ(int_to_byte4(i), i);
        EXPECT_EQ(byte4_to_int(static_cast<std::uint8_t>(i)), i);
    }
    EXPECT_EQ(int_to_byte4(24), 24);
    EXPECT_EQ(byte4_to_int(int_to_byte4(100)), 96U);  // 4 significant bits: 24 + 72
    EXPECT_EQ(byte4_to_int(int_to_byte4(161)), 152U);
    EXPECT_EQ(int_to_byte4(0x7FFFFFFF), 255);
    std::uint32_t prev = 0;
    for (std::uint32_t len = 0; len < 100000; ++len) {
        const std::uint32_t dec = byte4_to_int(int_to_byte4(len));
        EXPECT_LE(dec, len);
        EXPECT_GE(dec, prev);
        prev = dec;
    }
}

TEST(Bm25, WeightsMatchAHandComputation) {
    // Three documents of lengths 3, 2, 1 (avgdl 2); a term in 1 of them.
    const Bm25 bm25({0.9F, 0.4F}, 3, 6);
    EXPECT_FLOAT_EQ(bm25.avgdl(), 2.0F);
    const double idf = std::log(1.0 + (3 - 1 + 0.5) / (1 + 0.5));
    EXPECT_FLOAT_EQ(bm25.idf(1), static_cast<float>(idf));
    // tf 2 in the 3-term document: idf * tf / (tf + k1 (1 - b + b dl/avgdl)), no (k1 + 1).
    const double expect = idf * 2 / (2 + 0.9 * (1 - 0.4 + 0.4 * 3 / 2.0));
    EXPECT_NEAR(bm25.weight(bm25.idf(1), 2, 3), expect, 1e-6);
    // A long document uses Lucene's decoded length (100 -> 96), not 100.
    const Bm25 big({0.9F, 0.4F}, 10, 1000);
    const double idf5 = std::log(1.0 + (10 - 5 + 0.5) / (5 + 0.5));
    const double lossy = idf5 * 1 / (1 + 0.9 * (1 - 0.4 + 0.4 * 96 / 100.0));
    EXPECT_NEAR(big.weight(big.idf(5), 1, 100), lossy, 1e-6);
    EXPECT_THROW((Bm25({0.9F, 1.5F}, 1, 1)), InvalidArgument);
    EXPECT_THROW((Bm25({-1.0F, 0.4F}, 1, 1)), InvalidArgument);
}

}  // namespace
}  // namespace spindle::text
