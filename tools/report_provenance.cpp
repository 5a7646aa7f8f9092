// report_provenance (bench_report.hpp): apart from bench_report.cpp because
// it needs the build-time commit (build_info.cpp, generated for the CLI
// only), and tests compile bench_report.cpp without it.
#include <thread>

#include "bench_report.hpp"
#include "build_info.hpp"
#include "spindle/codec/docid_codec.hpp"

namespace spindle::cli {

nlohmann::ordered_json report_provenance(std::string_view tool, const std::string& cpu) {
    nlohmann::ordered_json j;
    j["tool"] = tool;
    j["commit"] = build_commit();
    j["build_type"] = build_type();
    j["compiler"] = build_compiler();
    j["decoder"] = codec::decoder_name();
    j["date"] = utc_now();
    j["cpu"] = cpu;
    j["hardware_threads"] = std::thread::hardware_concurrency();
    return j;
}

}  // namespace spindle::cli
