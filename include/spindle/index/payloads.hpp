#pragma once
// Payloads of a collection segment (payload.bin, kind PAYL): one compact
// JSON object per document, stored as text ("" = the point has no payload).
#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "spindle/common/types.hpp"
#include "spindle/io/container.hpp"

namespace spindle {

class PayloadStore {
public:
    PayloadStore() = default;
    /// Checks `c` as the payloads of `num_docs` documents; throws CorruptIndex naming the file.
    PayloadStore(Container c, std::uint64_t num_docs);
    /// The JSON text of document d's payload; empty when it has none (or the store is empty).
    [[nodiscard]] std::string_view json(docid_t d) const {
        if (offsets_.empty()) return {};
        return {chars_.data() + offsets_[d], static_cast<std::size_t>(offsets_[d + 1] - offsets_[d])};
    }
    [[nodiscard]] bool empty() const { return offsets_.empty(); }
    [[nodiscard]] std::uint64_t file_bytes() const { return offsets_.empty() ? 0 : file_.file_bytes(); }

private:
    Container file_;
    std::span<const std::uint64_t> offsets_;
    std::span<const char> chars_;
};

class PayloadWriter {
public:
    /// Appends one document's payload: compact JSON text, or "" for none.
    void add(std::string_view json);
    [[nodiscard]] bool any() const { return any_; }
    std::uint64_t write(const std::string& path) const;
    [[nodiscard]] PayloadStore in_memory(const std::string& name) const;

private:
    std::vector<std::uint64_t> offsets_{0};
    std::string chars_;
    bool any_ = false;
};

}  // namespace spindle
