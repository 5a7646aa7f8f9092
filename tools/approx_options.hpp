#pragma once
// The --approx-* build options, shared by spindle index --approx and spindle
// build-approx so that both parse and default them identically.
#include <CLI/CLI.hpp>
#include <cstdint>
#include <optional>

#include <string>

#include "spindle/index/approx_format.hpp"
#include "spindle/index/manifest.hpp"

namespace spindle::cli {

struct ApproxBuildArgs {
    std::optional<std::int64_t> lambda;
    std::optional<std::int64_t> block_size;
    std::optional<double> alpha;
    std::optional<std::int64_t> knn;
    /// Whether any --approx-* option was given.
    [[nodiscard]] bool any() const { return lambda || block_size || alpha || knn; }
};

/// Registers --approx-lambda, --approx-block-size, --approx-alpha and --approx-knn on `cmd`;
/// `implies` is appended to their help (e.g. "; implies --approx").
void add_approx_build_options(CLI::App* cmd, ApproxBuildArgs& args, const std::string& implies = "");

/// The build options: CLI defaults (lambda max(400, 0.0004 x the segment's documents) capped at
/// 20,000, blocks of 8, alpha 0.35, a graph of 10 neighbours)
/// overridden by the given options. Throws InvalidArgument naming the option.
ApproxOptions approx_build_options(const ApproxBuildArgs& args);

/// The per-term budget the segments of `m` keep: "lambda 400" (fixed), or
/// "lambda 800 (max(400, 0.0004 x docs) capped at 20000)" for the scaled
/// rule, a range "1200-2000" when the segments differ.
std::string describe_lambda(const Manifest& m);

}  // namespace spindle::cli
