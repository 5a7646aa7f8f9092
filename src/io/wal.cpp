#include "spindle/io/wal.hpp"

#include <fcntl.h>
#include <unistd.h>
#include <xxhash.h>

#include <array>
#include <cstring>
#include <filesystem>
#include <utility>

#include "spindle/common/error.hpp"
#include "spindle/io/file_util.hpp"
#include "spindle/io/mapped_file.hpp"

namespace spindle {
namespace {

constexpr std::array<char, 8> kMagic{'S', 'P', 'N', 'D', 'L', 'W', 'A', 'L'};
constexpr std::uint32_t kRecordMagic = 0x52444C53U;

template <class T>
void put(std::byte* dst, T v) {
    std::memcpy(dst, &v, sizeof(T));
}
template <class T>
T get(const std::byte* src) {
    T v;
    std::memcpy(&v, src, sizeof(T));
    return v;
}

std::uint64_t record_hash(std::uint32_t len, std::uint64_t lsn, const std::byte* payload) {
    XXH3_state_t* st = XXH3_createState();
    XXH3_64bits_reset(st);
    XXH3_64bits_update(st, &len, sizeof(len));
    XXH3_64bits_update(st, &lsn, sizeof(lsn));
    XXH3_64bits_update(st, payload, len);
    const std::uint64_t h = XXH3_64bits_digest(st);
    XXH3_freeState(st);
    return h;
}

/// A complete, checksum-valid record starts at `at`: its total size, else 0.
std::uint64_t valid_record_at(std::span<const std::byte> b, std::uint64_t at) {
    if (b.size() - at < kWalRecordHeaderBytes) return 0;
    const std::byte* p = b.data() + at;
    if (get<std::uint32_t>(p) != kRecordMagic) return 0;
    const auto len = get<std::uint32_t>(p + 4);
    if (len > kWalMaxRecordBytes || len > b.size() - at - kWalRecordHeaderBytes) return 0;
    if (record_hash(len, get<std::uint64_t>(p + 8), p + kWalRecordHeaderBytes) != get<std::uint64_t>(p + 16)) return 0;
    return kWalRecordHeaderBytes + len;
}

void write_all(int fd, const std::byte* data, std::size_t n, const std::string& path) {
    std::size_t done = 0;
    while (done < n) {
        const ssize_t w = ::write(fd, data + done, n - done);
        if (w < 0) {
            if (errno == EINTR) continue;
            throw_errno("cannot write " + path);
        }
        done += static_cast<std::size_t>(w);
    }
}

}  // namespace

WalScan read_wal(const std::string& path, std::uint64_t expect_lsn) {
    const MappedFile f(path);
    const auto b = f.bytes();
    WalScan scan;
    scan.file_bytes = b.size();
    if (b.size() < kWalHeaderBytes) {
        throw CorruptIndex(path + ": truncated log header (" + std::to_string(b.size()) + " bytes)");
    }
    if (std::memcmp(b.data(), kMagic.data(), kMagic.size()) != 0) throw CorruptIndex(path + ": not a spindle log (bad magic)");
    if (get<std::uint64_t>(b.data() + 24) != XXH3_64bits(b.data(), 24)) throw CorruptIndex(path + ": log header checksum mismatch");
    const auto version = get<std::uint32_t>(b.data() + 8);
    if (version != kWalVersion) {
        throw IncompatibleVersion(path + ": log version " + std::to_string(version) + ", this build reads version " +
                                  std::to_string(kWalVersion));
    }
    scan.file_number = get<std::uint64_t>(b.data() + 16);
    std::uint64_t at = kWalHeaderBytes;
    std::uint64_t next_lsn = expect_lsn;
    while (at < b.size()) {
        const std::uint64_t n = valid_record_at(b, at);
        if (n == 0) {
            // Damaged or incomplete: a torn tail only if no valid record follows.
            for (std::uint64_t probe = at + 1; probe + kWalRecordHeaderBytes <= b.size(); ++probe) {
                if (get<std::uint32_t>(b.data() + probe) == kRecordMagic && valid_record_at(b, probe) != 0) {
                    throw CorruptIndex(path + ": damaged log record at byte " + std::to_string(at) +
                                       " followed by valid records (at byte " + std::to_string(probe) + ")");
                }
            }
            scan.torn_tail = true;
            scan.torn_reason = b.size() - at < kWalRecordHeaderBytes
                                   ? "an incomplete record header at byte " + std::to_string(at)
                                   : "an incomplete or damaged last record at byte " + std::to_string(at);
            break;
        }
        const std::byte* p = b.data() + at;
        const auto lsn = get<std::uint64_t>(p + 8);
        if (next_lsn != 0 && lsn != next_lsn) {
            throw CorruptIndex(path + ": log record at byte " + std::to_string(at) + " has sequence number " +
                               std::to_string(lsn) + ", expected " + std::to_string(next_lsn));
        }
        next_lsn = lsn + 1;
        WalRecord r;
        r.lsn = lsn;
        r.payload.assign(p + kWalRecordHeaderBytes, p + n);
        scan.records.push_back(std::move(r));
        at += n;
    }
    scan.valid_bytes = at > b.size() ? b.size() : at;
    if (scan.torn_tail) scan.valid_bytes = at;
    return scan;
}

WalWriter WalWriter::create(const std::string& path, std::uint64_t file_number) {
    WalWriter w;
    w.path_ = path;
    w.fd_ = ::open(path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
    if (w.fd_ < 0) throw_errno("cannot create " + path);
    std::array<std::byte, kWalHeaderBytes> h{};
    std::memcpy(h.data(), kMagic.data(), kMagic.size());
    put<std::uint32_t>(h.data() + 8, kWalVersion);
    put<std::uint64_t>(h.data() + 16, file_number);
    put<std::uint64_t>(h.data() + 24, XXH3_64bits(h.data(), 24));
    write_all(w.fd_, h.data(), h.size(), path);
    sync_fd(w.fd_, path);
    w.bytes_ = kWalHeaderBytes;
    const auto parent = std::filesystem::path(path).parent_path();
    fsync_directory(parent.empty() ? std::string(".") : parent.string());
    return w;
}

WalWriter WalWriter::open_append(const std::string& path, std::uint64_t valid_bytes) {
    WalWriter w;
    w.path_ = path;
    w.fd_ = ::open(path.c_str(), O_WRONLY | O_CLOEXEC);
    if (w.fd_ < 0) throw_errno("cannot open " + path);
    const off_t end = ::lseek(w.fd_, 0, SEEK_END);
    if (end < 0) throw_errno("cannot seek " + path);
    if (static_cast<std::uint64_t>(end) != valid_bytes) {
        if (::ftruncate(w.fd_, static_cast<off_t>(valid_bytes)) != 0) throw_errno("cannot truncate " + path);
        sync_fd(w.fd_, path);
    }
    if (::lseek(w.fd_, static_cast<off_t>(valid_bytes), SEEK_SET) < 0) throw_errno("cannot seek " + path);
    w.bytes_ = valid_bytes;
    return w;
}

WalWriter::~WalWriter() { close(); }

WalWriter::WalWriter(WalWriter&& o) noexcept
    : path_(std::move(o.path_)), fd_(std::exchange(o.fd_, -1)), bytes_(o.bytes_), buf_(std::move(o.buf_)) {}

WalWriter& WalWriter::operator=(WalWriter&& o) noexcept {
    if (this != &o) {
        close();
        path_ = std::move(o.path_);
        fd_ = std::exchange(o.fd_, -1);
        bytes_ = o.bytes_;
        buf_ = std::move(o.buf_);
    }
    return *this;
}

void WalWriter::close() {
    if (fd_ >= 0) {
        ::close(fd_);
        fd_ = -1;
    }
}

void WalWriter::append(std::uint64_t lsn, std::span<const std::byte> payload) {
    if (fd_ < 0) throw IoError("log " + path_ + " is not open");
    if (payload.size() > kWalMaxRecordBytes) {
        throw InvalidArgument("a write batch of " + std::to_string(payload.size()) + " bytes exceeds the log's " +
                              std::to_string(kWalMaxRecordBytes) + "-byte record limit: split it");
    }
    const auto len = static_cast<std::uint32_t>(payload.size());
    buf_.resize(kWalRecordHeaderBytes + payload.size());
    put<std::uint32_t>(buf_.data(), kRecordMagic);
    put<std::uint32_t>(buf_.data() + 4, len);
    put<std::uint64_t>(buf_.data() + 8, lsn);
    put<std::uint64_t>(buf_.data() + 16, record_hash(len, lsn, payload.data()));
    if (!payload.empty()) std::memcpy(buf_.data() + kWalRecordHeaderBytes, payload.data(), payload.size());
    try {
        write_all(fd_, buf_.data(), buf_.size(), path_);
    } catch (...) {
        // Keep the log a sequence of whole records.
        if (::ftruncate(fd_, static_cast<off_t>(bytes_)) == 0) (void)::lseek(fd_, static_cast<off_t>(bytes_), SEEK_SET);
        throw;
    }
    bytes_ += buf_.size();
    if (buf_.capacity() > (std::size_t{8} << 20)) buf_ = {};
}

void WalWriter::sync() {
    if (fd_ >= 0) sync_fd(fd_, path_, true);
}

}  // namespace spindle
