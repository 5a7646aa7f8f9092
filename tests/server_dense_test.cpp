// Dense vectors through the Qdrant-compatible REST API (Service::handle, no
// sockets): collections with named dense vectors beside sparse ones,
// upserts with float arrays, /points/query with `query: [floats]` and
// `using`, /points/search with {"name", "vector"}, hnsw_ef and exact in
// params, with_vector, and the errors.
#include <gtest/gtest.h>

#include <cmath>
#include <nlohmann/json.hpp>
#include <string>

#include "server_fixture.hpp"
#include "spindle/server/service.hpp"
#include "test_util.hpp"

namespace spindle::server {
namespace {

using nlohmann::json;

class ServerDense : public test::ServiceTest {
protected:
    void make_hybrid() {
        ok("PUT", "/collections/h", R"({"vectors": {"d": {"size": 3, "distance": "Dot"}, "e": {"size": 2, "distance": "Euclid", "datatype": "float16"}},
                                         "sparse_vectors": {"s": {}}})");
        ok("PUT", "/collections/h/points?wait=true", R"({"points": [
            {"id": 1, "vector": {"d": [1, 0, 0], "e": [0, 0], "s": {"indices": [1], "values": [1]}}, "payload": {"g": 1}},
            {"id": 2, "vector": {"d": [0, 2, 0], "e": [3, 4]}, "payload": {"g": 2}},
            {"id": 3, "vector": {"d": [1, 1, 1], "e": [1, 0], "s": {"indices": [2], "values": [2]}}, "payload": {"g": 1}}]})");
    }
};

TEST_F(ServerDense, CreateUpsertQueryAndSearch) {
    make_hybrid();
    const json info = ok("GET", "/collections/h");
    EXPECT_EQ(info["config"]["params"]["vectors"]["d"]["size"], 3);
    EXPECT_EQ(info["config"]["params"]["vectors"]["d"]["distance"], "Dot");
    EXPECT_EQ(info["config"]["params"]["vectors"]["e"]["datatype"], "float16");
    EXPECT_TRUE(info["config"]["params"]["sparse_vectors"].contains("s"));

    // Query API: dot scores, best first.
    json r = ok("POST", "/collections/h/points/query", R"({"query": [1, 1, 0], "using": "d", "limit": 3})");
    ASSERT_EQ(r["points"].size(), 3U);
    EXPECT_EQ(r["points"][0]["id"], 2);  // 2
    EXPECT_DOUBLE_EQ(r["points"][0]["score"].get<double>(), 2.0);
    EXPECT_EQ(r["points"][1]["id"], 3);  // 2, tie broken by id: 2 before 3
    EXPECT_EQ(r["points"][2]["id"], 1);
    // {"nearest": [...]} is the same query; hnsw_ef and exact are accepted.
    json r2 = ok("POST", "/collections/h/points/query",
                 R"({"query": {"nearest": [1, 1, 0]}, "using": "d", "limit": 3, "params": {"hnsw_ef": 32, "exact": true}})");
    EXPECT_EQ(r2["points"], r["points"]);
    // Euclid: the distance, smallest first; with a filter and with_vector.
    json e = ok("POST", "/collections/h/points/query",
                R"({"query": [0, 0], "using": "e", "limit": 5, "with_vector": ["e"], "filter": {"must": [{"key": "g", "match": {"value": 1}}]}})");
    ASSERT_EQ(e["points"].size(), 2U);
    EXPECT_EQ(e["points"][0]["id"], 1);
    EXPECT_DOUBLE_EQ(e["points"][0]["score"].get<double>(), 0.0);
    EXPECT_EQ(e["points"][1]["id"], 3);
    EXPECT_DOUBLE_EQ(e["points"][1]["score"].get<double>(), 1.0);
    EXPECT_EQ(e["points"][1]["vector"]["e"], json::parse("[1.0, 0.0]"));
    EXPECT_FALSE(e["points"][1]["vector"].contains("d"));
    // A point id as the query: its stored vector.
    json byid = ok("POST", "/collections/h/points/query", R"({"query": 2, "using": "e", "limit": 1})");
    EXPECT_EQ(byid["points"][0]["id"], 2);
    // Legacy search API with a named dense vector.
    json s = ok("POST", "/collections/h/points/search", R"({"vector": {"name": "d", "vector": [0, 0, 1]}, "limit": 1, "score_threshold": 0.5})");
    ASSERT_EQ(s.size(), 1U);
    EXPECT_EQ(s[0]["id"], 3);
    // Sparse queries still work beside the dense vectors.
    json sp = ok("POST", "/collections/h/points/query", R"({"query": {"indices": [2], "values": [1]}, "using": "s"})");
    ASSERT_EQ(sp["points"].size(), 1U);
    EXPECT_EQ(sp["points"][0]["id"], 3);
    // with_vector returns the dense arrays (and the sparse vector).
    json got = ok("POST", "/collections/h/points", R"({"ids": [1], "with_vector": true})");
    EXPECT_EQ(got[0]["vector"]["d"], json::parse("[1.0, 0.0, 0.0]"));
    EXPECT_TRUE(got[0]["vector"].contains("s"));
}

// Dense lists in Qdrant's prefetch + fusion, and a dense (Euclid) vector
// re-scoring sparse candidates; values computed by hand from make_hybrid.
TEST_F(ServerDense, PrefetchFusionAndRescoringWithDenseVectors) {
    make_hybrid();
    // d-list for [1, 1, 0]: 2 (2), 3 (2), 1 (1); s-list for {1: 1, 2: 1}: 3 (2), 1 (1).
    // rrf, k = 2: 3 = 1/3 + 1/2, 1 = 1/4 + 1/3, 2 = 1/2.
    json r = ok("POST", "/collections/h/points/query", R"({"prefetch": [
        {"query": [1, 1, 0], "using": "d", "limit": 3},
        {"query": {"indices": [1, 2], "values": [1, 1]}, "using": "s", "limit": 3}],
        "query": {"fusion": "rrf"}, "limit": 3})");
    ASSERT_EQ(r["points"].size(), 3U);
    EXPECT_EQ(r["points"][0]["id"], 3);
    EXPECT_NEAR(r["points"][0]["score"].get<double>(), 1.0 / 3 + 1.0 / 2, 1e-9);
    EXPECT_EQ(r["points"][1]["id"], 1);
    EXPECT_NEAR(r["points"][1]["score"].get<double>(), 1.0 / 4 + 1.0 / 3, 1e-9);
    EXPECT_EQ(r["points"][2]["id"], 2);
    EXPECT_NEAR(r["points"][2]["score"].get<double>(), 0.5, 1e-9);
    // Sparse candidates 3 and 1 re-scored by Euclid distance to [0, 0]: 1 (0) then 3 (1).
    json q = ok("POST", "/collections/h/points/query", R"({"prefetch": {"query": {"indices": [1, 2], "values": [1, 1]}, "using": "s", "limit": 2},
        "query": [0, 0], "using": "e", "limit": 5})");
    ASSERT_EQ(q["points"].size(), 2U);
    EXPECT_EQ(q["points"][0]["id"], 1);
    EXPECT_DOUBLE_EQ(q["points"][0]["score"].get<double>(), 0.0);
    EXPECT_EQ(q["points"][1]["id"], 3);
    EXPECT_DOUBLE_EQ(q["points"][1]["score"].get<double>(), 1.0);
}

TEST_F(ServerDense, UnnamedVectorAndCosine) {
    ok("PUT", "/collections/u", R"({"vectors": {"size": 2, "distance": "Cosine"}, "hnsw_config": {"m": 8, "ef_construct": 40}})");
    ok("PUT", "/collections/u/points?wait=true", R"({"points": [{"id": 1, "vector": [3, 4]}, {"id": 2, "vector": [1, 0]}]})");
    json r = ok("POST", "/collections/u/points/query", R"({"query": [1, 0], "limit": 2, "with_vector": true})");
    ASSERT_EQ(r["points"].size(), 2U);
    EXPECT_EQ(r["points"][0]["id"], 2);
    EXPECT_NEAR(r["points"][1]["score"].get<double>(), 0.6, 1e-6);
    EXPECT_NEAR(r["points"][1]["vector"]["default"][1].get<double>(), 0.8, 1e-6);  // stored normalized
    json s = ok("POST", "/collections/u/points/search", R"({"vector": [0, 1], "limit": 1})");
    EXPECT_EQ(s[0]["id"], 1);
    const json info = ok("GET", "/collections/u");
    EXPECT_EQ(info["config"]["params"]["vectors"]["default"]["hnsw_config"]["m"], 8);
}

TEST_F(ServerDense, BadInput) {
    make_hybrid();
    auto [st, msg] = fail("PUT", "/collections/x", R"({"vectors": {"d": {"size": 3, "distance": "Manhattan"}}})");
    EXPECT_EQ(st, 400);
    EXPECT_NE(msg.find("Manhattan is not supported"), std::string::npos) << msg;
    std::tie(st, msg) = fail("PUT", "/collections/x", R"({"vectors": {"d": {"distance": "Dot"}}})");
    EXPECT_NE(msg.find("vectors.d.size: required"), std::string::npos) << msg;
    std::tie(st, msg) = fail("PUT", "/collections/x", R"({"vectors": {"s": {"size": 2, "distance": "Dot"}}, "sparse_vectors": {"s": {}}})");
    EXPECT_NE(msg.find("used by a sparse and a dense vector"), std::string::npos) << msg;
    std::tie(st, msg) = fail("PUT", "/collections/h/points?wait=true", R"({"points": [{"id": 9, "vector": {"d": [1, 2]}}]})");
    EXPECT_EQ(st, 400);
    EXPECT_NE(msg.find("dense vector 'd' has 2 values, its dimension is 3"), std::string::npos) << msg;
    std::tie(st, msg) = fail("POST", "/collections/h/points/query", R"({"query": [1, 2], "using": "d"})");
    EXPECT_EQ(st, 400);
    EXPECT_NE(msg.find("2 values, the vector's dimension is 3"), std::string::npos) << msg;
    std::tie(st, msg) = fail("POST", "/collections/h/points/query", R"({"query": [1, 2, 3]})");
    EXPECT_NE(msg.find("several dense vectors"), std::string::npos) << msg;
    std::tie(st, msg) = fail("POST", "/collections/h/points/query", R"({"query": [1, 2, 3], "using": "d", "params": {"algorithm": "bmp"}})");
    EXPECT_NE(msg.find("unknown field `algorithm` for a dense vector"), std::string::npos) << msg;
    std::tie(st, msg) = fail("POST", "/collections/h/points/query", R"({"query": {"indices": [1], "values": [1]}, "using": "d"})");
    EXPECT_NE(msg.find("is dense: give a list of 3 numbers"), std::string::npos) << msg;
}

}  // namespace
}  // namespace spindle::server
