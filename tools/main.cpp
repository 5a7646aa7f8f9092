// spindle: index and search sparse vectors. Thin layer over the library.
#include <fmt/format.h>
#include <fmt/ranges.h>
#include <pthread.h>
#include <signal.h>

#include <CLI/CLI.hpp>
#include <cstdio>
#include <cstdlib>
#include <exception>
#include <thread>
#include <atomic>

#include "cli_options.hpp"
#include "commands.hpp"
#include "spindle/common/error.hpp"
#include "spindle/io/container.hpp"
#include "spindle/io/file_util.hpp"

namespace {

std::atomic<void (*)(int)> g_interrupt_handler{nullptr};

// SIGINT and SIGTERM are blocked in every thread and taken by this one
// (sigwait: ordinary code, not a handler), which removes the staging
// directories being written, says so and ends the process (130 / 143).
void start_signal_thread() {
    sigset_t set;
    sigemptyset(&set);
    sigaddset(&set, SIGINT);
    sigaddset(&set, SIGTERM);
    if (pthread_sigmask(SIG_BLOCK, &set, nullptr) != 0) return;
    std::thread([set] {
        int sig = 0;
        if (sigwait(&set, &sig) != 0) return;
        if (auto* handler = g_interrupt_handler.load()) {
            handler(sig);  // e.g. serve's graceful stop; a second signal exits below
            if (sigwait(&set, &sig) != 0) return;
        }
        const auto removed = spindle::remove_interrupted_paths();
        fmt::print(stderr, "\nerror: interrupted by {}{}\n", sig == SIGINT ? "SIGINT" : "SIGTERM",
                   removed.empty() ? std::string() : fmt::format("; removed unfinished {}", fmt::join(removed, ", ")));
        std::fflush(stderr);
        std::_Exit(128 + sig);
    }).detach();
}

}  // namespace

void spindle::cli::set_interrupt_handler(void (*handler)(int)) { g_interrupt_handler.store(handler); }

int main(int argc, char** argv) {
    start_signal_thread();
    CLI::App app{"spindle: index and search learned sparse vectors (SPLADE, BM25 weights, sparse codes)"};
    app.require_subcommand(1);
    app.set_version_flag("--version", fmt::format("spindle 0.1.0 (format {}; reads format {} and later)", spindle::kFormatVersion, spindle::kOldestReadableVersion));
    app.footer(spindle::cli::kExitCodesHelp);
    spindle::cli::register_index(app);
    spindle::cli::register_search(app);
    spindle::cli::register_info(app);
    spindle::cli::register_generate(app);
    spindle::cli::register_bench(app);
    spindle::cli::register_eval(app);
    spindle::cli::register_build_approx(app);
    spindle::cli::register_tune(app);
    spindle::cli::register_collection_commands(app);
    spindle::cli::register_ingest_bench(app);
    spindle::cli::register_serve(app);
    using spindle::cli::kExitInput;
    using spindle::cli::kExitUsage;
    try {
        app.parse(argc, argv);
    } catch (const CLI::CallForHelp& e) {
        return app.exit(e);
    } catch (const CLI::CallForAllHelp& e) {
        return app.exit(e);
    } catch (const CLI::CallForVersion& e) {
        return app.exit(e);
    } catch (const CLI::ParseError& e) {
        // One style for every command: "error: ...", exit code 2 (usage).
        fmt::print(stderr, "{}\n", spindle::cli::usage_error_message(e, app, argc, argv));
        return kExitUsage;
    } catch (const spindle::Error& e) {
        fmt::print(stderr, "error: {}\n", e.what());
        return kExitInput;
    } catch (const std::bad_alloc&) {
        fmt::print(stderr, "error: out of memory\n");
        return kExitInput;
    } catch (const std::exception& e) {
        fmt::print(stderr, "error: {}\n", e.what());
        return kExitInput;
    }
    return 0;
}
