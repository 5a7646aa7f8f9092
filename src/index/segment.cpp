#include "spindle/index/segment.hpp"

#include <cstring>

#include "spindle/codec/docid_codec.hpp"
#include "spindle/common/error.hpp"
#include "offsets_check.hpp"

namespace spindle {
namespace {

void check_stream(std::span<const std::uint64_t> byte_begin, std::size_t stream_bytes, const std::string& path,
                  const char* what) {
    if (byte_begin.empty() || byte_begin.front() != 0 || byte_begin.back() + codec::kStreamPadding > stream_bytes) {
        throw CorruptIndex(path + ": " + what + " offsets exceed the stream");
    }
    for (std::size_t i = 1; i < byte_begin.size(); ++i) {
        if (byte_begin[i] < byte_begin[i - 1]) throw CorruptIndex(path + ": " + what + " offsets decrease at " + std::to_string(i));
    }
}

}  // namespace

Segment::Segment(const std::string& index_dir, const SegmentInfo& info, WeightType weight_type,
                 std::uint64_t vocab_size, MappedFile::Mode mode)
    : info_(info),
      inverted_(index_dir + "/" + info.name + "/inverted.bin", kinds::kInverted, mode),
      forward_(index_dir + "/" + info.name + "/forward.bin", kinds::kForward, mode) {
    if (info.approx_bytes > 0) approx_ = Container(index_dir + "/" + info.name + "/approx.bin", kinds::kApprox, mode);
    init(weight_type, vocab_size);
    ids_ = std::make_shared<const DocIds>(Container(index_dir + "/" + info.name + "/docids.bin", kinds::kDocIds),
                                          header_.num_docs);
}

Segment::Segment(VectorFiles files, std::optional<Container> approx, std::shared_ptr<const DocIds> ids,
                 const SegmentInfo& info, WeightType weight_type, std::uint64_t vocab_size)
    : info_(info), inverted_(std::move(files.inverted)), forward_(std::move(files.forward)), ids_(std::move(ids)) {
    if (approx) approx_ = std::move(*approx);
    init(weight_type, vocab_size);
    if (!ids_ || ids_->size() != header_.num_docs) {
        throw CorruptIndex(inverted_.path() + ": " + std::to_string(header_.num_docs) +
                           " documents, but the segment's id file has " + std::to_string(ids_ ? ids_->size() : 0));
    }
}

void Segment::init(WeightType weight_type, std::uint64_t vocab_size) {
    const SegmentInfo& info = info_;
    const auto hdr = inverted_.section<SegmentHeader>(sections::kInvHeader, 1);
    std::memcpy(&header_, hdr.data(), sizeof(SegmentHeader));
    const std::string& p = inverted_.path();
    if (header_.weight_type != static_cast<std::uint32_t>(weight_type)) {
        throw CorruptIndex(p + ": weight type differs from the manifest's " + std::string(to_string(weight_type)));
    }
    if (header_.num_docs != info.docs || header_.num_postings != info.postings) {
        throw CorruptIndex(p + ": document or posting count differs from the manifest");
    }
    if (header_.num_terms > vocab_size) throw CorruptIndex(p + ": segment has more terms than the vocabulary");
    if (header_.posting_block != codec::kPostingBlock) {
        throw CorruptIndex(p + ": posting block size " + std::to_string(header_.posting_block) + " is not supported");
    }
    if (header_.range_block == 0 || header_.num_docs >= 0xFFFFFFFFULL) throw CorruptIndex(p + ": invalid header");
    switch (weight_type) {
        case WeightType::f32: views_ = make_views<float>(); break;
        case WeightType::u16: views_ = make_views<std::uint16_t>(); break;
        case WeightType::u8: views_ = make_views<std::uint8_t>(); break;
    }
    if (info.approx_bytes > 0) approx_view_ = ApproxView::open(approx_, header_.num_docs, header_.num_terms);
}

template <class W>
SegmentViews<W> Segment::make_views() const {
    const std::string& p = inverted_.path();
    const std::uint64_t T = header_.num_terms;
    const std::uint64_t P = header_.num_postings;
    SegmentViews<W> v;
    auto& inv = v.inv;
    inv.num_terms = T;
    inv.num_docs = static_cast<docid_t>(header_.num_docs);
    inv.range_block = header_.range_block;
    inv.num_ranges = (header_.num_docs + header_.range_block - 1) / header_.range_block;
    inv.term_block_begin = inverted_.section<std::uint64_t>(sections::kTermBlockBegin, T + 1);
    inv.term_posting_begin = inverted_.section<std::uint64_t>(sections::kTermPostingBegin, T + 1);
    inv.term_max = inverted_.section<W>(sections::kTermMaxWeight, T);
    inv.block_last = inverted_.section<docid_t>(sections::kBlockLastDoc);
    const std::uint64_t B = inv.block_last.size();
    inv.block_max = inverted_.section<W>(sections::kBlockMaxWeight, B);
    inv.block_byte_begin = inverted_.section<std::uint64_t>(sections::kBlockByteBegin, B + 1);
    inv.docid_stream = inverted_.section<std::uint8_t>(sections::kDocidStream);
    inv.weights = inverted_.section<W>(sections::kPostingWeights, P);
    inv.term_range_begin = inverted_.section<std::uint64_t>(sections::kTermRangeBegin, T + 1);
    inv.term_range_byte_begin = inverted_.section<std::uint64_t>(sections::kTermRangeByteBegin, T + 1);
    inv.range_stream = inverted_.section<std::uint8_t>(sections::kRangeIdStream);
    inv.range_max = inverted_.section<RangeMax<W>>(sections::kRangeMaxWeight);
    check_offsets(inv.term_posting_begin, P, p, "term posting offsets");
    check_offsets(inv.term_block_begin, B, p, "term block offsets");
    check_offsets(inv.term_range_begin, inv.range_max.size(), p, "term range offsets");
    check_stream(inv.block_byte_begin, inv.docid_stream.size(), p, "posting block");
    check_stream(inv.term_range_byte_begin, inv.range_stream.size(), p, "range id");
    for (std::uint64_t t = 0; t < T; ++t) {
        const std::uint64_t df = inv.term_posting_begin[t + 1] - inv.term_posting_begin[t];
        const std::uint64_t nb = inv.term_block_begin[t + 1] - inv.term_block_begin[t];
        if (nb != (df + codec::kPostingBlock - 1) / codec::kPostingBlock) {
            throw CorruptIndex(p + ": term " + std::to_string(t) + " has " + std::to_string(nb) + " blocks for " +
                               std::to_string(df) + " postings");
        }
        const std::uint64_t nr = inv.term_range_begin[t + 1] - inv.term_range_begin[t];
        const std::uint64_t id_bytes = inv.term_range_byte_begin[t + 1] - inv.term_range_byte_begin[t];
        if (nr == inv.num_ranges ? id_bytes != 0 : nr > df) {
            throw CorruptIndex(p + ": term " + std::to_string(t) + " has inconsistent range maxima (" +
                               std::to_string(nr) + " ranges, " + std::to_string(df) + " postings)");
        }
    }
    for (std::uint64_t b = 0; b < B; ++b) {
        if (inv.block_last[b] >= header_.num_docs) throw CorruptIndex(p + ": block " + std::to_string(b) + " ends past the last document");
    }

    const std::string& fp = forward_.path();
    auto& fwd = v.fwd;
    fwd.doc_term_begin = forward_.section<std::uint64_t>(sections::kDocTermBegin, header_.num_docs + 1);
    fwd.doc_byte_begin = forward_.section<std::uint64_t>(sections::kDocByteBegin, header_.num_docs + 1);
    fwd.term_stream = forward_.section<std::uint8_t>(sections::kDocTermStream);
    fwd.weights = forward_.section<W>(sections::kDocWeights, P);
    check_offsets(fwd.doc_term_begin, P, fp, "document entry offsets");
    check_stream(fwd.doc_byte_begin, fwd.term_stream.size(), fp, "document term");
    return v;
}


}  // namespace spindle
