#include "spindle/index/deletions.hpp"

#include <vector>

#include "spindle/common/error.hpp"
#include "spindle/index/file_kinds.hpp"
#include "spindle/io/container.hpp"

namespace spindle {

std::uint64_t save_deletions(const std::string& path, const Bitmap& deleted) {
    Bitmap copy = deleted;
    copy.runOptimize();
    std::vector<char> bytes(copy.getSizeInBytes(true));
    copy.write(bytes.data(), true);
    ContainerWriter w(path, kinds::kDeletions);
    w.add(sections::kDeletionBitmap, std::span<const char>(bytes.data(), bytes.size()));
    return w.finish();
}

Bitmap load_deletions(const std::string& path, std::uint64_t num_docs) {
    const Container c(path, kinds::kDeletions);
    const auto bytes = c.section<char>(sections::kDeletionBitmap);
    Bitmap r;
    try {
        r = Bitmap::readSafe(bytes.data(), bytes.size());
    } catch (const std::exception&) {
        throw CorruptIndex(path + ": the deletion bitmap does not parse");
    }
    if (!r.isEmpty() && r.maximum() >= num_docs) {
        throw CorruptIndex(path + ": deletes document " + std::to_string(r.maximum()) + " of a segment of " +
                           std::to_string(num_docs));
    }
    return r;
}

}  // namespace spindle
