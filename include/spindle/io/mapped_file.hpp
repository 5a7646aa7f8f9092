#pragma once
// Read-only memory mapping of a whole file.
#include <cstddef>
#include <span>
#include <string>

namespace spindle {

class MappedFile {
public:
    MappedFile() = default;
    /// How a file's bytes are made available.
    enum class Mode {
        map,     ///< mmap the file (pages come from the page cache on demand)
        memory,  ///< read it into anonymous memory, in 2 MiB pages where the kernel allows (MADV_HUGEPAGE)
    };
    /// Maps (or reads) `path` read-only; throws IoError naming the path on failure.
    explicit MappedFile(const std::string& path, Mode mode = Mode::map);
    /// `size` bytes of anonymous memory, filled by `fill` and then made
    /// read-only: an in-memory "file" named `name` (in-memory segments).
    template <class Fill>
    static MappedFile anonymous(std::string name, std::size_t size, Fill&& fill) {
        MappedFile f;
        std::byte* p = f.allocate_anonymous(std::move(name), size);
        fill(p);
        f.seal();
        return f;
    }
    ~MappedFile();
    MappedFile(MappedFile&& other) noexcept;
    MappedFile& operator=(MappedFile&& other) noexcept;
    MappedFile(const MappedFile&) = delete;
    MappedFile& operator=(const MappedFile&) = delete;

    [[nodiscard]] std::span<const std::byte> bytes() const { return {data_, size_}; }
    [[nodiscard]] std::size_t size() const { return size_; }
    [[nodiscard]] const std::string& path() const { return path_; }

private:
    std::byte* allocate_anonymous(std::string name, std::size_t size);
    void seal();
    void release() noexcept;
    std::string path_;
    const std::byte* data_ = nullptr;
    std::size_t size_ = 0;
    std::size_t anon_len_ = 0;  ///< > 0: the bytes live in an anonymous mapping of this length (Mode::memory)
    bool pooled_ = false;       ///< the mapping came from allocate_anonymous and may go back to its pool
};

}  // namespace spindle
