// libFuzzer target for spindle serve's request parsing and dispatch:
// Service::handle on a temporary data directory holding one small
// collection. Input: the first line is "METHOD PATH[?QUERY]" (QUERY as
// k=v&k=v), optional "name: value" header lines follow until an empty line,
// and the rest is the body; inputs without a first line go to
// POST /collections/c/points/query as the body. Checks that handle() never
// throws, never answers outside 200..599, and always answers JSON for API
// routes. Built only with clang: cmake --preset fuzz (see CMakePresets.json).
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <filesystem>
#include <memory>
#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

#include "spindle/server/service.hpp"

namespace {

namespace fs = std::filesystem;
using spindle::server::HttpRequest;
using spindle::server::HttpResponse;
using spindle::server::Service;

constexpr const char* kCollection = R"({"sparse_vectors": {"s": {"index": {"datatype": "float32"}},
  "t": {"spindle": {"keys": "tokens"}}}})";
constexpr const char* kPoints = R"({"points": [
  {"id": 1, "vector": {"s": {"indices": [1, 5, 9], "values": [0.5, 1.0, 2.0]}, "t": {"red": 1.0}}, "payload": {"tag": "a", "n": 1}},
  {"id": 2, "vector": {"s": {"indices": [2, 5], "values": [1.5, 0.25]}}, "payload": {"tag": "b", "n": 2.5}},
  {"id": "550e8400-e29b-41d4-a716-446655440000", "vector": {"s": {"indices": [9], "values": [3]}}, "payload": {"tag": ["a", "b"]}}]})";

struct State {
    fs::path dir;
    std::unique_ptr<Service> service;

    State() {
        std::string tmpl = (fs::temp_directory_path() / "spindle-fuzz-XXXXXX").string();
        if (mkdtemp(tmpl.data()) == nullptr) std::abort();
        dir = tmpl;
        spindle::server::ServiceOptions o;
        o.data_dir = (dir / "data").string();
        o.background_merges = false;
        o.max_body_bytes = 1u << 16;
        o.max_array_items = 4096;
        o.max_batch_points = 64;
        o.max_limit = 1000;
        o.max_batch_queries = 16;
        service = std::make_unique<Service>(o);
        reset();
    }
    ~State() {
        service.reset();
        std::error_code ec;
        fs::remove_all(dir, ec);
    }

    HttpResponse call(std::string method, std::string path, std::string body = {}) {
        HttpRequest r;
        r.method = std::move(method);
        r.path = std::move(path);
        r.body = std::move(body);
        r.query["wait"] = "true";
        return service->handle(r);
    }

    // Back to one collection `c` with three points, so that every input
    // starts from a collection worth querying (inputs may delete it or
    // create others).
    void reset() {
        if (service->collection_count() != 1 || call("GET", "/collections/c/exists").body.find("true") == std::string::npos) {
            const HttpResponse list = call("GET", "/collections");
            const auto j = nlohmann::json::parse(list.body, nullptr, false);
            if (!j.is_discarded()) {
                for (const auto& c : j["result"]["collections"]) call("DELETE", "/collections/" + c["name"].get<std::string>());
            }
            if (call("PUT", "/collections/c", kCollection).status != 200) std::abort();
            if (call("PUT", "/collections/c/index", R"({"field_name": "tag", "field_schema": "keyword"})").status != 200) std::abort();
            if (call("PUT", "/collections/c/points", kPoints).status != 200) std::abort();
        }
    }
};

State& state() {
    static State s;
    return s;
}

HttpRequest parse_input(std::string_view in) {
    HttpRequest r;
    const std::size_t eol = in.find('\n');
    const std::string_view first = in.substr(0, eol);
    const std::size_t sp = first.find(' ');
    if (eol == std::string_view::npos || sp == std::string_view::npos) {
        r.method = "POST";
        r.path = "/collections/c/points/query";
        r.body = std::string(in);
        return r;
    }
    r.method = std::string(first.substr(0, sp));
    std::string_view target = first.substr(sp + 1);
    if (!target.empty() && target.back() == '\r') target.remove_suffix(1);
    const std::size_t q = target.find('?');
    r.path = std::string(target.substr(0, q));
    if (q != std::string_view::npos) {
        std::string_view qs = target.substr(q + 1);
        while (!qs.empty()) {
            const std::size_t amp = qs.find('&');
            const std::string_view kv = qs.substr(0, amp);
            const std::size_t eq = kv.find('=');
            r.query[std::string(kv.substr(0, eq))] = eq == std::string_view::npos ? std::string() : std::string(kv.substr(eq + 1));
            if (amp == std::string_view::npos) break;
            qs.remove_prefix(amp + 1);
        }
    }
    std::string_view rest = in.substr(eol + 1);
    // Header lines ("name: value") until an empty line; without one, all body.
    if (const std::size_t end = rest.find("\n\n"); end != std::string_view::npos && rest.substr(0, end).find(':') != std::string_view::npos &&
                                                   rest.front() != '{') {
        std::string_view hs = rest.substr(0, end);
        while (!hs.empty()) {
            const std::size_t nl = hs.find('\n');
            const std::string_view line = hs.substr(0, nl);
            const std::size_t colon = line.find(':');
            if (colon != std::string_view::npos) {
                std::string_view v = line.substr(colon + 1);
                while (!v.empty() && v.front() == ' ') v.remove_prefix(1);
                r.headers[std::string(line.substr(0, colon))] = std::string(v);
            }
            if (nl == std::string_view::npos) break;
            hs.remove_prefix(nl + 1);
        }
        rest.remove_prefix(end + 2);
    }
    r.body = std::string(rest);
    return r;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    State& s = state();
    const HttpRequest req = parse_input(std::string_view(reinterpret_cast<const char*>(data), size));
    const HttpResponse res = s.service->handle(req);
    if (res.status < 200 || res.status > 599) std::abort();
    if (res.content_type == "application/json" && nlohmann::json::parse(res.body, nullptr, false).is_discarded()) std::abort();
    // A 500 is a bug in the request handling (bad input must be a 4xx).
    if (res.status >= 500) std::abort();
    s.reset();
    return 0;
}
