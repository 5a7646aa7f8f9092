// spindle info: describe a collection (or a format-2 index): points,
// segments, the log, the last merge, and per vector its sizes per component.
#include <fmt/format.h>

#include <memory>

#include "approx_options.hpp"
#include "commands.hpp"
#include "progress.hpp"
#include "spindle/collection/collection.hpp"
#include "spindle/index/quantize.hpp"
#include "spindle/index/index.hpp"
#include "spindle/query/approx_settings.hpp"

namespace spindle::cli {
namespace {

void print_vector(const Index& index);

void print_collection(const Collection& c) {
    const CollectionInfo info = c.info();
    std::uint64_t deleted = 0;
    for (const auto& s : info.segments) deleted += s.deleted;
    fmt::print("collection     {}\n", info.path);
    fmt::print("format version {}{}\n", info.manifest.generation > 0 ? kFormatVersion : kLegacyIndexVersion,
               info.manifest.generation > 0 ? fmt::format(" (manifest generation {})", info.generation) : " (read only)");
    fmt::print("points         {} live, {} deleted (still stored until merged), {} in memory (not yet flushed)\n",
               info.points, deleted, info.memory_docs);
    fmt::print("write log      {} since the last flush, next sequence number {}\n", human_bytes(info.wal_bytes),
               info.manifest.generation > 0 ? info.next_lsn : 0);
    if (info.last_merge) {
        const LastMerge& lm = *info.last_merge;
        if (lm.sources == 1) {
            fmt::print("last merge     generation {}: 1 segment rewritten without its deleted documents ({} kept, {} dropped) in {:.2f} s\n",
                       lm.generation, lm.docs, lm.dropped, lm.seconds);
        } else {
            fmt::print("last merge     generation {}: {} segments into one of {} documents ({} deleted dropped) in {:.2f} s\n",
                       lm.generation, lm.sources, lm.docs, lm.dropped, lm.seconds);
        }
    } else {
        fmt::print("last merge     none\n");
    }
    std::string names;
    for (const auto& [n, v] : c.config().vectors) {
        names += fmt::format("{}{} ({} keys, {}{}{})", names.empty() ? "" : ", ", n, to_string(v.keys), to_string(v.weight_type),
                             v.approx ? ", approx" : "", v.text ? ", BM25 text" : "");
    }
    fmt::print("vectors        {}\n", names);
    if (!c.config().dense.empty()) {
        std::string dense;
        for (const auto& [n, v] : c.config().dense) {
            dense += fmt::format("{}{} (dim {}, {}, {}, hnsw m {} ef_construct {} from {} vectors, ef {})", dense.empty() ? "" : ", ", n,
                                 v.dim, to_string(v.distance), to_string(v.storage), v.hnsw.m, v.hnsw.ef_construct, v.hnsw.min_docs,
                                 v.hnsw.ef);
        }
        fmt::print("dense vectors  {}\n", dense);
    }
    const SegmentPolicy& p = c.config().segments;
    fmt::print("policy         flush at {} in-memory documents; merge {} segments per tier (floor {} documents, at most "
               "{}); rewrite past {:.0f} % deleted; approx structures from {} documents\n",
               p.flush_docs, p.merge_factor, p.tier_floor_docs, p.max_segment_docs, 100 * p.max_deleted_fraction,
               p.approx_min_docs);
    fmt::print("segments       {}\n", info.segments.size());
    for (const auto& s : info.segments) {
        fmt::print("  {:<12} {:>10} docs {:>9} deleted {:>11}  {}{}{}\n", s.name, s.docs, s.deleted, human_bytes(s.bytes),
                   s.in_memory ? "in memory" : s.origin, s.approx ? "" : " (no approx structures: searched exactly)",
                   c.config().dense.empty() ? "" : (s.hnsw ? " (hnsw)" : " (no hnsw graph: dense searched exactly)"));
    }
}

void run_info(const std::string& path, const std::string& vector) {
    const auto coll = Collection::open(path, {.read_only = true});  // opening verifies every checksum
    print_collection(*coll);
    const auto snap = coll->snapshot();
    for (const auto& [vname, cfg] : coll->config().vectors) {
        if (!vector.empty() && vname != vector) continue;
        const auto index_ptr = snap->index(vname);
        print_vector(*index_ptr);
    }
}

void print_vector(const Index& index) {
    const Manifest& m = index.manifest();
    fmt::print("\nvector '{}'\n", index.vector());
    const ComponentBytes bytes = m.component_bytes();
    const auto inv = bytes.inverted;
    const auto fwd = bytes.forward;
    const auto total = bytes.total();
    const double per = m.num_postings ? 1.0 / static_cast<double>(m.num_postings) : 0.0;
    fmt::print("weights        {} (max weight {:.4g})\n", to_string(m.weight_type), index.max_weight());
    fmt::print("documents      {} ({} empty)\n", m.num_docs, m.empty_docs);
    fmt::print("terms          {}\n", m.num_terms);
    fmt::print("postings       {} ({} zero weights dropped)\n", m.num_postings, m.zero_dropped);
    if (const std::string w = clip_warning(m); !w.empty()) fmt::print("quantization   {}\n", w);
    if (const std::string w = rank_tie_warning(m); !w.empty()) {
        fmt::print("quantization   {}\n", w);
    } else if (m.rank_tied > 0) {
        fmt::print("rank ties      {} weights ({:.2f} % of postings) tied with a different weight of their term\n",
                   m.rank_tied, 100.0 * static_cast<double>(m.rank_tied) * per);
    }
    fmt::print("blocks         {} postings per block, {} docids per bmp range\n", m.posting_block, m.range_block);
    double reorder_s = 0;
    for (const auto& seg : m.segments) reorder_s += seg.reorder_seconds;
    fmt::print("doc order      {}{}\n", to_string(m.reorder),
               m.reorder == Reorder::none ? "" : fmt::format(" ({:.2f} s)", reorder_s));
    fmt::print("built in       {:.2f} s, peak memory {}\n", m.build_seconds, human_bytes(m.build_peak_rss));
    if (m.text) {
        fmt::print("text           analyzer {}, BM25 k1={:.6g} b={:.6g}, avgdl {:.4f} over {} documents with terms\n",
                   m.text->analyzer, m.text->k1, m.text->b, m.text->avgdl, m.text->docs_with_terms);
    }
    fmt::print("segments       {}\n", m.segments.size());
    fmt::print("bytes          total {} ({:.2f} B/posting)\n", human_bytes(total), static_cast<double>(total) * per);
    fmt::print("  inverted     {:>12} ({:.2f} B/posting)\n", human_bytes(inv), static_cast<double>(inv) * per);
    fmt::print("  forward      {:>12} ({:.2f} B/posting)\n", human_bytes(fwd), static_cast<double>(fwd) * per);
    fmt::print("  docids       {:>12}\n", human_bytes(bytes.docids));
    fmt::print("  vocabulary   {:>12}\n", human_bytes(bytes.vocabulary));
    if (m.approx) {
        double approx_s = 0;
        for (const auto& seg : m.segments) approx_s += seg.approx_seconds;
        fmt::print("  approx       {:>12} ({:.2f}x forward), built in {:.2f} s; {}, block size {}, alpha {:.3g}, "
                   "kNN graph {}\n",
                   human_bytes(bytes.approx), fwd ? static_cast<double>(bytes.approx) / static_cast<double>(fwd) : 0.0,
                   approx_s, describe_lambda(m), m.approx->block_size, m.approx->alpha_mass, m.approx->knn_k);
        // Per component, summed over segments (from each approx.bin header).
        std::uint64_t blocks = 0, kept = 0, summary = 0, b_docs = 0, b_sum = 0, b_graph = 0, b_terms = 0;
        for (std::size_t i = 0; i < index.num_segments(); ++i) {
            const ApproxView* a = index.segment(i).approx();
            if (a == nullptr) continue;
            const ApproxHeader& h = a->header;
            blocks += h.num_blocks;
            kept += h.num_block_docs;
            summary += h.num_summary;
            b_terms += (h.num_terms + 1) * 8;
            b_docs += (h.num_blocks + 1) * 4 + h.num_block_docs * 4;
            b_sum += (h.num_blocks + 1) * 8 + h.num_blocks * 4 + h.num_summary * (h.summary_id_bytes + 1);
            b_graph += h.num_docs * h.knn_k * 4;
        }
        fmt::print("    kept postings {:>9} ({:.1f} % of all), in {} blocks ({:.1f} documents each): {}\n", kept,
                   m.num_postings ? 100.0 * static_cast<double>(kept) / static_cast<double>(m.num_postings) : 0.0, blocks,
                   blocks ? static_cast<double>(kept) / static_cast<double>(blocks) : 0.0, human_bytes(b_docs + b_terms));
        fmt::print("    summaries     {:>9} entries ({:.1f} per block): {}\n", summary,
                   blocks ? static_cast<double>(summary) / static_cast<double>(blocks) : 0.0, human_bytes(b_sum));
        fmt::print("    kNN graph     {}\n", b_graph ? human_bytes(b_graph) : std::string("none"));
        if (m.approx_defaults) {
            const ApproxDefaults& d = *m.approx_defaults;
            fmt::print("  approx query defaults {} (spindle tune: target recall@{} {:g}, held-out recall {:.4f}, {:.3f} ms)\n",
                       describe_approx(d), d.k, d.target_recall, d.recall, d.mean_ms);
        } else {
            fmt::print("  approx query defaults none (built-in; spindle tune chooses them)\n");
        }
    } else {
        fmt::print("  approx       none (spindle build-approx or spindle index --approx builds it)\n");
    }
    for (const auto& s : m.segments) {
        fmt::print("  {}: {} docs, {} postings, scale {:.6g}, max weight {:.4g}, inverted {}, forward {}, docids {}{}\n",
                   s.name, s.docs, s.postings, s.scale, s.max_weight, human_bytes(s.inverted_bytes),
                   human_bytes(s.forward_bytes), human_bytes(s.docids_bytes),
                   m.approx ? fmt::format(", approx {} ({:.2f} s)", human_bytes(s.approx_bytes), s.approx_seconds)
                            : std::string());
    }
}

}  // namespace

void register_info(CLI::App& app) {
    auto path = std::make_shared<std::string>();
    auto vector = std::make_shared<std::string>();
    auto* cmd = app.add_subcommand("info", "Describe a collection: points, segments, log, merges, sizes per component");
    // As the other commands spell it (--index / --collection), or positional.
    auto* pos = cmd->add_option("index", *path, "Collection (index) directory");
    auto* named = cmd->add_option("--index,--collection", *path, "Collection (index) directory (or give it positionally)");
    pos->excludes(named);
    cmd->callback([path, vector] {
        if (path->empty()) throw CLI::RequiredError("a collection directory (spindle info DIR or --index DIR)");
        run_info(*path, *vector);
    });
    cmd->add_option("--vector", *vector, "Describe only this vector");
}

}  // namespace spindle::cli
