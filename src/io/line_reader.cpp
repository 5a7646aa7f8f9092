#include "spindle/io/line_reader.hpp"

#include <sys/stat.h>
#include <zlib.h>

#include <cstring>

#include "spindle/common/error.hpp"

namespace spindle {
namespace {
constexpr std::size_t kChunk = std::size_t{1} << 20;
}

LineReader::LineReader(std::string path) : path_(std::move(path)), buf_(kChunk) {
    struct stat st {};
    if (::stat(path_.c_str(), &st) != 0) throw_errno("cannot open " + path_);
    if (S_ISDIR(st.st_mode)) throw IoError("cannot read " + path_ + ": is a directory");
    file_bytes_ = static_cast<std::uint64_t>(st.st_size);
    gz_ = gzopen(path_.c_str(), "rb");
    if (gz_ == nullptr) throw_errno("cannot open " + path_);
    gzbuffer(static_cast<gzFile>(gz_), 1U << 18U);
}

LineReader::~LineReader() {
    if (gz_ != nullptr) gzclose(static_cast<gzFile>(gz_));
}

std::uint64_t LineReader::bytes_consumed() const {
    const auto off = gzoffset(static_cast<gzFile>(gz_));
    return off < 0 ? 0 : static_cast<std::uint64_t>(off);
}

bool LineReader::fill() {
    if (eof_) return false;
    const int n = gzread(static_cast<gzFile>(gz_), buf_.data(), static_cast<unsigned>(buf_.size()));
    if (n < 0) {
        int errnum = 0;
        const char* msg = gzerror(static_cast<gzFile>(gz_), &errnum);
        throw IoError("cannot read " + path_ + " after line " + std::to_string(line_no_) + ": " + msg);
    }
    if (n == 0) {
        eof_ = true;
        return false;
    }
    begin_ = 0;
    end_ = static_cast<std::size_t>(n);
    return true;
}

bool LineReader::starts_with_bom(const std::string& path) {
    gzFile f = gzopen(path.c_str(), "rb");
    if (f == nullptr) return false;
    unsigned char head[3] = {0, 0, 0};
    const int n = gzread(f, head, sizeof head);
    gzclose(f);
    return n == 3 && head[0] == 0xEF && head[1] == 0xBB && head[2] == 0xBF;
}

std::string LineReader::bom_note(const std::vector<std::string>& paths) {
    std::string names;
    std::size_t n = 0;
    for (const auto& p : paths) {
        if (p.empty() || !starts_with_bom(p)) continue;
        names += (n++ ? ", " : "") + p;
    }
    return n ? "byte order marks skipped: " + std::to_string(n) + " (" + names + ")" : std::string();
}

bool LineReader::next(std::string_view& line) {
    if (!next_raw(line)) return false;
    // A UTF-8 byte order mark at the start of the file is not content.
    if (line_no_ == 1 && line.substr(0, 3) == "\xEF\xBB\xBF") {
        line.remove_prefix(3);
        bom_ = true;
    }
    return true;
}

bool LineReader::next_raw(std::string_view& line) {
    long_line_.clear();
    bool spanning = false;
    for (;;) {
        if (begin_ == end_ && !fill()) {
            if (!spanning) return false;
            break;  // last line without a terminator
        }
        const char* start = buf_.data() + begin_;
        const void* nl = std::memchr(start, '\n', end_ - begin_);
        if (nl != nullptr) {
            const auto len = static_cast<std::size_t>(static_cast<const char*>(nl) - start);
            begin_ += len + 1;
            ++line_no_;
            if (!spanning) {
                line = std::string_view(start, len);
            } else {
                long_line_.append(start, len);
                line = long_line_;
            }
            if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
            return true;
        }
        long_line_.append(start, end_ - begin_);
        begin_ = end_;
        spanning = true;
    }
    ++line_no_;
    line = long_line_;
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    return true;
}

}  // namespace spindle
