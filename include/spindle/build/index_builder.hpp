#pragma once
// Builds a collection with one vector from a stream of records: the bulk-load
// path of `spindle index` (no log; segments written directly). Everything is
// written into a staging directory that is renamed into place only by
// finish(): an error or a crash never leaves a partial index at the output
// path. The result opens as an Index or as a live Collection.
#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <unordered_set>

#include "spindle/formats/raw_record.hpp"
#include "spindle/index/collection_manifest.hpp"
#include "spindle/index/manifest.hpp"
#include "spindle/index/reorder.hpp"
#include "spindle/index/segment_writer.hpp"
#include "spindle/index/vocabulary.hpp"
#include "spindle/io/file_util.hpp"

namespace spindle {

struct BuildOptions {
    WeightType weight_type = WeightType::u16;
    std::uint32_t range_block = 8;            ///< docids per BMP block-max range
    double dense_ranges = 1.0 / 8;           ///< see SegmentWriteOptions::dense_ranges
    std::uint64_t segment_docs = 2'000'000;   ///< documents per segment (bounds build memory)
    bool overwrite = false;                   ///< replace an existing index at the output path
    Reorder reorder = Reorder::none;          ///< renumber each segment's documents (bp: graph bisection)
    BisectionOptions bisection;               ///< settings (and progress callback) of bp
    std::optional<TextSettings> text;         ///< recorded in the manifest of a text (BM25) index
    std::optional<ApproxOptions> approx;      ///< also build approx.bin for every segment
    std::string vector = "default";           ///< name of the collection's vector
    SegmentPolicy policy;                     ///< stored for later upserts and merges
    /// Payload fields indexed per segment (payload_index.bin), recorded in the
    /// collection configuration for later upserts and merges.
    PayloadSchema payload_indexes;
};

class IndexBuilder {
public:
    IndexBuilder(std::string output_dir, BuildOptions opts);
    ~IndexBuilder();
    IndexBuilder(const IndexBuilder&) = delete;
    IndexBuilder& operator=(const IndexBuilder&) = delete;

    /// Loads token names from a text file, one per line: line n names term id
    /// n-1 (so CSR column j gets the token on line j+1). Must precede add().
    /// Throws ParseError naming the line of an empty or repeated token.
    void preload_vocabulary(const std::string& path);

    /// Adds one document; throws ParseError naming rec.where() for a duplicate
    /// document id or a token repeated within the document.
    void add(const RawRecord& rec);
    /// Writes the last segment, vocabulary and manifest, then publishes the
    /// collection; returns the description of its vector.
    Manifest finish();

    [[nodiscard]] std::uint64_t docs_added() const { return docs_; }

private:
    void flush_segment();

    std::string output_;
    BuildOptions opts_;
    std::unique_ptr<StagingDirectory> staging_;
    Vocabulary vocab_;
    SegmentBuffer buf_;
    std::vector<std::string> payloads_;  ///< of the buffered documents ("" = none)
    Manifest manifest_;
    CollectionManifest collection_;
    bool numeric_ = false;
    bool preloaded_ = false;
    std::unordered_set<std::string> seen_ids_;
    std::vector<std::pair<termid_t, float>> scratch_;
    std::uint64_t docs_ = 0;
    bool finished_ = false;
    std::chrono::steady_clock::time_point start_ = std::chrono::steady_clock::now();
};

}  // namespace spindle
