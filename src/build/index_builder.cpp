#include "spindle/build/index_builder.hpp"

#include "spindle/index/payload_index.hpp"
#include "spindle/index/payloads.hpp"

#include <fmt/format.h>
#include <sys/resource.h>

#include <algorithm>
#include <chrono>
#include <filesystem>

#include "spindle/codec/docid_codec.hpp"
#include "spindle/formats/trec_run.hpp"
#include "spindle/index/doc_ids.hpp"
#include "spindle/index/file_kinds.hpp"
#include "spindle/io/wal.hpp"
#include "spindle/build/approx_builder.hpp"
#include "spindle/index/segment.hpp"
#include "spindle/common/error.hpp"
#include "spindle/io/container.hpp"
#include "spindle/io/line_reader.hpp"

namespace spindle {

IndexBuilder::IndexBuilder(std::string output_dir, BuildOptions opts)
    : output_(std::move(output_dir)), opts_(opts) {
    if (opts_.segment_docs == 0) throw InvalidArgument("segment size must be at least 1 document");
    if (opts_.range_block == 0 || opts_.range_block > 65536) {
        throw InvalidArgument("block-max range size must be in [1, 65536], got " + std::to_string(opts_.range_block));
    }
    staging_ = std::make_unique<StagingDirectory>(output_, opts_.overwrite, check_replaceable_index);
    manifest_.format_version = kFormatVersion;
    manifest_.weight_type = opts_.weight_type;
    manifest_.posting_block = codec::kPostingBlock;
    manifest_.range_block = opts_.range_block;
    if (!(opts_.dense_ranges >= 0.0 && opts_.dense_ranges <= 1.0)) {
        throw InvalidArgument("dense range fraction must be in [0, 1], got " + std::to_string(opts_.dense_ranges));
    }
    manifest_.reorder = opts_.reorder;
    if (opts_.reorder == Reorder::bp) opts_.bisection.validate();
    manifest_.text = opts_.text;
    if (opts_.approx) opts_.approx->validate();
    manifest_.approx = opts_.approx;
    check_vector_name(opts_.vector);
    opts_.policy.validate();
}

IndexBuilder::~IndexBuilder() = default;

void IndexBuilder::preload_vocabulary(const std::string& path) {
    if (docs_ > 0 || vocab_.size() > 0) throw InvalidArgument("the vocabulary must be loaded before any document");
    preloaded_ = true;
    LineReader reader(path);
    std::string_view line;
    while (reader.next(line)) {
        if (line.empty()) throw ParseError(reader.where() + ": empty token");
        const std::size_t before = vocab_.size();
        vocab_.add(line);
        if (vocab_.size() == before) throw ParseError(reader.where() + ": token '" + std::string(line) + "' repeated");
    }
}

void IndexBuilder::add(const RawRecord& rec) {
    if (finished_) throw InvalidArgument("IndexBuilder::add after finish");
    check_trec_id(rec.id, rec.where(), "document");
    auto [it, fresh] = seen_ids_.emplace(rec.id);
    if (!fresh) throw ParseError(rec.where() + ": duplicate document id '" + std::string(rec.id) + "'");
    scratch_.clear();
    if (rec.numeric) {
        numeric_ = true;
        for (const auto& [id, w] : rec.ids) {
            // CSR columns are term ids; the vocabulary names them by number.
            while (vocab_.size() <= id) vocab_.add(std::to_string(vocab_.size()));
            scratch_.emplace_back(id, w);
        }
    } else {
        for (const auto& [tok, w] : rec.tokens) scratch_.emplace_back(vocab_.add(tok), w);
    }
    std::sort(scratch_.begin(), scratch_.end());
    for (std::size_t i = 1; i < scratch_.size(); ++i) {
        if (scratch_[i].first == scratch_[i - 1].first) {
            throw ParseError(rec.where() + ": token '" + std::string(vocab_.token(scratch_[i].first)) +
                             "' appears twice in document '" + std::string(rec.id) + "'");
        }
    }
    for (const auto& [t, w] : scratch_) {
        buf_.terms.push_back(t);
        buf_.weights.push_back(w);
    }
    buf_.doc_begin.push_back(buf_.terms.size());
    payloads_.push_back(rec.payload);
    buf_.id_chars.append(rec.id);
    buf_.id_offsets.push_back(buf_.id_chars.size());
    if (scratch_.empty()) ++manifest_.empty_docs;
    ++docs_;
    if (buf_.docs() >= opts_.segment_docs) flush_segment();
}

void IndexBuilder::flush_segment() {
    SegmentWriteOptions so;
    so.weight_type = opts_.weight_type;
    so.range_block = opts_.range_block;
    so.dense_ranges = opts_.dense_ranges;
    const std::string name = fmt::format("seg-{:06}", manifest_.segments.size());
    std::vector<docid_t> order;
    double reorder_seconds = 0.0;
    if (opts_.reorder == Reorder::bp && buf_.docs() > 1) {
        const auto t0 = std::chrono::steady_clock::now();
        order = graph_bisection_order(buf_.doc_begin, buf_.terms, vocab_.size(), opts_.bisection);
        reorder_seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    }
    const std::string seg_dir = staging_->path() + "/" + name;
    const std::string vec_dir = seg_dir + "/" + opts_.vector;
    std::filesystem::create_directory(seg_dir);
    DocIdsWriter ids;
    for (std::size_t i = 0; i < buf_.docs(); ++i) {
        const std::size_t d = order.empty() ? i : order[i];
        ids.add(std::string_view(buf_.id_chars).substr(buf_.id_offsets[d], buf_.id_offsets[d + 1] - buf_.id_offsets[d]), false);
    }
    CollectionSegment entry;
    entry.name = name;
    entry.docs = buf_.docs();
    entry.origin = "bulk";
    entry.docids_bytes = ids.write(seg_dir + "/docids.bin");
    {
        PayloadWriter pw;
        std::vector<std::string_view> texts;
        for (std::size_t i = 0; i < buf_.docs(); ++i) {
            texts.emplace_back(payloads_[order.empty() ? i : order[i]]);
            pw.add(texts.back());
        }
        if (pw.any()) entry.payload_bytes = pw.write(seg_dir + "/payload.bin");
        if (!opts_.payload_indexes.empty()) {
            entry.payload_index_bytes = PayloadIndex::build(texts, opts_.payload_indexes).write(seg_dir + "/payload_index.bin");
        }
    }
    SegmentInfo info = write_vector_files(vec_dir, buf_, vocab_.size(), so, order);
    info.name = name + "/" + opts_.vector;
    info.reorder_seconds = reorder_seconds;
    info.docids_bytes = entry.docids_bytes;
    if (opts_.approx) {
        // Built from the segment just written, so docids and stored weights
        // are exactly those of forward.bin (reordered or not).
        auto doc_ids = std::make_shared<const DocIds>(Container(seg_dir + "/docids.bin", kinds::kDocIds), buf_.docs());
        VectorFiles files{Container(vec_dir + "/inverted.bin", kinds::kInverted),
                          Container(vec_dir + "/forward.bin", kinds::kForward)};
        const Segment seg(std::move(files), std::nullopt, doc_ids, info, opts_.weight_type, vocab_.size());
        const ApproxBuildInfo a = build_approx(vec_dir, seg, *opts_.approx);
        info.approx_bytes = a.bytes;
        info.approx_seconds = a.seconds;
    }
    entry.vectors.emplace(opts_.vector, info);
    collection_.segments.push_back(std::move(entry));
    manifest_.num_docs += info.docs;
    manifest_.num_postings += info.postings;
    manifest_.zero_dropped += info.zero_dropped;
    manifest_.segments.push_back(std::move(info));
    buf_.clear();
    payloads_.clear();
}

Manifest IndexBuilder::finish() {
    if (finished_) throw InvalidArgument("IndexBuilder::finish called twice");
    finished_ = true;
    // An index with no documents still gets one (empty) segment so that it opens.
    if (buf_.docs() > 0 || manifest_.segments.empty()) flush_segment();
    manifest_.num_terms = vocab_.size();
    CollectionManifest& c = collection_;
    c.generation = 1;
    SparseVectorConfig v;
    // Numeric (CSR) columns without a vocabulary file are integer dimensions.
    v.keys = numeric_ && !preloaded_ ? VectorKeys::indices : VectorKeys::tokens;
    v.weight_type = opts_.weight_type;
    v.range_block = opts_.range_block;
    v.dense_ranges = opts_.dense_ranges;
    v.approx = opts_.approx;
    v.text = opts_.text;
    c.config.vectors.emplace(opts_.vector, v);
    c.config.segments = opts_.policy;
    c.config.payload_indexes = opts_.payload_indexes;
    VectorState st;
    st.vocabulary = fmt::format("vocab-{}-{:06}.bin", opts_.vector, 1);
    st.num_terms = vocab_.size();
    st.vocab_bytes = vocab_.save(staging_->path() + "/" + st.vocabulary);
    manifest_.vocab_bytes = st.vocab_bytes;
    c.vectors.emplace(opts_.vector, st);
    c.next_segment = c.segments.size();
    c.wal_first = 1;
    c.next_lsn = 1;
    c.reorder = opts_.reorder;
    WalWriter::create(staging_->path() + "/wal-000001.log", 1).close();
    manifest_.build_seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start_).count();
    rusage usage{};
    if (getrusage(RUSAGE_SELF, &usage) == 0) manifest_.build_peak_rss = static_cast<std::uint64_t>(usage.ru_maxrss) * 1024;
    c.build_seconds = manifest_.build_seconds;
    c.build_peak_rss = manifest_.build_peak_rss;
    c.save(staging_->path());
    write_current(staging_->path(), manifest_file_name(c.generation));
    FileWriter lock(staging_->path() + "/LOCK");
    lock.close_and_sync();
    staging_->commit();
    return collection_.vector_manifest(opts_.vector);
}

}  // namespace spindle
