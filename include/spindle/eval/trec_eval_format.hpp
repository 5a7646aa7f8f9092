#pragma once
// trec_eval's output: "%-22s\t%s\t%6.4f" per value (integers as "%ld"),
// per-query lines first (-q), then the "all" lines.
#include <string>

#include "spindle/eval/evaluate.hpp"

namespace spindle::eval {

struct FormatOptions {
    bool per_query = false;  ///< -q
    bool summary = true;     ///< -n turns it off
};

std::string format_trec_eval(const Evaluation& e, const FormatOptions& options = {});

/// One line exactly as trec_eval prints it (with the newline).
std::string format_line(const std::string& name, const std::string& qid, double value, bool integer);

}  // namespace spindle::eval
