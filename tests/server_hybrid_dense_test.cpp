// Hybrid queries with dense vectors through the REST API (Service::handle,
// no sockets): sparse and dense prefetches fused by rrf, a Euclid (distance)
// prefetch in a fusion, and dense re-scoring of sparse candidates, each
// against values computed by hand here.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "server_fixture.hpp"
#include "spindle/server/service.hpp"
#include "test_util.hpp"

namespace spindle::server {
namespace {

using nlohmann::json;

class ServerHybridDense : public test::ServiceTest {
protected:
    void SetUp() override {
        test::ServiceTest::SetUp();
        ok("PUT", "/collections/h", R"({"vectors": {"d": {"size": 3, "distance": "Dot"}, "e": {"size": 2, "distance": "Euclid"}},
                                         "sparse_vectors": {"s": {}}})");
        ok("PUT", "/collections/h/points?wait=true", R"({"points": [
            {"id": 1, "vector": {"d": [1, 0, 0], "e": [0, 0], "s": {"indices": [1], "values": [1]}}},
            {"id": 2, "vector": {"d": [0, 2, 0], "e": [3, 4], "s": {"indices": [1], "values": [2]}}},
            {"id": 3, "vector": {"d": [1, 1, 1], "e": [1, 0], "s": {"indices": [1, 2], "values": [3, 1]}}},
            {"id": 4, "vector": {"d": [0, 0, 1], "e": [0, 1]}}]})");
    }
    static void expect_points(const json& r, const std::vector<int>& ids, const std::vector<double>& scores) {
        ASSERT_EQ(r["points"].size(), ids.size()) << r.dump();
        for (std::size_t i = 0; i < ids.size(); ++i) {
            EXPECT_EQ(r["points"][i]["id"], ids[i]) << r.dump();
            EXPECT_NEAR(r["points"][i]["score"].get<double>(), scores[i], 1e-9) << r.dump();
        }
    }
};

TEST_F(ServerHybridDense, SparseAndDensePrefetchesFusedByRrf) {
    // Sparse list: 3 (3), 2 (2), 1 (1). Dense (dot with [1, 1, 0]): 2 (2), 3 (2, tie by id), 1 (1).
    // rrf, k = 2: 2 and 3 get 1/2 + 1/3, 1 gets 1/4 + 1/4.
    const json r = ok("POST", "/collections/h/points/query", R"({"prefetch": [
        {"query": {"indices": [1], "values": [1]}, "using": "s", "limit": 3},
        {"query": [1, 1, 0], "using": "d", "limit": 3}], "query": {"fusion": "rrf"}})");
    expect_points(r, {2, 3, 1}, {1.0 / 2 + 1.0 / 3, 1.0 / 2 + 1.0 / 3, 0.5});
}

TEST_F(ServerHybridDense, EuclidPrefetchRanksByDistance) {
    // Euclid from [0, 0], limit 2: 1 (0), then 3 and 4 at 1 (tie by id: 3). Fused with the sparse list
    // 3, 2, 1: 3 gets 1/2 + 1/3, 1 gets 1/4 + 1/2, 2 gets 1/3.
    const json r = ok("POST", "/collections/h/points/query", R"({"prefetch": [
        {"query": {"indices": [1], "values": [1]}, "using": "s", "limit": 3},
        {"query": {"nearest": [0, 0]}, "using": "e", "limit": 2, "params": {"exact": true}}], "query": {"fusion": "rrf"}})");
    expect_points(r, {3, 1, 2}, {1.0 / 2 + 1.0 / 3, 0.75, 1.0 / 3});
}

TEST_F(ServerHybridDense, DenseRescoresSparseCandidates) {
    // Sparse candidates 3 and 2; dot with [0, 0, 1]: 3 -> 1, 2 -> 0 (4 scores 1 too but is no candidate).
    const json r = ok("POST", "/collections/h/points/query", R"({"prefetch": {"query": {"indices": [1], "values": [1]},
        "using": "s", "limit": 2}, "query": [0, 0, 1], "using": "d", "limit": 5})");
    expect_points(r, {3, 2}, {1.0, 0.0});
}

}  // namespace
}  // namespace spindle::server
