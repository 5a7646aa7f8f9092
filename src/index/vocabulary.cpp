#include "spindle/index/vocabulary.hpp"

#include <limits>

#include "spindle/common/error.hpp"
#include "spindle/index/file_kinds.hpp"
#include "spindle/io/container.hpp"

namespace spindle {

termid_t Vocabulary::add(std::string_view token) {
    if (auto it = ids_.find(token); it != ids_.end()) return it->second;
    if (size() >= std::numeric_limits<termid_t>::max() - 1) throw InvalidArgument("vocabulary exceeds 2^32 terms");
    const auto id = static_cast<termid_t>(size());
    chars_.append(token);
    offsets_.push_back(chars_.size());
    ids_.emplace(std::string(token), id);
    return id;
}

std::optional<termid_t> Vocabulary::find(std::string_view token) const {
    if (auto it = ids_.find(token); it != ids_.end()) return it->second;
    return std::nullopt;
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
    v.ids_.reserve(offsets.size());
    for (std::size_t i = 0; i + 1 < offsets.size(); ++i) {
        if (offsets[i + 1] < offsets[i]) throw CorruptIndex(path + ": vocabulary offsets decrease at term " + std::to_string(i));
        auto [it, fresh] = v.ids_.emplace(v.chars_.substr(offsets[i], offsets[i + 1] - offsets[i]), static_cast<termid_t>(i));
        if (!fresh) throw CorruptIndex(path + ": token '" + it->first + "' appears twice in the vocabulary");
    }
    return v;
}

}  // namespace spindle
