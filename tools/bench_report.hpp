#pragma once
// Helpers of `spindle bench` and `spindle search` summaries: machine
// description, peak memory and JSON string escaping (latency percentiles:
// spindle/query/timing.hpp).
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace spindle::cli {

/// CPU model name from /proc/cpuinfo ("unknown" elsewhere).
std::string cpu_model();
/// Peak resident set size of this process so far, in bytes.
std::uint64_t peak_rss_bytes();
/// Current UTC time as "YYYY-MM-DDTHH:MM:SSZ".
std::string utc_now();

}  // namespace spindle::cli
