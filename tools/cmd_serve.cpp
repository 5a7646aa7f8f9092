// spindle serve: the Qdrant-compatible REST server over every collection of
// a data directory (spindle/server). Parses flags, runs the transport until
// SIGTERM/SIGINT, then finishes in-flight requests, flushes and exits 0.
#include <fmt/format.h>

#include <atomic>
#include <cstdio>
#include <cstdlib>
#include <memory>
#include <string>

#include "commands.hpp"
#include "spindle/common/error.hpp"
#include "spindle/server/http_server.hpp"
#include "spindle/server/service.hpp"

namespace spindle::cli {
namespace {

struct ServeArgs {
    std::string data;
    std::string host = "127.0.0.1";
    int port = 6333;
    std::string api_key;
    std::string read_only_key;
    unsigned threads = 0;
    std::size_t max_body_bytes = 32u << 20;
    int timeout = 30;
    std::size_t filter_cache_mb = 64;
    bool background_flush = true;
    bool quiet = false;
};

std::atomic<server::HttpServer*> g_server{nullptr};

void run_serve(const ServeArgs& a) {
    server::ServiceOptions so;
    so.data_dir = a.data;
    so.api_key = a.api_key;
    if (so.api_key.empty()) {
        if (const char* env = std::getenv("SPINDLE_API_KEY")) so.api_key = env;
    }
    so.read_only_key = a.read_only_key;
    if (!so.read_only_key.empty() && so.api_key.empty()) {
        throw InvalidArgument("--read-only-key needs --api-key (or SPINDLE_API_KEY): otherwise nobody could write");
    }
    so.max_body_bytes = a.max_body_bytes;
    so.filter_cache_bytes = a.filter_cache_mb << 20U;
    so.background_flush = a.background_flush;
    server::Service service(so);
    server::HttpServerOptions ho;
    ho.host = a.host;
    ho.port = a.port;
    ho.threads = a.threads;
    ho.max_body_bytes = a.max_body_bytes;
    ho.read_timeout_seconds = a.timeout;
    ho.write_timeout_seconds = a.timeout;
    ho.access_log = !a.quiet;
    server::HttpServer http(service, ho);
    http.bind();
    g_server.store(&http);
    set_interrupt_handler([](int) {
        if (auto* s = g_server.load()) s->stop();
    });
    // The first line names the port (tests start the server on port 0).
    fmt::print(stderr, "spindle serve: listening on http://{}:{} ({} collections under {}; {})\n", a.host, http.port(),
               service.collection_count(), a.data, so.api_key.empty() ? "no API key" : "API key required");
    std::fflush(stderr);
    http.run();
    g_server.store(nullptr);
    fmt::print(stderr, "spindle serve: stopping: flushing collections\n");
    service.flush_all();
    fmt::print(stderr, "spindle serve: stopped\n");
}

}  // namespace

void register_serve(CLI::App& app) {
    auto a = std::make_shared<ServeArgs>();
    auto* cmd = app.add_subcommand("serve", "Serve the collections of a directory over Qdrant's REST API");
    cmd->footer(
        "Every subdirectory of --data holding a collection is served as /collections/<name>; PUT /collections/<name>\n"
        "creates one. Endpoints, request shapes and the spindle knobs of \"params\" (exact, algorithm, query_cut,\n"
        "heap_factor, knn, target_recall): README.md, \"spindle serve\". With a key, requests need an `api-key`\n"
        "header or `Authorization: Bearer <key>` (401 otherwise); the read-only key may read and search, and gets\n"
        "403 on writes. /healthz and /readyz need no key. SIGTERM/SIGINT: stop accepting, finish in-flight requests,\n"
        "flush, exit 0. One access-log line per request goes to stderr.");
    cmd->add_option("--data", a->data, "Data directory (one subdirectory per collection; created if missing)")->required();
    cmd->add_option("--host", a->host, "Address to listen on (loopback by default)")->capture_default_str();
    cmd->add_option("--port", a->port, "Port (0: any free port, printed at start)")->capture_default_str()->check(CLI::Range(0, 65535));
    cmd->add_option("--api-key", a->api_key, "Key every request must carry (default: env SPINDLE_API_KEY; none: open)");
    cmd->add_option("--read-only-key", a->read_only_key, "Key that may read and search but not write (needs --api-key)");
    cmd->add_option("--threads", a->threads, "Worker threads = connections served at once; a kept-alive connection holds one (0: 4 per hardware thread, at least 8)")->capture_default_str()->check(CLI::Range(0U, 1024U));
    cmd->add_option("--max-body-bytes", a->max_body_bytes, "Largest request body (413 beyond)")->capture_default_str()->check(CLI::Range(std::size_t{1}, std::size_t{1} << 32));
    cmd->add_option("--timeout", a->timeout, "Seconds a client may stay silent while sending or receiving")->capture_default_str()->check(CLI::Range(1, 3600));
    cmd->add_option("--filter-cache-mb", a->filter_cache_mb,
                    "MiB per collection for the allow-sets of recent filters, reused while the segments they were "
                    "computed on are unchanged (a bit per point per filter; 0: evaluate every filter anew)")
        ->capture_default_str()
        ->check(CLI::Range(std::size_t{0}, std::size_t{1} << 20));
    cmd->add_flag("!--no-background-flush", a->background_flush,
                  "Combine in-memory segments and flush them in each writer's upsert instead of on each collection's "
                  "background thread (the default, OpenOptions::background_flush: upserts return sooner; merges run "
                  "in the background either way)");
    cmd->add_flag("--quiet", a->quiet, "No access log");
    cmd->callback([a] { run_serve(*a); });
}

}  // namespace spindle::cli
