#pragma once
// BigANN sparse-track CSR binary:
//   int64 nrow, ncol, nnz; int64 indptr[nrow+1]; int32 indices[nnz]; float32 data[nnz]
// Row r is the record with id "r"; column numbers are term ids.
#include <cstdint>
#include <span>
#include <string>
#include <vector>

#include "spindle/formats/raw_record.hpp"
#include "spindle/io/mapped_file.hpp"

namespace spindle {

/// A validated, memory-mapped CSR file.
class CsrFile {
public:
    /// Maps and validates the header, sizes and indptr; throws ParseError naming the file.
    explicit CsrFile(const std::string& path);

    [[nodiscard]] std::int64_t rows() const { return nrow_; }
    [[nodiscard]] std::int64_t cols() const { return ncol_; }
    [[nodiscard]] std::int64_t nnz() const { return nnz_; }

    /// Calls `on_record` for each row; checks column range, weights and sort-free duplicates.
    void for_each_row(const RecordCallback& on_record, const ProgressCallback& progress = {}) const;

private:
    MappedFile file_;
    std::int64_t nrow_ = 0, ncol_ = 0, nnz_ = 0;
    std::span<const std::int64_t> indptr_;
    std::span<const std::int32_t> indices_;
    std::span<const float> data_;
};

/// A CSR matrix in memory, as the generator and tests build it.
struct CsrMatrix {
    std::int64_t ncol = 0;
    std::vector<std::int64_t> indptr{0};
    std::vector<std::int32_t> indices;
    std::vector<float> data;
    [[nodiscard]] std::int64_t rows() const { return static_cast<std::int64_t>(indptr.size()) - 1; }
};

/// Writes `m` durably (temp file, fsync, rename) to `path`.
void write_csr(const std::string& path, const CsrMatrix& m);

}  // namespace spindle
