// spindle: index and search sparse vectors. Thin layer over the library.
#include <fmt/format.h>

#include <CLI/CLI.hpp>
#include <cstdio>
#include <exception>

#include "commands.hpp"
#include "spindle/common/error.hpp"

int main(int argc, char** argv) {
    CLI::App app{"spindle: index and search learned sparse vectors (SPLADE, BM25 weights, sparse codes)"};
    app.require_subcommand(1);
    app.set_version_flag("--version", "spindle 0.1.0 (index format 1)");
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
    try {
        app.parse(argc, argv);
    } catch (const CLI::ParseError& e) {
        return app.exit(e);
    } catch (const spindle::Error& e) {
        fmt::print(stderr, "error: {}\n", e.what());
        return 1;
    } catch (const std::bad_alloc&) {
        fmt::print(stderr, "error: out of memory\n");
        return 1;
    } catch (const std::exception& e) {
        fmt::print(stderr, "error: {}\n", e.what());
        return 1;
    }
    return 0;
}
