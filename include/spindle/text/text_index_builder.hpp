#pragma once
// Builds a BM25 index from raw text in two passes. Pass 1 (add): analyze each
// document, keep its distinct term ids and frequencies in memory (8 bytes per
// distinct term per document) and collect document frequencies and lengths.
// Pass 2 (finish): compute Lucene BM25 weights (see bm25.hpp) and feed them
// to an IndexBuilder, whose manifest records the analyzer and parameters.
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "spindle/formats/raw_record.hpp"
#include "spindle/build/index_builder.hpp"
#include "spindle/text/analyzer.hpp"
#include "spindle/text/bm25.hpp"

namespace spindle::text {

struct TextBuildStats {
    std::uint64_t docs = 0;
    std::uint64_t empty_docs = 0;      ///< documents with no term after analysis
    std::uint64_t total_terms = 0;     ///< sum of analyzed lengths
    std::uint64_t invalid_utf8 = 0;    ///< byte sequences replaced by U+FFFD
};

class TextIndexBuilder {
public:
    /// `opts.text` is filled in here; `analyzer` is a make_analyzer name.
    TextIndexBuilder(std::string output_dir, BuildOptions opts, std::string_view analyzer, Bm25Params params);

    /// Pass 1: analyzes one document. `file`/`line` locate it for error
    /// messages (duplicate ids are reported by finish()).
    void add(std::string_view id, std::string_view text, std::string_view file, std::uint64_t line);
    /// Pass 2: writes the index and publishes it. `progress(done, total)` counts documents.
    Manifest finish(const ProgressCallback& progress = {});

    [[nodiscard]] TextBuildStats stats() const;

private:
    std::string output_;
    BuildOptions opts_;
    Bm25Params params_;
    std::unique_ptr<Analyzer> analyzer_;
    std::unordered_map<std::string, std::uint32_t> term_ids_;
    std::vector<std::string_view> term_names_;  ///< views into term_ids_ keys
    std::vector<std::uint32_t> df_;
    // Per document: [doc_begin_[d], doc_begin_[d+1]) into terms_/tfs_.
    std::vector<std::uint64_t> doc_begin_{0};
    std::vector<std::uint32_t> terms_;
    std::vector<std::uint32_t> tfs_;
    std::vector<std::uint32_t> lengths_;
    std::string id_chars_;
    std::vector<std::uint64_t> id_end_;
    std::vector<std::string> files_;
    std::vector<std::uint32_t> doc_file_;
    std::vector<std::uint64_t> doc_line_;
    std::vector<std::string> scratch_terms_;
    std::vector<std::uint32_t> scratch_ids_;
    TextBuildStats stats_;
    bool finished_ = false;
};

}  // namespace spindle::text
