#include "spindle/collection/point.hpp"

#include "spindle/common/error.hpp"

namespace spindle {
namespace {

// The problem with `s` as a string id, or nullptr.
const char* id_problem(std::string_view s) {
    if (s.empty()) return "is empty";
    if (s.size() > 1024) return "is longer than 1024 bytes";
    std::size_t i = 0;
    while (i < s.size()) {
        const auto c = static_cast<unsigned char>(s[i]);
        if (c < 0x80) {
            if (c <= 0x20 || c == 0x7F) return "contains whitespace or a control character";
            ++i;
            continue;
        }
        std::size_t n = 0;
        std::uint32_t cp = 0;
        if ((c & 0xE0U) == 0xC0U) {
            n = 1;
            cp = c & 0x1FU;
        } else if ((c & 0xF0U) == 0xE0U) {
            n = 2;
            cp = c & 0x0FU;
        } else if ((c & 0xF8U) == 0xF0U) {
            n = 3;
            cp = c & 0x07U;
        } else {
            return "is not valid UTF-8";
        }
        for (std::size_t k = 1; k <= n; ++k) {
            if (i + k >= s.size()) return "is not valid UTF-8";
            const auto cc = static_cast<unsigned char>(s[i + k]);
            if ((cc & 0xC0U) != 0x80U) return "is not valid UTF-8";
            cp = (cp << 6U) | (cc & 0x3FU);
        }
        if ((n == 1 && cp < 0x80) || (n == 2 && cp < 0x800) || (n == 3 && cp < 0x10000) || cp > 0x10FFFF ||
            (cp >= 0xD800 && cp <= 0xDFFF)) {
            return "is not valid UTF-8";
        }
        if (cp == 0x85 || cp == 0xA0 || cp == 0x1680 || (cp >= 0x2000 && cp <= 0x200A) || cp == 0x2028 ||
            cp == 0x2029 || cp == 0x202F || cp == 0x205F || cp == 0x3000 || (cp >= 0x80 && cp < 0xA0)) {
            return "contains whitespace or a control character";
        }
        i += n + 1;
    }
    return nullptr;
}

std::string shown(std::string_view s) {
    std::string out;
    for (char c : s.substr(0, 64)) {
        const auto u = static_cast<unsigned char>(c);
        if (u < 0x20 || u == 0x7F) {
            out += "\\x";
            out += "0123456789abcdef"[u >> 4U];
            out += "0123456789abcdef"[u & 15U];
        } else {
            out += c;
        }
    }
    return s.size() > 64 ? out + "..." : out;
}

}  // namespace

PointId PointId::key(std::string s) {
    if (const char* p = id_problem(s)) throw InvalidArgument("point id '" + shown(s) + "' " + p);
    PointId id;
    id.v_ = std::move(s);
    return id;
}

PointId PointId::from_stored(bool is_number, std::string_view text) {
    PointId id;
    if (is_number) {
        std::uint64_t v = 0;
        for (char c : text) v = v * 10 + static_cast<std::uint64_t>(c - '0');
        id.v_ = v;
    } else {
        id.v_ = std::string(text);
    }
    return id;
}

std::string PointId::text() const { return is_number() ? std::to_string(number()) : str(); }

}  // namespace spindle
