#include "spindle/index/index.hpp"

#include <algorithm>
#include <cmath>
#include <filesystem>

#include "spindle/common/error.hpp"

namespace spindle {

Index::Index(const std::string& dir, bool in_memory) : dir_(dir) {
    std::error_code ec;
    if (!std::filesystem::is_directory(dir, ec)) throw IoError("index " + dir + " does not exist or is not a directory");
    manifest_ = Manifest::load(dir + "/MANIFEST");
    vocab_ = Vocabulary::load(dir + "/vocab.bin");
    if (vocab_.size() != manifest_.num_terms) {
        throw CorruptIndex(dir + "/vocab.bin: " + std::to_string(vocab_.size()) + " terms, manifest says " +
                           std::to_string(manifest_.num_terms));
    }
    std::uint64_t docs = 0;
    std::uint64_t postings = 0;
    for (const auto& info : manifest_.segments) {
        first_doc_.push_back(docs);
        segments_.push_back(std::make_unique<Segment>(dir, info, manifest_.weight_type, vocab_.size(),
                                                      in_memory ? MappedFile::Mode::memory : MappedFile::Mode::map));
        docs += info.docs;
        postings += info.postings;
        max_weight_ = std::max(max_weight_, segments_.back()->header().max_weight);
    }
    if (docs != manifest_.num_docs || postings != manifest_.num_postings) {
        throw CorruptIndex(dir + "/MANIFEST: segment totals do not match the index totals");
    }
}

QueryPlan Index::plan(const TextQuery& q, std::uint64_t* unknown) const {
    std::vector<QueryTerm> terms;
    terms.reserve(q.terms.size());
    for (const auto& [tok, w] : q.terms) {
        if (!std::isfinite(w) || w < 0) {
            throw InvalidArgument("query '" + q.id + "': weight of '" + tok + "' is " + std::to_string(w) +
                                  " (must be finite and non-negative)");
        }
        const auto id = vocab_.find(tok);
        if (!id) {
            if (unknown != nullptr) ++*unknown;
            continue;
        }
        if (w > 0) terms.push_back({*id, w});
    }
    std::sort(terms.begin(), terms.end(), [](const QueryTerm& a, const QueryTerm& b) { return a.term < b.term; });
    std::size_t out = 0;
    for (std::size_t i = 0; i < terms.size(); ++i) {
        if (out > 0 && terms[out - 1].term == terms[i].term) {
            terms[out - 1].weight += terms[i].weight;
        } else {
            terms[out++] = terms[i];
        }
    }
    terms.resize(out);
    return make_query_plan(std::move(terms), manifest_.weight_type, max_weight_);
}

}  // namespace spindle
