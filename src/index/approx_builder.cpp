#include "spindle/index/approx_builder.hpp"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <limits>
#include <variant>
#include <vector>

#include "spindle/codec/docid_codec.hpp"
#include "spindle/common/error.hpp"
#include "spindle/index/file_kinds.hpp"

namespace spindle {
namespace {

std::uint64_t splitmix64(std::uint64_t& x) {
    std::uint64_t z = (x += 0x9e3779b97f4a7c15ULL);
    z = (z ^ (z >> 30U)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27U)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31U);
}

/// The segment's forward vectors, decoded once (term ids + weights as double).
template <class W>
struct Docs {
    std::vector<std::uint64_t> begin;
    std::vector<termid_t> terms;
    std::span<const W> weights;
};

template <class W>
Docs<W> decode_forward(const ForwardView<W>& fwd, std::uint64_t n_docs) {
    Docs<W> d;
    d.begin.assign(fwd.doc_term_begin.begin(), fwd.doc_term_begin.end());
    d.terms.resize(d.begin.back() + 4);
    for (std::uint64_t i = 0; i < n_docs; ++i) {
        const auto n = static_cast<std::uint32_t>(d.begin[i + 1] - d.begin[i]);
        if (n) codec::decode_increasing(fwd.term_stream.data() + fwd.doc_byte_begin[i], d.terms.data() + d.begin[i], n, 0);
    }
    d.terms.resize(d.begin.back());
    d.weights = fwd.weights;
    return d;
}

struct CentEntry {
    termid_t term;
    std::uint32_t c;
    double w;
};

struct Output {
    std::vector<std::uint64_t> term_block_begin{0};
    std::vector<std::uint64_t> block_doc_begin{0};
    std::vector<docid_t> block_docs;
    std::vector<std::uint64_t> summary_begin{0};
    std::vector<std::uint32_t> summary_terms;
    std::vector<std::uint8_t> summary_codes;
    std::vector<float> summary_scale;
};

template <class W>
void build_typed(const SegmentViews<W>& v, const ApproxOptions& opts, Output& out) {
    const std::uint64_t n_docs = v.inv.num_docs;
    const std::uint64_t T = v.inv.num_terms;
    const Docs<W> docs = decode_forward(v.fwd, n_docs);

    // Invert (counting sort): each term's postings as (doc, weight).
    std::vector<std::uint64_t> tb(T + 1, 0);
    for (termid_t t : docs.terms) ++tb[t + 1];
    for (std::uint64_t t = 0; t < T; ++t) tb[t + 1] += tb[t];
    std::vector<std::pair<docid_t, W>> post(docs.terms.size());
    {
        std::vector<std::uint64_t> fill(tb.begin(), tb.end() - 1);
        for (std::uint64_t d = 0; d < n_docs; ++d) {
            for (std::uint64_t i = docs.begin[d]; i < docs.begin[d + 1]; ++i) {
                post[fill[docs.terms[i]]++] = {static_cast<docid_t>(d), docs.weights[i]};
            }
        }
    }

    std::vector<double> dense(T, 0.0);        // one document's vector / one block's maxima
    std::vector<CentEntry> cent_post;          // centroid vectors sorted by term
    std::vector<std::uint32_t> slot_begin(T, 0), slot_end(T, 0);  // term -> its run in cent_post
    std::vector<double> dot;
    std::vector<std::uint32_t> assign;
    std::vector<std::uint32_t> idx;
    std::vector<std::pair<docid_t, W>> kept;
    std::vector<termid_t> touched;
    std::vector<std::pair<double, std::uint32_t>> comps;
    for (std::uint64_t t = 0; t < T; ++t) {
        kept.assign(post.begin() + static_cast<std::ptrdiff_t>(tb[t]), post.begin() + static_cast<std::ptrdiff_t>(tb[t + 1]));
        // 1. Static pruning: the lambda highest weights (ties: lower docid).
        if (opts.lambda > 0 && kept.size() > opts.lambda) {
            std::nth_element(kept.begin(), kept.begin() + opts.lambda, kept.end(), [](const auto& a, const auto& b) {
                return a.second > b.second || (a.second == b.second && a.first < b.first);
            });
            kept.resize(opts.lambda);
        }
        if (kept.empty()) {
            out.term_block_begin.push_back(out.summary_scale.size());
            continue;
        }
        std::sort(kept.begin(), kept.end(), [](const auto& a, const auto& b) { return a.first < b.first; });
        const auto n = static_cast<std::uint32_t>(kept.size());
        const std::uint32_t nc = (n + opts.block_size - 1) / opts.block_size;

        // 2. Centroids: nc distinct random documents of the list (seeded per term).
        idx.resize(n);
        for (std::uint32_t i = 0; i < n; ++i) idx[i] = i;
        std::uint64_t rs = opts.seed ^ (t * 0x2545f4914f6cdd1dULL);
        for (std::uint32_t i = 0; i < nc; ++i) {
            const auto j = i + static_cast<std::uint32_t>(splitmix64(rs) % (n - i));
            std::swap(idx[i], idx[j]);
        }
        // Centroid vectors inverted (term -> (centroid, weight)) so one pass
        // over a document's terms gives its dot product with every centroid.
        cent_post.clear();
        for (std::uint32_t c = 0; c < nc; ++c) {
            const docid_t d = kept[idx[c]].first;
            for (std::uint64_t i = docs.begin[d]; i < docs.begin[d + 1]; ++i) {
                cent_post.push_back({docs.terms[i], c, static_cast<double>(docs.weights[i])});
            }
        }
        std::sort(cent_post.begin(), cent_post.end(),
                  [](const CentEntry& a, const CentEntry& b) { return a.term < b.term || (a.term == b.term && a.c < b.c); });
        for (std::size_t e = 0; e < cent_post.size(); ++e) {
            if (e == 0 || cent_post[e].term != cent_post[e - 1].term) slot_begin[cent_post[e].term] = static_cast<std::uint32_t>(e);
            slot_end[cent_post[e].term] = static_cast<std::uint32_t>(e + 1);
        }
        // 3. Assign each document to the centroid of largest dot product (ties: first centroid).
        assign.resize(n);
        dot.assign(nc, 0.0);
        for (std::uint32_t j = 0; j < n; ++j) {
            const docid_t d = kept[j].first;
            std::fill(dot.begin(), dot.end(), 0.0);
            for (std::uint64_t i = docs.begin[d]; i < docs.begin[d + 1]; ++i) {
                const termid_t x = docs.terms[i];
                const double w = static_cast<double>(docs.weights[i]);
                for (std::uint32_t e = slot_begin[x]; e < slot_end[x]; ++e) dot[cent_post[e].c] += w * cent_post[e].w;
            }
            assign[j] = static_cast<std::uint32_t>(std::max_element(dot.begin(), dot.end()) - dot.begin());
        }
        for (const CentEntry& e : cent_post) slot_begin[e.term] = slot_end[e.term] = 0;
        // 4. Blocks in centroid order, documents increasing; empty clusters dropped.
        idx.assign(nc + 1, 0);
        for (std::uint32_t j = 0; j < n; ++j) ++idx[assign[j] + 1];
        for (std::uint32_t c = 0; c < nc; ++c) idx[c + 1] += idx[c];
        std::vector<docid_t> grouped(n);
        {
            std::vector<std::uint32_t> fill(idx.begin(), idx.end() - 1);
            for (std::uint32_t j = 0; j < n; ++j) grouped[fill[assign[j]]++] = kept[j].first;  // kept is docid-sorted
        }
        for (std::uint32_t c = 0; c < nc; ++c) {
            if (idx[c] == idx[c + 1]) continue;
            touched.clear();
            for (std::uint32_t j = idx[c]; j < idx[c + 1]; ++j) {
                const docid_t d = grouped[j];
                out.block_docs.push_back(d);
                for (std::uint64_t i = docs.begin[d]; i < docs.begin[d + 1]; ++i) {
                    const termid_t x = docs.terms[i];
                    if (dense[x] == 0.0) touched.push_back(x);
                    dense[x] = std::max(dense[x], static_cast<double>(docs.weights[i]));
                }
            }
            out.block_doc_begin.push_back(out.block_docs.size());
            // 5. Summary: the largest components keeping alpha_mass of the mass.
            comps.clear();
            double total = 0.0;
            for (termid_t x : touched) {
                comps.emplace_back(dense[x], x);
                total += dense[x];
                dense[x] = 0.0;
            }
            std::sort(comps.begin(), comps.end(), [](const auto& a, const auto& b) {
                return a.first > b.first || (a.first == b.first && a.second < b.second);
            });
            std::size_t keep = comps.size();
            if (opts.alpha_mass < 1.0) {
                double mass = 0.0;
                keep = 0;
                while (keep < comps.size() && mass < opts.alpha_mass * total) mass += comps[keep++].first;
            }
            comps.resize(keep);
            std::sort(comps.begin(), comps.end(), [](const auto& a, const auto& b) { return a.second < b.second; });
            // u8 codes rounded up: code * scale never underestimates the maximum.
            const double vmax = comps.empty() ? 0.0 : std::max_element(comps.begin(), comps.end())->first;
            auto scale = static_cast<float>(vmax / 255.0 * (1.0 + 1e-6));
            if (!(scale > 0.0F)) scale = 1.0F;
            for (const auto& [val, x] : comps) {
                double code = std::ceil(val / static_cast<double>(scale));
                while (code * static_cast<double>(scale) < val) code += 1.0;
                out.summary_terms.push_back(x);
                out.summary_codes.push_back(static_cast<std::uint8_t>(std::clamp(code, 1.0, 255.0)));
            }
            out.summary_begin.push_back(out.summary_terms.size());
            out.summary_scale.push_back(scale);
        }
        out.term_block_begin.push_back(out.summary_scale.size());
    }
}

}  // namespace

void ApproxOptions::validate() const {
    if (block_size == 0) throw InvalidArgument("approx block size must be at least 1");
    if (!(alpha_mass > 0.0 && alpha_mass <= 1.0)) {
        throw InvalidArgument("approx alpha must be in (0, 1], got " + std::to_string(alpha_mass));
    }
}

ApproxBuildInfo build_approx(const std::string& seg_dir, const Segment& seg, const ApproxOptions& opts) {
    opts.validate();
    const auto t0 = std::chrono::steady_clock::now();
    Output out;
    std::visit([&](const auto& v) { build_typed(v, opts, out); }, seg.views());
    ApproxHeader h{};
    h.lambda = opts.lambda;
    h.block_size = opts.block_size;
    h.alpha_mass = opts.alpha_mass;
    h.seed = opts.seed;
    h.num_terms = seg.header().num_terms;
    h.num_blocks = out.summary_scale.size();
    h.num_block_docs = out.block_docs.size();
    h.num_summary = out.summary_terms.size();
    h.num_docs = seg.header().num_docs;
    ContainerWriter w(seg_dir + "/approx.bin", kinds::kApprox);
    w.add(sections::kApproxHeader, std::span<const ApproxHeader>(&h, 1));
    w.add(sections::kApproxTermBlockBegin, out.term_block_begin);
    w.add(sections::kApproxBlockDocBegin, out.block_doc_begin);
    w.add(sections::kApproxBlockDocs, out.block_docs);
    w.add(sections::kApproxSummaryBegin, out.summary_begin);
    w.add(sections::kApproxSummaryTerms, out.summary_terms);
    w.add(sections::kApproxSummaryCodes, out.summary_codes);
    w.add(sections::kApproxSummaryScale, out.summary_scale);
    ApproxBuildInfo info;
    info.bytes = w.finish();
    info.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    return info;
}

}  // namespace spindle
