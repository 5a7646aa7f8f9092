#include "spindle/gen/corpus_writer.hpp"

#include <fcntl.h>
#include <fmt/format.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>

#include "spindle/common/error.hpp"
#include "spindle/common/json.hpp"

namespace spindle::gen {
namespace fs = std::filesystem;
namespace {

constexpr std::size_t kFlushValues = 1 << 20;  // values buffered per array (4 MiB)

std::string tmp_name(const std::string& path) { return path + ".tmp-" + std::to_string(::getpid()); }

std::string parent_dir(const std::string& path) {
    const fs::path parent = fs::path(path).parent_path();
    return parent.empty() ? std::string(".") : parent.string();
}

void pwrite_all(int fd, const void* data, std::size_t size, std::uint64_t offset, const std::string& name) {
    const char* p = static_cast<const char*>(data);
    while (size > 0) {
        const ssize_t n = ::pwrite(fd, p, size, static_cast<off_t>(offset));
        if (n < 0) {
            if (errno == EINTR) continue;
            throw_errno("cannot write " + name);
        }
        p += n;
        size -= static_cast<std::size_t>(n);
        offset += static_cast<std::uint64_t>(n);
    }
}

/// Appends `w` as the shortest decimal that reads back as the same float. Fast
/// path for the generator's weights (multiples of 0.001 below 1000, which
/// floats represent to 7 significant digits): integer digits, '.', up to three
/// decimals without trailing zeros. Anything else goes through fmt.
void append_weight(std::string& out, float w) {
    const double scaled = static_cast<double>(w) * 1000.0;
    const auto milli = static_cast<std::int64_t>(scaled + 0.5);
    if (!(w > 0.0F) || scaled >= 1e6 || static_cast<float>(static_cast<double>(milli) / 1000.0) != w) {
        fmt::format_to(std::back_inserter(out), "{}", w);
        return;
    }
    fmt::format_to(std::back_inserter(out), "{}", milli / 1000);
    std::int64_t frac = milli % 1000;
    if (frac == 0) return;
    char digits[4] = {'.', static_cast<char>('0' + frac / 100), static_cast<char>('0' + frac / 10 % 10),
                      static_cast<char>('0' + frac % 10)};
    std::size_t n = 4;
    while (digits[n - 1] == '0') --n;
    out.append(digits, n);
}

}  // namespace

AtomicOutput::AtomicOutput(std::string path) : path_(std::move(path)), tmp_(tmp_name(path_)) {
    std::error_code ec;
    fs::remove(tmp_, ec);
    writer_ = std::make_unique<FileWriter>(tmp_);
}

AtomicOutput::~AtomicOutput() {
    if (!committed_) {
        writer_.reset();
        std::error_code ec;
        fs::remove(tmp_, ec);
    }
}

void AtomicOutput::commit() {
    writer_->close_and_sync();
    if (::rename(tmp_.c_str(), path_.c_str()) != 0) throw_errno("cannot rename " + tmp_ + " to " + path_);
    committed_ = true;
    fsync_directory(parent_dir(path_));
}

CsrStreamWriter::CsrStreamWriter(std::string path, std::uint64_t rows, std::uint32_t cols)
    : path_(std::move(path)), tmp_(tmp_name(path_)), rows_(rows), cols_(cols) {
    std::error_code ec;
    fs::remove(tmp_, ec);
    fd_ = ::open(tmp_.c_str(), O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
    if (fd_ < 0) throw_errno("cannot create " + tmp_);
    const std::string scratch = tmp_ + ".data";
    fs::remove(scratch, ec);
    data_fd_ = ::open(scratch.c_str(), O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
    if (data_fd_ < 0) throw_errno("cannot create " + scratch);
    ::unlink(scratch.c_str());  // anonymous from now on: vanishes with the descriptor
    indptr_.reserve(rows_ + 1);
    indptr_.push_back(0);
    ind_offset_ = 3 * sizeof(std::int64_t) + (rows_ + 1) * sizeof(std::int64_t);
    ind_buf_.reserve(kFlushValues);
    data_buf_.reserve(kFlushValues);
}

CsrStreamWriter::~CsrStreamWriter() {
    if (data_fd_ >= 0) ::close(data_fd_);
    if (fd_ >= 0) ::close(fd_);
    if (!finished_) {
        std::error_code ec;
        fs::remove(tmp_, ec);
    }
}

void CsrStreamWriter::flush_buffers() {
    pwrite_all(fd_, ind_buf_.data(), ind_buf_.size() * sizeof(std::int32_t), ind_offset_, tmp_);
    ind_offset_ += ind_buf_.size() * sizeof(std::int32_t);
    pwrite_all(data_fd_, data_buf_.data(), data_buf_.size() * sizeof(float), data_offset_, tmp_ + ".data");
    data_offset_ += data_buf_.size() * sizeof(float);
    ind_buf_.clear();
    data_buf_.clear();
}

void CsrStreamWriter::add(const SparseRow& row) {
    if (indptr_.size() > rows_) throw InvalidArgument(fmt::format("{}: more than {} rows added", path_, rows_));
    for (const std::uint32_t id : row.ids) ind_buf_.push_back(static_cast<std::int32_t>(id));
    data_buf_.insert(data_buf_.end(), row.weights.begin(), row.weights.end());
    indptr_.push_back(indptr_.back() + static_cast<std::int64_t>(row.ids.size()));
    if (ind_buf_.size() >= kFlushValues) flush_buffers();
}

void CsrStreamWriter::finish() {
    if (indptr_.size() != rows_ + 1)
        throw InvalidArgument(fmt::format("{}: {} rows added, {} declared", path_, indptr_.size() - 1, rows_));
    flush_buffers();
    const std::int64_t header[3] = {static_cast<std::int64_t>(rows_), static_cast<std::int64_t>(cols_), indptr_.back()};
    pwrite_all(fd_, header, sizeof(header), 0, tmp_);
    pwrite_all(fd_, indptr_.data(), indptr_.size() * sizeof(std::int64_t), sizeof(header), tmp_);
    // Append the data array.
    std::vector<char> chunk(8 << 20);
    std::uint64_t done = 0;
    while (done < data_offset_) {
        const ssize_t n = ::pread(data_fd_, chunk.data(), chunk.size(), static_cast<off_t>(done));
        if (n < 0) {
            if (errno == EINTR) continue;
            throw_errno("cannot read back " + tmp_ + ".data");
        }
        if (n == 0) throw IoError(tmp_ + ".data: unexpected end of scratch file");
        pwrite_all(fd_, chunk.data(), static_cast<std::size_t>(n), ind_offset_ + done, tmp_);
        done += static_cast<std::uint64_t>(n);
    }
    if (::fsync(fd_) != 0) throw_errno("cannot fsync " + tmp_);
    if (::close(fd_) != 0) {
        fd_ = -1;
        throw_errno("cannot close " + tmp_);
    }
    fd_ = -1;
    if (::rename(tmp_.c_str(), path_.c_str()) != 0) throw_errno("cannot rename " + tmp_ + " to " + path_);
    finished_ = true;
    fsync_directory(parent_dir(path_));
}

JsonlStreamWriter::JsonlStreamWriter(std::string path, const std::vector<std::string>& vocabulary)
    : file_(std::move(path)) {
    quoted_.reserve(vocabulary.size());
    for (const auto& t : vocabulary) quoted_.push_back(json_quote(t));
    buf_.reserve(1 << 20);
}

void JsonlStreamWriter::add(std::uint64_t docno, const SparseRow& row, std::string_view payload) {
    fmt::format_to(std::back_inserter(buf_), "{{\"id\": \"D{}\", \"vector\": {{", docno);
    for (std::size_t i = 0; i < row.ids.size(); ++i) {
        if (i) buf_ += ", ";
        buf_ += quoted_[row.ids[i]];
        buf_ += ": ";
        append_weight(buf_, row.weights[i]);
    }
    buf_ += '}';
    if (!payload.empty()) {
        buf_ += ", \"payload\": ";
        buf_ += payload;
    }
    buf_ += "}\n";
    if (buf_.size() >= (1 << 20)) {
        file_.out().write(buf_);
        buf_.clear();
    }
}

void JsonlStreamWriter::finish() {
    file_.out().write(buf_);
    buf_.clear();
    file_.commit();
}

void append_impact_query(std::string& line, std::string_view qid, const ImpactQuery& q,
                         const std::vector<std::string>& vocabulary) {
    line += qid;
    line += '\t';
    bool first = true;
    for (std::size_t i = 0; i < q.ids.size(); ++i) {
        const std::string& tok = vocabulary[q.ids[i]];
        for (std::uint32_t r = 0; r < q.weights[i]; ++r) {
            if (!first) line += ' ';
            first = false;
            line += tok;
        }
    }
    line += '\n';
}

}  // namespace spindle::gen
