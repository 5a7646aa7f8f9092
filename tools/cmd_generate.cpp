// spindle generate: a deterministic synthetic corpus with SPLADE++ ED / MS MARCO statistics.
#include <fmt/format.h>

#include <cstdlib>
#include <memory>
#include <string>

#include "commands.hpp"
#include "progress.hpp"
#include "spindle/common/error.hpp"
#include "spindle/gen/generate.hpp"
#include "spindle/gen/real_queries.hpp"

namespace spindle::cli {
namespace {

struct GenerateArgs {
    std::uint64_t docs = gen::GenerateOptions{}.docs;
    std::uint64_t seed = gen::GenerateOptions{}.seed;
    std::string output_dir;
    std::string format = "both";
    std::uint64_t queries = gen::GenerateOptions{}.queries;
    std::string stats_json;
    std::string real_queries;
    bool quiet = false;
    bool payload = false;
    bool overwrite = false;
    std::uint32_t topics = 0;  ///< 0: the calibrated model
    gen::TopicalOptions topical;
};

void run_generate(const GenerateArgs& a) {
    gen::GenerateOptions opts;
    opts.docs = a.docs;
    opts.seed = a.seed;
    opts.output_dir = a.output_dir;
    opts.jsonl = a.format == "jsonl" || a.format == "both";
    opts.csr = a.format == "csr" || a.format == "both";
    opts.queries = a.queries;
    opts.payload = a.payload;
    if (a.payload && !opts.jsonl) throw InvalidArgument("--payload needs JSONL documents (--format jsonl or both)");
    opts.stats_json = a.stats_json;
    opts.overwrite = a.overwrite;
    if (a.topics > 0) {
        opts.topical = a.topical;
        opts.topical->topics = a.topics;
    }
    if (a.real_queries == "none") {
        opts.real_queries.clear();
    } else if (!a.real_queries.empty()) {
        opts.real_queries = a.real_queries;
        opts.require_real = true;
    } else if (const char* shared = std::getenv("SPINDLE_SHARED_DATA"); shared != nullptr && *shared != '\0') {
        opts.real_queries = fmt::format("{}/{}", shared, gen::kRealQueriesRelative);
    }
    if (!a.quiet && !opts.real_queries.empty()) fmt::print(stderr, "reading real queries {}...\n", opts.real_queries);

    Progress bar("generate", a.docs, a.quiet);
    const gen::GenerateReport r =
        gen::generate_corpus(opts, [&](std::uint64_t done, std::uint64_t total) { bar.update(done, total); });
    bar.finish(fmt::format("{} docs in {:.2f} s", a.docs, r.docs_seconds));

    if (r.calibrated_from_real) {
        fmt::print("calibrated from {} real queries ({} real tokens named in the vocabulary)\n",
                   r.real_queries ? r.real_queries->count : 0, r.real_tokens);
    } else {
        fmt::print("built-in parameters (no real query file; tokens named tok<N>)\n");
    }
    if (opts.topical) {
        fmt::print("topical model: {} topics of {} terms, {:.0f} % of document terms and {:.0f} % of query terms "
                   "from the topic\n",
                   opts.topical->topics, opts.topical->topic_terms, 100.0 * opts.topical->topic_share,
                   100.0 * opts.topical->query_topic_share);
    }
    fmt::print("generated {} documents ({} nonzeros) in {:.2f} s (+{:.2f} s model)\n", r.docs.count, r.docs.nonzeros,
               r.docs_seconds, r.model_seconds);
    fmt::print("{}", gen::format_calibration(r.docs, r.generated_queries, r.real_queries));
    for (const auto& f : r.files) fmt::print("wrote {}\n", f);
}

}  // namespace

void register_generate(CLI::App& app) {
    auto args = std::make_shared<GenerateArgs>();
    auto* cmd = app.add_subcommand("generate", "Generate a synthetic corpus with SPLADE++ ED / MS MARCO statistics");
    cmd->footer(
        "Writes DIR/docs.jsonl (Anserini JsonVectorCollection) and/or DIR/docs.csr (BigANN CSR),\n"
        "DIR/queries.tsv (impact TSV, integer weights by repetition) and DIR/vocab.txt (column order).\n"
        "Deterministic: the same --seed gives byte-identical files. Calibrated by the real SPLADE++ ED\n"
        "dev queries (--real-queries; by default $SPINDLE_SHARED_DATA/" +
        std::string(gen::kRealQueriesRelative) +
        " when\nthat variable is set); without them built-in parameters are used and tokens are named tok<N>.\n\n"
        "Topical mode (--topics N): every document is about one of N topics (uniform); --topic-share of its\n"
        "terms come from that topic's --topic-terms-term list (Zipf --topic-zipf over positions, the first 16 weighted\n"
        "heavier), the rest from a Zipf(1) background over the vocabulary; ~114 nonzeros per document. Each\n"
        "(topic, term) has a typical weight (--topic-weight-spread), so a topic's documents weight its terms\n"
        "alike; the weights' overall distribution stays the calibrated one. Queries\n"
        "keep the calibrated length and weight model but draw --query-topic-share of their terms from one\n"
        "topic. Documents of one subject then share many terms and block-max bounds get loose, as on real\n"
        "corpora (docs/BENCHMARKS.md, \"Generator calibration\", \"Topical mode\").\n\n"
        "Example: spindle generate --docs 1000000 --seed 42 --output-dir synth/ --format csr\n"
        "         spindle generate --docs 300000 --topics 200 --queries 200 --output-dir topical/");
    cmd->add_option("--docs", args->docs, "Number of documents")
        ->capture_default_str()
        ->check(CLI::Range(std::uint64_t{1}, std::uint64_t{100'000'000}));
    cmd->add_option("--seed", args->seed, "Random seed")->capture_default_str();
    cmd->add_option("-o,--output-dir", args->output_dir, "Directory to write (created if missing; an existing one needs --overwrite)")->required();
    cmd->add_flag("--overwrite", args->overwrite,
                  "Replace the corpus in an existing --output-dir (refused if it holds other files)");
    cmd->add_option("--format", args->format, "Document format: jsonl, csr or both")
        ->capture_default_str()
        ->check(CLI::IsMember({"jsonl", "csr", "both"}));
    cmd->add_option("--queries", args->queries, "Number of generated queries (0: none)")
        ->capture_default_str()
        ->check(CLI::Range(std::uint64_t{0}, std::uint64_t{10'000'000}));
    cmd->add_option("--stats-json", args->stats_json, "Also write the calibration statistics as JSON here");
    cmd->add_option("--real-queries", args->real_queries,
                    "Real SPLADE++ ED query TSV (.gz ok) to calibrate from; 'none' for built-in parameters");
    cmd->add_flag("--payload", args->payload,
                  "JSONL documents get a payload: category (Zipf over 1,000 values), tenant (100), year, price and "
                  "bucket (uniform 0..9999, for exact selectivities)");
    auto* topics = cmd->add_option("--topics", args->topics,
                    "Topical mode with this many topics (e.g. 200; 0: the calibrated model)")
        ->capture_default_str()
        ->check(CLI::Range(std::uint32_t{0}, std::uint32_t{100'000}));
    cmd->add_option("--topic-terms", args->topical.topic_terms, "Topical mode: terms a topic favours")
        ->capture_default_str()
        ->needs(topics)
        ->check(CLI::Range(std::uint32_t{1}, std::uint32_t{15'000}));
    cmd->add_option("--topic-share", args->topical.topic_share,
                    "Topical mode: share of a document's terms drawn from its topic")
        ->capture_default_str()
        ->needs(topics)
        ->check(CLI::Range(0.0, 1.0));
    cmd->add_option("--topic-zipf", args->topical.topic_position_zipf,
                    "Topical mode: Zipf exponent over a topic's term list (0: all its terms alike)")
        ->capture_default_str()
        ->needs(topics)
        ->check(CLI::Range(0.0, 4.0));
    cmd->add_option("--topic-weight-spread", args->topical.topic_weight_spread,
                    "Topical mode: log-space spread of a topic term's typical weight (documents of the topic vary "
                    "around it by the rest of the weight sigma, 0.85)")
        ->capture_default_str()
        ->needs(topics)
        ->check(CLI::Range(0.0, 0.85));
    cmd->add_option("--query-topic-share", args->topical.query_topic_share,
                    "Topical mode: share of a query's terms drawn from its topic")
        ->capture_default_str()
        ->needs(topics)
        ->check(CLI::Range(0.0, 1.0));
    cmd->add_flag("-q,--quiet", args->quiet, "No progress bar");
    cmd->callback([args] { run_generate(*args); });
}

}  // namespace spindle::cli
