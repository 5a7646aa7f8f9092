#include "spindle/index/approx_format.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <cstring>

#include "spindle/common/error.hpp"
#include "spindle/index/file_kinds.hpp"
#include "offsets_check.hpp"

namespace spindle {
namespace {

template <class Id>
void check_summary_terms(std::span<const Id> ids, std::uint64_t num_terms, const std::string& p) {
    for (const Id t : ids) {
        if (t >= num_terms) throw CorruptIndex(p + ": summary term " + std::to_string(t) + " past the last term");
    }
}

}  // namespace

void ApproxOptions::validate() const {
    if (block_size == 0) throw InvalidArgument("approx block size must be at least 1");
    if (!(alpha_mass > 0.0 && alpha_mass <= 1.0)) {
        throw InvalidArgument("approx alpha must be in (0, 1], got " + std::to_string(alpha_mass));
    }
    if (knn_k > 1024) throw InvalidArgument("kNN graph degree must be at most 1024, got " + std::to_string(knn_k));
    if (!(lambda_per_doc >= 0.0 && lambda_per_doc <= 1.0)) {
        throw InvalidArgument("approx lambda per document must be in [0, 1], got " + std::to_string(lambda_per_doc));
    }
    if (lambda_per_doc > 0.0 && lambda_max != 0 && lambda_max < lambda) {
        throw InvalidArgument("approx lambda cap " + std::to_string(lambda_max) + " is below its floor " + std::to_string(lambda));
    }
}

std::uint32_t ApproxOptions::lambda_for(std::uint64_t num_docs) const {
    if (!(lambda_per_doc > 0.0) || lambda == 0) return lambda;
    const double scaled = std::ceil(lambda_per_doc * static_cast<double>(num_docs) - 1e-9);
    const double cap = lambda_max != 0 ? static_cast<double>(lambda_max) : 4294967295.0;
    return static_cast<std::uint32_t>(std::max(static_cast<double>(lambda), std::min(scaled, cap)));
}

std::string ApproxOptions::describe_lambda() const {
    if (!(lambda_per_doc > 0.0) || lambda == 0) return lambda == 0 ? std::string("lambda all") : "lambda " + std::to_string(lambda);
    return fmt::format("lambda max({}, {:g} x docs){}", lambda, lambda_per_doc,
                       lambda_max != 0 ? fmt::format(" capped at {}", lambda_max) : std::string());
}

ApproxView ApproxView::open(const Container& c, std::uint64_t num_docs, std::uint64_t num_terms) {
    const std::string& p = c.path();
    ApproxView v;
    std::memcpy(&v.header, c.section<ApproxHeader>(sections::kApproxHeader, 1).data(), sizeof(ApproxHeader));
    const ApproxHeader& h = v.header;
    if (h.version != kApproxVersion) {
        throw IncompatibleVersion(p + ": approximate structures of version " + std::to_string(h.version) + ", this build reads " +
                                  std::to_string(kApproxVersion) + "; rebuild them with spindle build-approx --overwrite");
    }
    if (h.num_docs != num_docs || h.num_terms != num_terms) {
        throw CorruptIndex(p + ": document or term count differs from the segment");
    }
    if (h.block_size == 0 || !(h.alpha_mass > 0.0 && h.alpha_mass <= 1.0) ||
        !(h.summary_id_bytes == 2 || h.summary_id_bytes == 4) || h.knn_k > 1024 || h.num_block_docs > 0xFFFFFFFFULL) {
        throw CorruptIndex(p + ": invalid header");
    }
    v.term_block_begin = c.section<std::uint64_t>(sections::kApproxTermBlockBegin, h.num_terms + 1);
    v.block_doc_begin = c.section<std::uint32_t>(sections::kApproxBlockDocBegin, h.num_blocks + 1);
    v.block_docs = c.section<docid_t>(sections::kApproxBlockDocs, h.num_block_docs);
    v.summary_begin = c.section<std::uint64_t>(sections::kApproxSummaryBegin, h.num_blocks + 1);
    if (h.summary_id_bytes == 2) {
        v.summary_terms16 = c.section<std::uint16_t>(sections::kApproxSummaryTerms, h.num_summary);
    } else {
        v.summary_terms32 = c.section<std::uint32_t>(sections::kApproxSummaryTerms, h.num_summary);
    }
    v.summary_codes = c.section<std::uint8_t>(sections::kApproxSummaryCodes, h.num_summary);
    v.summary_scale = c.section<float>(sections::kApproxSummaryScale, h.num_blocks);
    if (h.knn_k > 0) v.knn = c.section<docid_t>(sections::kApproxKnn, h.num_docs * h.knn_k);
    check_offsets(v.term_block_begin, h.num_blocks, p, "term block offsets");
    check_offsets(v.block_doc_begin, h.num_block_docs, p, "block document offsets");
    check_offsets(v.summary_begin, h.num_summary, p, "summary offsets");
    for (docid_t d : v.block_docs) {
        if (d >= num_docs) throw CorruptIndex(p + ": block document " + std::to_string(d) + " past the last document");
    }
    check_summary_terms(v.summary_terms16, num_terms, p);
    check_summary_terms(v.summary_terms32, num_terms, p);
    for (docid_t d : v.knn) {
        if (d >= num_docs && d != kNoNeighbour) {
            throw CorruptIndex(p + ": kNN neighbour " + std::to_string(d) + " past the last document");
        }
    }
    return v;
}

}  // namespace spindle
