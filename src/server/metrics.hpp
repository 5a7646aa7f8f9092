#pragma once
// Private to the server layer: request counters and latency histograms per
// (method, endpoint, status), written in Prometheus' text format.
#include <array>
#include <cstdint>
#include <map>
#include <mutex>
#include <string>
#include <tuple>

namespace spindle::server {

class RequestMetrics {
public:
    static constexpr std::array<double, 14> kBuckets{0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05,
                                                      0.1,    0.25,  0.5,    1.0,   2.5,  5.0,  10.0};
    void observe(const std::string& method, const std::string& endpoint, int status, double seconds);
    /// spindle_http_requests_total and spindle_http_request_duration_seconds.
    void render(std::string& out) const;

private:
    struct Series {
        std::uint64_t count = 0;
        double sum = 0.0;
        std::array<std::uint64_t, kBuckets.size()> buckets{};
    };
    mutable std::mutex mu_;
    std::map<std::tuple<std::string, std::string, int>, Series> series_;
};

/// A Prometheus label value with \, " and newlines escaped.
std::string prometheus_label(const std::string& s);

}  // namespace spindle::server
