#include "spindle/index/index.hpp"

#include <algorithm>
#include <cmath>
#include <filesystem>

#include "spindle/common/error.hpp"
#include "spindle/index/collection_manifest.hpp"
#include "spindle/index/collection_segment.hpp"

namespace spindle {

std::string pick_vector(const std::vector<std::string>& names, const std::string& requested, const std::string& where) {
    std::string list;
    for (const auto& n : names) list += (list.empty() ? "" : ", ") + n;
    if (requested.empty()) {
        if (names.size() == 1) return names.front();
        throw InvalidArgument(where + " has several vectors (" + list + "): name one");
    }
    if (std::find(names.begin(), names.end(), requested) == names.end()) {
        throw InvalidArgument(where + " has no vector '" + requested + "' (it has: " + list + ")");
    }
    return requested;
}

Index::Index(const std::string& dir, bool in_memory, const std::string& vector) : dir_(dir) {
    std::error_code ec;
    if (!std::filesystem::is_directory(dir, ec)) throw IoError("index " + dir + " does not exist or is not a directory");
    const auto mode = in_memory ? MappedFile::Mode::memory : MappedFile::Mode::map;
    if (is_collection_dir(dir)) {
        const CollectionManifest cm = load_current_manifest(dir);
        std::vector<std::string> names;
        for (const auto& [n, v] : cm.config.vectors) names.push_back(n);
        vector_ = pick_vector(names, vector, "collection " + dir);
        manifest_ = cm.vector_manifest(vector_);
        vocab_ = std::make_shared<const Vocabulary>(Vocabulary::load(dir + "/" + cm.vectors.at(vector_).vocabulary));
        if (vocab_->size() != manifest_.num_terms) {
            throw CorruptIndex(dir + "/" + cm.vectors.at(vector_).vocabulary + ": " + std::to_string(vocab_->size()) +
                               " terms, manifest says " + std::to_string(manifest_.num_terms));
        }
        for (const auto& g : cm.segments) {
            const auto data = open_collection_segment(dir, cm, g, mode);
            parts_.push_back({data->vectors.at(vector_), load_segment_deletions(dir, g)});
        }
    } else {
        if (!vector.empty() && vector != "default") {
            throw InvalidArgument("index " + dir + " (format 2) has one vector, 'default'; got '" + vector + "'");
        }
        vector_ = "default";
        manifest_ = Manifest::load(dir + "/MANIFEST");
        vocab_ = std::make_shared<const Vocabulary>(Vocabulary::load(dir + "/vocab.bin"));
        if (vocab_->size() != manifest_.num_terms) {
            throw CorruptIndex(dir + "/vocab.bin: " + std::to_string(vocab_->size()) + " terms, manifest says " +
                               std::to_string(manifest_.num_terms));
        }
        for (const auto& info : manifest_.segments) {
            parts_.push_back({std::make_shared<const Segment>(dir, info, manifest_.weight_type, vocab_->size(), mode), nullptr});
        }
    }
    finish_init();
    std::uint64_t docs = 0;
    std::uint64_t postings = 0;
    for (const auto& p : parts_) {
        docs += p.segment->info().docs;
        postings += p.segment->info().postings;
    }
    if (docs != manifest_.num_docs || postings != manifest_.num_postings) {
        throw CorruptIndex(dir + ": segment totals do not match the index totals");
    }
}

Index::Index(std::string path, std::string vector, Manifest manifest, std::shared_ptr<const Vocabulary> vocab,
             std::vector<Part> parts)
    : dir_(std::move(path)),
      vector_(std::move(vector)),
      manifest_(std::move(manifest)),
      vocab_(std::move(vocab)),
      parts_(std::move(parts)) {
    finish_init();
}

void Index::finish_init() {
    std::uint64_t docs = 0;
    for (const auto& p : parts_) {
        first_doc_.push_back(docs);
        docs += p.segment->num_docs();
        live_docs_ += p.segment->num_docs() - (p.deleted ? p.deleted->cardinality() : 0);
        max_weight_ = std::max(max_weight_, p.segment->header().max_weight);
    }
}

}  // namespace spindle
