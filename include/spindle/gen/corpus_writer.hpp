#pragma once
// Streaming writers for generated corpora. Every file is written under a
// temporary name, fsynced and renamed into place, so a crash never leaves a
// truncated file under the final name.
#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <vector>

#include "spindle/gen/corpus_model.hpp"
#include "spindle/io/file_util.hpp"

namespace spindle::gen {

/// A FileWriter on "<path>.tmp-<pid>" that commit() renames to `path`; the
/// temporary file is removed if commit() is never reached.
class AtomicOutput {
public:
    explicit AtomicOutput(std::string path);
    ~AtomicOutput();
    AtomicOutput(const AtomicOutput&) = delete;
    AtomicOutput& operator=(const AtomicOutput&) = delete;

    FileWriter& out() { return *writer_; }
    void commit();

private:
    std::string path_, tmp_;
    std::unique_ptr<FileWriter> writer_;
    bool committed_ = false;
};

/// BigANN CSR (int64 nrow, ncol, nnz; int64 indptr[nrow+1]; int32 indices[nnz];
/// float32 data[nnz]) written by streaming rows. The row count is fixed up
/// front, so indices go straight to their final offset; data goes to an
/// unlinked scratch file appended at the end; indptr stays in memory (8 B/row).
class CsrStreamWriter {
public:
    CsrStreamWriter(std::string path, std::uint64_t rows, std::uint32_t cols);
    ~CsrStreamWriter();
    CsrStreamWriter(const CsrStreamWriter&) = delete;
    CsrStreamWriter& operator=(const CsrStreamWriter&) = delete;

    void add(const SparseRow& row);
    /// Writes header and indptr, appends data, fsyncs and renames; requires all rows added.
    void finish();

private:
    void flush_buffers();
    std::string path_, tmp_;
    std::uint64_t rows_;
    std::uint32_t cols_;
    int fd_ = -1;       ///< final file (under tmp_)
    int data_fd_ = -1;  ///< unlinked scratch file for data
    std::vector<std::int64_t> indptr_;
    std::vector<std::int32_t> ind_buf_;
    std::vector<float> data_buf_;
    std::uint64_t ind_offset_ = 0;
    std::uint64_t data_offset_ = 0;
    bool finished_ = false;
};

/// Anserini JsonVectorCollection: {"id": "D<n>", "vector": {"tok": w, ...}} per line.
class JsonlStreamWriter {
public:
    JsonlStreamWriter(std::string path, const std::vector<std::string>& vocabulary);
    /// `payload`: a JSON object written as the record's "payload" ("" = none).
    void add(std::uint64_t docno, const SparseRow& row, std::string_view payload = {});
    void finish();

private:
    AtomicOutput file_;
    std::vector<std::string> quoted_;  ///< JSON-escaped, quoted token names
    std::string buf_;
};


/// Impact TSV line for a query: "<qid>\ttok tok ..." (each token repeated weight times).
void append_impact_query(std::string& line, std::string_view qid, const ImpactQuery& q,
                         const std::vector<std::string>& vocabulary);

}  // namespace spindle::gen
