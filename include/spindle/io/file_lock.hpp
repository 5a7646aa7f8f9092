#pragma once
// One exclusive writer per directory: an advisory lock (flock) on a file that
// holds the owner's pid, so that a second writer fails at once naming the
// holder. Used for the LOCK file of a collection (kept) and for the lock a
// build takes beside its output (`.<name>.lock`, removed on release).
#include <optional>
#include <string>

namespace spindle {

class FileLock {
public:
    /// Locks `path` (created if missing) without waiting and writes our pid
    /// into it; nullopt when another process holds it (its pid, as written
    /// in the file, goes to `*holder` when given; may be empty). With
    /// `remove_on_release` the file is unlinked when the lock is released
    /// (taking the lock checks that the file locked is still the one at
    /// `path`, so unlinking cannot let two processes hold it). Throws IoError
    /// when the file cannot be created or written.
    static std::optional<FileLock> try_lock(const std::string& path, bool remove_on_release,
                                            std::string* holder = nullptr);

    FileLock(FileLock&& other) noexcept;
    FileLock& operator=(FileLock&& other) noexcept;
    FileLock(const FileLock&) = delete;
    FileLock& operator=(const FileLock&) = delete;
    ~FileLock();

    [[nodiscard]] const std::string& path() const { return path_; }
    /// Releases the lock now (as the destructor does).
    void release();

private:
    FileLock(std::string path, int fd, bool remove) : path_(std::move(path)), fd_(fd), remove_(remove) {}
    std::string path_;
    int fd_ = -1;
    bool remove_ = false;
};

/// True when a process with this pid exists (it may belong to another user).
bool process_alive(long pid);

}  // namespace spindle
