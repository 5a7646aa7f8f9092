#include "spindle/io/file_util.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <filesystem>
#include <system_error>

#include "spindle/common/error.hpp"

namespace fs = std::filesystem;

namespace spindle {
namespace {
constexpr std::size_t kBufferBytes = std::size_t{1} << 20;
std::atomic<bool> g_skip_fsync{false};

std::string parent_of(const std::string& path) {
    auto parent = fs::path(path).parent_path();
    return parent.empty() ? std::string(".") : parent.string();
}
}  // namespace

FileWriter::FileWriter(std::string path) : path_(std::move(path)) {
    fd_ = ::open(path_.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
    if (fd_ < 0) throw_errno("cannot create " + path_);
    buffer_.reserve(kBufferBytes);
}

FileWriter::~FileWriter() {
    if (fd_ >= 0) ::close(fd_);
}

void FileWriter::write(std::span<const std::byte> bytes) {
    written_ += bytes.size();
    if (buffer_.size() + bytes.size() > kBufferBytes) flush();
    if (bytes.size() >= kBufferBytes) {
        std::size_t done = 0;
        while (done < bytes.size()) {
            const ssize_t n = ::write(fd_, bytes.data() + done, bytes.size() - done);
            if (n < 0) {
                if (errno == EINTR) continue;
                throw_errno("cannot write " + path_);
            }
            done += static_cast<std::size_t>(n);
        }
        return;
    }
    buffer_.insert(buffer_.end(), bytes.begin(), bytes.end());
}

void FileWriter::pad_to(std::uint64_t offset) {
    static const std::byte zeros[4096] = {};
    while (written_ < offset) {
        write(std::span(zeros, static_cast<std::size_t>(std::min<std::uint64_t>(offset - written_, sizeof(zeros)))));
    }
}

void FileWriter::flush() {
    std::size_t done = 0;
    while (done < buffer_.size()) {
        const ssize_t n = ::write(fd_, buffer_.data() + done, buffer_.size() - done);
        if (n < 0) {
            if (errno == EINTR) continue;
            throw_errno("cannot write " + path_);
        }
        done += static_cast<std::size_t>(n);
    }
    buffer_.clear();
}

void FileWriter::close_and_sync() {
    flush();
    sync_fd(fd_, path_);
    const int fd = fd_;
    fd_ = -1;
    if (::close(fd) != 0) throw_errno("cannot close " + path_);
}

void sync_fd(int fd, const std::string& path, bool data_only) {
    if (g_skip_fsync.load(std::memory_order_relaxed)) return;
    if ((data_only ? ::fdatasync(fd) : ::fsync(fd)) != 0) throw_errno("cannot fsync " + path);
}

void skip_fsync_for_tests() { g_skip_fsync = true; }

void fsync_directory(const std::string& path) {
    if (g_skip_fsync.load(std::memory_order_relaxed)) return;
    const int fd = ::open(path.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd < 0) throw_errno("cannot open directory " + path);
    const int rc = ::fsync(fd);
    ::close(fd);
    if (rc != 0) throw_errno("cannot fsync directory " + path);
}

void write_file_atomically(const std::string& path, std::string_view contents) {
    const std::string tmp = path + ".tmp-" + std::to_string(::getpid());
    std::error_code ec;
    fs::remove(tmp, ec);
    {
        FileWriter w(tmp);
        w.write(contents);
        w.close_and_sync();
    }
    if (::rename(tmp.c_str(), path.c_str()) != 0) {
        fs::remove(tmp, ec);
        throw_errno("cannot rename " + tmp + " to " + path);
    }
    fsync_directory(parent_of(path));
}

StagingDirectory::StagingDirectory(std::string target, bool overwrite)
    : target_(std::move(target)), overwrite_(overwrite) {
    while (target_.size() > 1 && target_.back() == '/') target_.pop_back();
    if (target_.empty()) throw InvalidArgument("empty output path");
    std::error_code ec;
    if (fs::exists(target_, ec) && !overwrite_) {
        throw InvalidArgument(target_ + " already exists (pass --overwrite to replace it)");
    }
    const fs::path t(target_);
    const std::string parent = parent_of(target_);
    if (!fs::is_directory(parent, ec)) throw InvalidArgument("parent directory " + parent + " does not exist");
    static std::atomic<unsigned> counter{0};
    staging_ = (fs::path(parent) / ("." + t.filename().string() + ".tmp-" + std::to_string(::getpid()) + "-" +
                                    std::to_string(counter++)))
                   .string();
    fs::remove_all(staging_, ec);
    if (!fs::create_directory(staging_, ec)) throw IoError("cannot create " + staging_ + ": " + ec.message());
}

StagingDirectory::~StagingDirectory() {
    if (!committed_) {
        std::error_code ec;
        fs::remove_all(staging_, ec);
    }
}

void StagingDirectory::commit() {
    fsync_directory(staging_);
    std::error_code ec;
    std::string old;
    if (fs::exists(target_, ec)) {
        if (!overwrite_) throw InvalidArgument(target_ + " already exists (pass --overwrite to replace it)");
        old = staging_ + ".old";
        if (::rename(target_.c_str(), old.c_str()) != 0) throw_errno("cannot move old " + target_ + " aside");
    }
    if (::rename(staging_.c_str(), target_.c_str()) != 0) {
        const auto saved = errno;
        if (!old.empty()) (void)::rename(old.c_str(), target_.c_str());
        errno = saved;
        throw_errno("cannot rename " + staging_ + " to " + target_);
    }
    committed_ = true;
    fsync_directory(parent_of(target_));
    if (!old.empty()) fs::remove_all(old, ec);
}

}  // namespace spindle
