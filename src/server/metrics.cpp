#include "metrics.hpp"

#include <fmt/format.h>

namespace spindle::server {

std::string prometheus_label(const std::string& s) {
    std::string out;
    out.reserve(s.size());
    for (char c : s) {
        if (c == '\\' || c == '"') {
            out += '\\';
            out += c;
        } else if (c == '\n') {
            out += "\\n";
        } else {
            out += c;
        }
    }
    return out;
}

void RequestMetrics::observe(const std::string& method, const std::string& endpoint, int status, double seconds) {
    const std::lock_guard lock(mu_);
    Series& s = series_[{method, endpoint, status}];
    ++s.count;
    s.sum += seconds;
    for (std::size_t i = 0; i < kBuckets.size(); ++i) {
        if (seconds <= kBuckets[i]) ++s.buckets[i];
    }
}

void RequestMetrics::render(std::string& out) const {
    const std::lock_guard lock(mu_);
    out += "# HELP spindle_http_requests_total HTTP requests answered, by method, endpoint and status.\n";
    out += "# TYPE spindle_http_requests_total counter\n";
    for (const auto& [key, s] : series_) {
        const auto& [method, endpoint, status] = key;
        out += fmt::format("spindle_http_requests_total{{method=\"{}\",endpoint=\"{}\",status=\"{}\"}} {}\n",
                           prometheus_label(method), prometheus_label(endpoint), status, s.count);
    }
    out += "# HELP spindle_http_request_duration_seconds Time from request to response inside the service.\n";
    out += "# TYPE spindle_http_request_duration_seconds histogram\n";
    for (const auto& [key, s] : series_) {
        const auto& [method, endpoint, status] = key;
        const std::string labels = fmt::format("method=\"{}\",endpoint=\"{}\",status=\"{}\"", prometheus_label(method),
                                               prometheus_label(endpoint), status);
        for (std::size_t i = 0; i < kBuckets.size(); ++i) {
            out += fmt::format("spindle_http_request_duration_seconds_bucket{{{},le=\"{}\"}} {}\n", labels, kBuckets[i],
                               s.buckets[i]);
        }
        out += fmt::format("spindle_http_request_duration_seconds_bucket{{{},le=\"+Inf\"}} {}\n", labels, s.count);
        out += fmt::format("spindle_http_request_duration_seconds_sum{{{}}} {}\n", labels, s.sum);
        out += fmt::format("spindle_http_request_duration_seconds_count{{{}}} {}\n", labels, s.count);
    }
}

}  // namespace spindle::server
