#pragma once
// Builds approx.bin for one segment from its quantized forward index (the
// forward.bin just written, so the docids and stored weights are exactly the
// ones queries see, reordered or not).
#include <cstdint>
#include <string>

#include "spindle/index/approx_format.hpp"
#include "spindle/index/segment.hpp"

namespace spindle {

struct ApproxBuildInfo {
    std::uint64_t bytes = 0;   ///< size of approx.bin
    double seconds = 0.0;      ///< wall time of the build
};

/// Writes `seg_dir`/approx.bin for the (already written) segment `seg`.
ApproxBuildInfo build_approx(const std::string& seg_dir, const Segment& seg, const ApproxOptions& opts);

}  // namespace spindle
