#pragma once
// A transport-independent HTTP request and response: what the server layer's
// Service reads and writes. The socket transport (http_server.hpp) fills
// these from cpp-httplib; tests and the fuzzer build them directly.
#include <map>
#include <string>

namespace spindle::server {

struct HttpRequest {
    std::string method;                         ///< "GET", "POST", "PUT", "DELETE", ...
    std::string path;                           ///< decoded path without the query string, "/collections/c/points"
    std::map<std::string, std::string> query;   ///< query-string parameters (the last one of a name wins)
    std::map<std::string, std::string> headers; ///< header names in lower case
    std::string body;
    /// The transport stopped reading the body at its size limit (answered 413).
    bool body_truncated = false;
    std::string remote;                         ///< peer address for the access log (may be empty)
};

struct HttpResponse {
    int status = 200;
    std::string content_type = "application/json";
    std::string body;
    /// The route the request matched ("/collections/{name}/points/query"),
    /// or "unknown": the metrics label and the access log's endpoint.
    std::string endpoint = "unknown";
};

}  // namespace spindle::server
