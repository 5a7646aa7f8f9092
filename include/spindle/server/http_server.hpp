#pragma once
// The socket transport of spindle serve: cpp-httplib (Debian
// libcpp-httplib-dev) in front of a Service. Every request goes to
// Service::handle; one access-log line per request goes to stderr.
#include <cstddef>
#include <functional>
#include <memory>
#include <string>

#include "spindle/server/service.hpp"

namespace spindle::server {

/// Workers when none are asked: 4 per hardware thread, at least 8 (a kept-alive
/// connection holds its worker; searches are CPU-bound and share the cores).
unsigned default_worker_threads();

struct HttpServerOptions {
    std::string host = "127.0.0.1";
    int port = 6333;                 ///< 0: any free port (see HttpServer::port)
    unsigned threads = 0;            ///< worker threads = connections served at once (0: default_worker_threads())
    std::size_t max_body_bytes = 32u << 20;
    int read_timeout_seconds = 30;   ///< a client that sends nothing for this long is dropped
    int write_timeout_seconds = 30;  ///< a client that reads nothing for this long is dropped
    int keep_alive_seconds = 5;      ///< an idle keep-alive connection is closed after this
    bool access_log = true;          ///< one line per request to stderr
};

class HttpServer {
public:
    HttpServer(Service& service, HttpServerOptions options);
    ~HttpServer();
    HttpServer(const HttpServer&) = delete;
    HttpServer& operator=(const HttpServer&) = delete;

    /// Binds the listening socket; throws IoError naming host:port.
    void bind();
    /// The bound port (after bind()).
    [[nodiscard]] int port() const;
    /// Serves until stop(); returns after in-flight requests have finished.
    void run();
    /// Stops accepting; run() returns once the workers are done. Any thread.
    void stop();

private:
    struct Impl;
    std::unique_ptr<Impl> impl_;
};

}  // namespace spindle::server
