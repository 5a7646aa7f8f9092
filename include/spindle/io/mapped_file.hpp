#pragma once
// Read-only memory mapping of a whole file.
#include <cstddef>
#include <span>
#include <string>

namespace spindle {

class MappedFile {
public:
    MappedFile() = default;
    /// Maps `path` read-only; throws IoError naming the path on failure.
    explicit MappedFile(const std::string& path);
    ~MappedFile();
    MappedFile(MappedFile&& other) noexcept;
    MappedFile& operator=(MappedFile&& other) noexcept;
    MappedFile(const MappedFile&) = delete;
    MappedFile& operator=(const MappedFile&) = delete;

    [[nodiscard]] std::span<const std::byte> bytes() const { return {data_, size_}; }
    [[nodiscard]] std::size_t size() const { return size_; }
    [[nodiscard]] const std::string& path() const { return path_; }

private:
    void release() noexcept;
    std::string path_;
    const std::byte* data_ = nullptr;
    std::size_t size_ = 0;
};

}  // namespace spindle
