#pragma once
// External ids of a segment's documents (docids.bin). An id is a string, or
// (format 3, optional section kDocIdKinds) an unsigned 64-bit number, stored
// as its decimal digits with a kind byte; files without the kinds section
// hold strings only.
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "spindle/common/types.hpp"
#include "spindle/io/container.hpp"

namespace spindle {

/// The order of external ids: numbers before strings, numbers by value,
/// strings byte by byte (`key` is a number's decimal digits, no leading zeros).
[[nodiscard]] inline int compare_ids(bool a_number, std::string_view a, bool b_number, std::string_view b) {
    if (a_number != b_number) return a_number ? -1 : 1;
    if (a_number && a.size() != b.size()) return a.size() < b.size() ? -1 : 1;
    const int c = a.compare(b);
    return c < 0 ? -1 : (c > 0 ? 1 : 0);
}

class DocIds {
public:
    DocIds() = default;
    /// Validates `c` (kind DOCS) as the ids of `num_docs` documents; throws CorruptIndex naming the file.
    DocIds(Container c, std::uint64_t num_docs);

    /// The id's text: the string, or the number's decimal digits.
    [[nodiscard]] std::string_view key(docid_t d) const {
        return {chars_.data() + offsets_[d], static_cast<std::size_t>(offsets_[d + 1] - offsets_[d])};
    }
    /// True when the id is an unsigned 64-bit number.
    [[nodiscard]] bool is_number(docid_t d) const { return !kinds_.empty() && kinds_[d] == 1; }
    [[nodiscard]] std::uint64_t size() const { return offsets_.empty() ? 0 : offsets_.size() - 1; }
    /// The document with this id, if the segment holds it (deleted or not).
    [[nodiscard]] std::optional<docid_t> find(bool is_number, std::string_view key) const;
    /// The document whose id has rank r in id order.
    [[nodiscard]] docid_t by_rank(std::uint64_t r) const { return sorted_[r]; }
    /// Rank of the first id not before (is_number, key) in id order.
    [[nodiscard]] std::uint64_t rank_lower_bound(bool is_number, std::string_view key) const;
    [[nodiscard]] std::uint64_t file_bytes() const { return file_.file_bytes(); }
    [[nodiscard]] const std::string& path() const { return file_.path(); }

private:
    Container file_;
    std::span<const std::uint64_t> offsets_;
    std::span<const char> chars_;
    std::span<const std::uint8_t> kinds_;
    std::span<const docid_t> sorted_;
    std::vector<docid_t> sorted_owned_;  // computed at open for files without the sorted section
};

/// Accumulates ids and writes docids.bin (to a file or to memory).
class DocIdsWriter {
public:
    void add(std::string_view key, bool is_number);
    [[nodiscard]] std::uint64_t size() const { return offsets_.size() - 1; }
    /// Writes `path`; returns its size in bytes.
    std::uint64_t write(const std::string& path) const;
    /// The same bytes in memory, opened.
    [[nodiscard]] DocIds in_memory(const std::string& name) const;

private:
    std::vector<std::uint64_t> offsets_{0};
    std::string chars_;
    std::vector<std::uint8_t> kinds_;
    bool any_number_ = false;
};

}  // namespace spindle
