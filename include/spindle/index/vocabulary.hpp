#pragma once
// Token <-> term id mapping stored with an index (vocab.bin).
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "spindle/common/types.hpp"

namespace spindle {

class Vocabulary {
public:
    /// Id of `token`, adding it if new.
    termid_t add(std::string_view token);
    /// Id of `token` if known.
    [[nodiscard]] std::optional<termid_t> find(std::string_view token) const;
    [[nodiscard]] std::string_view token(termid_t id) const;
    [[nodiscard]] std::size_t size() const { return offsets_.size() - 1; }

    /// Writes vocab.bin (container kind "VOCB") durably; returns bytes written.
    std::uint64_t save(const std::string& path) const;
    /// Opens and validates a vocab.bin.
    static Vocabulary load(const std::string& path);

private:
    // Open addressing over the token arena: a slot holds id + 1 (0: empty)
    // and 32 bits of the token's hash, so a probe compares characters only
    // when the tags agree; no per-token allocation (the write path adds
    // every token of every upserted point here).
    struct Slot {
        std::uint32_t id_plus_one = 0;
        std::uint32_t tag = 0;
    };
    /// The slot holding `token`, or the empty slot where it would go.
    [[nodiscard]] std::size_t probe(std::string_view token, std::uint64_t hash) const;
    /// Doubles the table (kept at most half full).
    void grow();

    std::vector<std::uint64_t> offsets_{0};
    std::string chars_;
    std::vector<Slot> slots_;
};

}  // namespace spindle
