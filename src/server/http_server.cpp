#include "spindle/server/http_server.hpp"

#include <fmt/chrono.h>
#include <fmt/format.h>

#include <algorithm>
#include <cctype>
#include <chrono>
#include <cstdio>
#include <ctime>
#include <thread>

#include <httplib.h>

#include "spindle/common/error.hpp"

namespace spindle::server {

unsigned default_worker_threads() { return std::max(8U, 4U * std::max(1U, std::thread::hardware_concurrency())); }

struct HttpServer::Impl {
    Service& service;
    HttpServerOptions opt;
    httplib::Server http;
    int port = -1;

    Impl(Service& s, HttpServerOptions o) : service(s), opt(std::move(o)) {}

    // Reads the body through the content reader, so that a chunked body (no
    // Content-Length, which httplib checks itself) stops at the limit too.
    void serve_reading(const httplib::Request& in, httplib::Response& out, const httplib::ContentReader& reader) {
        std::string body;
        bool too_big = false;
        reader([&](const char* data, std::size_t n) {
            if (body.size() + n > opt.max_body_bytes) {
                too_big = true;
                return false;
            }
            body.append(data, n);
            return true;
        });
        serve(in, out, std::move(body), too_big);
    }

    void serve(const httplib::Request& in, httplib::Response& out, std::string body, bool too_big = false) {
        const auto t0 = std::chrono::steady_clock::now();
        HttpRequest req;
        req.method = in.method;
        req.path = in.path;
        for (const auto& [k, v] : in.params) req.query[k] = v;
        for (const auto& [k, v] : in.headers) {
            std::string key = k;
            std::transform(key.begin(), key.end(), key.begin(), [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
            req.headers[key] = v;
        }
        req.body = std::move(body);
        req.body_truncated = too_big;
        req.remote = in.remote_addr;
        const HttpResponse res = service.handle(req);
        out.status = res.status;
        out.set_content(res.body, res.content_type.c_str());
        if (opt.access_log) {
            const double ms = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count();
            const auto now = std::chrono::system_clock::to_time_t(std::chrono::system_clock::now());
            std::tm tm{};
            gmtime_r(&now, &tm);
            // One write per line, so lines of concurrent requests do not interleave.
            const std::string line = fmt::format("{:%Y-%m-%dT%H:%M:%SZ} {} \"{} {}\" {} {} {:.3f}ms {}\n", tm, in.remote_addr,
                                                 in.method, in.path, res.status, res.body.size(), ms, res.endpoint);
            std::fwrite(line.data(), 1, line.size(), stderr);
        }
    }
};

HttpServer::HttpServer(Service& service, HttpServerOptions options)
    : impl_(std::make_unique<Impl>(service, std::move(options))) {
    auto& h = impl_->http;
    // A worker serves one connection at a time for as long as it is kept
    // alive, so the pool bounds concurrent connections, not CPU use:
    // searches on more workers than cores share the cores.
    const unsigned threads = impl_->opt.threads != 0 ? impl_->opt.threads : default_worker_threads();
    h.new_task_queue = [threads] { return new httplib::ThreadPool(threads); };
    h.set_read_timeout(impl_->opt.read_timeout_seconds, 0);
    h.set_write_timeout(impl_->opt.write_timeout_seconds, 0);
    h.set_keep_alive_timeout(impl_->opt.keep_alive_seconds);
    h.set_keep_alive_max_count(1000);
    h.set_tcp_nodelay(true);  // headers and body are separate writes: no 40 ms delayed-ACK stall
    // httplib answers 413 itself when Content-Length is larger; the service
    // checks the body it is given too.
    h.set_payload_max_length(impl_->opt.max_body_bytes);
    const auto handler = [this](const httplib::Request& in, httplib::Response& out) { impl_->serve(in, out, in.body); };
    const auto reading = [this](const httplib::Request& in, httplib::Response& out, const httplib::ContentReader& reader) {
        impl_->serve_reading(in, out, reader);
    };
    h.Get(".*", handler);
    h.Post(".*", reading);
    h.Put(".*", reading);
    h.Delete(".*", reading);
    h.Patch(".*", reading);
    h.Options(".*", handler);
}

HttpServer::~HttpServer() = default;

void HttpServer::bind() {
    auto& o = impl_->opt;
    if (o.port == 0) {
        impl_->port = impl_->http.bind_to_any_port(o.host);
    } else {
        impl_->port = impl_->http.bind_to_port(o.host, o.port) ? o.port : -1;
    }
    if (impl_->port < 0) throw IoError(fmt::format("cannot listen on {}:{} (address in use or not available)", o.host, o.port));
}

int HttpServer::port() const { return impl_->port; }

void HttpServer::run() { impl_->http.listen_after_bind(); }

void HttpServer::stop() { impl_->http.stop(); }

}  // namespace spindle::server
