#pragma once
// The searchable view of one sparse vector over a fixed list of segments:
// what every query algorithm, `spindle bench` and `spindle tune` run on.
// Either opened from a directory (a collection's flushed segments, or a
// format-2 index) or made by a live collection for one of its snapshots.
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "spindle/common/bitmap.hpp"
#include "spindle/formats/input_format.hpp"
#include "spindle/index/manifest.hpp"
#include "spindle/index/segment.hpp"
#include "spindle/index/vocabulary.hpp"

namespace spindle {

class Index {
public:
    /// One segment of the view and the documents of it that are deleted
    /// (nullptr: none). Search never returns a deleted document.
    struct Part {
        std::shared_ptr<const Segment> segment;
        std::shared_ptr<const Bitmap> deleted;
    };

    /// Opens the index at `dir`, verifying every checksum: a collection (the
    /// segments its current manifest lists, with their deletions; writes
    /// still only in its write-ahead log are not seen: open a Collection for
    /// those), or an index directory of format 2. `vector` picks a vector of
    /// a collection (empty: its only vector). With `in_memory`, the search
    /// files are read into anonymous memory in 2 MiB pages where the kernel
    /// allows instead of being mapped (fewer TLB misses for approximate search).
    /// Throws CorruptIndex / IncompatibleVersion / IoError naming the bad file,
    /// InvalidArgument for an unknown or ambiguous vector.
    explicit Index(const std::string& dir, bool in_memory = false, const std::string& vector = {});
    /// A view over parts a collection already holds open.
    Index(std::string path, std::string vector, Manifest manifest, std::shared_ptr<const Vocabulary> vocab,
          std::vector<Part> parts);

    [[nodiscard]] const std::string& path() const { return dir_; }
    /// The vector's name ("default" for a format-2 index).
    [[nodiscard]] const std::string& vector() const { return vector_; }
    [[nodiscard]] const Manifest& manifest() const { return manifest_; }
    [[nodiscard]] const Vocabulary& vocabulary() const { return *vocab_; }
    [[nodiscard]] std::size_t num_segments() const { return parts_.size(); }
    [[nodiscard]] const Segment& segment(std::size_t i) const { return *parts_[i].segment; }
    /// Deleted documents of segment i (nullptr: none).
    [[nodiscard]] const Bitmap* deleted(std::size_t i) const {
        return parts_[i].deleted && !parts_[i].deleted->isEmpty() ? parts_[i].deleted.get() : nullptr;
    }
    /// Global number of the first document of segment i.
    [[nodiscard]] std::uint64_t first_doc(std::size_t i) const { return first_doc_[i]; }
    /// Largest stored (dequantized) weight over all segments.
    [[nodiscard]] float max_weight() const { return max_weight_; }
    /// Documents not deleted.
    [[nodiscard]] std::uint64_t live_docs() const { return live_docs_; }

private:
    void finish_init();

    std::string dir_;
    std::string vector_;
    Manifest manifest_;
    std::shared_ptr<const Vocabulary> vocab_;
    std::vector<Part> parts_;
    std::vector<std::uint64_t> first_doc_;
    float max_weight_ = 0.0F;
    std::uint64_t live_docs_ = 0;
};

/// The one sparse vector of a collection's manifest, or `requested` if it is
/// one of its vectors; throws InvalidArgument listing the names otherwise.
std::string pick_vector(const std::vector<std::string>& names, const std::string& requested, const std::string& where);

}  // namespace spindle
