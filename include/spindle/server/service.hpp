#pragma once
// spindle's Qdrant-compatible REST API, without sockets: Service::handle
// maps one HttpRequest to one HttpResponse. It holds every collection under
// a data directory (each a subdirectory opened at start with background
// merges), checks API keys, bounds request bodies and JSON, and keeps the
// Prometheus metrics. The transport (http_server.hpp) is a thin layer over
// it; tests and the libFuzzer target call handle() directly.
//
// Threads: handle() may be called from any number of threads at once.
// Collection creation and deletion are serialized; searches and writes on
// different collections never wait for each other (writes to one collection
// are serialized by the collection).
//
// Endpoints, request and response shapes: README.md, "spindle serve".
#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>

#include "spindle/server/http.hpp"

namespace spindle::server {

struct ServiceOptions {
    std::string data_dir;            ///< holds one subdirectory per collection (created if missing)
    std::string api_key;             ///< empty: no key needed (unless read_only_key is set)
    std::string read_only_key;       ///< may read and search, not write (403 on writes)
    std::size_t max_body_bytes = 32u << 20;   ///< larger bodies: 413
    std::size_t max_json_depth = 64;          ///< deeper nesting: 400
    std::size_t max_array_items = 1u << 20;   ///< a longer JSON array anywhere in a body: 400
    std::size_t max_batch_points = 100'000;   ///< points (or ids) in one upsert, delete or retrieve
    std::size_t max_limit = 100'000;          ///< limit + offset of one query or scroll
    std::size_t max_batch_queries = 1'024;    ///< searches in one query/batch or search/batch
    bool background_merges = true;            ///< OpenOptions::background_merges of every collection
    bool background_flush = true;             ///< OpenOptions::background_flush of every collection
    std::size_t filter_cache_bytes = std::size_t{64} << 20U;  ///< OpenOptions::filter_cache_bytes of every collection
};

class Service {
public:
    /// Opens every collection under options.data_dir (a subdirectory with a
    /// CURRENT file; a format-2 index read-only). Throws what opening throws.
    explicit Service(ServiceOptions options);
    ~Service();
    Service(const Service&) = delete;
    Service& operator=(const Service&) = delete;

    /// Answers one request; never throws (errors become 4xx/5xx JSON bodies).
    HttpResponse handle(const HttpRequest& request);

    /// Flushes every writable collection (graceful shutdown).
    void flush_all();

    /// Collections served.
    [[nodiscard]] std::size_t collection_count() const;

    struct Impl;

private:
    std::unique_ptr<Impl> impl_;
};

/// The Qdrant API version the service speaks (GET / reports it as "version",
/// so Qdrant's clients see a compatible server).
inline constexpr const char* kQdrantApiVersion = "1.18.0";

}  // namespace spindle::server
