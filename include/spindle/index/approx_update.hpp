#pragma once
// Adds approximate structures (approx.bin per segment) to an existing index,
// or replaces them, without ever leaving a half-written index: what
// `spindle build-approx` runs.
#include <cstddef>
#include <functional>
#include <string>

#include "spindle/index/approx_builder.hpp"
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

/// Builds approx.bin for every segment of the index at `dir` and records the
/// options, bytes and seconds in its manifest; returns the new manifest.
///
/// Each approx.bin is written (and fsynced) into a hidden directory inside
/// its segment (`.approx-tmp-<pid>`); nothing visible changes until every
/// segment succeeded, and a failure removes them. Then, when replacing, the
/// manifest is first rewritten without the `approx` member (a valid exact-only
/// index: the old files are ignored), the new files are renamed into place,
/// and the final manifest is written atomically. A crash at any point leaves
/// either the old index, a valid index without approximate structures, or the
/// new one. Stored query defaults (`approx.defaults`) are dropped on replace:
/// they were tuned for the old structures.
///
/// Throws InvalidArgument when the index already has approximate structures
/// and `overwrite` is false, or for bad options.
Manifest add_approx(const std::string& dir, const AddApproxOptions& opts);

}  // namespace spindle
