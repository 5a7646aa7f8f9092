// spindle build-approx: add approximate structures to an existing index (or
// replace them), atomically.
#include <fmt/format.h>

#include <chrono>
#include <memory>
#include <string>
#include <thread>

#include "approx_options.hpp"
#include "commands.hpp"
#include "progress.hpp"
#include "spindle/collection/collection.hpp"
#include "spindle/build/approx_update.hpp"

namespace spindle::cli {
namespace {

struct BuildApproxArgs {
    std::string index;
    std::string vector;
    ApproxBuildArgs approx;
    unsigned threads = 0;
    bool overwrite = false;
    bool quiet = false;
};

void run_build_approx(const BuildApproxArgs& a) {
    const auto start = std::chrono::steady_clock::now();
    AddApproxOptions opts;
    opts.approx = approx_build_options(a.approx);
    opts.overwrite = a.overwrite;
    // One segment at a time, each built by all the threads (terms and graph
    // rows in parallel; the result does not depend on the thread count).
    opts.approx.threads = a.threads > 0 ? a.threads : std::max(1U, std::thread::hardware_concurrency());
    opts.threads = 1;
    PhaseProgress bar("approx ", a.quiet);
    opts.approx.progress = [&](std::string_view phase, std::uint64_t done, std::uint64_t total) { bar.update(phase, done, total); };
    std::size_t segments_done = 0;
    std::size_t total_segments = 0;
    opts.on_segment = [&](std::size_t, const std::string& name, const ApproxBuildInfo& info) {
        fmt::print(stderr, "  {}: approx.bin {} in {:.2f} s ({} of {} segments done)\n", name, human_bytes(info.bytes),
                   info.seconds, ++segments_done, total_segments);
    };
    opts.on_start = [&](std::size_t segments) {
        total_segments = segments;
        fmt::print(stderr,
                   "building approximate structures for {} ({} segment{}): {}, block size {}, alpha {:.3g}, "
                   "kNN graph {}\n",
                   a.index, segments, segments == 1 ? "" : "s", opts.approx.describe_lambda(), opts.approx.block_size, opts.approx.alpha_mass,
                   opts.approx.knn_k);
    };
    const auto coll = Collection::open(a.index);
    const std::string vector = coll->snapshot()->index(a.vector)->vector();
    coll->build_approx(vector, opts);
    const Manifest m = coll->snapshot()->index(vector)->manifest();
    double seconds = 0;
    std::uint64_t bytes = 0;
    for (const auto& s : m.segments) {
        seconds += s.approx_seconds;
        bytes += s.approx_bytes;
    }
    fmt::print("added approximate structures to {}: {} segments, {} ({:.2f}x forward), {:.2f} s building (summed over segments), {:.2f} s in all\n",
               a.index, m.segments.size(), human_bytes(bytes),
               m.component_bytes().forward ? static_cast<double>(bytes) / static_cast<double>(m.component_bytes().forward) : 0.0,
               seconds, seconds_since(start));
    fmt::print("  {}, block size {}, alpha {:.3g}, kNN graph {}; no stored query defaults (spindle tune chooses them)\n",
               describe_lambda(m), m.approx->block_size, m.approx->alpha_mass, m.approx->knn_k);
}

}  // namespace

void register_build_approx(CLI::App& app) {
    auto args = std::make_shared<BuildApproxArgs>();
    auto* cmd = app.add_subcommand("build-approx", "Add approximate (Seismic-style) structures to an existing index");
    cmd->footer(
        "Builds approx.bin for every segment with the same options and defaults as spindle index --approx.\n"
        "The files are written beside the index and renamed into place, and the manifest is replaced\n"
        "atomically, only after every segment succeeded: an error or a crash never leaves a half-written\n"
        "index. --overwrite replaces existing structures (and drops query defaults stored by spindle tune).\n\n"
        "Example: spindle build-approx --index idx/ --approx-lambda 500 && spindle tune --index idx/ --queries q.tsv");
    cmd->add_option("--index,--collection", args->index, "Index (collection) directory")->required();
    cmd->add_option("--vector", args->vector, "Vector to build them for (default: the collection's only vector)");
    add_approx_build_options(cmd, args->approx);
    cmd->add_option("-t,--threads", args->threads, "Build threads (0: all cores)")->capture_default_str();
    cmd->add_flag("-q,--quiet", args->quiet, "No progress bar");
    cmd->add_flag("--overwrite", args->overwrite, "Replace the index's existing approximate structures");
    cmd->callback([args] { run_build_approx(*args); });
}

}  // namespace spindle::cli
