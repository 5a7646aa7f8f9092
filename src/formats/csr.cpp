#include "spindle/formats/csr.hpp"

#include <cstdio>
#include <limits>
#include <cstring>
#include <filesystem>

#include "spindle/common/error.hpp"
#include "spindle/io/file_util.hpp"

namespace spindle {

CsrFile::CsrFile(const std::string& path) : file_(path) {
    const auto b = file_.bytes();
    if (b.size() < 24) throw ParseError(path + ": not a CSR file (" + std::to_string(b.size()) + " bytes, header needs 24)");
    std::memcpy(&nrow_, b.data(), 8);
    std::memcpy(&ncol_, b.data() + 8, 8);
    std::memcpy(&nnz_, b.data() + 16, 8);
    if (nrow_ < 0 || ncol_ < 0 || nnz_ < 0 || nrow_ > (std::int64_t{1} << 32) || ncol_ > (std::int64_t{1} << 32) ||
        nnz_ > (std::int64_t{1} << 40)) {
        throw ParseError(path + ": implausible CSR header (nrow " + std::to_string(nrow_) + ", ncol " +
                         std::to_string(ncol_) + ", nnz " + std::to_string(nnz_) + ")");
    }
    const auto expect = static_cast<std::uint64_t>(24 + 8 * (nrow_ + 1) + 8 * nnz_);
    if (b.size() != expect) {
        throw ParseError(path + ": CSR file is " + std::to_string(b.size()) + " bytes, header implies " +
                         std::to_string(expect) + " (truncated or not CSR)");
    }
    indptr_ = {reinterpret_cast<const std::int64_t*>(b.data() + 24), static_cast<std::size_t>(nrow_ + 1)};
    indices_ = {reinterpret_cast<const std::int32_t*>(b.data() + 24 + 8 * (nrow_ + 1)), static_cast<std::size_t>(nnz_)};
    data_ = {reinterpret_cast<const float*>(b.data() + 24 + 8 * (nrow_ + 1) + 4 * nnz_), static_cast<std::size_t>(nnz_)};
    if (indptr_[0] != 0 || indptr_[static_cast<std::size_t>(nrow_)] != nnz_) {
        throw ParseError(path + ": indptr must start at 0 and end at nnz");
    }
    for (std::int64_t r = 0; r < nrow_; ++r) {
        if (indptr_[static_cast<std::size_t>(r + 1)] < indptr_[static_cast<std::size_t>(r)]) {
            throw ParseError(path + ": indptr decreases at row " + std::to_string(r));
        }
    }
}

void CsrFile::for_each_row(const RecordCallback& on_record, const ProgressCallback& progress) const {
    RawRecord rec;
    rec.numeric = true;
    rec.file = file_.path();
    std::string id;
    char token[16];
    for (std::int64_t r = 0; r < nrow_; ++r) {
        rec.line = static_cast<std::uint64_t>(r);
        id = std::to_string(r);
        rec.id = id;
        rec.ids.clear();
        const auto b = static_cast<std::size_t>(indptr_[static_cast<std::size_t>(r)]);
        const auto e = static_cast<std::size_t>(indptr_[static_cast<std::size_t>(r + 1)]);
        for (std::size_t i = b; i < e; ++i) {
            const std::int32_t col = indices_[i];
            if (col < 0 || col >= ncol_) {
                throw ParseError(rec.where() + ": column " + std::to_string(col) + " outside [0, " +
                                 std::to_string(ncol_) + ")");
            }
            const float w = data_[i];
            // The column is formatted only for an error message: formatting
            // every one cost more than the rest of reading the file.
            if (!(w >= 0.0F && w <= std::numeric_limits<float>::max())) {
                std::snprintf(token, sizeof(token), "%d", col);
                (void)checked_weight(static_cast<double>(w), token, rec);  // throws, naming the column
            }
            rec.ids.emplace_back(static_cast<termid_t>(col), w);
        }
        on_record(rec);
        if (progress && (r & 0xFFFF) == 0) progress(static_cast<std::uint64_t>(b) * 8, static_cast<std::uint64_t>(nnz_) * 8);
    }
    if (progress) progress(static_cast<std::uint64_t>(nnz_) * 8, static_cast<std::uint64_t>(nnz_) * 8);
}

void write_csr(const std::string& path, const CsrMatrix& m) {
    if (m.indptr.empty() || m.indptr.back() != static_cast<std::int64_t>(m.indices.size()) ||
        m.indices.size() != m.data.size()) {
        throw InvalidArgument("write_csr: inconsistent matrix for " + path);
    }
    const std::int64_t header[3] = {m.rows(), m.ncol, static_cast<std::int64_t>(m.indices.size())};
    const std::string tmp = path + ".tmp";
    std::error_code ec;
    std::filesystem::remove(tmp, ec);
    {
        FileWriter w(tmp);
        w.write(std::as_bytes(std::span(header)));
        w.write(std::as_bytes(std::span(m.indptr)));
        w.write(std::as_bytes(std::span(m.indices)));
        w.write(std::as_bytes(std::span(m.data)));
        w.close_and_sync();
    }
    std::filesystem::rename(tmp, path, ec);
    if (ec) throw IoError("cannot rename " + tmp + " to " + path + ": " + ec.message());
}

}  // namespace spindle
