#include "spindle/io/file_lock.hpp"

#include <fcntl.h>
#include <signal.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>

#include "spindle/common/error.hpp"

namespace spindle {
namespace {

std::string read_holder(int fd) {
    std::string holder(32, '\0');
    const ssize_t n = ::pread(fd, holder.data(), holder.size(), 0);
    holder.resize(n > 0 ? static_cast<std::size_t>(n) : 0);
    while (!holder.empty() && (holder.back() == '\n' || holder.back() == '\0')) holder.pop_back();
    return holder;
}

}  // namespace

std::optional<FileLock> FileLock::try_lock(const std::string& path, bool remove_on_release, std::string* holder) {
    for (int attempt = 0; attempt < 100; ++attempt) {
        const int fd = ::open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0644);
        if (fd < 0) throw_errno("cannot open lock file " + path);
        if (::flock(fd, LOCK_EX | LOCK_NB) != 0) {
            const int err = errno;
            if (holder != nullptr) *holder = read_holder(fd);
            ::close(fd);
            if (err == EWOULDBLOCK) return std::nullopt;
            errno = err;
            throw_errno("cannot lock " + path);
        }
        // The holder before us may have unlinked the file between our open
        // and our flock: then we locked an orphan; start again.
        struct stat a {};
        struct stat b {};
        if (::fstat(fd, &a) != 0 || ::stat(path.c_str(), &b) != 0 || a.st_ino != b.st_ino || a.st_dev != b.st_dev) {
            ::close(fd);
            continue;
        }
        const std::string pid = std::to_string(::getpid()) + "\n";
        if (::ftruncate(fd, 0) != 0 || ::pwrite(fd, pid.data(), pid.size(), 0) < 0) {
            const int err = errno;
            ::close(fd);
            errno = err;
            throw_errno("cannot write lock file " + path);
        }
        return FileLock(path, fd, remove_on_release);
    }
    throw IoError("cannot lock " + path + ": it keeps being replaced");
}

FileLock::FileLock(FileLock&& other) noexcept
    : path_(std::move(other.path_)), fd_(other.fd_), remove_(other.remove_) {
    other.fd_ = -1;
}

FileLock& FileLock::operator=(FileLock&& other) noexcept {
    if (this != &other) {
        release();
        path_ = std::move(other.path_);
        fd_ = other.fd_;
        remove_ = other.remove_;
        other.fd_ = -1;
    }
    return *this;
}

FileLock::~FileLock() { release(); }

void FileLock::release() {
    if (fd_ < 0) return;
    if (remove_) (void)::unlink(path_.c_str());  // still locked: no one else can hold this inode
    ::close(fd_);
    fd_ = -1;
}

bool process_alive(long pid) {
    if (pid <= 0) return false;
    return ::kill(static_cast<pid_t>(pid), 0) == 0 || errno == EPERM;
}

}  // namespace spindle
