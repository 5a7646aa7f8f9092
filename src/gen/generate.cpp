#include "spindle/gen/generate.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <filesystem>
#include <memory>

#include "spindle/common/error.hpp"
#include "spindle/common/splitmix.hpp"
#include "spindle/gen/corpus_model.hpp"
#include "spindle/gen/corpus_writer.hpp"
#include "spindle/gen/real_queries.hpp"
#include "spindle/io/file_util.hpp"

namespace spindle::gen {
namespace fs = std::filesystem;
namespace {

constexpr std::uint64_t kMaxDocs = 100'000'000;
constexpr std::uint64_t kMaxQueries = 10'000'000;
constexpr double kMaxDocWeight = 50.0;

double since(std::chrono::steady_clock::time_point t) {
    return std::chrono::duration<double>(std::chrono::steady_clock::now() - t).count();
}

void check_options(const GenerateOptions& o) {
    if (o.docs == 0 || o.docs > kMaxDocs)
        throw InvalidArgument(fmt::format("--docs must be in [1, {}], got {}", kMaxDocs, o.docs));
    if (o.queries > kMaxQueries)
        throw InvalidArgument(fmt::format("--queries must be at most {}, got {}", kMaxQueries, o.queries));
    if (o.output_dir.empty()) throw InvalidArgument("--output-dir is required");
    if (!o.jsonl && !o.csr) throw InvalidArgument("no output format selected");
    if (o.topical) {
        (void)topical_params(*o.topical);  // validates
    } else {
        validate(o.params);
    }
}

// Before any work: an existing output directory is replaced only when asked
// and only when it holds nothing but a generated corpus.
void check_output_dir(const GenerateOptions& o) {
    std::error_code ec;
    const auto st = fs::status(o.output_dir, ec);
    if (!fs::exists(st)) return;
    if (!fs::is_directory(st)) throw InvalidArgument("--output-dir " + o.output_dir + " exists and is not a directory");
    if (fs::is_empty(o.output_dir, ec)) return;
    if (!o.overwrite) {
        throw InvalidArgument("--output-dir " + o.output_dir + " already exists (pass --overwrite to replace the corpus in it)");
    }
    for (fs::directory_iterator it(o.output_dir, ec), end; !ec && it != end; it.increment(ec)) {
        const std::string n = it->path().filename().string();
        bool known = false;
        for (const char* f : kCorpusFiles) known = known || n == f;
        if (!o.stats_json.empty()) known = known || fs::equivalent(it->path(), o.stats_json, ec);
        if (!known) {
            throw InvalidArgument("refusing to overwrite " + o.output_dir + ": it holds '" + n +
                                  "', which spindle generate does not write (a generated corpus holds only vocab.txt, "
                                  "docs.jsonl, docs.csr and queries.tsv)");
        }
    }
}

VectorStats real_query_stats(const RealQueries& real, std::uint32_t vocab_size) {
    StatsAccumulator acc(vocab_size, 1.0, 100000.0);
    std::vector<std::uint32_t> ids, ws;
    for (const auto& q : real.queries) {
        ids.clear();
        ws.clear();
        for (const auto& [t, w] : q) {
            ids.push_back(t);
            ws.push_back(w);
        }
        acc.add(ids, ws);
    }
    return acc.finish();
}

}  // namespace

std::string payload_json(std::uint64_t seed, std::uint64_t docno) {
    // Zipf(1) over 1,000 categories: cumulative weights, computed once.
    static const std::vector<double> cdf = [] {
        std::vector<double> c(1000);
        double sum = 0;
        for (std::size_t i = 0; i < c.size(); ++i) c[i] = sum += 1.0 / static_cast<double>(i + 1);
        for (double& x : c) x /= sum;
        return c;
    }();
    std::uint64_t state = seed ^ (0xC0FFEEULL + docno * 0x9E3779B97F4A7C15ULL);
    auto unit = [&] { return static_cast<double>(splitmix64(state) >> 11U) * 0x1.0p-53; };
    const auto cat = static_cast<std::size_t>(std::lower_bound(cdf.begin(), cdf.end(), unit()) - cdf.begin());
    const std::uint64_t tenant = splitmix64(state) % 100;
    const std::uint64_t year = 2000 + splitmix64(state) % 26;
    const double price = std::round(std::exp(unit() * std::log(1000.0)) * 100.0) / 100.0;
    const std::uint64_t bucket = splitmix64(state) % 10000;
    return fmt::format(R"({{"category": "cat-{:04}", "tenant": "tenant-{:02}", "year": {}, "price": {:.2f}, "bucket": {}}})",
                       std::min<std::size_t>(cat, 999), tenant, year, price, bucket);
}

GenerateReport generate_corpus(const GenerateOptions& opts, const GenerateProgress& progress) {
    check_options(opts);
    check_output_dir(opts);
    if (!opts.stats_json.empty()) {
        const fs::path parent = fs::path(opts.stats_json).parent_path();
        std::error_code pec;
        // The output directory itself is created below, so a stats file inside it is fine.
        const bool in_output = !parent.empty() && fs::path(opts.output_dir).lexically_normal() == parent.lexically_normal();
        if (!parent.empty() && !in_output && !fs::is_directory(parent, pec)) {
            throw InvalidArgument("--stats-json " + opts.stats_json + ": directory " + parent.string() + " does not exist");
        }
    }
    GenerateReport report;
    const auto t0 = std::chrono::steady_clock::now();

    std::unique_ptr<RealQueries> real;
    if (!opts.real_queries.empty()) {
        std::error_code ec;
        if (fs::exists(opts.real_queries, ec)) {
            real = std::make_unique<RealQueries>(load_real_queries(opts.real_queries));
        } else if (opts.require_real) {
            throw InvalidArgument("real query file " + opts.real_queries + " does not exist");
        }
    }
    const CorpusModel model(opts.topical ? topical_params(*opts.topical) : opts.params, opts.seed, real.get());
    report.calibrated_from_real = real != nullptr;
    report.real_tokens = model.real_tokens();
    if (real) report.real_queries = real_query_stats(*real, model.vocab_size());
    report.model_seconds = since(t0);

    std::error_code ec;
    fs::create_directories(opts.output_dir, ec);
    if (ec) throw IoError("cannot create directory " + opts.output_dir + ": " + ec.message());
    // Corpus files of an earlier run that this one does not write would not match it.
    if (!opts.csr) fs::remove(fs::path(opts.output_dir) / "docs.csr", ec);
    if (!opts.jsonl) fs::remove(fs::path(opts.output_dir) / "docs.jsonl", ec);
    if (opts.queries == 0) fs::remove(fs::path(opts.output_dir) / "queries.tsv", ec);
    const auto file = [&](const char* name) { return (fs::path(opts.output_dir) / name).string(); };

    // Vocabulary, column order.
    {
        std::string text;
        for (const auto& t : model.vocabulary()) {
            text += t;
            text += '\n';
        }
        write_file_atomically(file("vocab.txt"), text);
        report.files.push_back(file("vocab.txt"));
    }

    // Documents.
    const auto t1 = std::chrono::steady_clock::now();
    {
        std::unique_ptr<CsrStreamWriter> csr;
        std::unique_ptr<JsonlStreamWriter> jsonl;
        if (opts.csr) csr = std::make_unique<CsrStreamWriter>(file("docs.csr"), opts.docs, model.vocab_size());
        if (opts.jsonl) jsonl = std::make_unique<JsonlStreamWriter>(file("docs.jsonl"), model.vocabulary());
        StatsAccumulator acc(model.vocab_size(), 1e-3, kMaxDocWeight);
        CorpusModel::Sampler sampler(model);
        SparseRow row;
        for (std::uint64_t d = 0; d < opts.docs; ++d) {
            sampler.document(d, row);
            acc.add(row.ids, row.weights);
            if (csr) csr->add(row);
            if (jsonl) jsonl->add(d, row, opts.payload ? payload_json(opts.seed, d) : std::string());
            if (progress && (d & 4095) == 0) progress(d, opts.docs);
        }
        if (csr) {
            csr->finish();
            report.files.push_back(file("docs.csr"));
        }
        if (jsonl) {
            jsonl->finish();
            report.files.push_back(file("docs.jsonl"));
        }
        if (progress) progress(opts.docs, opts.docs);
        report.docs = acc.finish();
    }
    report.docs_seconds = since(t1);

    // Generated queries, impact TSV.
    if (opts.queries > 0) {
        AtomicOutput out(file("queries.tsv"));
        StatsAccumulator acc(model.vocab_size(), 1.0, 100000.0);
        CorpusModel::Sampler sampler(model);
        ImpactQuery q;
        std::string line;
        for (std::uint64_t i = 0; i < opts.queries; ++i) {
            sampler.query(i, q);
            acc.add(q.ids, q.weights);
            line.clear();
            append_impact_query(line, fmt::format("{}", i), q, model.vocabulary());
            out.out().write(line);
        }
        out.commit();
        report.generated_queries = acc.finish();
        report.files.push_back(file("queries.tsv"));
    }

    if (!opts.stats_json.empty()) {
        nlohmann::ordered_json extra = {{"docs", opts.docs},
                                              {"seed", opts.seed},
                                              {"model", opts.topical ? "topical" : "calibrated"},
                                              {"calibrated_from_real_queries", report.calibrated_from_real},
                                              {"real_tokens", report.real_tokens},
                                              {"vocab_size", model.vocab_size()},
                                              {"real_queries_path", real ? real->path : ""}};
        if (opts.topical) {
            extra["topical"] = {{"topics", opts.topical->topics},
                                {"topic_terms", opts.topical->topic_terms},
                                {"topic_share", opts.topical->topic_share},
                                {"topic_position_zipf", opts.topical->topic_position_zipf},
                                {"query_topic_share", opts.topical->query_topic_share},
                                {"doc_nnz_mean", opts.topical->doc_nnz_mean}};
        }
        write_file_atomically(opts.stats_json,
                              calibration_json(report.docs, report.generated_queries, report.real_queries, extra));
        report.files.push_back(opts.stats_json);
    }
    return report;
}

}  // namespace spindle::gen
