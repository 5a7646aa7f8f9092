#pragma once
// TREC run files: "qid Q0 docid rank score tag", one line per hit.
#include <cstdio>
#include <string>
#include <string_view>

namespace spindle {

/// Document and query ids end up as columns of TREC runs and qrels, which
/// are split on whitespace: an id must be non-empty and hold no whitespace
/// or control character (bytes <= 0x20 and 0x7f). Throws ParseError
/// "`where`: `what` id '...' ..." (the id shown with escapes) otherwise.
void check_trec_id(std::string_view id, const std::string& where, const char* what);

/// Appends runs to a file written durably (temp path, fsync, rename on close()).
class TrecRunWriter {
public:
    TrecRunWriter(std::string path, std::string tag);
    ~TrecRunWriter();
    TrecRunWriter(const TrecRunWriter&) = delete;
    TrecRunWriter& operator=(const TrecRunWriter&) = delete;

    void add(std::string_view qid, std::string_view docid, std::size_t rank, double score);
    /// Flushes, fsyncs and renames the file into place.
    void close();

private:
    std::string path_;
    std::string tmp_;
    std::string tag_;
    std::FILE* f_ = nullptr;
};

}  // namespace spindle
