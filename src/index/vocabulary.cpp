#include "spindle/index/vocabulary.hpp"

#include <limits>

#include <xxhash.h>

#include "spindle/common/error.hpp"
#include "spindle/index/file_kinds.hpp"
#include "spindle/io/container.hpp"

namespace spindle {

namespace {

std::uint64_t hash_token(std::string_view token) { return XXH3_64bits(token.data(), token.size()); }

std::uint32_t tag_of(std::uint64_t hash) { return static_cast<std::uint32_t>(hash >> 32); }

}  // namespace

std::size_t Vocabulary::probe(std::string_view token, std::uint64_t hash) const {
    const std::size_t mask = slots_.size() - 1;
    const std::uint32_t tag = tag_of(hash);
    for (std::size_t i = hash & mask;; i = (i + 1) & mask) {
        const Slot& s = slots_[i];
        if (s.id_plus_one == 0) return i;
        if (s.tag == tag && this->token(s.id_plus_one - 1) == token) return i;
    }
}

void Vocabulary::grow() {
    std::vector<Slot> old = std::move(slots_);
    slots_.assign(old.empty() ? 1024 : old.size() * 2, Slot{});
    const std::size_t mask = slots_.size() - 1;
    for (const Slot& s : old) {
        if (s.id_plus_one == 0) continue;
        const std::uint64_t hash = hash_token(token(s.id_plus_one - 1));
        std::size_t i = hash & mask;
        while (slots_[i].id_plus_one != 0) i = (i + 1) & mask;
        slots_[i] = s;
    }
}

termid_t Vocabulary::add(std::string_view token) {
    if (2 * (size() + 1) > slots_.size()) grow();
    const std::uint64_t hash = hash_token(token);
    const std::size_t at = probe(token, hash);
    if (slots_[at].id_plus_one != 0) return slots_[at].id_plus_one - 1;
    if (size() >= std::numeric_limits<termid_t>::max() - 1) throw InvalidArgument("vocabulary exceeds 2^32 terms");
    const auto id = static_cast<termid_t>(size());
    chars_.append(token);
    offsets_.push_back(chars_.size());
    slots_[at] = Slot{id + 1, tag_of(hash)};
    return id;
}

std::optional<termid_t> Vocabulary::find(std::string_view token) const {
    if (slots_.empty()) return std::nullopt;
    const std::size_t at = probe(token, hash_token(token));
    if (slots_[at].id_plus_one == 0) return std::nullopt;
    return slots_[at].id_plus_one - 1;
}

std::string_view Vocabulary::token(termid_t id) const {
    return std::string_view(chars_).substr(offsets_[id], offsets_[id + 1] - offsets_[id]);
}

std::uint64_t Vocabulary::save(const std::string& path) const {
    ContainerWriter w(path, kinds::kVocabulary);
    w.add(sections::kVocabOffsets, offsets_);
    w.add(sections::kVocabChars, std::span<const char>(chars_.data(), chars_.size()));
    return w.finish();
}

Vocabulary Vocabulary::load(const std::string& path) {
    Container c(path, kinds::kVocabulary);
    auto offsets = c.section<std::uint64_t>(sections::kVocabOffsets);
    auto chars = c.section<char>(sections::kVocabChars);
    if (offsets.empty() || offsets.front() != 0 || offsets.back() != chars.size()) {
        throw CorruptIndex(path + ": vocabulary offsets do not match its characters");
    }
    Vocabulary v;
    v.chars_.assign(chars.data(), chars.size());
    v.offsets_.assign(offsets.begin(), offsets.end());
    for (std::size_t i = 0; i + 1 < offsets.size(); ++i) {
        if (offsets[i + 1] < offsets[i]) throw CorruptIndex(path + ": vocabulary offsets decrease at term " + std::to_string(i));
    }
    std::size_t table = 1024;
    while (table < 2 * offsets.size()) table *= 2;
    v.slots_.assign(table, Slot{});
    for (std::size_t i = 0; i + 1 < offsets.size(); ++i) {
        const auto tok = v.token(static_cast<termid_t>(i));
        const std::uint64_t hash = hash_token(tok);
        const std::size_t at = v.probe(tok, hash);
        if (v.slots_[at].id_plus_one != 0) {
            throw CorruptIndex(path + ": token '" + std::string(tok) + "' appears twice in the vocabulary");
        }
        v.slots_[at] = Slot{static_cast<std::uint32_t>(i) + 1, tag_of(hash)};
    }
    return v;
}

}  // namespace spindle
