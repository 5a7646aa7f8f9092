#pragma once
// Durable file writing: buffered writes, fsync, and a staging directory that
// becomes the real index only by an atomic rename.
#include <cstddef>
#include <cstdint>
#include <functional>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "spindle/io/file_lock.hpp"

namespace spindle {

/// Buffered writer over a new file (O_EXCL: never overwrites). Throws IoError
/// naming the path. The file is complete only after close_and_sync().
class FileWriter {
public:
    explicit FileWriter(std::string path);
    ~FileWriter();
    FileWriter(const FileWriter&) = delete;
    FileWriter& operator=(const FileWriter&) = delete;

    void write(std::span<const std::byte> bytes);
    void write(std::string_view s) { write(std::as_bytes(std::span(s.data(), s.size()))); }
    /// Writes zero bytes until the file is `offset` bytes long.
    void pad_to(std::uint64_t offset);
    [[nodiscard]] std::uint64_t position() const { return written_; }
    void close_and_sync();

private:
    void flush();
    std::string path_;
    int fd_ = -1;
    std::vector<std::byte> buffer_;
    std::uint64_t written_ = 0;
};

/// fsync / fdatasync of `fd` (naming `path` in the error), unless
/// durability was turned off by skip_fsync_for_tests.
void sync_fd(int fd, const std::string& path, bool data_only = false);

/// Tests only: makes every fsync a no-op for the rest of the process, so
/// that tests of logic (not of power loss) do not wait for the disk. Writes
/// still reach the kernel in the same order, so a killed process loses
/// nothing; only a machine crash could.
void skip_fsync_for_tests();

/// fsyncs a directory so that renames and creations inside it are durable.
void fsync_directory(const std::string& path);

/// Writes `contents` to `path` durably (temp file, fsync, rename).
void write_file_atomically(const std::string& path, std::string_view contents);

/// Called with the target of a StagingDirectory when it exists and
/// `overwrite` was given; throws InvalidArgument naming the path and what is
/// there unless it may be replaced (for an index: it is one).
using ReplaceCheck = std::function<void(const std::string& target)>;

/// A directory next to `target` ("<parent>/.<name>.tmp-<pid>-<n>") in which a
/// new index is written. The constructor locks the target (`<parent>/.<name>.lock`:
/// a second writer fails at once naming the holder's pid), refuses an
/// existing target unless `overwrite` and `may_replace` accepts it, and
/// removes staging directories that earlier builds into the same parent
/// left (those of dead processes, and any of this target: its lock is ours).
/// commit() renames it to `target`; if commit() is never reached the staging
/// directory is deleted, so a failed build leaves nothing behind, and it is
/// registered for remove_interrupted_paths() meanwhile.
class StagingDirectory {
public:
    StagingDirectory(std::string target, bool overwrite, ReplaceCheck may_replace = {});
    ~StagingDirectory();
    StagingDirectory(const StagingDirectory&) = delete;
    StagingDirectory& operator=(const StagingDirectory&) = delete;

    [[nodiscard]] const std::string& path() const { return staging_; }
    void commit();

private:
    void check_target() const;
    std::string target_;
    std::string staging_;
    bool overwrite_;
    ReplaceCheck may_replace_;
    std::optional<FileLock> lock_;
    bool committed_ = false;
};

/// The marker file a staging directory holds until it is published: only
/// directories holding it (or empty ones) are ever removed as stale.
inline constexpr const char* kStagingMarker = ".spindle-staging";

/// Removes, in `parent`, the staging directories (`.<name>.tmp-<pid>-<n>...`,
/// marked or empty) of processes that are gone, and of target `locked_name`
/// whatever their pid (the caller holds that target's lock). A directory an
/// interrupted commit moved aside (`....old`) is renamed back to its target
/// when the target is missing. Returns the paths removed or restored.
std::vector<std::string> remove_stale_staging(const std::string& parent, const std::string& locked_name = {});

/// While alive, `path` (a directory being written, not yet published) is
/// removed by remove_interrupted_paths().
class InterruptCleanup {
public:
    explicit InterruptCleanup(std::string path);
    ~InterruptCleanup();
    InterruptCleanup(const InterruptCleanup&) = delete;
    InterruptCleanup& operator=(const InterruptCleanup&) = delete;

private:
    std::string path_;
};

/// Removes every registered path and blocks any later publication (a
/// StagingDirectory::commit waits forever): for a program that is about to
/// end because of a signal (spindle's CLI calls it from its signal thread,
/// not from a signal handler). Returns the paths removed.
std::vector<std::string> remove_interrupted_paths();

}  // namespace spindle
