#pragma once
// Options several commands share, defined once: -k (validated with one
// message), and the one error style of the CLI (exit codes in --help).
#include <CLI/CLI.hpp>
#include <cstddef>
#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace spindle {
struct Filter;
}

namespace spindle::cli {

/// Exit codes of every command (also in `spindle --help`).
inline constexpr int kExitInput = 1;  ///< bad input, I/O error, refused operation
inline constexpr int kExitUsage = 2;  ///< unknown option, missing or malformed argument
inline constexpr const char* kExitCodesHelp =
    "Exit codes: 0 success, 1 bad input or I/O error (the message names the file, line or value), "
    "2 usage error (unknown option, bad or missing argument), 130/143 interrupted by SIGINT/SIGTERM "
    "(unfinished output removed).";

/// -k/--k: a positive integer, "k must be a positive integer (got '0')" otherwise.
CLI::Option* add_k_option(CLI::App* cmd, std::size_t& k, const std::string& help);

/// trec_eval measure arguments with comma lists split into measures:
/// "map,ndcg_cut.10,P.5,10" -> map, ndcg_cut.10, P.5,10. A comma followed by
/// a letter starts the next measure (names start with one); any other
/// continues the measure's parameters (P.5,10, iprec_at_recall..10,.20,
/// utility.2,-1,0,0). Empty pieces ("map,,P.5", "map,") are kept, so the
/// parser names them.
std::vector<std::string> split_measure_lists(const std::vector<std::string>& args);

/// --filter of search and bench: a payload filter in JSON, or @FILE holding
/// one; null for "". A bad filter throws InvalidArgument "LABEL: filter:
/// must[0]...", a missing @FILE IoError naming it.
std::shared_ptr<const Filter> read_filter(const std::string& arg, const std::string& label = "--filter");

/// --filter-direct, --filter-exact: "yes" true, "no" false, "auto" unset;
/// InvalidArgument naming `flag` otherwise.
std::optional<bool> parse_auto_yes_no(const std::string& flag, const std::string& v);

/// "error: ..." for a CLI11 parse error, in spindle's words (unknown options
/// with a suggestion from the command's own options).
std::string usage_error_message(const CLI::ParseError& e, const CLI::App& app, int argc, char** argv);

}  // namespace spindle::cli
