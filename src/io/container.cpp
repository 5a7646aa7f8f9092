#include "spindle/io/container.hpp"

#include <fcntl.h>
#include <unistd.h>
#include <xxhash.h>

#include <array>
#include <cstring>

#include "spindle/io/file_util.hpp"

namespace spindle {
namespace {

constexpr std::array<char, 8> kMagic{'S', 'P', 'I', 'N', 'D', 'L', 'E', '\0'};
constexpr std::size_t kTocEntryBytes = 24;

template <class T>
void put(std::byte* dst, std::size_t at, T v) {
    std::memcpy(dst + at, &v, sizeof(T));
}
template <class T>
T get(const std::byte* src, std::size_t at) {
    T v;
    std::memcpy(&v, src + at, sizeof(T));
    return v;
}

std::uint64_t align_up(std::uint64_t x) { return (x + kSectionAlign - 1) / kSectionAlign * kSectionAlign; }

std::string kind_name(std::uint32_t kind) {
    std::string s(4, ' ');
    for (int i = 0; i < 4; ++i) s[static_cast<std::size_t>(i)] = static_cast<char>((kind >> (8 * i)) & 0xFFU);
    return s;
}

}  // namespace

void ContainerWriter::add_raw(std::uint32_t id, std::uint32_t elem_size, std::span<const std::byte> bytes) {
    for (const auto& s : sections_) {
        if (s.id == id) throw InvalidArgument(path_ + ": section " + std::to_string(id) + " added twice");
    }
    sections_.push_back({id, elem_size, bytes});
}

struct ContainerWriter::Layout {
    std::array<std::byte, kContainerHeaderBytes> header{};
    std::vector<std::byte> toc;
    std::vector<std::uint64_t> offsets;
    std::uint64_t file_bytes = 0;
};

ContainerWriter::Layout ContainerWriter::layout() const {
    Layout l;
    const std::size_t toc_bytes = sections_.size() * kTocEntryBytes;
    l.toc.resize(toc_bytes);
    std::uint64_t offset = align_up(kContainerHeaderBytes + toc_bytes);
    for (std::size_t i = 0; i < sections_.size(); ++i) {
        const auto& s = sections_[i];
        put<std::uint32_t>(l.toc.data(), i * kTocEntryBytes, s.id);
        put<std::uint32_t>(l.toc.data(), i * kTocEntryBytes + 4, s.elem_size);
        put<std::uint64_t>(l.toc.data(), i * kTocEntryBytes + 8, offset);
        put<std::uint64_t>(l.toc.data(), i * kTocEntryBytes + 16, s.bytes.size());
        l.offsets.push_back(offset);
        offset = align_up(offset + s.bytes.size());
    }
    l.file_bytes = sections_.empty() ? kContainerHeaderBytes + toc_bytes : offset;

    // Payload hash, streamed in file order (including alignment padding).
    XXH3_state_t* state = XXH3_createState();
    XXH3_64bits_reset(state);
    static const std::array<std::byte, kSectionAlign> zeros{};
    std::uint64_t pos = kContainerHeaderBytes;
    auto feed = [&](std::span<const std::byte> b) {
        XXH3_64bits_update(state, b.data(), b.size());
        pos += b.size();
    };
    auto pad_to = [&](std::uint64_t target) {
        while (pos < target) feed(std::span(zeros).first(static_cast<std::size_t>(std::min<std::uint64_t>(target - pos, kSectionAlign))));
    };
    feed(l.toc);
    for (std::size_t i = 0; i < sections_.size(); ++i) {
        pad_to(l.offsets[i]);
        feed(sections_[i].bytes);
    }
    pad_to(l.file_bytes);
    const std::uint64_t payload_hash = XXH3_64bits_digest(state);
    XXH3_freeState(state);

    std::memcpy(l.header.data(), kMagic.data(), kMagic.size());
    put<std::uint32_t>(l.header.data(), 8, kind_);
    put<std::uint32_t>(l.header.data(), 12, kFormatVersion);
    put<std::uint32_t>(l.header.data(), 16, static_cast<std::uint32_t>(sections_.size()));
    put<std::uint32_t>(l.header.data(), 20, static_cast<std::uint32_t>(kContainerHeaderBytes));
    put<std::uint64_t>(l.header.data(), 24, l.file_bytes);
    put<std::uint64_t>(l.header.data(), 32, payload_hash);
    put<std::uint64_t>(l.header.data(), 40, XXH3_64bits(l.header.data(), 40));
    return l;
}

std::uint64_t ContainerWriter::finish() {
    const Layout l = layout();
    FileWriter out(path_);
    out.write(l.header);
    out.write(l.toc);
    for (std::size_t i = 0; i < sections_.size(); ++i) {
        out.pad_to(l.offsets[i]);
        out.write(sections_[i].bytes);
    }
    out.pad_to(l.file_bytes);
    out.close_and_sync();
    return l.file_bytes;
}

MappedFile ContainerWriter::finish_in_memory() {
    const Layout l = layout();
    return MappedFile::anonymous(path_, static_cast<std::size_t>(l.file_bytes), [&](std::byte* p) {
        // Anonymous memory is zero-filled: the padding needs no writes.
        std::memcpy(p, l.header.data(), l.header.size());
        if (!l.toc.empty()) std::memcpy(p + kContainerHeaderBytes, l.toc.data(), l.toc.size());
        for (std::size_t i = 0; i < sections_.size(); ++i) {
            if (!sections_[i].bytes.empty()) {
                std::memcpy(p + l.offsets[i], sections_[i].bytes.data(), sections_[i].bytes.size());
            }
        }
    });
}

Container::Container(const std::string& path, std::uint32_t kind, MappedFile::Mode mode) : file_(path, mode) {
    verify(kind);
}

Container::Container(MappedFile file, std::uint32_t kind) : file_(std::move(file)) { verify(kind); }

void Container::verify(std::uint32_t kind) {
    const std::string& path = file_.path();
    const auto bytes = file_.bytes();
    const std::byte* p = bytes.data();
    if (bytes.size() < kContainerHeaderBytes) {
        throw CorruptIndex(path + ": truncated (" + std::to_string(bytes.size()) + " bytes, smaller than the 64-byte header)");
    }
    if (std::memcmp(p, kMagic.data(), kMagic.size()) != 0) throw CorruptIndex(path + ": not a spindle index file (bad magic)");
    if (get<std::uint64_t>(p, 40) != XXH3_64bits(p, 40)) throw CorruptIndex(path + ": header checksum mismatch");
    for (std::size_t i = 48; i < kContainerHeaderBytes; ++i) {
        if (p[i] != std::byte{0}) throw CorruptIndex(path + ": reserved header bytes are not zero (corrupted header)");
    }
    const auto file_kind = get<std::uint32_t>(p, 8);
    if (file_kind != kind) {
        throw CorruptIndex(path + ": file kind '" + kind_name(file_kind) + "', expected '" + kind_name(kind) + "'");
    }
    const auto version = get<std::uint32_t>(p, 12);
    if (version < kOldestReadableVersion || version > kFormatVersion) {
        throw IncompatibleVersion(path + ": format version " + std::to_string(version) + ", this build reads versions " +
                                  std::to_string(kOldestReadableVersion) + " to " + std::to_string(kFormatVersion));
    }
    version_ = version;
    const auto count = get<std::uint32_t>(p, 16);
    const auto file_bytes = get<std::uint64_t>(p, 24);
    if (file_bytes != bytes.size()) {
        throw CorruptIndex(path + ": file is " + std::to_string(bytes.size()) + " bytes, header says " +
                           std::to_string(file_bytes) + " (truncated or extended)");
    }
    if (static_cast<std::uint64_t>(count) * kTocEntryBytes > bytes.size() - kContainerHeaderBytes) {
        throw CorruptIndex(path + ": section table larger than the file");
    }
    if (get<std::uint64_t>(p, 32) != XXH3_64bits(p + kContainerHeaderBytes, bytes.size() - kContainerHeaderBytes)) {
        throw CorruptIndex(path + ": checksum mismatch (the file is corrupted)");
    }
    entries_.reserve(count);
    for (std::uint32_t i = 0; i < count; ++i) {
        const std::size_t at = kContainerHeaderBytes + static_cast<std::size_t>(i) * kTocEntryBytes;
        Entry e{get<std::uint32_t>(p, at), get<std::uint32_t>(p, at + 4), get<std::uint64_t>(p, at + 8),
                get<std::uint64_t>(p, at + 16)};
        if (e.offset > bytes.size() || e.bytes > bytes.size() - e.offset || e.offset % kSectionAlign != 0 ||
            e.elem_size == 0 || e.bytes % e.elem_size != 0) {
            throw CorruptIndex(path + ": section " + std::to_string(e.id) + " has an invalid extent");
        }
        entries_.push_back(e);
    }
}

bool Container::has(std::uint32_t id) const {
    for (const auto& e : entries_) {
        if (e.id == id) return true;
    }
    return false;
}

const Container::Entry& Container::find(std::uint32_t id) const {
    for (const auto& e : entries_) {
        if (e.id == id) return e;
    }
    throw CorruptIndex(path() + ": missing section " + std::to_string(id));
}

std::span<const std::byte> Container::raw(std::uint32_t id) const {
    const Entry& e = find(id);
    return file_.bytes().subspan(static_cast<std::size_t>(e.offset), static_cast<std::size_t>(e.bytes));
}

void Container::bad_elem_size(const Entry& e, std::size_t want) const {
    throw CorruptIndex(path() + ": section " + std::to_string(e.id) + " has elements of " + std::to_string(e.elem_size) +
                       " bytes, expected " + std::to_string(want));
}

void Container::bad_count(std::uint32_t id, std::size_t have, std::size_t want) const {
    throw CorruptIndex(path() + ": section " + std::to_string(id) + " has " + std::to_string(have) +
                       " elements, expected " + std::to_string(want));
}

}  // namespace spindle
