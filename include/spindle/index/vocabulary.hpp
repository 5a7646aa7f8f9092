#pragma once
// Token <-> term id mapping stored with an index (vocab.bin).
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
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
    struct Hash {
        using is_transparent = void;
        std::size_t operator()(std::string_view s) const noexcept { return std::hash<std::string_view>{}(s); }
    };
    std::vector<std::uint64_t> offsets_{0};
    std::string chars_;
    std::unordered_map<std::string, termid_t, Hash, std::equal_to<>> ids_;
};

}  // namespace spindle
