#pragma once
// `spindle generate` as a library call: builds the model, streams documents to
// JSONL and/or CSR, writes generated queries, the vocabulary and statistics.
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "spindle/gen/model_params.hpp"
#include "spindle/gen/stats.hpp"

namespace spindle::gen {

/// The files a generated corpus directory holds.
inline constexpr const char* kCorpusFiles[] = {"vocab.txt", "docs.jsonl", "docs.csr", "queries.tsv"};

struct GenerateOptions {
    std::uint64_t docs = 100'000;
    std::uint64_t seed = 42;
    std::string output_dir;
    bool jsonl = true;
    bool csr = true;
    std::uint64_t queries = 1000;  ///< generated queries (0: none)
    std::string real_queries;      ///< impact TSV of real queries ("" or absent: built-in parameters)
    bool require_real = false;     ///< error instead of falling back when real_queries is missing
    std::string stats_json;        ///< write calibration JSON here ("": don't)
    /// JSONL documents get a "payload" (payload_json): a Zipf category, a
    /// tenant, a year, a price and a uniform bucket for exact selectivities.
    bool payload = false;
    /// Replace the corpus in an existing, non-empty output_dir; refused
    /// anyway when it holds a file generate does not write (kCorpusFiles).
    bool overwrite = false;
    ModelParams params;
    /// When set, the topical preset (topical_params) replaces `params`.
    std::optional<TopicalOptions> topical;
};

struct GenerateReport {
    VectorStats docs;
    std::optional<VectorStats> generated_queries;
    std::optional<VectorStats> real_queries;
    bool calibrated_from_real = false;
    std::uint32_t real_tokens = 0;   ///< columns named after real tokens
    std::vector<std::string> files;  ///< files written
    double model_seconds = 0;        ///< building the model (and reading real queries)
    double docs_seconds = 0;         ///< generating and writing documents
};

/// The generated payload of document `docno` (deterministic in seed and
/// docno): {"category": "cat-0000".."cat-0999" (Zipf, s = 1), "tenant":
/// "tenant-00".."tenant-99" (uniform), "year": 2000..2025, "price": float
/// (log-uniform 1..1000, cents), "bucket": 0..9999 (uniform: `bucket < n`
/// selects n / 100 % of the documents)}.
std::string payload_json(std::uint64_t seed, std::uint64_t docno);

/// (documents done, total documents).
using GenerateProgress = std::function<void(std::uint64_t, std::uint64_t)>;

/// Runs the generator; throws InvalidArgument for bad options, IoError/ParseError for files.
GenerateReport generate_corpus(const GenerateOptions& opts, const GenerateProgress& progress = {});

}  // namespace spindle::gen
