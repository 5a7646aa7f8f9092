#pragma once
// An opened index directory: manifest, vocabulary and memory-mapped segments.
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "spindle/formats/input_format.hpp"
#include "spindle/index/manifest.hpp"
#include "spindle/index/segment.hpp"
#include "spindle/index/vocabulary.hpp"
#include "spindle/query/scoring.hpp"

namespace spindle {

class Index {
public:
    /// Opens `dir`; throws CorruptIndex / IncompatibleVersion / IoError naming the bad file.
    /// Opens the index at `dir`, verifying every checksum. With
    /// `in_memory`, the search files (inverted, forward, approx) are read into
    /// anonymous memory in 2 MiB pages where the kernel allows, instead of
    /// being mapped: slower to open and private memory, but fewer TLB misses
    /// for the random accesses of approximate search.
    explicit Index(const std::string& dir, bool in_memory = false);

    [[nodiscard]] const std::string& path() const { return dir_; }
    [[nodiscard]] const Manifest& manifest() const { return manifest_; }
    [[nodiscard]] const Vocabulary& vocabulary() const { return vocab_; }
    [[nodiscard]] std::size_t num_segments() const { return segments_.size(); }
    [[nodiscard]] const Segment& segment(std::size_t i) const { return *segments_[i]; }
    /// Global number of the first document of segment i.
    [[nodiscard]] std::uint64_t first_doc(std::size_t i) const { return first_doc_[i]; }
    /// Largest stored (dequantized) weight over all segments.
    [[nodiscard]] float max_weight() const { return max_weight_; }

    /// Maps a query to term ids: unknown tokens are dropped and counted in
    /// `unknown`, repeated tokens summed, zero weights dropped. Throws
    /// InvalidArgument for a NaN, infinite or negative weight.
    [[nodiscard]] QueryPlan plan(const TextQuery& q, std::uint64_t* unknown = nullptr) const;

private:
    std::string dir_;
    Manifest manifest_;
    Vocabulary vocab_;
    std::vector<std::unique_ptr<Segment>> segments_;
    std::vector<std::uint64_t> first_doc_;
    float max_weight_ = 0.0F;
};

}  // namespace spindle
