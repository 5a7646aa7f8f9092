#pragma once
// The --approx-* build options, shared by spindle index --approx and spindle
// build-approx so that both parse and default them identically.
#include <CLI/CLI.hpp>
#include <cstdint>
#include <optional>

#include "spindle/index/approx_format.hpp"

namespace spindle::cli {

struct ApproxBuildArgs {
    std::optional<std::int64_t> lambda;
    std::optional<std::int64_t> block_size;
    std::optional<double> alpha;
    /// Whether any --approx-* option was given.
    [[nodiscard]] bool any() const { return lambda || block_size || alpha; }
};

/// Registers --approx-lambda, --approx-block-size and --approx-alpha on `cmd`;
/// `implies` is appended to their help (e.g. "; implies --approx").
void add_approx_build_options(CLI::App* cmd, ApproxBuildArgs& args, const std::string& implies = "");

/// The build options: CLI defaults (lambda 500, blocks of 8, alpha 0.4)
/// overridden by the given options. Throws InvalidArgument naming the option.
ApproxOptions approx_build_options(const ApproxBuildArgs& args);

}  // namespace spindle::cli
