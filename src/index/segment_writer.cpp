#include "spindle/index/segment_writer.hpp"

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <limits>

#include "spindle/codec/docid_codec.hpp"
#include "spindle/common/error.hpp"
#include "spindle/index/file_kinds.hpp"
#include "spindle/index/quantize.hpp"
#include "spindle/index/segment.hpp"
#include "spindle/io/container.hpp"

namespace spindle {
namespace {

template <class W>
struct Quantized {
    std::vector<std::uint64_t> doc_begin{0};
    std::vector<termid_t> terms;
    std::vector<W> codes;
    Quantization params;
    std::uint64_t dropped = 0;       ///< input weights equal to 0
    std::uint64_t clipped = 0;       ///< input weights above the largest storable one
    std::size_t clip_example = 0;    ///< buffer position of the first document with a clipped weight
};

template <class W>
Quantized<W> quantize(const SegmentBuffer& buf, std::span<const docid_t> order) {
    Quantized<W> q;
    q.params = choose_quantization(buf.weights, std::is_same_v<W, float> ? WeightType::f32 : (std::is_same_v<W, std::uint16_t> ? WeightType::u16 : WeightType::u8));
    q.terms.reserve(buf.terms.size());
    q.codes.reserve(buf.terms.size());
    q.doc_begin.reserve(buf.doc_begin.size());
    for (std::size_t nd = 0; nd < buf.docs(); ++nd) {
        const std::size_t d = order.empty() ? nd : order[nd];
        for (std::uint64_t i = buf.doc_begin[d]; i < buf.doc_begin[d + 1]; ++i) {
            const float w = buf.weights[i];
            if (!(w > 0.0F)) {
                ++q.dropped;
                continue;
            }
            if (w > q.params.cap) {
                if (q.clipped++ == 0) q.clip_example = d;
            }
            q.terms.push_back(buf.terms[i]);
            q.codes.push_back(quantize_weight<W>(w, q.params));
        }
        q.doc_begin.push_back(q.terms.size());
    }
    return q;
}

// Where write_typed puts the files: a directory (created), or anonymous
// memory (an in-memory segment); docids.bin only when asked.
struct Target {
    std::string dir;
    bool docids = true;
    VectorFiles* memory = nullptr;
};

template <class W>
SegmentInfo write_typed(const Target& target, const SegmentBuffer& buf, std::size_t num_terms,
                        const SegmentWriteOptions& opts, std::span<const docid_t> order) {
    const std::string& seg_dir = target.dir;
    const Quantized<W> q = quantize<W>(buf, order);
    const std::size_t n_docs = buf.docs();
    const std::size_t n_post = q.terms.size();
    if (n_docs > std::numeric_limits<docid_t>::max() - 1) throw InvalidArgument("segment exceeds 2^32-1 documents");

    // Invert by counting sort: postings of each term come out in docid order.
    std::vector<std::uint64_t> term_posting_begin(num_terms + 1, 0);
    for (termid_t t : q.terms) ++term_posting_begin[t + 1];
    for (std::size_t t = 0; t < num_terms; ++t) term_posting_begin[t + 1] += term_posting_begin[t];
    std::vector<docid_t> post_docs(n_post);
    std::vector<W> post_codes(n_post);
    RankTies ties;
    {
        // Integer codes get their input weights beside them (4 bytes a
        // posting, freed at the end of this block) until the rank ties of
        // every posting list are counted. The input weights are read from
        // the buffer in step with the codes (which skip the zero weights).
        std::vector<float> post_weights(std::is_integral_v<W> ? n_post : 0);
        std::vector<std::uint64_t> fill(term_posting_begin.begin(), term_posting_begin.end() - 1);
        for (std::size_t d = 0; d < n_docs; ++d) {
            std::uint64_t src = buf.doc_begin[order.empty() ? d : order[d]];
            for (std::uint64_t i = q.doc_begin[d]; i < q.doc_begin[d + 1]; ++i) {
                const auto at = fill[q.terms[i]]++;
                post_docs[at] = static_cast<docid_t>(d);
                post_codes[at] = q.codes[i];
                if constexpr (std::is_integral_v<W>) {
                    while (!(buf.weights[src] > 0.0F)) ++src;
                    post_weights[at] = buf.weights[src++];
                }
            }
        }
        if constexpr (std::is_integral_v<W>) {
            ties = count_rank_ties<W>(term_posting_begin, post_codes, post_weights);
        }
    }

    // Posting blocks, block maxima and docid-range maxima.
    const std::uint32_t pb = codec::kPostingBlock;
    const std::uint32_t rb = opts.range_block;
    std::vector<std::uint64_t> term_block_begin(num_terms + 1, 0);
    std::vector<W> term_max(num_terms, W{0});
    std::vector<docid_t> block_last;
    std::vector<W> block_max;
    std::vector<std::uint64_t> block_byte_begin{0};
    std::vector<std::uint8_t> docid_stream;
    std::vector<std::uint64_t> term_range_begin(num_terms + 1, 0);
    std::vector<std::uint64_t> term_range_byte_begin(num_terms + 1, 0);
    std::vector<std::uint8_t> range_stream;
    std::vector<RangeMax<W>> range_max;
    std::vector<std::uint32_t> range_ids;
    std::vector<RangeMax<W>> range_local;
    const std::uint64_t n_ranges = (std::uint64_t{n_docs} + rb - 1) / rb;
    docid_stream.reserve(n_post * 2);
    for (std::size_t t = 0; t < num_terms; ++t) {
        const std::uint64_t b = term_posting_begin[t];
        const std::uint64_t e = term_posting_begin[t + 1];
        if (b == e) {
            // No postings (most terms of a small in-memory segment): no
            // blocks, no ranges; the offsets repeat the previous term's.
            term_block_begin[t + 1] = block_last.size();
            term_range_begin[t + 1] = range_max.size();
            term_range_byte_begin[t + 1] = range_stream.size();
            continue;
        }
        docid_t prev = 0;
        for (std::uint64_t s = b; s < e; s += pb) {
            const auto n = static_cast<std::uint32_t>(std::min<std::uint64_t>(pb, e - s));
            W mx{0};
            for (std::uint64_t i = s; i < s + n; ++i) mx = std::max(mx, post_codes[i]);
            block_last.push_back(post_docs[s + n - 1]);
            block_max.push_back(mx);
            codec::encode_increasing(&post_docs[s], n, prev, docid_stream);
            block_byte_begin.push_back(docid_stream.size());
            prev = post_docs[s + n - 1];
            term_max[t] = std::max(term_max[t], mx);
        }
        range_ids.clear();
        range_local.clear();
        for (std::uint64_t i = b; i < e; ++i) {
            const std::uint32_t r = post_docs[i] / rb;
            // Rounded up: a stored maximum never underestimates (see RangeMax).
            const RangeMax<W> code = range_max_code(post_codes[i], term_max[t]);
            if (range_ids.empty() || range_ids.back() != r) {
                range_ids.push_back(r);
                range_local.push_back(code);
            } else {
                range_local.back() = std::max(range_local.back(), code);
            }
        }
        // Dense (a maximum for every range, no ids) for frequent terms and
        // whenever it is no larger than the sparse form (ids + maxima): a
        // dense entry costs ~20x less to sum than a sparse one, so above
        // ~1/8 of the ranges dense is faster (docs/BENCHMARKS.md).
        const std::size_t mark = range_stream.size();
        const std::size_t id_bytes = codec::encode_increasing(range_ids.data(), static_cast<std::uint32_t>(range_ids.size()),
                                                              0, range_stream);
        const bool frequent = static_cast<double>(range_ids.size()) >= opts.dense_ranges * static_cast<double>(n_ranges);
        constexpr std::size_t kMaxBytes = sizeof(RangeMax<W>);
        if (!range_ids.empty() &&
            (frequent || n_ranges * kMaxBytes <= range_ids.size() * kMaxBytes + id_bytes)) {
            range_stream.resize(mark);
            const std::size_t at = range_max.size();
            range_max.resize(at + n_ranges, RangeMax<W>{0});
            for (std::size_t j = 0; j < range_ids.size(); ++j) range_max[at + range_ids[j]] = range_local[j];
        } else {
            range_max.insert(range_max.end(), range_local.begin(), range_local.end());
        }
        term_block_begin[t + 1] = block_last.size();
        term_range_begin[t + 1] = range_max.size();
        term_range_byte_begin[t + 1] = range_stream.size();
    }
    docid_stream.resize(docid_stream.size() + codec::kStreamPadding, 0);
    range_stream.resize(range_stream.size() + codec::kStreamPadding, 0);

    SegmentHeader h{};
    h.weight_type = static_cast<std::uint32_t>(opts.weight_type);
    h.posting_block = pb;
    h.range_block = rb;
    h.num_docs = n_docs;
    h.num_terms = num_terms;
    h.num_postings = n_post;
    h.scale = q.params.scale;
    // The largest stored weight (the cap when clipped): what scoring bounds use.
    h.max_weight = std::min(q.params.max_weight, q.params.cap);

    if (target.memory == nullptr) std::filesystem::create_directory(seg_dir);
    SegmentInfo info;
    info.docs = n_docs;
    info.postings = n_post;
    info.zero_dropped = q.dropped;
    for (std::size_t d = 0; d < n_docs; ++d) info.empty_docs += q.doc_begin[d + 1] == q.doc_begin[d] ? 1 : 0;
    info.scale = q.params.scale;
    info.max_weight = h.max_weight;
    info.clipped = q.clipped;
    if (q.clipped > 0) {
        info.clip_max = q.params.max_weight;
        info.clip_cap = q.params.cap;
        info.clip_example_doc = q.clip_example;
        if (q.clip_example + 1 < buf.id_offsets.size()) {
            info.clip_example = buf.id_chars.substr(buf.id_offsets[q.clip_example],
                                                    buf.id_offsets[q.clip_example + 1] - buf.id_offsets[q.clip_example]);
        }
    }
    info.rank_tied = ties.count;
    if (ties.count > 0) {
        const docid_t d = post_docs[ties.example];
        info.tie_example_doc = order.empty() ? d : order[d];
        const std::size_t b = info.tie_example_doc;
        if (b + 1 < buf.id_offsets.size()) {
            info.tie_example = buf.id_chars.substr(buf.id_offsets[b], buf.id_offsets[b + 1] - buf.id_offsets[b]);
        }
    }
    {
        ContainerWriter w(seg_dir + "/inverted.bin", kinds::kInverted);
        w.add(sections::kInvHeader, std::span<const SegmentHeader>(&h, 1));
        w.add(sections::kTermBlockBegin, term_block_begin);
        w.add(sections::kTermPostingBegin, term_posting_begin);
        w.add(sections::kTermMaxWeight, term_max);
        w.add(sections::kBlockLastDoc, block_last);
        w.add(sections::kBlockMaxWeight, block_max);
        w.add(sections::kBlockByteBegin, block_byte_begin);
        w.add(sections::kDocidStream, docid_stream);
        w.add(sections::kPostingWeights, post_codes);
        w.add(sections::kTermRangeBegin, term_range_begin);
        w.add(sections::kTermRangeByteBegin, term_range_byte_begin);
        w.add(sections::kRangeIdStream, range_stream);
        w.add(sections::kRangeMaxWeight, range_max);
        if (target.memory != nullptr) {
            target.memory->inverted = Container(w.finish_in_memory(), kinds::kInverted);
            info.inverted_bytes = target.memory->inverted.file_bytes();
        } else {
            info.inverted_bytes = w.finish();
        }
    }
    post_docs = {};
    post_codes = {};
    {
        std::vector<std::uint64_t> doc_byte_begin{0};
        doc_byte_begin.reserve(n_docs + 1);
        std::vector<std::uint8_t> term_stream;
        term_stream.reserve(n_post * 2);
        for (std::size_t d = 0; d < n_docs; ++d) {
            const auto n = static_cast<std::uint32_t>(q.doc_begin[d + 1] - q.doc_begin[d]);
            codec::encode_increasing(q.terms.data() + q.doc_begin[d], n, 0, term_stream);
            doc_byte_begin.push_back(term_stream.size());
        }
        term_stream.resize(term_stream.size() + codec::kStreamPadding, 0);
        ContainerWriter w(seg_dir + "/forward.bin", kinds::kForward);
        w.add(sections::kDocTermBegin, q.doc_begin);
        w.add(sections::kDocByteBegin, doc_byte_begin);
        w.add(sections::kDocTermStream, term_stream);
        w.add(sections::kDocWeights, q.codes);
        if (target.memory != nullptr) {
            target.memory->forward = Container(w.finish_in_memory(), kinds::kForward);
            info.forward_bytes = target.memory->forward.file_bytes();
        } else {
            info.forward_bytes = w.finish();
        }
    }
    if (target.docids) {
        // ContainerWriter keeps views until finish(): the permuted copies must outlive it.
        std::vector<std::uint64_t> offsets{0};
        std::string chars;
        ContainerWriter w(seg_dir + "/docids.bin", kinds::kDocIds);
        if (order.empty()) {
            w.add(sections::kDocIdOffsets, buf.id_offsets);
            w.add(sections::kDocIdChars, std::span<const char>(buf.id_chars.data(), buf.id_chars.size()));
        } else {
            offsets.reserve(n_docs + 1);
            chars.reserve(buf.id_chars.size());
            for (docid_t d : order) {
                chars.append(buf.id_chars, buf.id_offsets[d], buf.id_offsets[d + 1] - buf.id_offsets[d]);
                offsets.push_back(chars.size());
            }
            w.add(sections::kDocIdOffsets, offsets);
            w.add(sections::kDocIdChars, std::span<const char>(chars.data(), chars.size()));
        }
        info.docids_bytes = w.finish();
    }
    return info;
}

}  // namespace

void SegmentBuffer::clear() {
    doc_begin.assign(1, 0);
    terms.clear();
    weights.clear();
    id_offsets.assign(1, 0);
    id_chars.clear();
}

namespace {
SegmentInfo write_any(const Target& target, const SegmentBuffer& buf, std::size_t num_terms,
                      const SegmentWriteOptions& opts, std::span<const docid_t> order) {
    if (!order.empty() && order.size() != buf.docs()) {
        throw InvalidArgument("document order has " + std::to_string(order.size()) + " entries for " +
                              std::to_string(buf.docs()) + " documents");
    }
    if (opts.range_block == 0 || opts.range_block > 65536) {
        throw InvalidArgument("range block size must be in [1, 65536], got " + std::to_string(opts.range_block));
    }
    switch (opts.weight_type) {
        case WeightType::f32: return write_typed<float>(target, buf, num_terms, opts, order);
        case WeightType::u16: return write_typed<std::uint16_t>(target, buf, num_terms, opts, order);
        case WeightType::u8: return write_typed<std::uint8_t>(target, buf, num_terms, opts, order);
    }
    throw InvalidArgument("unknown weight type");
}
}  // namespace

SegmentInfo write_segment(const std::string& dir, const std::string& name, const SegmentBuffer& buf,
                          std::size_t num_terms, const SegmentWriteOptions& opts, std::span<const docid_t> order) {
    SegmentInfo info = write_any(Target{dir + "/" + name, true, nullptr}, buf, num_terms, opts, order);
    info.name = name;
    return info;
}

SegmentInfo write_vector_files(const std::string& vec_dir, const SegmentBuffer& buf, std::size_t num_terms,
                               const SegmentWriteOptions& opts, std::span<const docid_t> order) {
    return write_any(Target{vec_dir, false, nullptr}, buf, num_terms, opts, order);
}

SegmentInfo build_vector_in_memory(const std::string& name, const SegmentBuffer& buf, std::size_t num_terms,
                                   const SegmentWriteOptions& opts, VectorFiles& out) {
    return write_any(Target{name, false, &out}, buf, num_terms, opts, {});
}

}  // namespace spindle
