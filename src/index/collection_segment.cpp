#include "spindle/index/collection_segment.hpp"

#include "spindle/common/error.hpp"
#include "spindle/index/deletions.hpp"
#include "spindle/index/file_kinds.hpp"

#include <filesystem>

namespace spindle {

SegmentData::~SegmentData() {
    if (obsolete.load() && !dir.empty()) {
        vectors.clear();
        dense.clear();
        payloads.reset();
        payload_index.reset();
        ids.reset();
        std::error_code ec;
        std::filesystem::remove_all(dir, ec);
    }
}

std::shared_ptr<SegmentData> open_collection_segment(const std::string& dir, const CollectionManifest& m,
                                                     const CollectionSegment& g, MappedFile::Mode mode) {
    auto s = std::make_shared<SegmentData>();
    s->name = g.name;
    s->dir = dir + "/" + g.name;
    s->docs = g.docs;
    s->ids = std::make_shared<const DocIds>(Container(s->dir + "/docids.bin", kinds::kDocIds), g.docs);
    if (g.payload_bytes > 0) {
        s->payloads = std::make_shared<const PayloadStore>(Container(s->dir + "/payload.bin", kinds::kPayloads), g.docs);
    } else {
        s->payloads = std::make_shared<const PayloadStore>();
    }
    if (g.payload_index_bytes > 0) {
        s->payload_index = std::make_shared<const PayloadIndex>(PayloadIndex::load(s->dir + "/payload_index.bin", g.docs));
    }
    for (const auto& [name, info] : g.vectors) {
        const SparseVectorConfig& cfg = m.config.vectors.at(name);
        const std::string vdir = s->dir + "/" + name;
        VectorFiles files{Container(vdir + "/inverted.bin", kinds::kInverted, mode),
                          Container(vdir + "/forward.bin", kinds::kForward, mode)};
        std::optional<Container> approx;
        if (info.approx_bytes > 0) approx = Container(vdir + "/approx.bin", kinds::kApprox, mode);
        s->vectors.emplace(name, std::make_shared<const Segment>(std::move(files), std::move(approx), s->ids, info,
                                                                 cfg.weight_type, m.vectors.at(name).num_terms));
    }
    for (const auto& [name, info] : g.dense) {
        const DenseVectorConfig& cfg = m.config.dense.at(name);
        auto d = std::make_shared<const DenseSegment>(Container(s->dir + "/" + name + "/dense.bin", kinds::kDense, mode), cfg, g.docs);
        if (d->num_present() != info.present || d->has_graph() != info.graph) {
            throw CorruptIndex(s->dir + "/" + name + "/dense.bin: holds " + std::to_string(d->num_present()) +
                               " vectors (graph: " + (d->has_graph() ? "yes" : "no") + "), the manifest says " +
                               std::to_string(info.present) + " (graph: " + (info.graph ? "yes" : "no") + ")");
        }
        s->dense.emplace(name, std::move(d));
    }
    return s;
}

std::shared_ptr<const Bitmap> load_segment_deletions(const std::string& dir, const CollectionSegment& g) {
    if (g.deletions.empty()) return std::make_shared<const Bitmap>();
    auto b = std::make_shared<const Bitmap>(load_deletions(dir + "/" + g.deletions, g.docs));
    if (b->cardinality() != g.deleted) {
        throw CorruptIndex(dir + "/" + g.deletions + ": " + std::to_string(b->cardinality()) +
                           " deleted documents, the manifest says " + std::to_string(g.deleted));
    }
    return b;
}

}  // namespace spindle
