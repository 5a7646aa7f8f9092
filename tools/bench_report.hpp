#pragma once
// Helpers of `spindle bench` and `spindle search` summaries: machine
// description, peak memory, latency percentiles and JSON string escaping.
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace spindle::cli {

/// p-th quantile (0..1) of `values` by nearest rank; 0 for an empty vector.
double percentile(std::vector<double> values, double p);

/// CPU model name from /proc/cpuinfo ("unknown" elsewhere).
std::string cpu_model();
/// Peak resident set size of this process so far, in bytes.
std::uint64_t peak_rss_bytes();
/// Current UTC time as "YYYY-MM-DDTHH:MM:SSZ".
std::string utc_now();

}  // namespace spindle::cli
