#include "spindle/build/approx_builder.hpp"

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cmath>
#include <memory>
#include <mutex>
#include <thread>
#include <variant>
#include <vector>

#include "spindle/codec/docid_codec.hpp"
#include "spindle/common/error.hpp"
#include "spindle/common/splitmix.hpp"
#include "spindle/index/file_kinds.hpp"
#include "spindle/query/approximate.hpp"

namespace spindle {
namespace {

/// Components of a document used to cluster it (its heaviest ones): the
/// assignment costs O(sketch x centroids sharing a term) instead of O(nnz x ...).
constexpr std::uint32_t kSketch = 32;
/// Terms per unit of parallel work (a unit's output is appended in term order,
/// so the result does not depend on the thread count).
constexpr std::uint64_t kTermsPerChunk = 64;
/// Documents per unit of graph work.
constexpr std::uint64_t kDocsPerChunk = 2048;
/// Settings of the searches that find each document's graph neighbours: on
/// 200k generated documents, query cut 1, 2 and 4 gave graphs within 1% of
/// each other in refined recall; 2 builds in about half the time of 8.
constexpr ApproxParams kGraphSearch{2, 0.9, 0};

/// Runs fn(unit, thread) for unit in [0, units) on `threads` threads (thread
/// in [0, threads)); rethrows the first error.
template <class Fn>
void parallel_units(std::uint64_t units, std::uint32_t threads, Fn fn) {
    std::atomic<std::uint64_t> next{0};
    std::exception_ptr error;
    std::mutex mu;
    auto work = [&](std::uint32_t thread) {
        try {
            for (std::uint64_t u = next++; u < units; u = next++) fn(u, thread);
        } catch (...) {
            const std::lock_guard<std::mutex> lock(mu);
            if (!error) error = std::current_exception();
            next = units;
        }
    };
    std::vector<std::thread> pool;
    for (std::uint32_t i = 1; i < threads; ++i) pool.emplace_back(work, i);
    work(0);
    for (auto& t : pool) t.join();
    if (error) std::rethrow_exception(error);
}

/// The segment's forward vectors, decoded once.
template <class W>
struct Docs {
    std::vector<std::uint64_t> begin;
    std::vector<termid_t> terms;
    std::span<const W> weights;
    // Sketches: each document's kSketch heaviest components (ties: lower term), by term.
    std::vector<std::uint64_t> sk_begin;
    std::vector<termid_t> sk_terms;
    std::vector<float> sk_weights;
};

template <class W>
Docs<W> decode_forward(const ForwardView<W>& fwd, std::uint64_t n_docs) {
    Docs<W> d;
    d.begin.assign(fwd.doc_term_begin.begin(), fwd.doc_term_begin.end());
    d.terms.resize(d.begin.back() + 4);
    d.sk_begin.assign(n_docs + 1, 0);
    for (std::uint64_t i = 0; i < n_docs; ++i) {
        const auto n = static_cast<std::uint32_t>(d.begin[i + 1] - d.begin[i]);
        if (n) codec::decode_increasing(fwd.term_stream.data() + fwd.doc_byte_begin[i], d.terms.data() + d.begin[i], n, 0);
        d.sk_begin[i + 1] = d.sk_begin[i] + std::min(n, kSketch);
    }
    d.terms.resize(d.begin.back());
    d.weights = fwd.weights;
    d.sk_terms.resize(d.sk_begin.back());
    d.sk_weights.resize(d.sk_begin.back());
    std::vector<std::uint32_t> idx;
    for (std::uint64_t i = 0; i < n_docs; ++i) {
        const std::uint64_t b = d.begin[i];
        const auto n = static_cast<std::uint32_t>(d.begin[i + 1] - b);
        idx.resize(n);
        for (std::uint32_t j = 0; j < n; ++j) idx[j] = j;
        if (n > kSketch) {
            std::nth_element(idx.begin(), idx.begin() + kSketch, idx.end(), [&](std::uint32_t x, std::uint32_t y) {
                return d.weights[b + x] > d.weights[b + y] || (d.weights[b + x] == d.weights[b + y] && x < y);
            });
            idx.resize(kSketch);
            std::sort(idx.begin(), idx.end());
        }
        for (std::size_t j = 0; j < idx.size(); ++j) {
            d.sk_terms[d.sk_begin[i] + j] = d.terms[b + idx[j]];
            d.sk_weights[d.sk_begin[i] + j] = static_cast<float>(d.weights[b + idx[j]]);
        }
    }
    return d;
}

/// The output of a run of terms; appended in term order.
struct Chunk {
    std::vector<std::uint32_t> blocks_per_term;
    std::vector<std::uint32_t> block_len;
    std::vector<docid_t> docs;
    std::vector<std::uint32_t> summary_len;
    std::vector<std::uint32_t> summary_terms;
    std::vector<std::uint8_t> codes;
    std::vector<float> scale;
};

/// One thread's buffers.
struct Worker {
    struct CentEntry {
        termid_t term;
        std::uint32_t c;
        float w;
    };
    std::vector<double> dense;  // one block's maxima by term (all zero between blocks)
    std::vector<CentEntry> cent_post;
    std::vector<std::uint32_t> slot_begin, slot_end;  // term -> its run in cent_post
    std::vector<float> dot;
    std::vector<std::uint32_t> idx, assign, fill, load, hist;
    std::vector<docid_t> grouped;
    std::vector<termid_t> touched;
    std::vector<std::pair<double, std::uint32_t>> comps;
    explicit Worker(std::uint64_t T) : dense(T, 0.0), slot_begin(T, 0), slot_end(T, 0) {}
};

/// Moves to the front of `comps` (value, term) the largest values, ties by
/// lower term, whose sum first reaches `target`; returns how many. For u8
/// weights a histogram of the 256 values replaces the sort.
template <class W>
std::size_t select_mass(std::vector<std::pair<double, std::uint32_t>>& comps, double target, std::vector<std::uint32_t>& hist) {
    if constexpr (std::is_same_v<W, std::uint8_t>) {
        hist.assign(256, 0);
        for (const auto& c : comps) ++hist[static_cast<std::size_t>(c.first)];
        double mass = 0.0;
        std::size_t count = 0;
        int v = 255;
        for (; v > 0; --v) {
            const double bucket = static_cast<double>(hist[static_cast<std::size_t>(v)]) * v;
            if (mass + bucket >= target) break;
            mass += bucket;
            count += hist[static_cast<std::size_t>(v)];
        }
        if (v == 0) return comps.size();
        // All values above v, then the lowest terms of value v until the target.
        const auto need = static_cast<std::size_t>(std::ceil((target - mass) / v - 1e-9));
        const auto vd = static_cast<double>(v);
        const auto mid = std::partition(comps.begin(), comps.end(), [vd](const auto& c) { return c.first > vd; });
        const auto eq_end = std::partition(mid, comps.end(), [vd](const auto& c) { return c.first == vd; });
        const auto take = std::min<std::ptrdiff_t>(std::max<std::size_t>(need, 1), eq_end - mid);
        std::nth_element(mid, mid + take, eq_end, [](const auto& a, const auto& b) { return a.second < b.second; });
        return count + static_cast<std::size_t>(take);
    } else {
        std::sort(comps.begin(), comps.end(),
                  [](const auto& a, const auto& b) { return a.first > b.first || (a.first == b.first && a.second < b.second); });
        double mass = 0.0;
        std::size_t keep = 0;
        while (keep < comps.size() && mass < target) mass += comps[keep++].first;
        return keep;
    }
}

/// Clusters `kept` (one term's postings after static pruning, docid order)
/// into blocks and appends them with their summaries to `out`.
template <class W>
void build_term(std::uint64_t t, std::span<const docid_t> kept, const ApproxOptions& opts, const Docs<W>& docs, Worker& wk,
                Chunk& out) {
    const auto n = static_cast<std::uint32_t>(kept.size());
    if (n == 0) {
        out.blocks_per_term.push_back(0);
        return;
    }
    const std::uint32_t nc = (n + opts.block_size - 1) / opts.block_size;
    const std::uint32_t cap = 2 * opts.block_size;  // no block grows past twice the target

    // 1. Centroids: nc distinct random documents of the list (seeded per term),
    // their sketches inverted (term -> (centroid, weight)).
    wk.idx.resize(n);
    for (std::uint32_t i = 0; i < n; ++i) wk.idx[i] = i;
    std::uint64_t rs = opts.seed ^ (t * 0x2545f4914f6cdd1dULL);
    for (std::uint32_t i = 0; i < nc; ++i) std::swap(wk.idx[i], wk.idx[i + static_cast<std::uint32_t>(splitmix64(rs) % (n - i))]);
    wk.cent_post.clear();
    for (std::uint32_t c = 0; c < nc; ++c) {
        const docid_t d = kept[wk.idx[c]];
        for (std::uint64_t i = docs.sk_begin[d]; i < docs.sk_begin[d + 1]; ++i) {
            wk.cent_post.push_back({docs.sk_terms[i], c, docs.sk_weights[i]});
        }
    }
    std::sort(wk.cent_post.begin(), wk.cent_post.end(),
              [](const auto& a, const auto& b) { return a.term < b.term || (a.term == b.term && a.c < b.c); });
    for (std::size_t e = 0; e < wk.cent_post.size(); ++e) {
        const termid_t x = wk.cent_post[e].term;
        if (e == 0 || x != wk.cent_post[e - 1].term) wk.slot_begin[x] = static_cast<std::uint32_t>(e);
        wk.slot_end[x] = static_cast<std::uint32_t>(e + 1);
    }
    // 2. Each document (sketch) goes to the centroid of largest dot product
    // that still has room (ties: first centroid). Centroids first, so each
    // seeds its own block.
    wk.assign.assign(n, 0);
    wk.load.assign(nc, 0);
    wk.dot.resize(nc);
    for (std::uint32_t c = 0; c < nc; ++c) {
        wk.assign[wk.idx[c]] = c;
        wk.load[c] = 1;
    }
    std::vector<bool> is_centroid(n, false);
    for (std::uint32_t c = 0; c < nc; ++c) is_centroid[wk.idx[c]] = true;
    for (std::uint32_t j = 0; j < n; ++j) {
        if (is_centroid[j]) continue;
        const docid_t d = kept[j];
        std::fill(wk.dot.begin(), wk.dot.end(), 0.0F);
        for (std::uint64_t i = docs.sk_begin[d]; i < docs.sk_begin[d + 1]; ++i) {
            const termid_t x = docs.sk_terms[i];
            const float w = docs.sk_weights[i];
            for (std::uint32_t e = wk.slot_begin[x]; e < wk.slot_end[x]; ++e) wk.dot[wk.cent_post[e].c] += w * wk.cent_post[e].w;
        }
        std::uint32_t best = nc;
        for (std::uint32_t c = 0; c < nc; ++c) {
            if (wk.load[c] < cap && (best == nc || wk.dot[c] > wk.dot[best])) best = c;
        }
        wk.assign[j] = best;
        ++wk.load[best];
    }
    for (const auto& e : wk.cent_post) wk.slot_begin[e.term] = wk.slot_end[e.term] = 0;

    // 3. Blocks in centroid order, documents increasing.
    wk.fill.assign(nc + 1, 0);
    for (std::uint32_t j = 0; j < n; ++j) ++wk.fill[wk.assign[j] + 1];
    for (std::uint32_t c = 0; c < nc; ++c) wk.fill[c + 1] += wk.fill[c];
    wk.grouped.resize(n);
    {
        std::vector<std::uint32_t> pos(wk.fill.begin(), wk.fill.end() - 1);
        for (std::uint32_t j = 0; j < n; ++j) wk.grouped[pos[wk.assign[j]]++] = kept[j];
    }
    std::uint32_t blocks = 0;
    for (std::uint32_t c = 0; c < nc; ++c) {
        if (wk.fill[c] == wk.fill[c + 1]) continue;
        ++blocks;
        wk.touched.clear();
        for (std::uint32_t j = wk.fill[c]; j < wk.fill[c + 1]; ++j) {
            const docid_t d = wk.grouped[j];
            out.docs.push_back(d);
            for (std::uint64_t i = docs.begin[d]; i < docs.begin[d + 1]; ++i) {
                const termid_t x = docs.terms[i];
                const auto w = static_cast<double>(docs.weights[i]);
                if (wk.dense[x] == 0.0) wk.touched.push_back(x);
                wk.dense[x] = std::max(wk.dense[x], w);
            }
        }
        out.block_len.push_back(wk.fill[c + 1] - wk.fill[c]);
        // 4. Summary: the largest maxima keeping alpha_mass of the block's mass.
        wk.comps.clear();
        double total = 0.0;
        for (const termid_t x : wk.touched) {
            wk.comps.emplace_back(wk.dense[x], x);
            total += wk.dense[x];
            wk.dense[x] = 0.0;
        }
        std::size_t keep = wk.comps.size();
        if (opts.alpha_mass < 1.0) keep = select_mass<W>(wk.comps, opts.alpha_mass * total, wk.hist);
        wk.comps.resize(keep);
        std::sort(wk.comps.begin(), wk.comps.end(), [](const auto& a, const auto& b) { return a.second < b.second; });
        // u8 codes rounded up: code * scale never underestimates the maximum.
        const double vmax = wk.comps.empty() ? 0.0 : std::max_element(wk.comps.begin(), wk.comps.end())->first;
        auto scale = static_cast<float>(vmax / 255.0 * (1.0 + 1e-6));
        if (!(scale > 0.0F)) scale = 1.0F;
        for (const auto& [val, x] : wk.comps) {
            double code = std::ceil(val / static_cast<double>(scale));
            while (code * static_cast<double>(scale) < val) code += 1.0;
            out.summary_terms.push_back(x);
            out.codes.push_back(static_cast<std::uint8_t>(std::clamp(code, 1.0, 255.0)));
        }
        out.summary_len.push_back(static_cast<std::uint32_t>(keep));
        out.scale.push_back(scale);
    }
    out.blocks_per_term.push_back(blocks);
}

/// Everything approx.bin holds, in memory.
struct Output {
    std::vector<std::uint64_t> term_block_begin{0};
    std::vector<std::uint32_t> block_doc_begin{0};
    std::vector<docid_t> block_docs;
    std::vector<std::uint64_t> summary_begin{0};
    std::vector<std::uint16_t> summary_terms16;
    std::vector<std::uint32_t> summary_terms32;
    std::vector<std::uint8_t> summary_codes;
    std::vector<float> summary_scale;
    std::vector<docid_t> knn;
};

void append(const Chunk& c, Output& out, bool narrow) {
    for (const std::uint32_t b : c.blocks_per_term) out.term_block_begin.push_back(out.term_block_begin.back() + b);
    for (const std::uint32_t l : c.block_len) {
        const std::uint64_t next = std::uint64_t{out.block_doc_begin.back()} + l;
        if (next > 0xFFFFFFFFULL) throw InvalidArgument("approximate structures hold more than 2^32 postings; lower --approx-lambda");
        out.block_doc_begin.push_back(static_cast<std::uint32_t>(next));
    }
    out.block_docs.insert(out.block_docs.end(), c.docs.begin(), c.docs.end());
    for (const std::uint32_t l : c.summary_len) out.summary_begin.push_back(out.summary_begin.back() + l);
    if (narrow) {
        for (const std::uint32_t x : c.summary_terms) out.summary_terms16.push_back(static_cast<std::uint16_t>(x));
    } else {
        out.summary_terms32.insert(out.summary_terms32.end(), c.summary_terms.begin(), c.summary_terms.end());
    }
    out.summary_codes.insert(out.summary_codes.end(), c.codes.begin(), c.codes.end());
    out.summary_scale.insert(out.summary_scale.end(), c.scale.begin(), c.scale.end());
}

ApproxView view_of(const Output& o, const ApproxHeader& h) {
    ApproxView v;
    v.header = h;
    v.term_block_begin = o.term_block_begin;
    v.block_doc_begin = o.block_doc_begin;
    v.block_docs = o.block_docs;
    v.summary_begin = o.summary_begin;
    v.summary_terms16 = o.summary_terms16;
    v.summary_terms32 = o.summary_terms32;
    v.summary_codes = o.summary_codes;
    v.summary_scale = o.summary_scale;
    return v;
}

void report(const ApproxOptions& opts, std::mutex& mu, std::string_view phase, std::uint64_t done, std::uint64_t total) {
    if (!opts.progress) return;
    const std::lock_guard<std::mutex> lock(mu);
    opts.progress(phase, done, total);
}

template <class W>
void build_blocks(const SegmentViews<W>& v, const ApproxOptions& opts, std::uint32_t lambda, std::uint32_t threads,
                  const Docs<W>& docs, Output& out) {
    const std::uint64_t n_docs = v.inv.num_docs;
    const std::uint64_t T = v.inv.num_terms;
    // Invert (counting sort): each term's postings as (doc, weight), docid order.
    std::vector<std::uint64_t> tb(T + 1, 0);
    for (const termid_t t : docs.terms) ++tb[t + 1];
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
    const std::uint64_t units = (T + kTermsPerChunk - 1) / kTermsPerChunk;
    std::vector<Chunk> chunks(units);
    std::mutex mu;
    std::atomic<std::uint64_t> done{0};
    std::vector<std::unique_ptr<Worker>> workers;
    for (std::uint32_t i = 0; i < threads; ++i) workers.push_back(std::make_unique<Worker>(T));
    parallel_units(units, threads, [&](std::uint64_t u, std::uint32_t thread) {
        Worker* wk = workers[thread].get();
        std::vector<std::pair<docid_t, W>> kept;
        std::vector<docid_t> ids;
        for (std::uint64_t t = u * kTermsPerChunk; t < std::min(T, (u + 1) * kTermsPerChunk); ++t) {
            kept.assign(post.begin() + static_cast<std::ptrdiff_t>(tb[t]), post.begin() + static_cast<std::ptrdiff_t>(tb[t + 1]));
            // Static pruning: the lambda highest weights (ties: lower docid).
            if (lambda > 0 && kept.size() > lambda) {
                std::nth_element(kept.begin(), kept.begin() + lambda, kept.end(), [](const auto& a, const auto& b) {
                    return a.second > b.second || (a.second == b.second && a.first < b.first);
                });
                kept.resize(lambda);
                std::sort(kept.begin(), kept.end(), [](const auto& a, const auto& b) { return a.first < b.first; });
            }
            ids.resize(kept.size());
            for (std::size_t i = 0; i < kept.size(); ++i) ids[i] = kept[i].first;
            build_term(t, ids, opts, docs, *wk, chunks[u]);
        }
        report(opts, mu, "blocks", std::min(T, (++done) * kTermsPerChunk), T);
    });
    const bool narrow = T <= 65536;
    for (const Chunk& c : chunks) append(c, out, narrow);
}

/// Neighbours of every document: an approximate search with the document as
/// the query over the structures just built, itself left out.
template <class W>
void build_graph(const SegmentViews<W>& v, const ApproxView& a, const ApproxOptions& opts, std::uint32_t threads,
                 const Docs<W>& docs, float max_weight, WeightType wt, Output& out) {
    const std::uint64_t n_docs = v.inv.num_docs;
    const std::uint32_t k = opts.knn_k;
    out.knn.assign(n_docs * k, kNoNeighbour);
    const std::uint64_t units = (n_docs + kDocsPerChunk - 1) / kDocsPerChunk;
    std::mutex mu;
    std::atomic<std::uint64_t> done{0};
    std::vector<ApproxScratch> scratch(threads);  // per thread: its tables are sized once
    parallel_units(units, threads, [&](std::uint64_t u, std::uint32_t thread) {
        ApproxScratch& s = scratch[thread];
        SearchStats stats;
        std::vector<QueryTerm> q;
        for (std::uint64_t d = u * kDocsPerChunk; d < std::min(n_docs, (u + 1) * kDocsPerChunk); ++d) {
            q.clear();
            for (std::uint64_t i = docs.begin[d]; i < docs.begin[d + 1]; ++i) {
                q.push_back({docs.terms[i], static_cast<float>(docs.weights[i])});
            }
            if (q.empty()) continue;
            const QueryPlan plan = make_query_plan(q, wt, max_weight);
            TopK topk(k + 1);
            approximate_search(v, a, plan, kGraphSearch, topk, s, stats);
            std::size_t j = 0;
            for (const ScoredDoc& r : topk.take_sorted()) {
                if (r.doc != d && j < k) out.knn[d * k + j++] = r.doc;
            }
        }
        report(opts, mu, "graph", std::min(n_docs, (++done) * kDocsPerChunk), n_docs);
    });
}

}  // namespace

ApproxBuildInfo build_approx(const std::string& seg_dir, const Segment& seg, const ApproxOptions& opts) {
    opts.validate();
    const auto t0 = std::chrono::steady_clock::now();
    const std::uint32_t threads =
        opts.threads > 0 ? opts.threads : std::max<std::uint32_t>(1, std::thread::hardware_concurrency());
    Output out;
    ApproxHeader h{};
    h.version = kApproxVersion;
    h.summary_id_bytes = seg.header().num_terms <= 65536 ? 2 : 4;
    h.lambda = opts.lambda_for(seg.header().num_docs);  // this segment's budget (the rule resolved)
    h.block_size = opts.block_size;
    h.alpha_mass = opts.alpha_mass;
    h.seed = opts.seed;
    h.num_terms = seg.header().num_terms;
    h.num_docs = seg.header().num_docs;
    const auto wt = static_cast<WeightType>(seg.header().weight_type);
    std::visit(
        [&](const auto& v) {
            const auto docs = decode_forward(v.fwd, v.inv.num_docs);
            build_blocks(v, opts, h.lambda, threads, docs, out);
            h.num_blocks = out.summary_scale.size();
            h.num_block_docs = out.block_docs.size();
            h.num_summary = out.summary_codes.size();
            if (opts.knn_k > 0) {
                build_graph(v, view_of(out, h), opts, threads, docs, seg.header().max_weight, wt, out);
                h.knn_k = opts.knn_k;
            }
        },
        seg.views());
    ContainerWriter w(seg_dir + "/approx.bin", kinds::kApprox);
    w.add(sections::kApproxHeader, std::span<const ApproxHeader>(&h, 1));
    w.add(sections::kApproxTermBlockBegin, out.term_block_begin);
    w.add(sections::kApproxBlockDocBegin, out.block_doc_begin);
    w.add(sections::kApproxBlockDocs, out.block_docs);
    w.add(sections::kApproxSummaryBegin, out.summary_begin);
    if (h.summary_id_bytes == 2) {
        w.add(sections::kApproxSummaryTerms, out.summary_terms16);
    } else {
        w.add(sections::kApproxSummaryTerms, out.summary_terms32);
    }
    w.add(sections::kApproxSummaryCodes, out.summary_codes);
    w.add(sections::kApproxSummaryScale, out.summary_scale);
    if (h.knn_k > 0) w.add(sections::kApproxKnn, out.knn);
    ApproxBuildInfo info;
    info.bytes = w.finish();
    info.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    return info;
}

}  // namespace spindle
