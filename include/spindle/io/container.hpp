#pragma once
// The checksummed, sectioned file that every index component is stored in.
// Layout (little-endian; see docs/format.md):
//   64-byte header: magic "SPINDLE\0", kind, format version, section count,
//                   (bytes 48..63 reserved, must be zero)
//                   file size, XXH3-64 of everything after the header,
//                   XXH3-64 of the header's first 40 bytes;
//   table of contents: one 24-byte entry per section {id, elem size, offset, bytes};
//   sections, each starting at a 64-byte aligned offset.
#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <type_traits>
#include <vector>

#include "spindle/common/error.hpp"
#include "spindle/io/mapped_file.hpp"

namespace spindle {

/// Format version written by this build (docs/format.md).
inline constexpr std::uint32_t kFormatVersion = 3;
/// Oldest container version this build still reads (format 2: static indexes
/// before collections; their files are laid out as in version 3).
inline constexpr std::uint32_t kOldestReadableVersion = 2;
inline constexpr std::size_t kContainerHeaderBytes = 64;
inline constexpr std::size_t kSectionAlign = 64;

/// Four-character code of a file kind, e.g. fourcc("INVX").
constexpr std::uint32_t fourcc(const char (&s)[5]) {
    return static_cast<std::uint32_t>(static_cast<unsigned char>(s[0])) |
           static_cast<std::uint32_t>(static_cast<unsigned char>(s[1])) << 8U |
           static_cast<std::uint32_t>(static_cast<unsigned char>(s[2])) << 16U |
           static_cast<std::uint32_t>(static_cast<unsigned char>(s[3])) << 24U;
}

/// Writes a container file. Sections are referenced, not copied: the caller
/// keeps them alive until finish(). finish() writes, fsyncs and closes.
class ContainerWriter {
public:
    ContainerWriter(std::string path, std::uint32_t kind) : path_(std::move(path)), kind_(kind) {}

    template <class T>
        requires std::is_trivially_copyable_v<T>
    void add(std::uint32_t id, std::span<const T> data) {
        add_raw(id, sizeof(T), std::as_bytes(data));
    }
    template <class T>
    void add(std::uint32_t id, const std::vector<T>& data) {
        add(id, std::span<const T>(data));
    }
    void add_raw(std::uint32_t id, std::uint32_t elem_size, std::span<const std::byte> bytes);

    /// Writes the file and fsyncs it; returns its size in bytes.
    std::uint64_t finish();
    /// Builds the same bytes in anonymous memory instead of a file (an
    /// in-memory segment); the result is named after the writer's path.
    MappedFile finish_in_memory();

private:
    struct Layout;
    Layout layout() const;
    struct Pending {
        std::uint32_t id;
        std::uint32_t elem_size;
        std::span<const std::byte> bytes;
    };
    std::string path_;
    std::uint32_t kind_;
    std::vector<Pending> sections_;
};

/// A mapped, verified container. Opening checks magic, kind, version, size,
/// both checksums and that every section lies inside the file.
class Container {
public:
    Container() = default;
    /// Throws CorruptIndex / IncompatibleVersion / IoError naming `path`.
    Container(const std::string& path, std::uint32_t kind, MappedFile::Mode mode = MappedFile::Mode::map);
    /// Verifies bytes already in memory (ContainerWriter::finish_in_memory).
    Container(MappedFile file, std::uint32_t kind);
    /// Container version of the file (2 or 3).
    [[nodiscard]] std::uint32_t version() const { return version_; }

    [[nodiscard]] bool has(std::uint32_t id) const;
    /// Raw bytes of section `id`; throws CorruptIndex if it is absent.
    [[nodiscard]] std::span<const std::byte> raw(std::uint32_t id) const;

    /// Section `id` viewed as an array of T; throws CorruptIndex if absent or
    /// if its element size differs from sizeof(T).
    template <class T>
    [[nodiscard]] std::span<const T> section(std::uint32_t id) const {
        const Entry& e = find(id);
        if (e.elem_size != sizeof(T)) bad_elem_size(e, sizeof(T));
        auto b = raw(id);
        return {reinterpret_cast<const T*>(b.data()), b.size() / sizeof(T)};
    }
    /// Like section<T>() but also requires exactly `count` elements.
    template <class T>
    [[nodiscard]] std::span<const T> section(std::uint32_t id, std::size_t count) const {
        auto s = section<T>(id);
        if (s.size() != count) bad_count(id, s.size(), count);
        return s;
    }

    [[nodiscard]] std::uint64_t file_bytes() const { return file_.size(); }
    [[nodiscard]] const std::string& path() const { return file_.path(); }

private:
    struct Entry {
        std::uint32_t id;
        std::uint32_t elem_size;
        std::uint64_t offset;
        std::uint64_t bytes;
    };
    const Entry& find(std::uint32_t id) const;
    [[noreturn]] void bad_elem_size(const Entry& e, std::size_t want) const;
    [[noreturn]] void bad_count(std::uint32_t id, std::size_t have, std::size_t want) const;

    void verify(std::uint32_t kind);
    MappedFile file_;
    std::vector<Entry> entries_;
    std::uint32_t version_ = 0;
};

}  // namespace spindle
