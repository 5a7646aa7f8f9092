#pragma once
// Options of adding approximate structures (approx.bin per segment) to an
// existing collection, or replacing them: Collection::build_approx, what
// `spindle build-approx` runs.
#include <cstddef>
#include <functional>
#include <string>

#include "spindle/build/approx_builder.hpp"
#include "spindle/index/manifest.hpp"

namespace spindle {

struct AddApproxOptions {
    ApproxOptions approx;
    bool overwrite = false;  ///< replace existing structures (else an index that has them is refused)
    unsigned threads = 1;    ///< segments built at the same time
    /// Called once the index passed the checks, before the first segment is built.
    std::function<void(std::size_t segments)> on_start;
    /// Called once per finished segment (from the thread that built it, one call at a time).
    std::function<void(std::size_t segment, const std::string& name, const ApproxBuildInfo& info)> on_segment;
};

}  // namespace spindle
