#include "cli_options.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cctype>
#include <charconv>
#include <vector>

#include "spindle/collection/filter.hpp"
#include "spindle/common/error.hpp"
#include "spindle/io/line_reader.hpp"

namespace spindle::cli {

std::vector<std::string> split_measure_lists(const std::vector<std::string>& args) {
    std::vector<std::string> out;
    for (const std::string& a : args) {
        std::size_t from = 0;
        for (std::size_t i = 0; i < a.size(); ++i) {
            if (a[i] != ',') continue;
            // Measure names start with a letter; parameters never do
            // (P.5,10  iprec_at_recall..10,.20  utility.2,-1,0,0).
            const bool next_measure = i + 1 < a.size() && std::isalpha(static_cast<unsigned char>(a[i + 1])) != 0;
            if (!next_measure && i + 1 < a.size()) continue;
            out.push_back(a.substr(from, i - from));
            from = i + 1;
        }
        out.push_back(a.substr(from));
    }
    return out;
}

CLI::Option* add_k_option(CLI::App* cmd, std::size_t& k, const std::string& help) {
    return cmd->add_option("-k,--k", k, help)
        ->capture_default_str()
        ->check(CLI::Validator(
            [](std::string& s) -> std::string {
                std::uint64_t v = 0;
                const auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
                if (ec != std::errc() || end != s.data() + s.size() || v == 0) {
                    return "k must be a positive integer (got '" + s + "')";
                }
                return {};
            },
            "INT>0"));
}

std::shared_ptr<const Filter> read_filter(const std::string& arg, const std::string& label) {
    if (arg.empty()) return nullptr;
    std::string text = arg;
    if (arg.front() == '@') {
        text.clear();
        LineReader r(arg.substr(1));
        std::string_view line;
        while (r.next(line)) text.append(line).push_back('\n');
    }
    try {
        return std::make_shared<const Filter>(parse_filter(text));
    } catch (const InvalidArgument& e) {
        throw InvalidArgument(label + ": " + e.what());
    }
}

std::optional<bool> parse_auto_yes_no(const std::string& flag, const std::string& v) {
    if (v == "yes") return true;
    if (v == "no") return false;
    if (v != "auto") throw InvalidArgument(flag + " must be auto, yes or no, got '" + v + "'");
    return std::nullopt;
}

namespace {

std::size_t edit_distance(const std::string& a, const std::string& b) {
    std::vector<std::size_t> row(b.size() + 1);
    for (std::size_t j = 0; j <= b.size(); ++j) row[j] = j;
    for (std::size_t i = 1; i <= a.size(); ++i) {
        std::size_t prev = row[0];
        row[0] = i;
        for (std::size_t j = 1; j <= b.size(); ++j) {
            const std::size_t cur = row[j];
            row[j] = std::min({row[j] + 1, row[j - 1] + 1, prev + (a[i - 1] == b[j - 1] ? 0 : 1)});
            prev = cur;
        }
    }
    return row[b.size()];
}

/// The subcommand the user ran (the deepest one parsed), else the app.
const CLI::App* used_command(const CLI::App& app) {
    for (const CLI::App* sub : app.get_subcommands()) return sub;
    return &app;
}

std::string suggestion(const std::string& arg, const CLI::App& cmd) {
    std::string name = arg;
    if (const auto eq = name.find('='); eq != std::string::npos) name.resize(eq);
    std::string best;
    std::size_t best_d = 4;
    for (const CLI::Option* o : cmd.get_options()) {
        for (const std::string& l : o->get_lnames()) {
            const std::string cand = "--" + l;
            std::size_t d = edit_distance(name, cand);
            // "--topk" for "--k": the option's name inside the typed one counts as close.
            if (name.size() > 2 && l.size() >= 1 && name.find(l) != std::string::npos) d = std::min<std::size_t>(d, 2);
            if (d < best_d) {
                best_d = d;
                best = cand;
            }
        }
    }
    return best.empty() ? std::string() : " (did you mean " + best + "?)";
}

}  // namespace

std::string usage_error_message(const CLI::ParseError& e, const CLI::App& app, int argc, char** argv) {
    const CLI::App* cmd = used_command(app);
    const std::string where = cmd == &app ? std::string("spindle") : "spindle " + cmd->get_name();
    const std::string help = fmt::format("; see '{} --help'", where);
    if (dynamic_cast<const CLI::ExtrasError*>(&e) != nullptr) {
        // Name the first unexpected argument: an option we do not know, or a stray value.
        std::vector<std::string> extras = cmd->remaining();
        if (extras.empty()) extras = app.remaining();
        for (const std::string& x : extras) {
            if (x.size() > 1 && x[0] == '-') return fmt::format("error: unknown option {}{}{}", x, suggestion(x, *cmd), help);
        }
        if (!extras.empty()) return fmt::format("error: unexpected argument '{}'{}", extras.front(), help);
    }
    if (dynamic_cast<const CLI::RequiredError*>(&e) != nullptr && cmd == &app && argc <= 1) {
        return "error: no command given; see 'spindle --help'";
    }
    (void)argv;
    std::string msg = e.what();
    // CLI11 writes "--k: k must be ..." for our validators: keep the message.
    return fmt::format("error: {}{}", msg, help);
}

}  // namespace spindle::cli
