#pragma once
// A spindle::server::Service over a temporary data directory, driven through
// Service::handle (no sockets): the fixture of the REST API tests
// (server_test, server_dense_test, server_hybrid_dense_test).
#include <gtest/gtest.h>

#include <map>
#include <memory>
#include <nlohmann/json.hpp>
#include <string>
#include <utility>

#include "spindle/server/service.hpp"
#include "test_util.hpp"

namespace spindle::server::test {

class ServiceTest : public ::testing::Test {
protected:
    void SetUp() override { svc_ = make(ServiceOptions{}); }

    /// A service on this test's data directory (merges inline, so results are deterministic).
    std::unique_ptr<Service> make(ServiceOptions o) {
        o.data_dir = dir_ / "data";
        o.background_merges = false;
        return std::make_unique<Service>(o);
    }

    /// `path` may carry one `?key=value`.
    HttpResponse call(const std::string& method, const std::string& path, const std::string& body = {},
                      std::map<std::string, std::string> headers = {}, Service* s = nullptr) {
        HttpRequest r;
        r.method = method;
        const auto q = path.find('?');
        r.path = path.substr(0, q);
        if (q != std::string::npos) {
            const std::string qs = path.substr(q + 1);
            const auto eq = qs.find('=');
            r.query[qs.substr(0, eq)] = qs.substr(eq + 1);
        }
        r.body = body;
        r.headers = std::move(headers);
        return (s != nullptr ? s : svc_.get())->handle(r);
    }
    /// The `result` of a request that must succeed (200, status "ok").
    nlohmann::json ok(const std::string& method, const std::string& path, const std::string& body = {}) {
        const HttpResponse r = call(method, path, body);
        EXPECT_EQ(r.status, 200) << method << " " << path << ": " << r.body;
        const nlohmann::json j = nlohmann::json::parse(r.body);
        EXPECT_EQ(j["status"], "ok");
        return j["result"];
    }
    /// The status and status.error of a failed request.
    std::pair<int, std::string> fail(const std::string& method, const std::string& path, const std::string& body = {},
                                     std::map<std::string, std::string> headers = {}, Service* s = nullptr) {
        const HttpResponse r = call(method, path, body, std::move(headers), s);
        const nlohmann::json j = nlohmann::json::parse(r.body);
        return {r.status, j["status"]["error"].get<std::string>()};
    }

    spindle::test::TempDir dir_;
    std::unique_ptr<Service> svc_;
};

}  // namespace spindle::server::test
