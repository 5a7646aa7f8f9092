// spindle index: build an index directory from a collection file.
#include <fmt/format.h>
#include <fmt/ranges.h>

#include <chrono>
#include <memory>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "approx_options.hpp"
#include "commands.hpp"
#include "progress.hpp"
#include "spindle/io/line_reader.hpp"
#include "spindle/common/error.hpp"
#include "spindle/formats/input_format.hpp"
#include "spindle/build/index_builder.hpp"
#include "spindle/index/quantize.hpp"
#include "spindle/text/collection_reader.hpp"
#include "spindle/text/text_index_builder.hpp"

namespace spindle::cli {
namespace {

// Defaults come from the library's option structs (one place each); the
// help texts show them.
struct BuildDefaults {
    WeightType weight_type;
    std::uint64_t segment_docs;
    std::uint32_t range_block;
    double dense_ranges;
    Reorder reorder;
    BisectionOptions bisection;
};
BuildDefaults build_defaults() {
    BuildOptions o;
    return {o.weight_type, o.segment_docs, o.range_block, o.dense_ranges, o.reorder, std::move(o.bisection)};
}
const BuildDefaults kBuildDefaults = build_defaults();
const text::Bm25Params kBm25Defaults{};
/// Text indexes store BM25 weights as floats unless told otherwise.
constexpr WeightType kTextWeights = WeightType::f32;

struct IndexArgs {
    std::vector<std::string> inputs;
    std::string output;
    std::string weights;  // default: kBuildDefaults.weight_type for vectors, kTextWeights for text
    bool text = false;
    std::string analyzer;
    std::string collection_format = "auto";
    float k1 = kBm25Defaults.k1;
    float b = kBm25Defaults.b;
    std::string format = "auto";
    std::string vocab;
    std::uint64_t segment_docs = kBuildDefaults.segment_docs;
    std::uint32_t range_block = kBuildDefaults.range_block;
    double dense_ranges = kBuildDefaults.dense_ranges;
    std::string reorder{to_string(kBuildDefaults.reorder)};
    std::uint32_t bp_iterations = kBuildDefaults.bisection.iterations;
    std::uint32_t bp_leaf = kBuildDefaults.bisection.leaf_docs;
    unsigned threads = 0;
    bool overwrite = false;
    bool allow_empty = false;
    bool quiet = false;
    bool approx = false;
    ApproxBuildArgs approx_build;
    std::vector<std::string> payload_indexes;  // KEY:TYPE
};

// --approx and its settings (any --approx-* option implies --approx).
std::optional<ApproxOptions> approx_options(const IndexArgs& a) {
    if (!a.approx && !a.approx_build.any()) return std::nullopt;
    return approx_build_options(a.approx_build);
}

// Text collections: analyze, collect BM25 statistics, then write the weights.
Manifest build_text(const IndexArgs& a, const BuildOptions& opts) {
    if (!a.vocab.empty()) throw InvalidArgument("--vocab applies to CSR vector input, not to --text");
    const text::CollectionFormat cf = text::parse_collection_format(a.collection_format);
    text::TextIndexBuilder builder(a.output, opts, a.analyzer.empty() ? "english" : a.analyzer, {a.k1, a.b});
    for (const auto& input : a.inputs) {
        Progress bar("analyze", 0, a.quiet);
        text::read_collection(
            input, cf, [&](const text::TextRecord& r) { builder.add(r.id, r.text, r.file, r.line); },
            [&](std::uint64_t done, std::uint64_t total) { bar.update(done, total); });
        bar.finish(fmt::format("{} docs read from {}", builder.stats().docs, input));
    }
    const auto st = builder.stats();
    if (st.docs == 0 && !a.allow_empty) {
        throw InvalidArgument("no document read from " + fmt::format("{}", fmt::join(a.inputs, ", ")) +
                              " (pass --allow-empty to build an empty index)");
    }
    Progress bar("weights", st.docs, a.quiet);
    Manifest m = builder.finish([&](std::uint64_t done, std::uint64_t) { bar.update(done); });
    bar.finish();
    fmt::print("analyzed {} documents: {} terms in total ({} documents without terms), {} invalid UTF-8 sequences "
               "replaced\n",
               st.docs, st.total_terms, st.empty_docs, st.invalid_utf8);
    fmt::print("  BM25 k1={:.6g} b={:.6g} avgdl={:.4f}, analyzer {}\n", a.k1, a.b, m.text->avgdl, m.text->analyzer);
    return m;
}

void print_summary(const IndexArgs& a, const Manifest& m, double secs);

void run_index(const IndexArgs& a) {
    const auto start = std::chrono::steady_clock::now();
    const bool text_mode = a.text || !a.analyzer.empty();
    BuildOptions opts;
    opts.weight_type = a.weights.empty() ? (text_mode ? kTextWeights : kBuildDefaults.weight_type) : parse_weight_type(a.weights);
    opts.segment_docs = a.segment_docs;
    opts.range_block = a.range_block;
    opts.dense_ranges = a.dense_ranges;
    opts.overwrite = a.overwrite;
    opts.reorder = parse_reorder(a.reorder);
    opts.approx = approx_options(a);
    for (const auto& spec : a.payload_indexes) {
        const auto colon = spec.rfind(':');
        if (colon == std::string::npos) throw InvalidArgument("--payload-index '" + spec + "': expected KEY:TYPE");
        const std::string key = spec.substr(0, colon);
        check_payload_key(key);
        if (!opts.payload_indexes.emplace(key, parse_payload_type(spec.substr(colon + 1))).second) {
            throw InvalidArgument("--payload-index: field '" + key + "' given twice");
        }
    }
    PhaseProgress approx_bar("approx ", a.quiet);
    if (opts.approx) {
        opts.approx->threads = a.threads;
        opts.approx->progress = [&](std::string_view phase, std::uint64_t done, std::uint64_t total) {
            approx_bar.update(phase, done, total);
        };
    }
    opts.bisection.iterations = a.bp_iterations;
    opts.bisection.leaf_docs = a.bp_leaf;
    opts.bisection.threads = a.threads > 0 ? a.threads : std::max(1U, std::thread::hardware_concurrency());
    PhaseProgress reorder_bar("", a.quiet);
    opts.bisection.progress = [&](std::uint64_t done, std::uint64_t total) { reorder_bar.update("reorder (bp)", done, total); };
    if (text_mode) {
        const Manifest m = build_text(a, opts);
        print_summary(a, m, seconds_since(start));
        return;
    }
    const InputFormat fmt_choice = parse_input_format(a.format);
    IndexBuilder builder(a.output, opts);
    if (!a.vocab.empty()) builder.preload_vocabulary(a.vocab);
    for (const auto& input : a.inputs) {
        Progress bar("index", 0, a.quiet);
        read_records(
            input, fmt_choice, [&](const RawRecord& rec) { builder.add(rec); },
            [&](std::uint64_t done, std::uint64_t total) { bar.update(done, total); });
        bar.finish(fmt::format("{} docs read from {}", builder.docs_added(), input));
    }
    if (builder.docs_added() == 0 && !a.allow_empty) {
        throw InvalidArgument("no document read from " + fmt::format("{}", fmt::join(a.inputs, ", ")) +
                              " (pass --allow-empty to build an empty index)");
    }
    if (!a.quiet) fmt::print(stderr, "writing segments...\n");
    const Manifest m = builder.finish();
    print_summary(a, m, seconds_since(start));
}

void print_summary(const IndexArgs& a, const Manifest& m, double secs) {
    const ComponentBytes bytes = m.component_bytes();
    fmt::print("indexed {} documents ({} empty) into {} in {:.2f} s, peak memory {}\n", m.num_docs, m.empty_docs,
               a.output, secs, human_bytes(m.build_peak_rss));
    fmt::print("  terms {}, postings {}, zero weights dropped {}, segments {}, weights {}\n", m.num_terms,
               m.num_postings, m.zero_dropped, m.segments.size(), to_string(m.weight_type));
    if (const std::string w = clip_warning(m); !w.empty()) fmt::print("  {}\n", w);
    if (const std::string w = rank_tie_warning(m); !w.empty()) fmt::print("  {}\n", w);
    if (const std::string b = LineReader::bom_note(a.inputs); !b.empty()) fmt::print("  {}\n", b);
    if (m.reorder != Reorder::none) {
        double reorder_s = 0;
        for (const auto& s : m.segments) reorder_s += s.reorder_seconds;
        fmt::print("  documents reordered by {} in {:.2f} s (included above)\n", to_string(m.reorder), reorder_s);
    }
    if (m.approx) {
        double approx_s = 0;
        for (const auto& s : m.segments) approx_s += s.approx_seconds;
        fmt::print("  approximate structures: {} ({:.2f}x forward) in {:.2f} s (included above); {}, block size {}, "
                   "alpha {:.3g}, kNN graph {}\n",
                   human_bytes(bytes.approx),
                   bytes.forward ? static_cast<double>(bytes.approx) / static_cast<double>(bytes.forward) : 0.0, approx_s,
                   describe_lambda(m), m.approx->block_size, m.approx->alpha_mass, m.approx->knn_k);
    }
    const double per = m.num_postings ? 1.0 / static_cast<double>(m.num_postings) : 0.0;
    fmt::print("  inverted {} ({:.2f} B/posting), forward {} ({:.2f} B/posting), docids {}, vocabulary {}\n",
               human_bytes(bytes.inverted), static_cast<double>(bytes.inverted) * per, human_bytes(bytes.forward),
               static_cast<double>(bytes.forward) * per, human_bytes(bytes.docids), human_bytes(bytes.vocabulary));
}

}  // namespace

void register_index(CLI::App& app) {
    auto args = std::make_shared<IndexArgs>();
    auto* cmd = app.add_subcommand("index", "Build an index from a document collection");
    cmd->footer(
        "Input formats: Anserini JsonVectorCollection JSONL ({\"id\", \"vector\": {token: weight}}),\n"
        "BigANN sparse CSR binary (.csr), each optionally gzipped. The index is written to a\n"
        "temporary directory and renamed into place only when complete.\n"
        "With --text the input is raw text (BEIR corpus.jsonl, Anserini {id, contents} JSONL,\n"
        "id<TAB>text, TREC <DOC> or SMART .I/.T/.W), analyzed like Lucene's EnglishAnalyzer and\n"
        "weighted with Lucene's BM25 (stored as " + std::string(to_string(kTextWeights)) + " unless --weights says otherwise).\n\n"
        "Example: spindle index --input docs.jsonl --output idx/ --weights u8\n"
        "         spindle index --text --input scifact/corpus.jsonl --output idx/ --k1 0.9 --b 0.4");
    cmd->add_option("-i,--input", args->inputs, "Collection file(s) to index, in order")->required();
    cmd->add_option("-o,--output", args->output, "Index directory to create")->required();
    cmd->add_option("--weights", args->weights,
                    fmt::format("Stored weight type: f32, u16 or u8 (quantized, scale in header); default {}, {} with --text",
                                to_string(kBuildDefaults.weight_type), to_string(kTextWeights)));
    cmd->add_flag("--text", args->text, "Input is raw text: analyze it and store BM25 weights");
    cmd->add_option("--analyzer", args->analyzer, "Text analyzer (implies --text): english");
    cmd->add_option("--collection-format", args->collection_format,
                    "Text collection format: auto, beir, anserini, tsv, trec or smart")
        ->capture_default_str();
    cmd->add_option("--k1", args->k1, "BM25 k1 (Anserini default)")->capture_default_str();
    cmd->add_option("--b", args->b, "BM25 b (Anserini default)")->capture_default_str();
    cmd->add_option("--format", args->format, "Input format: auto (by extension), jsonl or csr")->capture_default_str();
    cmd->add_option("--vocab", args->vocab,
                    "Token names, one per line (line j+1 names CSR column j), so text queries can search a CSR index");
    cmd->add_option("--segment-docs", args->segment_docs, "Documents per segment (bounds build memory)")
        ->capture_default_str()
        ->check(CLI::Range(std::uint64_t{1}, std::uint64_t{4'000'000'000}));
    cmd->add_option("--dense-ranges", args->dense_ranges,
                    "bmp: terms in at least this fraction of ranges store a maximum for every range (faster to sum, "
                    "larger); 1 = only when no larger")
        ->capture_default_str()
        ->check(CLI::Range(0.0, 1.0));
    cmd->add_option("--range-block", args->range_block,
                    "Docids per block-max range used by bmp (smaller: tighter bounds but more of them to sum)")
        ->capture_default_str()
        ->check(CLI::Range(1U, 65536U));
    cmd->add_option("--reorder", args->reorder,
                    "Document order: none (input order) or bp (recursive graph bisection: similar documents get "
                    "nearby docids, so postings shrink and block maxima tighten; costs ~40 s per million documents; "
                    "docs/BENCHMARKS.md shows when it pays)")
        ->capture_default_str();
    cmd->add_option("--bp-iterations", args->bp_iterations, "bp: maximum swap rounds per bisection")
        ->capture_default_str()
        ->check(CLI::Range(1U, 1000U));
    cmd->add_option("--bp-leaf", args->bp_leaf, "bp: partitions of at most this many documents are not split")
        ->capture_default_str()
        ->check(CLI::Range(2U, 1U << 30));
    cmd->add_option("-t,--threads", args->threads, "Threads for bp and the approximate structures (0: all cores)")->capture_default_str();
    cmd->add_flag("--approx", args->approx,
                  "Also build the approximate (Seismic-style) structures that spindle search --algorithm approx uses");
    add_approx_build_options(cmd, args->approx_build, "; implies --approx");
    cmd->add_option("--payload-index", args->payload_indexes,
                    "Index a payload field for filters, KEY:TYPE with TYPE keyword, integer, float, bool or datetime "
                    "(repeatable; payloads come from the \"payload\" object of JSONL records)");
    cmd->add_flag("--overwrite", args->overwrite,
                  "Replace an existing index at --output (refused for anything that is not a spindle index)");
    cmd->add_flag("--allow-empty", args->allow_empty, "Build an index even when the input holds no document");
    cmd->add_flag("-q,--quiet", args->quiet, "No progress bar");
    cmd->callback([args] { run_index(*args); });
}

}  // namespace spindle::cli
