#pragma once
// An append-only log of framed, checksummed records (a collection's
// write-ahead log, wal-<n>.log). Layout (little-endian, docs/format.md):
//   file header, 32 bytes: magic "SPNDLWAL", u32 version (1), u32 0,
//                          u64 file number, u64 XXH3-64 of the first 24 bytes;
//   records: u32 magic 0x52444C53 ("SLDR"), u32 payload length,
//            u64 log sequence number (consecutive, +1 per record),
//            u64 XXH3-64 of (length, lsn, payload), then the payload.
// One record is written by one write() call; `sync` makes everything
// appended so far durable (fdatasync), which is what a batch acknowledged
// with wait=true waits for.
//
// Reading: a record cut short at the end of the file, or a damaged record
// after which no valid record follows, is a torn tail (what a crash during
// an append leaves): it is reported and, by a writer, truncated away. A
// damaged record followed by a valid one is corruption: CorruptIndex naming
// the file and offset, never a silently dropped write.
#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <vector>

namespace spindle {

inline constexpr std::uint32_t kWalVersion = 1;
inline constexpr std::size_t kWalHeaderBytes = 32;
inline constexpr std::size_t kWalRecordHeaderBytes = 24;
inline constexpr std::uint32_t kWalMaxRecordBytes = 1U << 30;

struct WalRecord {
    std::uint64_t lsn = 0;
    std::vector<std::byte> payload;
};

struct WalScan {
    std::uint64_t file_number = 0;
    std::vector<WalRecord> records;
    std::uint64_t valid_bytes = 0;  ///< header + the complete valid records
    std::uint64_t file_bytes = 0;
    bool torn_tail = false;         ///< bytes after valid_bytes were dropped
    std::string torn_reason;        ///< why (for the log of a recovery)
};

/// Reads every record of `path`. `expect_lsn` (0: any) is the first record's
/// required sequence number. Throws CorruptIndex naming the file and offset
/// for a bad header, a gap in sequence numbers, or damage in the middle.
WalScan read_wal(const std::string& path, std::uint64_t expect_lsn = 0);

class WalWriter {
public:
    /// Creates `path` (must not exist) with its header, fsynced, and fsyncs the directory.
    static WalWriter create(const std::string& path, std::uint64_t file_number);
    /// Opens an existing log for appending after `valid_bytes` (from
    /// read_wal): a torn tail is truncated and the truncation fsynced.
    static WalWriter open_append(const std::string& path, std::uint64_t valid_bytes);

    WalWriter() = default;
    ~WalWriter();
    WalWriter(WalWriter&& o) noexcept;
    WalWriter& operator=(WalWriter&& o) noexcept;
    WalWriter(const WalWriter&) = delete;
    WalWriter& operator=(const WalWriter&) = delete;

    /// Appends one record (one write call). Throws IoError; after a failed
    /// append the writer truncates back to the last complete record.
    void append(std::uint64_t lsn, std::span<const std::byte> payload);
    /// Makes every appended record durable (fdatasync).
    void sync();
    [[nodiscard]] std::uint64_t bytes() const { return bytes_; }
    [[nodiscard]] const std::string& path() const { return path_; }
    [[nodiscard]] bool is_open() const { return fd_ >= 0; }
    void close();

private:
    std::string path_;
    int fd_ = -1;
    std::uint64_t bytes_ = 0;
    std::vector<std::byte> buf_;
};

}  // namespace spindle
