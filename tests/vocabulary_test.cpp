// The vocabulary against a std::map model: ids are dense in first-seen
// order, lookups agree through table growth, save/load round-trips, and a
// file naming one token twice is refused.
#include <gtest/gtest.h>

#include <map>
#include <random>
#include <string>

#include "spindle/common/error.hpp"
#include "spindle/index/file_kinds.hpp"
#include "spindle/index/vocabulary.hpp"
#include "spindle/io/container.hpp"
#include "test_util.hpp"

namespace spindle::test {
namespace {

std::string random_token(std::mt19937_64& rng) {
    // Skewed lengths and a small alphabet: many shared prefixes, many repeats,
    // the empty token included.
    std::geometric_distribution<int> len(0.3);
    std::uniform_int_distribution<int> ch(0, 3);
    std::string s;
    for (int n = len(rng); n > 0; --n) s.push_back(static_cast<char>('a' + ch(rng)));
    return s;
}

TEST(Vocabulary, MatchesAMapModelThroughGrowth) {
    std::mt19937_64 rng(7);
    Vocabulary v;
    std::map<std::string, termid_t> model;
    for (int i = 0; i < 60000; ++i) {
        const std::string t = random_token(rng);
        const auto [it, fresh] = model.emplace(t, static_cast<termid_t>(model.size()));
        ASSERT_EQ(v.add(t), it->second) << "token '" << t << "'";
        if (fresh) {
            ASSERT_EQ(v.size(), model.size());
        }
        const std::string probe = random_token(rng) + "z";  // never added ('z' is outside the alphabet)
        ASSERT_FALSE(v.find(probe).has_value());
    }
    ASSERT_GT(model.size(), 2048u);  // the table grew several times
    for (const auto& [t, id] : model) {
        ASSERT_EQ(v.find(t), id);
        ASSERT_EQ(v.token(id), t);
    }
    TempDir dir;
    const std::string path = dir.path() + "/vocab.bin";
    v.save(path);
    const Vocabulary back = Vocabulary::load(path);
    ASSERT_EQ(back.size(), model.size());
    for (const auto& [t, id] : model) ASSERT_EQ(back.find(t), id) << "token '" << t << "'";
    EXPECT_FALSE(back.find("zz").has_value());
}

TEST(Vocabulary, EmptyVocabularyFindsNothing) {
    Vocabulary v;
    EXPECT_FALSE(v.find("").has_value());
    EXPECT_FALSE(v.find("a").has_value());
    EXPECT_EQ(v.size(), 0u);
}

TEST(Vocabulary, LoadRefusesATokenListedTwice) {
    TempDir dir;
    const std::string path = dir.path() + "/vocab.bin";
    const std::vector<std::uint64_t> offsets{0, 3, 6, 9};
    const std::string chars = "catdogcat";
    ContainerWriter w(path, kinds::kVocabulary);
    w.add(sections::kVocabOffsets, offsets);
    w.add(sections::kVocabChars, std::span<const char>(chars.data(), chars.size()));
    w.finish();
    try {
        (void)Vocabulary::load(path);
        FAIL() << "a duplicate token was accepted";
    } catch (const CorruptIndex& e) {
        EXPECT_NE(std::string(e.what()).find("token 'cat' appears twice"), std::string::npos) << e.what();
    }
}

}  // namespace
}  // namespace spindle::test
