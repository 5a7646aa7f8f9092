#pragma once
// Helpers of `spindle bench`, `spindle tune` and `spindle search`
// summaries: machine description, peak memory and the JSON reports
// (nlohmann::ordered_json; latency percentiles: spindle/query/timing.hpp).
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

namespace spindle::cli {

/// CPU model name from /proc/cpuinfo ("unknown" elsewhere).
std::string cpu_model();
/// Peak resident set size of this process so far, in bytes.
std::uint64_t peak_rss_bytes();
/// Current UTC time as "YYYY-MM-DDTHH:MM:SSZ".
std::string utc_now();

/// `v` rounded to `decimals` places (for readable JSON reports; NaN and
/// infinities become null, as JSON has no spelling for them).
nlohmann::ordered_json rounded(double v, int decimals);
/// A knob value (approx_knobs() hold doubles): an integer when it is one.
nlohmann::ordered_json knob_json(double v);
/// The provenance every JSON report starts with: tool, commit, build type,
/// compiler, block decoder, date, CPU (`cpu`) and hardware threads.
nlohmann::ordered_json report_provenance(std::string_view tool, const std::string& cpu);
/// Writes `j` (indented) to `path` atomically and prints "wrote PATH".
void write_json_report(const std::string& path, const nlohmann::ordered_json& j);

}  // namespace spindle::cli
