// spindle's Qdrant-compatible REST API through Service::handle (no sockets):
// each endpoint's happy path, and bad input with its exact status and message.
#include <fmt/format.h>
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>
#include <string>

#include "server_fixture.hpp"
#include "spindle/server/service.hpp"
#include "test_util.hpp"

namespace spindle::server {
namespace {

using nlohmann::json;

class ServerTest : public test::ServiceTest {
protected:
    void make_collection() {
        ok("PUT", "/collections/c", R"({"sparse_vectors": {"s": {"index": {"datatype": "float32"}}}})");
        ok("PUT", "/collections/c/index?wait=true", R"({"field_name": "tag", "field_schema": "keyword"})");
        ok("PUT", "/collections/c/points?wait=true", R"({"points": [
            {"id": 1, "vector": {"s": {"indices": [1, 2], "values": [1, 2]}}, "payload": {"tag": "a", "n": 1}},
            {"id": 2, "vector": {"s": {"indices": [2, 3], "values": [0.5, 4]}}, "payload": {"tag": "b", "n": 2}},
            {"id": "6BA7B810-9DAD-11D1-80B4-00C04FD430C8", "vector": {"s": {"indices": [3], "values": [1]}}, "payload": {"tag": "a"}}]})");
    }
};

TEST_F(ServerTest, RootHealthAndCollections) {
    const HttpResponse root = call("GET", "/");
    EXPECT_EQ(root.status, 200);
    EXPECT_EQ(json::parse(root.body)["version"], kQdrantApiVersion);
    EXPECT_EQ(call("GET", "/healthz").status, 200);
    EXPECT_EQ(call("GET", "/readyz").status, 200);
    EXPECT_EQ(ok("GET", "/collections")["collections"].size(), 0u);
    EXPECT_EQ(ok("GET", "/collections/c/exists")["exists"], false);
    make_collection();
    EXPECT_EQ(ok("GET", "/collections")["collections"][0]["name"], "c");
    EXPECT_EQ(ok("GET", "/collections/c/exists")["exists"], true);
    const json info = ok("GET", "/collections/c");
    EXPECT_EQ(info["points_count"], 3);
    EXPECT_EQ(info["payload_schema"]["tag"]["data_type"], "keyword");
    EXPECT_EQ(info["config"]["params"]["sparse_vectors"]["s"]["index"]["datatype"], "float32");
    EXPECT_EQ(fail("PUT", "/collections/c", R"({"sparse_vectors": {"s": {}}})"),
              std::make_pair(409, std::string("Wrong input: Collection `c` already exists!")));
    EXPECT_EQ(ok("DELETE", "/collections/c"), true);
    EXPECT_EQ(ok("DELETE", "/collections/c"), false);
    EXPECT_EQ(ok("GET", "/collections/c/exists")["exists"], false);
}

TEST_F(ServerTest, CollectionsSurviveARestart) {
    make_collection();
    svc_->flush_all();
    svc_.reset();
    svc_ = make(ServiceOptions{});
    EXPECT_EQ(ok("POST", "/collections/c/points/count", "{}")["count"], 3);
}

TEST_F(ServerTest, QuerySearchCountScrollRetrieveDelete) {
    make_collection();
    json r = ok("POST", "/collections/c/points/query", R"({"query": {"indices": [2, 3], "values": [1, 1]}, "using": "s", "with_payload": true})");
    ASSERT_EQ(r["points"].size(), 3u);
    EXPECT_EQ(r["points"][0]["id"], 2);
    EXPECT_DOUBLE_EQ(r["points"][0]["score"].get<double>(), 4.5);
    EXPECT_EQ(r["points"][0]["payload"]["tag"], "b");
    EXPECT_EQ(r["points"][1]["id"], 1);
    EXPECT_EQ(r["points"][2]["id"], "6ba7b810-9dad-11d1-80b4-00c04fd430c8");
    // nearest form, filter, limit/offset, score_threshold
    r = ok("POST", "/collections/c/points/query",
           R"({"query": {"nearest": {"indices": [2, 3], "values": [1, 1]}}, "filter": {"must": [{"key": "tag", "match": {"value": "a"}}]}, "limit": 1, "offset": 1})");
    ASSERT_EQ(r["points"].size(), 1u);
    EXPECT_EQ(r["points"][0]["id"], "6ba7b810-9dad-11d1-80b4-00c04fd430c8");
    r = ok("POST", "/collections/c/points/query", R"({"query": {"indices": [2, 3], "values": [1, 1]}, "score_threshold": 2})");
    EXPECT_EQ(r["points"].size(), 2u);
    // spindle's knobs
    r = ok("POST", "/collections/c/points/query", R"({"query": {"indices": [2], "values": [1]}, "params": {"algorithm": "maxscore", "exact": true}})");
    EXPECT_EQ(r["points"].size(), 2u);
    // no query: id order
    r = ok("POST", "/collections/c/points/query", R"({"limit": 2})");
    EXPECT_EQ(r["points"][0]["id"], 1);
    EXPECT_EQ(r["points"][1]["id"], 2);
    // batch and legacy search
    r = ok("POST", "/collections/c/points/query/batch",
           R"({"searches": [{"query": {"indices": [1], "values": [1]}}, {"query": {"indices": [3], "values": [1]}, "limit": 1}]})");
    ASSERT_EQ(r.size(), 2u);
    EXPECT_EQ(r[0]["points"][0]["id"], 1);
    EXPECT_EQ(r[1]["points"].size(), 1u);
    r = ok("POST", "/collections/c/points/search", R"({"vector": {"name": "s", "vector": {"indices": [3], "values": [2]}}, "limit": 5, "with_payload": ["n"]})");
    ASSERT_EQ(r.size(), 2u);
    EXPECT_EQ(r[0]["id"], 2);
    EXPECT_DOUBLE_EQ(r[0]["score"].get<double>(), 8.0);
    EXPECT_EQ(r[0]["payload"], json({{"n", 2}}));
    // count, scroll, retrieve
    EXPECT_EQ(ok("POST", "/collections/c/points/count", R"({"filter": {"must": [{"key": "tag", "match": {"value": "a"}}]}})")["count"], 2);
    r = ok("POST", "/collections/c/points/scroll", R"({"limit": 2, "with_vector": true})");
    EXPECT_EQ(r["points"].size(), 2u);
    EXPECT_EQ(r["next_page_offset"], "6ba7b810-9dad-11d1-80b4-00c04fd430c8");
    EXPECT_EQ(r["points"][0]["vector"]["s"]["indices"], json::array({1, 2}));
    r = ok("POST", "/collections/c/points/scroll", R"({"offset": 2, "filter": {"must": [{"key": "n", "range": {"gte": 1}}]}})");
    EXPECT_EQ(r["points"].size(), 1u);
    EXPECT_TRUE(r["next_page_offset"].is_null());
    r = ok("POST", "/collections/c/points", R"({"ids": [2, 99, "6ba7b810-9dad-11d1-80b4-00c04fd430c8"]})");
    ASSERT_EQ(r.size(), 2u);
    EXPECT_EQ(r[0]["payload"]["tag"], "b");
    EXPECT_EQ(ok("GET", "/collections/c/points/1")["id"], 1);
    // delete by id and by filter
    EXPECT_EQ(ok("POST", "/collections/c/points/delete?wait=true", R"({"points": [1]})")["status"], "completed");
    EXPECT_EQ(ok("POST", "/collections/c/points/delete", R"({"filter": {"must": [{"key": "tag", "match": {"value": "a"}}]}})")["status"], "acknowledged");
    EXPECT_EQ(ok("POST", "/collections/c/points/count", "{}")["count"], 1);
    // batch upsert
    ok("PUT", "/collections/c/points", R"({"batch": {"ids": [10, 11], "vectors": {"s": [{"indices": [7], "values": [1]}, {"indices": [7], "values": [2]}]}, "payloads": [{"tag": "x"}, null]}})");
    r = ok("POST", "/collections/c/points/query", R"({"query": {"indices": [7], "values": [1]}})");
    EXPECT_EQ(r["points"][0]["id"], 11);
}

TEST_F(ServerTest, TokenVectors) {
    ok("PUT", "/collections/t", R"({"sparse_vectors": {"w": {"spindle": {"keys": "tokens"}}}})");
    ok("PUT", "/collections/t/points", R"({"points": [{"id": 1, "vector": {"w": {"hello": 1, "world": 0.5}}}, {"id": 2, "vector": {"w": {"world": 2}}}]})");
    const json r = ok("POST", "/collections/t/points/query", R"({"query": {"world": 1}})");
    EXPECT_EQ(r["points"][0]["id"], 2);
    EXPECT_EQ(fail("POST", "/collections/t/points/query", R"({"query": {"indices": [1], "values": [1]}})"),
              std::make_pair(400, std::string("Wrong input: query: this vector is keyed by tokens: give {\"token\": weight, ...}, not indices")));
    // Tokens that are also names of Qdrant query kinds (real WordPiece tokens
    // of MS MARCO queries) are tokens when their value is a number.
    ok("PUT", "/collections/t/points", R"({"points": [{"id": 3, "vector": {"w": {"sample": 3, "fusion": 1, "nearest": 1}}},
                                                      {"id": 4, "vector": {"w": {"indices": 2, "values": 1}}}]})");
    EXPECT_EQ(ok("POST", "/collections/t/points/query", R"({"query": {"values": 1, "indices": 1}})")["points"][0]["id"], 4);
    for (const char* tok : {"sample", "fusion", "nearest", "recommend", "order_by"}) {
        const json h = ok("POST", "/collections/t/points/query", fmt::format(R"({{"query": {{"{}": 1}}}})", tok));
        if (std::string(tok) == "recommend" || std::string(tok) == "order_by") {
            EXPECT_TRUE(h["points"].empty()) << tok;
        } else {
            ASSERT_EQ(h["points"].size(), 1U) << tok;
            EXPECT_EQ(h["points"][0]["id"], 3) << tok;
        }
    }
    EXPECT_EQ(fail("POST", "/collections/t/points/query", R"({"query": {"fusion": "rrf"}})"),
              std::make_pair(400, std::string("Wrong input: query: a fusion combines the results of prefetches: give `prefetch`")));
    EXPECT_EQ(fail("POST", "/collections/t/points/query", R"({"query": {"sample": "random"}})").first, 400);
    EXPECT_EQ(ok("POST", "/collections/t/points/query", R"({"query": {"nearest": {"world": 1}}})")["points"][0]["id"], 2);
}

// Query trees: prefetch (one or a list, nested) with fusion or re-scoring,
// as @qdrant/js-client-rest sends them; results equal Collection::query's.
TEST_F(ServerTest, HybridQueries) {
    ok("PUT", "/collections/h", R"({"sparse_vectors": {"a": {}, "b": {}}})");
    ok("PUT", "/collections/h/points?wait=true", R"({"points": [
        {"id": 1, "vector": {"a": {"indices": [1], "values": [3]}, "b": {"indices": [7], "values": [1]}}, "payload": {"g": 1}},
        {"id": 2, "vector": {"a": {"indices": [1], "values": [2]}, "b": {"indices": [7], "values": [3]}}, "payload": {"g": 2}},
        {"id": 3, "vector": {"a": {"indices": [1], "values": [1]}}, "payload": {"g": 1}},
        {"id": 4, "vector": {"b": {"indices": [7], "values": [2]}}, "payload": {"g": 2}}]})");
    const std::string q = "/collections/h/points/query";
    const std::string pre = R"("prefetch": [{"query": {"indices": [1], "values": [1]}, "using": "a", "limit": 10},
                                            {"query": {"indices": [7], "values": [1]}, "using": "b", "limit": 10}])";
    // a: 1, 2, 3; b: 2, 4, 1. RRF (k 2): 1 = 1/2 + 1/4, 2 = 1/3 + 1/2, 4 = 1/3, 3 = 1/4.
    json r = ok("POST", q, "{" + pre + R"(, "query": {"fusion": "rrf"}, "with_payload": true})");
    ASSERT_EQ(r["points"].size(), 4U);
    const std::vector<std::pair<int, double>> want = {{2, 1.0 / 3 + 0.5}, {1, 0.75}, {4, 1.0 / 3}, {3, 0.25}};
    for (std::size_t i = 0; i < want.size(); ++i) {
        EXPECT_EQ(r["points"][i]["id"], want[i].first);
        EXPECT_NEAR(r["points"][i]["score"].get<double>(), want[i].second, 1e-9);
    }
    EXPECT_EQ(r["points"][0]["payload"]["g"], 2);
    // {"rrf": {"k", "weights"}}: weights 3:1 -> 1/((r + 1)/w + k - 1).
    r = ok("POST", q, "{" + pre + R"(, "query": {"rrf": {"k": 2, "weights": [3, 1]}}, "limit": 1, "offset": 1})");
    ASSERT_EQ(r["points"].size(), 1U);
    // 2: 1/(2/3 + 1) + 1/2 = 1.1 first; 1: 1/(1/3 + 1) + 1/(3 + 1) = 1.0 second.
    EXPECT_EQ(r["points"][0]["id"], 1);
    EXPECT_NEAR(r["points"][0]["score"].get<double>(), 1.0, 1e-9);
    // dbsf; a filter on the root reaches the prefetches.
    r = ok("POST", q, "{" + pre + R"(, "query": {"fusion": "dbsf"}, "filter": {"must": [{"key": "g", "match": {"value": 1}}]}})");
    ASSERT_EQ(r["points"].size(), 2U);
    EXPECT_EQ(r["points"][0]["id"], 1);  // a: 1, 3 -> 1 above 3; b: 1 alone (0.5)
    // spindle's convex extension.
    r = ok("POST", q, "{" + pre + R"(, "query": {"convex": {"alpha": 1.0}}})");
    EXPECT_EQ(r["points"][0]["id"], 1);
    EXPECT_NEAR(r["points"][0]["score"].get<double>(), 1.0, 1e-9);
    // A single prefetch object, re-scored by another vector.
    r = ok("POST", q, R"({"prefetch": {"query": {"indices": [1], "values": [1]}, "using": "a", "limit": 2},
                          "query": {"indices": [7], "values": [1]}, "using": "b"})");
    ASSERT_EQ(r["points"].size(), 2U);
    EXPECT_EQ(r["points"][0]["id"], 2);
    EXPECT_EQ(r["points"][1]["id"], 1);
    // Nested prefetches, and the batch endpoint.
    const std::string nested = R"({"prefetch": [{"prefetch": [{"query": {"indices": [1], "values": [1]}, "using": "a"},
                                                                {"query": {"indices": [7], "values": [1]}, "using": "b"}],
                                                   "query": {"fusion": "rrf"}, "limit": 3},
                                                  {"query": {"indices": [7], "values": [1]}, "using": "b"}],
                                     "query": {"fusion": "rrf"}})";
    const json one = ok("POST", q, nested);
    const json batch = ok("POST", q + "/batch", "{\"searches\": [" + nested + ", " + nested + "]}");
    ASSERT_EQ(batch.size(), 2U);
    EXPECT_EQ(batch[1]["points"], one["points"]);
    // Errors name the place.
    EXPECT_EQ(fail("POST", q, R"({"prefetch": [], "query": {"fusion": "rrf"}})"),
              std::make_pair(400, std::string("Wrong input: query: a fusion combines the results of prefetches: give `prefetch`")));
    EXPECT_EQ(fail("POST", q, "{" + pre + R"(, "query": {"rrf": {"weights": [1]}}})"),
              std::make_pair(400, std::string("Wrong input: rrf: 1 weights for 2 prefetch lists (give one weight per list)")));
    EXPECT_EQ(fail("POST", q, "{" + pre + R"(, "query": {"fusion": "rff"}})"),
              std::make_pair(400, std::string("Wrong input: query.fusion: unknown fusion `rff` (rrf, dbsf; spindle also has {\"convex\": {\"alpha\": a}})")));
    EXPECT_EQ(fail("POST", q, R"({"prefetch": [{"query": {"indices": [1], "values": [1]}, "using": "zz"}], "query": {"fusion": "rrf"}})"),
              std::make_pair(400, std::string("Wrong input: prefetch[0]: Not existing vector name error: zz")));
    EXPECT_EQ(fail("POST", q, R"({"prefetch": [{"using": "a"}], "query": {"fusion": "rrf"}})"),
              std::make_pair(400, std::string("Wrong input: prefetch[0].query: required in a prefetch")));
    EXPECT_EQ(fail("POST", q, "{" + pre + R"(})"),
              std::make_pair(400, std::string("Wrong input: query: required with prefetch (a vector query re-scoring the prefetched points, or a fusion)")));
    EXPECT_EQ(fail("POST", q, R"({"prefetch": {"prefetch": {"query": {"indices": [1], "values": ["x"]}, "using": "a"},
                                               "query": {"fusion": "rrf"}}, "query": {"fusion": "rrf"}})"),
              std::make_pair(400, std::string("Wrong input: prefetch.prefetch: query.values[0]: expected a number, got \"x\"")));
    // A prefetch's params and score_threshold: a: 1 (3), 2 (2) at least 2; b: 2, 4, 1.
    r = ok("POST", q, R"({"prefetch": [{"query": {"indices": [1], "values": [1]}, "using": "a", "score_threshold": 2,
                                        "params": {"algorithm": "exhaustive"}},
                                       {"query": {"indices": [7], "values": [1]}, "using": "b", "limit": 1}],
                          "query": {"fusion": "rrf"}})");
    ASSERT_EQ(r["points"].size(), 2U);
    EXPECT_EQ(r["points"][0]["id"], 2);  // 1/3 + 1/2
    EXPECT_EQ(r["points"][1]["id"], 1);  // 1/2
    EXPECT_EQ(fail("POST", q, R"({"prefetch": {"query": {"indices": [1], "values": [1]}, "using": "a", "offset": 1}, "query": {"fusion": "rrf"}})"),
              std::make_pair(400, std::string("Wrong input: prefetch.offset: a prefetch has no offset (the request's offset applies to the final results)")));
    EXPECT_EQ(fail("POST", q, "{" + pre + R"(, "query": {"rrf": {"k": 2, "x": 1}}})"),
              std::make_pair(400, std::string("Wrong input: query.rrf.x: unknown field")));
}

TEST_F(ServerTest, BadInput) {
    make_collection();
    const std::string q = "/collections/c/points/query";
    EXPECT_EQ(fail("POST", q, "{\"query\": "),
              std::make_pair(400, std::string("Wrong input: malformed JSON body: parse error at line 1, column 11: syntax error while parsing value - unexpected end of input; expected '[', '{', or a literal")));
    EXPECT_EQ(fail("POST", q, R"({"query": {"indices": [1], "values": [NaN]}})").first, 400);
    EXPECT_EQ(fail("POST", q, R"({"query": {"indices": [1], "values": [1e400]}})"),
              std::make_pair(400, std::string("Wrong input: malformed JSON body: number overflow parsing '1e400'")));
    EXPECT_EQ(fail("POST", q, R"({"query": {"indices": [1], "values": [1e39]}})"),
              std::make_pair(400, std::string("Wrong input: query.values[0]: not a finite 32-bit number")));
    EXPECT_EQ(fail("POST", q, R"({"query": {"indices": [1], "values": ["x"]}})"),
              std::make_pair(400, std::string("Wrong input: query.values[0]: expected a number, got \"x\"")));
    EXPECT_EQ(fail("POST", q, R"({"query": {"indices": [-1], "values": [1]}})"),
              std::make_pair(400, std::string("Wrong input: query.indices[0]: expected an integer in [0, 4294967295], got -1")));
    EXPECT_EQ(fail("POST", q, R"({"query": {"indices": [1, 2], "values": [1]}})"),
              std::make_pair(400, std::string("Wrong input: query: indices and values differ in length (2 vs 1)")));
    EXPECT_EQ(fail("POST", q, R"({"query": {"indices": [1], "values": [1]}, "limit": "ten"})"),
              std::make_pair(400, std::string("Wrong input: limit: expected an unsigned integer, got \"ten\"")));
    EXPECT_EQ(fail("POST", q, R"({"query": {"indices": [1], "values": [1]}, "using": "nope"})"),
              std::make_pair(400, std::string("Wrong input: Not existing vector name error: nope")));
    EXPECT_EQ(fail("POST", q, R"({"query": {"indices": [1], "values": [1]}, "params": {"hnsw": 1}})").first, 400);
    EXPECT_EQ(fail("POST", q, R"({"query": {"indices": [1], "values": [1]}, "params": {"target_recall": 0.9}})"),
              std::make_pair(400, std::string("Wrong input: target_recall: vector `s` has no tuned approx setting; run spindle tune (or spindle.tune) with --target-recall 0.9 first")));
    EXPECT_EQ(fail("POST", q, R"({"query": {"indices": [1], "values": [1]}, "filter": {"must": [{"key": "n", "range": {"gte": "x"}}]}})").first, 400);
    EXPECT_EQ(fail("POST", q, "[1, 2]"), std::make_pair(400, std::string("Wrong input: query: expected a JSON object, got array")));
    EXPECT_EQ(fail("PUT", "/collections/c/points", R"({"points": [{"id": -3, "vector": {}}]})"),
              std::make_pair(400, std::string("Wrong input: points[0].id: a point id must be an unsigned integer or a UUID string, got -3")));
    EXPECT_EQ(fail("PUT", "/collections/c/points", R"({"points": [{"id": 3, "vector": {"other": {"indices": [1], "values": [1]}}}]})"),
              std::make_pair(400, std::string("Wrong input: points[0].vector: Not existing vector name error: other")));
    EXPECT_EQ(fail("PUT", "/collections/c/points", R"({"points": [{"id": 3, "vector": [0.1, 0.2]}]})").first, 400);
    EXPECT_EQ(fail("PUT", "/collections/c/points", R"({"points": [{"id": 3, "vector": {"s": {"indices": [1], "values": [-1]}}}]})"),
              std::make_pair(400, std::string("Wrong input: points[0].vector.s.values[0]: negative weight -1 (sparse weights must be >= 0)")));
    EXPECT_EQ(fail("POST", "/collections/nope/points/query", "{}"),
              std::make_pair(404, std::string("Not found: Collection `nope` doesn't exist!")));
    EXPECT_EQ(fail("GET", "/nope").first, 404);
    EXPECT_EQ(fail("PUT", "/collections/c/points/count").first, 405);
    EXPECT_EQ(fail("PUT", "/collections/bad$name", R"({"sparse_vectors": {"s": {}}})").first, 400);
    EXPECT_EQ(fail("PUT", "/collections/d", R"({"vectors": {"size": 4, "distance": "Manhattan"}})"),
              std::make_pair(400, std::string("Wrong input: vectors.distance: Manhattan is not supported (Cosine, Dot, Euclid)")));
    // A payload index on a collection that holds points is built over them;
    // the same field with another type is refused.
    ok("PUT", "/collections/c/index?wait=true", R"({"field_name": "n", "field_schema": "integer"})");
    EXPECT_EQ(ok("GET", "/collections/c")["payload_schema"]["n"]["data_type"], "integer");
    EXPECT_EQ(ok("POST", "/collections/c/points/count", R"({"filter": {"must": [{"key": "n", "range": {"gte": 2}}]}})")["count"], 1);
    EXPECT_EQ(fail("PUT", "/collections/c/index", R"({"field_name": "tag", "field_schema": "integer"})"),
              std::make_pair(400, std::string("Wrong input: field_name: payload field `tag` is already indexed as keyword, not integer")));
    // Deep nesting and long arrays are refused while parsing.
    EXPECT_EQ(fail("POST", q, std::string(100, '[') + std::string(100, ']')),
              std::make_pair(400, std::string("Wrong input: JSON body nested deeper than 64 levels")));
}

TEST_F(ServerTest, BodyAndArrayBounds) {
    ServiceOptions o;
    o.max_body_bytes = 100;
    o.max_array_items = 4;
    auto s = make(o);
    EXPECT_EQ(fail("POST", "/collections/c/points/query", std::string(101, ' '), {}, s.get()),
              std::make_pair(413, std::string("Payload too large: the body has 101 bytes, more than the limit of 100 (--max-body-bytes)")));
    EXPECT_EQ(fail("POST", "/collections/c/points/query", "[1,2,3,4,5]", {}, s.get()),
              std::make_pair(400, std::string("Wrong input: JSON array of more than 4 items")));
}

TEST_F(ServerTest, ApiKeys) {
    svc_.reset();
    ServiceOptions o;
    o.api_key = "secret";
    o.read_only_key = "reader";
    auto s = make(o);
    const std::string create = R"({"sparse_vectors": {"s": {}}})";
    EXPECT_EQ(fail("GET", "/collections", {}, {}, s.get()),
              std::make_pair(401, std::string("Unauthorized: missing API key (send an `api-key` header or `Authorization: Bearer <key>`)")));
    EXPECT_EQ(fail("GET", "/collections", {}, {{"api-key", "wrong"}}, s.get()),
              std::make_pair(401, std::string("Unauthorized: invalid API key")));
    EXPECT_EQ(call("PUT", "/collections/c", create, {{"api-key", "secret"}}, s.get()).status, 200);
    EXPECT_EQ(call("GET", "/collections", {}, {{"authorization", "Bearer secret"}}, s.get()).status, 200);
    EXPECT_EQ(call("POST", "/collections/c/points/count", "{}", {{"api-key", "reader"}}, s.get()).status, 200);
    EXPECT_EQ(fail("DELETE", "/collections/c", {}, {{"api-key", "reader"}}, s.get()),
              std::make_pair(403, std::string("Forbidden: the read-only API key cannot write")));
    EXPECT_EQ(call("GET", "/healthz", {}, {}, s.get()).status, 200);
}

// The web console is a static page: served without a key (its API calls
// send one), as HTML, GET only.
TEST_F(ServerTest, ConsolePage) {
    svc_.reset();
    ServiceOptions o;
    o.api_key = "secret";
    auto s = make(o);
    const HttpResponse r = call("GET", "/console", {}, {}, s.get());
    EXPECT_EQ(r.status, 200);
    EXPECT_EQ(r.content_type, "text/html; charset=utf-8");
    EXPECT_EQ(r.endpoint, "/console");
    EXPECT_EQ(r.body.rfind("<!doctype html>", 0), 0U);
    EXPECT_NE(r.body.find("/points/query"), std::string::npos);
    EXPECT_NE(r.body.find("</html>"), std::string::npos);
    EXPECT_EQ(call("GET", "/console/", {}, {}, s.get()).status, 200);
    // Like /healthz, the route needs no key, so a wrong method is a 405.
    EXPECT_EQ(fail("POST", "/console", "{}", {}, s.get()),
              std::make_pair(405, std::string("Method not allowed: POST /console")));
}

TEST_F(ServerTest, Metrics) {
    make_collection();
    (void)call("POST", "/collections/nope/points/count", "{}");
    const HttpResponse m = call("GET", "/metrics");
    EXPECT_EQ(m.status, 200);
    EXPECT_NE(m.body.find("spindle_http_requests_total{method=\"POST\",endpoint=\"/collections/{name}/points/count\",status=\"404\"} 1"), std::string::npos);
    EXPECT_NE(m.body.find("spindle_http_request_duration_seconds_bucket{method=\"PUT\",endpoint=\"/collections/{name}/points\",status=\"200\",le=\"+Inf\"} 1"), std::string::npos);
    EXPECT_NE(m.body.find("spindle_collection_points{collection=\"c\"} 3"), std::string::npos);
    EXPECT_NE(m.body.find("spindle_collection_log_bytes{collection=\"c\"}"), std::string::npos);
}

// Mutated bodies of every endpoint: never a crash (ASan/UBSan in Debug) nor a 500.
TEST_F(ServerTest, MutatedBodiesGetClientErrors) {
    make_collection();
    const std::vector<std::pair<std::string, std::string>> seeds = {
        {"/collections/c/points/query", R"({"query": {"indices": [2, 3], "values": [1, 0.5]}, "filter": {"must": [{"key": "tag", "match": {"any": ["a"]}}]}, "limit": 3, "with_payload": ["tag"], "params": {"algorithm": "bmw"}})"},
        {"/collections/c/points/search", R"({"vector": {"name": "s", "vector": {"indices": [3], "values": [2]}}, "limit": 5, "offset": 1, "score_threshold": 0.5})"},
        {"/collections/c/points/scroll", R"({"limit": 2, "offset": 1, "filter": {"should": [{"key": "n", "range": {"gte": 1, "lt": 3}}, {"has_id": [2]}]}})"},
        {"/collections/c/points/count", R"({"filter": {"must_not": [{"is_empty": {"key": "tag"}}]}})"},
        {"/collections/c/points", R"({"ids": [1, "6ba7b810-9dad-11d1-80b4-00c04fd430c8"], "with_vector": true})"},
        {"/collections/c/points/query/batch", R"({"searches": [{"query": {"indices": [1], "values": [1]}}, {"query": 2}]})"},
    };
    std::uint64_t state = 12345;
    const auto next = [&] {
        state = state * 6364136223846793005ULL + 1442695040888963407ULL;
        return static_cast<std::uint32_t>(state >> 33U);
    };
    const std::string alphabet = "{}[]\":,0123456789.-eE truefalsnul\\";
    for (int iter = 0; iter < 3000; ++iter) {
        const auto& [path, seed] = seeds[next() % seeds.size()];
        std::string body = seed;
        const int edits = 1 + static_cast<int>(next() % 4);
        for (int e = 0; e < edits && !body.empty(); ++e) {
            const std::size_t at = next() % body.size();
            switch (next() % 3) {
                case 0: body[at] = alphabet[next() % alphabet.size()]; break;
                case 1: body.erase(at, 1 + next() % 3); break;
                default: body.insert(at, 1, alphabet[next() % alphabet.size()]); break;
            }
        }
        const HttpResponse r = call("POST", path, body);
        ASSERT_TRUE(r.status == 200 || r.status == 400 || r.status == 404) << r.status << " " << path << " " << body << " -> " << r.body;
    }
    // The upsert path too, on a second collection.
    ok("PUT", "/collections/u", R"({"sparse_vectors": {"s": {}}})");
    const std::string up = R"({"points": [{"id": 7, "vector": {"s": {"indices": [1, 9], "values": [1, 2]}}, "payload": {"k": [1, {"x": null}]}}]})";
    for (int iter = 0; iter < 1000; ++iter) {
        std::string body = up;
        const std::size_t at = next() % body.size();
        body[at] = alphabet[next() % alphabet.size()];
        const HttpResponse r = call("PUT", "/collections/u/points", body);
        ASSERT_TRUE(r.status == 200 || r.status == 400) << r.status << " " << body << " -> " << r.body;
    }
}

}  // namespace
}  // namespace spindle::server
