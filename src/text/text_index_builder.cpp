#include "spindle/text/text_index_builder.hpp"

#include <algorithm>

#include "spindle/common/error.hpp"

namespace spindle::text {

TextIndexBuilder::TextIndexBuilder(std::string output_dir, BuildOptions opts, std::string_view analyzer,
                                   Bm25Params params)
    : output_(std::move(output_dir)), opts_(std::move(opts)), params_(params), analyzer_(make_analyzer(analyzer)) {
    params_.validate();
}

void TextIndexBuilder::add(std::string_view id, std::string_view text, std::string_view file, std::uint64_t line) {
    if (finished_) throw InvalidArgument("TextIndexBuilder::add after finish");
    scratch_terms_.clear();
    analyzer_->analyze(text, scratch_terms_);
    scratch_ids_.clear();
    for (auto& t : scratch_terms_) {
        auto it = term_ids_.find(t);
        if (it == term_ids_.end()) {
            it = term_ids_.emplace(std::move(t), static_cast<std::uint32_t>(term_names_.size())).first;
            term_names_.push_back(it->first);  // unordered_map keys do not move on rehash
            df_.push_back(0);
        }
        scratch_ids_.push_back(it->second);
    }
    std::sort(scratch_ids_.begin(), scratch_ids_.end());
    for (std::size_t i = 0; i < scratch_ids_.size();) {
        std::size_t j = i;
        while (j < scratch_ids_.size() && scratch_ids_[j] == scratch_ids_[i]) ++j;
        terms_.push_back(scratch_ids_[i]);
        tfs_.push_back(static_cast<std::uint32_t>(j - i));
        ++df_[scratch_ids_[i]];
        i = j;
    }
    doc_begin_.push_back(terms_.size());
    lengths_.push_back(static_cast<std::uint32_t>(std::min<std::size_t>(scratch_ids_.size(), 0xFFFFFFFFU)));
    stats_.total_terms += scratch_ids_.size();
    if (scratch_ids_.empty()) ++stats_.empty_docs;
    ++stats_.docs;
    id_chars_.append(id);
    id_end_.push_back(id_chars_.size());
    if (files_.empty() || files_.back() != file) files_.emplace_back(file);
    doc_file_.push_back(static_cast<std::uint32_t>(files_.size() - 1));
    doc_line_.push_back(line);
}

TextBuildStats TextIndexBuilder::stats() const {
    TextBuildStats s = stats_;
    s.invalid_utf8 = analyzer_->stats().invalid_utf8;
    return s;
}

Manifest TextIndexBuilder::finish(const ProgressCallback& progress) {
    if (finished_) throw InvalidArgument("TextIndexBuilder::finish called twice");
    finished_ = true;
    const std::uint64_t with_terms = stats_.docs - stats_.empty_docs;
    const Bm25 bm25(params_, with_terms, stats_.total_terms);
    TextSettings settings;
    settings.analyzer = std::string(analyzer_->name());
    settings.k1 = params_.k1;
    settings.b = params_.b;
    settings.docs_with_terms = with_terms;
    settings.avgdl = bm25.avgdl();
    opts_.text = settings;

    std::vector<float> idf(df_.size());
    for (std::size_t t = 0; t < df_.size(); ++t) idf[t] = bm25.idf(df_[t]);

    IndexBuilder builder(output_, opts_);
    RawRecord rec;
    std::uint64_t id_begin = 0;
    for (std::size_t d = 0; d < lengths_.size(); ++d) {
        rec.id = std::string_view(id_chars_).substr(id_begin, id_end_[d] - id_begin);
        id_begin = id_end_[d];
        rec.file = files_[doc_file_[d]];
        rec.line = doc_line_[d];
        rec.tokens.clear();
        for (std::uint64_t i = doc_begin_[d]; i < doc_begin_[d + 1]; ++i) {
            const std::uint32_t t = terms_[i];
            rec.tokens.emplace_back(term_names_[t], bm25.weight(idf[t], tfs_[i], lengths_[d]));
        }
        builder.add(rec);
        if (progress && (d % 65536 == 0)) progress(d, lengths_.size());
    }
    if (progress) progress(lengths_.size(), lengths_.size());
    return builder.finish();
}

}  // namespace spindle::text
