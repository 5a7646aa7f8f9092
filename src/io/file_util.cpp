#include "spindle/io/file_util.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cctype>
#include <filesystem>
#include <mutex>
#include <set>
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

// --- interrupt cleanup -----------------------------------------------------------

namespace {
std::mutex& cleanup_mutex() {
    static std::mutex mu;
    return mu;
}
std::set<std::string>& cleanup_paths() {
    static std::set<std::string> paths;
    return paths;
}
}  // namespace

InterruptCleanup::InterruptCleanup(std::string path) : path_(std::move(path)) {
    std::lock_guard g(cleanup_mutex());
    cleanup_paths().insert(path_);
}

InterruptCleanup::~InterruptCleanup() {
    std::lock_guard g(cleanup_mutex());
    cleanup_paths().erase(path_);
}

std::vector<std::string> remove_interrupted_paths() {
    // Taken and never released: nothing is published after this.
    cleanup_mutex().lock();
    std::vector<std::string> removed;
    for (const auto& p : cleanup_paths()) {
        std::error_code ec;
        if (!fs::exists(p, ec)) continue;
        // Renamed first, so that a thread still writing into it cannot
        // create files there any more (it writes by path).
        const std::string dead = p + ".interrupted";
        const std::string& gone = ::rename(p.c_str(), dead.c_str()) == 0 ? dead : p;
        fs::remove_all(gone, ec);
        removed.push_back(p);
    }
    return removed;
}

// --- staging directories ---------------------------------------------------------

namespace {

struct StagingName {
    std::string target;  ///< the name it is staged for
    long pid = 0;
    bool old = false;    ///< a target moved aside by commit()
};

/// Parses ".<name>.tmp-<pid>-<n>[.old|.interrupted|...]".
std::optional<StagingName> parse_staging_name(const std::string& n) {
    if (n.size() < 2 || n[0] != '.') return std::nullopt;
    const auto at = n.rfind(".tmp-");
    if (at == std::string::npos || at < 2) return std::nullopt;
    StagingName out;
    out.target = n.substr(1, at - 1);
    std::size_t i = at + 5;
    const std::size_t pid_begin = i;
    while (i < n.size() && std::isdigit(static_cast<unsigned char>(n[i])) != 0) ++i;
    if (i == pid_begin || i >= n.size() || n[i] != '-' || i - pid_begin > 9) return std::nullopt;
    out.pid = std::stol(n.substr(pid_begin, i - pid_begin));
    ++i;
    const std::size_t num_begin = i;
    while (i < n.size() && std::isdigit(static_cast<unsigned char>(n[i])) != 0) ++i;
    if (i == num_begin) return std::nullopt;
    const std::string rest = n.substr(i);
    if (rest == ".old") {
        out.old = true;
    } else if (!rest.empty() && rest != ".interrupted") {
        return std::nullopt;
    }
    return out;
}

void check_replaceable(const std::string& target, const ReplaceCheck& may_replace) {
    if (!may_replace) throw InvalidArgument(target + " already exists and is not known to be replaceable");
    may_replace(target);
}

}  // namespace

std::vector<std::string> remove_stale_staging(const std::string& parent, const std::string& locked_name) {
    std::vector<std::string> done;
    std::error_code ec;
    for (fs::directory_iterator it(parent, ec), end; !ec && it != end; it.increment(ec)) {
        const std::string n = it->path().filename().string();
        const auto parsed = parse_staging_name(n);
        if (!parsed || !it->is_directory(ec)) continue;
        const bool ours = !locked_name.empty() && parsed->target == locked_name;
        if (!ours && process_alive(parsed->pid)) continue;
        const fs::path p = it->path();
        if (parsed->old) {
            // An interrupted commit: the old target was moved aside.
            const fs::path target = fs::path(parent) / parsed->target;
            if (!fs::exists(target, ec)) {
                if (::rename(p.c_str(), target.c_str()) == 0) done.push_back(target.string());
                continue;
            }
        } else if (!fs::exists(p / kStagingMarker, ec) && !fs::is_empty(p, ec)) {
            continue;  // not ours to judge
        }
        fs::remove_all(p, ec);
        if (!ec) done.push_back(p.string());
        ec.clear();
    }
    return done;
}

StagingDirectory::StagingDirectory(std::string target, bool overwrite, ReplaceCheck may_replace)
    : target_(std::move(target)), overwrite_(overwrite), may_replace_(std::move(may_replace)) {
    while (target_.size() > 1 && target_.back() == '/') target_.pop_back();
    if (target_.empty()) throw InvalidArgument("empty output path");
    std::error_code ec;
    const fs::path t(target_);
    const std::string parent = parent_of(target_);
    if (!fs::is_directory(parent, ec)) throw InvalidArgument("parent directory " + parent + " does not exist");
    const std::string name = t.filename().string();
    const std::string lock_path = (fs::path(parent) / ("." + name + ".lock")).string();
    std::string holder;
    lock_ = FileLock::try_lock(lock_path, true, &holder);
    if (!lock_) {
        throw IoError("cannot write " + target_ + ": another spindle process" +
                      (holder.empty() ? std::string() : " (pid " + holder + ")") + " is writing it (lock " +
                      lock_path + "); wait for it to finish or stop it");
    }
    (void)remove_stale_staging(parent, name);
    check_target();
    static std::atomic<unsigned> counter{0};
    staging_ = (fs::path(parent) / ("." + name + ".tmp-" + std::to_string(::getpid()) + "-" + std::to_string(counter++)))
                   .string();
    fs::remove_all(staging_, ec);
    if (!fs::create_directory(staging_, ec)) throw IoError("cannot create " + staging_ + ": " + ec.message());
    {
        std::lock_guard g(cleanup_mutex());
        cleanup_paths().insert(staging_);
    }
    FileWriter marker(staging_ + "/" + kStagingMarker);
    marker.write(std::to_string(::getpid()) + "\n");
    marker.close_and_sync();
}

void StagingDirectory::check_target() const {
    std::error_code ec;
    if (!fs::exists(fs::symlink_status(target_, ec))) return;
    if (fs::is_directory(fs::symlink_status(target_, ec)) && fs::is_empty(target_, ec)) return;  // nothing to lose
    if (!overwrite_) throw InvalidArgument(target_ + " already exists (pass --overwrite to replace it)");
    check_replaceable(target_, may_replace_);
}

StagingDirectory::~StagingDirectory() {
    std::error_code ec;
    if (!committed_ && !staging_.empty()) fs::remove_all(staging_, ec);
    std::lock_guard g(cleanup_mutex());
    cleanup_paths().erase(staging_);
}

void StagingDirectory::commit() {
    std::error_code ec;
    fs::remove(staging_ + "/" + kStagingMarker, ec);
    fsync_directory(staging_);
    // Held through the renames: an interrupt waits for them (and then finds
    // nothing registered to remove).
    std::lock_guard g(cleanup_mutex());
    check_target();  // again: what is there may have changed while we built
    std::string old;
    if (fs::exists(fs::symlink_status(target_, ec))) {
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
    cleanup_paths().erase(staging_);
    fsync_directory(parent_of(target_));
    if (!old.empty()) fs::remove_all(old, ec);
}

}  // namespace spindle
