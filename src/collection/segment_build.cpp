#include "segment_build.hpp"

#include "crash_points.hpp"

#include <fmt/format.h>
#include <unistd.h>

#include <algorithm>
#include <filesystem>
#include <variant>

#include "spindle/codec/docid_codec.hpp"
#include "spindle/common/error.hpp"
#include "spindle/build/approx_builder.hpp"
#include "spindle/index/doc_ids.hpp"
#include "spindle/index/file_kinds.hpp"
#include "spindle/index/payloads.hpp"
#include "spindle/io/file_util.hpp"

namespace fs = std::filesystem;

namespace spindle::detail {

DocBatch::DocBatch(const CollectionConfig& c) {
    for (const auto& [name, v] : c.vectors) vectors.emplace(name, SegmentBuffer{});
    for (const auto& [name, v] : c.dense) dense.emplace(name, DenseColumn{v.dim, {}, {}});
}

void DocBatch::end_doc(PointId id, std::string payload) {
    for (auto& [name, col] : dense) {
        if (col.docs() == ids.size()) col.add_absent();
    }
    ids.push_back(std::move(id));
    payloads.push_back(std::move(payload));
    for (auto& [name, buf] : vectors) {
        buf.doc_begin.push_back(buf.terms.size());
        buf.id_offsets.push_back(0);  // ids live in DocBatch::ids
    }
}

void decode_document(const Segment& seg, docid_t d, std::vector<std::pair<termid_t, float>>& out) {
    out.clear();
    std::visit(
        [&](const auto& v) {
            using W = std::remove_cvref_t<decltype(v.fwd.weights[0])>;
            const auto& fwd = v.fwd;
            const std::uint64_t b = fwd.doc_term_begin[d];
            const auto n = static_cast<std::uint32_t>(fwd.doc_term_begin[d + 1] - b);
            if (n == 0) return;
            std::vector<termid_t> terms(n + 4);
            codec::decode_increasing(fwd.term_stream.data() + fwd.doc_byte_begin[d], terms.data(), n, 0);
            const double scale = seg.header().scale;
            for (std::uint32_t i = 0; i < n; ++i) {
                const W w = fwd.weights[b + i];
                float f;
                if constexpr (std::is_integral_v<W>) {
                    f = static_cast<float>(static_cast<double>(w) * scale);
                } else {
                    f = w;
                }
                out.emplace_back(terms[i], f);
            }
        },
        seg.views());
}

void append_live(const SegmentData& seg, const Bitmap* deleted, DocBatch& out, std::vector<docid_t>* mapping) {
    if (mapping != nullptr) mapping->assign(seg.docs, kNoDoc);
    std::vector<std::pair<termid_t, float>> entries;
    for (const auto& [name, vec] : seg.vectors) {
        const SegmentInfo& src = vec->info();
        if ((src.clipped == 0 && src.rank_tied == 0) || !out.vectors.contains(name)) continue;
        DocBatch::Clips c;
        c.count = src.clipped;
        c.example = src.clip_example;
        c.max = src.clip_max;
        c.cap = src.clip_cap;
        c.rank_tied = src.rank_tied;
        c.tie_example = src.tie_example;
        out.carried_clips[name].add(c);
    }
    for (docid_t d = 0; d < seg.docs; ++d) {
        if (deleted != nullptr && deleted->contains(d)) continue;
        if (mapping != nullptr) (*mapping)[d] = static_cast<docid_t>(out.docs());
        for (auto& [name, buf] : out.vectors) {
            const auto it = seg.vectors.find(name);
            if (it == seg.vectors.end()) continue;
            decode_document(*it->second, d, entries);
            for (const auto& [t, w] : entries) {
                buf.terms.push_back(t);
                buf.weights.push_back(w);
            }
        }
        for (auto& [name, col] : out.dense) {
            const auto it = seg.dense.find(name);
            if (it == seg.dense.end() || !it->second->present(d)) continue;  // end_doc adds an absent row
            const std::size_t at = col.values.size();
            col.values.resize(at + col.dim);
            it->second->decode(d, col.values.data() + at);
            col.present.push_back(1);
        }
        out.end_doc(PointId::from_stored(seg.ids->is_number(d), seg.ids->key(d)),
                    seg.payloads ? std::string(seg.payloads->json(d)) : std::string());
    }
}

void append_batch(const DocBatch& src, const Bitmap* deleted, DocBatch& out, std::vector<docid_t>* mapping) {
    const std::size_t n = src.docs();
    if (mapping != nullptr) mapping->assign(n, kNoDoc);
    for (const auto& [name, c] : src.carried_clips) {
        if (!out.vectors.contains(name)) continue;
        out.carried_clips[name].add(c);
    }
    const bool all = deleted == nullptr || deleted->isEmpty();
    const std::size_t first = out.docs();
    out.ids.reserve(first + n);
    out.payloads.reserve(first + n);
    // Runs of live documents are copied as whole ranges (the common case:
    // one run, the whole batch).
    for (std::size_t b = 0; b < n;) {
        if (!all && deleted->contains(static_cast<std::uint32_t>(b))) {
            ++b;
            continue;
        }
        std::size_t e = b + 1;
        while (e < n && (all || !deleted->contains(static_cast<std::uint32_t>(e)))) ++e;
        const std::size_t at = out.docs();
        for (auto& [name, buf] : out.vectors) {
            const auto it = src.vectors.find(name);
            if (it == src.vectors.end()) {
                for (std::size_t d = b; d < e; ++d) {
                    buf.doc_begin.push_back(buf.terms.size());
                    buf.id_offsets.push_back(0);
                }
                continue;
            }
            const SegmentBuffer& s = it->second;
            const std::uint64_t lo = s.doc_begin[b];
            const std::uint64_t hi = s.doc_begin[e];
            const std::uint64_t shift = buf.terms.size() - lo;
            buf.terms.insert(buf.terms.end(), s.terms.begin() + static_cast<std::ptrdiff_t>(lo),
                             s.terms.begin() + static_cast<std::ptrdiff_t>(hi));
            buf.weights.insert(buf.weights.end(), s.weights.begin() + static_cast<std::ptrdiff_t>(lo),
                               s.weights.begin() + static_cast<std::ptrdiff_t>(hi));
            for (std::size_t d = b; d < e; ++d) {
                buf.doc_begin.push_back(s.doc_begin[d + 1] + shift);
                buf.id_offsets.push_back(0);  // ids live in DocBatch::ids
            }
        }
        for (auto& [name, col] : out.dense) {
            const auto it = src.dense.find(name);
            if (it == src.dense.end()) {
                for (std::size_t d = b; d < e; ++d) col.add_absent();
                continue;
            }
            const DenseColumn& s = it->second;
            col.values.insert(col.values.end(), s.values.begin() + static_cast<std::ptrdiff_t>(b * s.dim),
                              s.values.begin() + static_cast<std::ptrdiff_t>(e * s.dim));
            col.present.insert(col.present.end(), s.present.begin() + static_cast<std::ptrdiff_t>(b),
                               s.present.begin() + static_cast<std::ptrdiff_t>(e));
        }
        for (std::size_t d = b; d < e; ++d) {
            if (mapping != nullptr) (*mapping)[d] = static_cast<docid_t>(at + d - b);
            out.ids.push_back(src.ids[d]);
            out.payloads.push_back(src.payloads[d]);
        }
        b = e;
    }
}

namespace {

DocIdsWriter ids_writer(const DocBatch& b) {
    DocIdsWriter w;
    for (const PointId& id : b.ids) w.add(id.text(), id.is_number());
    return w;
}

PayloadIndex payload_index(const DocBatch& b, const CollectionConfig& c) {
    std::vector<std::string_view> texts(b.payloads.begin(), b.payloads.end());
    return PayloadIndex::build(texts, c.payload_indexes);
}

PayloadWriter payload_writer(const DocBatch& b) {
    PayloadWriter w;
    for (const auto& p : b.payloads) w.add(p);
    return w;
}

void add_carried_clips(const DocBatch& b, const std::string& vname, SegmentInfo& info) {
    const auto it = b.carried_clips.find(vname);
    if (it == b.carried_clips.end()) return;
    const DocBatch::Clips& c = it->second;
    if (c.count > 0) {
        if (info.clipped == 0) {
            info.clip_example = c.example;
            info.clip_cap = c.cap;
        }
        info.clipped += c.count;
        info.clip_max = std::max(info.clip_max, c.max);
    }
    if (c.rank_tied > 0) {
        if (info.rank_tied == 0) info.tie_example = c.tie_example;
        // Counted per source segment (deleted documents included), so
        // bounded by what the merged segment holds.
        info.rank_tied = std::min(info.postings, info.rank_tied + c.rank_tied);
    }
}

SegmentWriteOptions write_options(const SparseVectorConfig& v) {
    SegmentWriteOptions so;
    so.weight_type = v.weight_type;
    so.range_block = v.range_block;
    so.dense_ranges = v.dense_ranges;
    return so;
}

}  // namespace

std::shared_ptr<SegmentData> build_memory_segment(const std::string& name, const DocBatch& batch,
                                                  const CollectionConfig& config,
                                                  const std::map<std::string, std::uint64_t>& num_terms,
                                                  CollectionSegment& entry) {
    auto s = std::make_shared<SegmentData>();
    s->name = name;
    s->docs = batch.docs();
    s->ids = std::make_shared<const DocIds>(ids_writer(batch).in_memory(name + "/docids.bin"));
    const PayloadWriter pw = payload_writer(batch);
    s->payloads = std::make_shared<const PayloadStore>(pw.any() ? pw.in_memory(name + "/payload.bin") : PayloadStore());
    entry = CollectionSegment{};
    entry.name = name;
    entry.docs = batch.docs();
    entry.origin = "memory";
    entry.docids_bytes = s->ids->file_bytes();
    entry.payload_bytes = s->payloads->file_bytes();
    if (!config.payload_indexes.empty()) s->payload_index = std::make_shared<const PayloadIndex>(payload_index(batch, config));
    for (const auto& [vname, v] : config.vectors) {
        const SegmentBuffer& buf = batch.vectors.at(vname);
        VectorFiles files;
        SegmentInfo info = build_vector_in_memory(name + "/" + vname, buf, num_terms.at(vname), write_options(v), files);
        info.name = name + "/" + vname;
        if (info.clipped > 0 && info.clip_example_doc < batch.ids.size()) info.clip_example = batch.ids[info.clip_example_doc].text();
        if (info.rank_tied > 0 && info.tie_example_doc < batch.ids.size()) info.tie_example = batch.ids[info.tie_example_doc].text();
        add_carried_clips(batch, vname, info);
        s->vectors.emplace(vname, std::make_shared<const Segment>(std::move(files), std::nullopt, s->ids, info,
                                                                  v.weight_type, num_terms.at(vname)));
        entry.vectors.emplace(vname, info);
    }
    for (const auto& [vname, v] : config.dense) {
        const DenseColumn& col = batch.dense.at(vname);
        auto d = DenseSegment::in_memory(name + "/" + vname + "/dense.bin", v, col);
        DenseFileInfo fi;
        fi.bytes = d->file_bytes();
        fi.present = d->num_present();
        entry.dense.emplace(vname, fi);
        s->dense.emplace(vname, std::move(d));
    }
    return s;
}

CollectionSegment write_disk_segment(const std::string& dir, const std::string& name, const DocBatch& batch,
                                     const CollectionConfig& config,
                                     const std::map<std::string, std::uint64_t>& num_terms, const std::string& origin) {
    const std::string staging = fmt::format("{}/.tmp-{}-{}", dir, name, ::getpid());
    std::error_code ec;
    fs::remove_all(staging, ec);
    if (!fs::create_directory(staging, ec)) throw IoError("cannot create " + staging + ": " + ec.message());
    const InterruptCleanup on_interrupt(staging);  // removed by the CLI on SIGINT/SIGTERM
    try {
        CollectionSegment entry;
        entry.name = name;
        entry.docs = batch.docs();
        entry.origin = origin;
        entry.docids_bytes = ids_writer(batch).write(staging + "/docids.bin");
        const PayloadWriter pw = payload_writer(batch);
        if (pw.any()) entry.payload_bytes = pw.write(staging + "/payload.bin");
        if (!config.payload_indexes.empty()) {
            entry.payload_index_bytes = payload_index(batch, config).write(staging + "/payload_index.bin");
        }
        for (const auto& [vname, v] : config.vectors) {
            const std::string vdir = staging + "/" + vname;
            SegmentInfo info = write_vector_files(vdir, batch.vectors.at(vname), num_terms.at(vname), write_options(v));
            info.name = name + "/" + vname;
            if (info.clipped > 0 && info.clip_example_doc < batch.ids.size()) info.clip_example = batch.ids[info.clip_example_doc].text();
            if (info.rank_tied > 0 && info.tie_example_doc < batch.ids.size()) info.tie_example = batch.ids[info.tie_example_doc].text();
            add_carried_clips(batch, vname, info);
            if (v.approx && batch.docs() >= config.segments.approx_min_docs) {
                auto ids = std::make_shared<const DocIds>(Container(staging + "/docids.bin", kinds::kDocIds), batch.docs());
                VectorFiles files{Container(vdir + "/inverted.bin", kinds::kInverted),
                                  Container(vdir + "/forward.bin", kinds::kForward)};
                const Segment seg(std::move(files), std::nullopt, ids, info, v.weight_type, num_terms.at(vname));
                const ApproxBuildInfo a = build_approx(vdir, seg, *v.approx);
                info.approx_bytes = a.bytes;
                info.approx_seconds = a.seconds;
            }
            fsync_directory(vdir);
            entry.vectors.emplace(vname, info);
        }
        for (const auto& [vname, v] : config.dense) {
            const std::string vdir = staging + "/" + vname;
            if (!fs::create_directory(vdir, ec)) throw IoError("cannot create " + vdir + ": " + ec.message());
            const DenseColumn& col = batch.dense.at(vname);
            const auto present = static_cast<std::uint64_t>(std::count(col.present.begin(), col.present.end(), 1));
            entry.dense.emplace(vname, DenseSegment::write(vdir + "/dense.bin", v, col, present >= v.hnsw.min_docs));
            fsync_directory(vdir);
        }
        fsync_directory(staging);
        crash_point("segment:staged");
        const std::string target = dir + "/" + name;
        if (fs::exists(target, ec)) throw IoError(target + " already exists (segment numbers must not repeat)");
        if (::rename(staging.c_str(), target.c_str()) != 0) throw_errno("cannot rename " + staging + " to " + target);
        fsync_directory(dir);
        return entry;
    } catch (...) {
        fs::remove_all(staging, ec);
        throw;
    }
}

}  // namespace spindle::detail
