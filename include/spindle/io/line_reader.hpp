#pragma once
// Reads a text file line by line, transparently decompressing gzip (.gz or
// not: zlib passes plain files through). Tracks line numbers for messages.
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace spindle {

class LineReader {
public:
    /// Opens `path`; throws IoError naming it if it cannot be read.
    explicit LineReader(std::string path);
    ~LineReader();
    LineReader(const LineReader&) = delete;
    LineReader& operator=(const LineReader&) = delete;

    /// Next line without its terminator ('\n' or "\r\n"); false at end of file.
    /// The view stays valid until the next call. A UTF-8 byte order mark
    /// starting the file is skipped (every text input reads through here).
    bool next(std::string_view& line);
    /// True when the file started with a UTF-8 byte order mark (skipped).
    [[nodiscard]] bool had_bom() const { return bom_; }
    /// Whether the (possibly gzipped) file at `path` starts with a UTF-8
    /// byte order mark; false for a file that cannot be read. Summaries use
    /// it to say which inputs had one skipped.
    [[nodiscard]] static bool starts_with_bom(const std::string& path);
    /// "byte order marks skipped: 1 (q.tsv)" for those of `paths` that start
    /// with one, "" when none does.
    [[nodiscard]] static std::string bom_note(const std::vector<std::string>& paths);
    /// 1-based number of the line last returned.
    [[nodiscard]] std::uint64_t line_number() const { return line_no_; }
    /// Bytes of the underlying (possibly compressed) file consumed so far.
    [[nodiscard]] std::uint64_t bytes_consumed() const;
    /// Size of the underlying file in bytes.
    [[nodiscard]] std::uint64_t file_bytes() const { return file_bytes_; }
    [[nodiscard]] const std::string& path() const { return path_; }
    /// "path:line" for error messages.
    [[nodiscard]] std::string where() const { return path_ + ":" + std::to_string(line_no_); }

private:
    bool fill();
    bool next_raw(std::string_view& line);
    bool bom_ = false;
    std::string path_;
    void* gz_ = nullptr;
    std::vector<char> buf_;
    std::size_t begin_ = 0;
    std::size_t end_ = 0;
    bool eof_ = false;
    std::uint64_t line_no_ = 0;
    std::uint64_t file_bytes_ = 0;
    std::string long_line_;
};

}  // namespace spindle
