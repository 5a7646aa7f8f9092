#pragma once
// Durable file writing: buffered writes, fsync, and a staging directory that
// becomes the real index only by an atomic rename.
#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

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

/// A directory next to `target` ("<parent>/.<name>.tmp-<pid>-<n>") in which a
/// new index is written. commit() renames it to `target` (replacing an existing
/// index only if `overwrite`); if commit() is never reached the staging
/// directory is deleted, so a failed build leaves nothing behind.
class StagingDirectory {
public:
    StagingDirectory(std::string target, bool overwrite);
    ~StagingDirectory();
    StagingDirectory(const StagingDirectory&) = delete;
    StagingDirectory& operator=(const StagingDirectory&) = delete;

    [[nodiscard]] const std::string& path() const { return staging_; }
    void commit();

private:
    std::string target_;
    std::string staging_;
    bool overwrite_;
    bool committed_ = false;
};

}  // namespace spindle
