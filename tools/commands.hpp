#pragma once
// Sub-commands of the spindle CLI. Each registers its options on the app and
// runs through the library; main() turns exceptions into messages.
#include <CLI/CLI.hpp>

namespace spindle::cli {

void register_index(CLI::App& app);
void register_search(CLI::App& app);
void register_info(CLI::App& app);
void register_generate(CLI::App& app);
void register_bench(CLI::App& app);
void register_eval(CLI::App& app);
void register_build_approx(CLI::App& app);
void register_tune(CLI::App& app);
void register_collection_commands(CLI::App& app);
void register_ingest_bench(CLI::App& app);
void register_serve(CLI::App& app);

/// Replaces what SIGINT/SIGTERM do (by default: remove unfinished staging
/// directories and exit 128+signal) with `handler`, called on the signal
/// thread; a second signal still ends the process at once.
void set_interrupt_handler(void (*handler)(int));

}  // namespace spindle::cli
