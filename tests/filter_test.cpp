// Filtered search: the filter parser (errors name the path), payload value
// semantics by hand, a randomized differential test (random payloads, random
// filters of every condition kind, nested, with deletions, replacements,
// flushes, merges and reopens: count(filter) equals the reference matcher,
// and every exact algorithm, through its own filtered traversal and through
// direct scoring, returns exactly the brute-force top-k of the allowed
// points, ties by id), the payload index file (persistence, reopen,
// corruption), delete by filter, approximate recall floors under filters
// of 0.1 %, 1 %, 10 % and 50 % selectivity, and the CLI (search and bench --filter).
#include <gtest/gtest.h>

#include <algorithm>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <map>
#include <nlohmann/json.hpp>
#include <random>
#include <set>
#include <sstream>
#include <sys/wait.h>

#include "spindle/collection/collection.hpp"
#include "spindle/collection/filter.hpp"
#include "spindle/common/error.hpp"
#include "spindle/io/file_util.hpp"
#include "spindle/query/allow_set.hpp"
#include "test_util.hpp"

namespace spindle {
namespace {

using nlohmann::json;
using test::TempDir;

// --- parser ---------------------------------------------------------------

TEST(FilterParser, ErrorsNameThePath) {
    const std::vector<std::pair<std::string, std::string>> cases = {
        {R"({"must": [{"key":"a","match":{"value":1}}, {"key":"b","match":{"value":2}}, {"key":"c","range":{"gte":"x"}}]})",
         "filter: must[2].range.gte: 'x' is not an RFC 3339 date-time"},
        {R"({"must": [{"key":"a","range":{"gte":true}}]})", "filter: must[0].range.gte: expected a number or an RFC 3339 date-time"},
        {R"({"must": [{"key":"a","range":{"ge":1}}]})", "filter: must[0].range.ge: unknown bound"},
        {R"({"must": [{"key":"a","range":{}}]})", "filter: must[0].range: expected an object with gt, gte, lt or lte"},
        {R"({"should": [{"key":"a","match":{"value":1.5}}]})", "filter: should[0].match.value: expected a string, an integer or a bool"},
        {R"({"should": [{"key":"a","match":{"any":"x"}}]})", "filter: should[0].match.any: expected an array"},
        {R"({"should": [{"key":"a","match":{"any":["x", null]}}]})", "filter: should[0].match.any[1]: expected a string"},
        {R"({"must_not": [{"key":"a","match":{"like":"x"}}]})", "filter: must_not[0].match.like: unknown match"},
        {R"({"must": [{"key":"a"}]})", "filter: must[0]: a field condition needs exactly one of 'match' and 'range'"},
        {R"({"must": [{"key":"a","match":{"value":1},"range":{"gt":1}}]})", "exactly one of 'match' and 'range'"},
        {R"({"must": [{"key":"","match":{"value":1}}]})", "filter: must[0].key: invalid payload key ''"},
        {R"({"must": [{"key":5,"match":{"value":1}}]})", "filter: must[0].key: expected a string"},
        {R"({"must": [{"has_id":[1,-2]}]})", "filter: must[0].has_id[1]: expected an unsigned integer or a string"},
        {R"({"must": [{"has_id":1}]})", "filter: must[0].has_id: expected an array of ids"},
        {R"({"must": [{"is_empty":{"field":"a"}}]})", "filter: must[0].is_empty: expected {\"key\": ...}"},
        {R"({"must": [{"is_null":"a"}]})", "filter: must[0].is_null: expected {\"key\": ...}"},
        {R"({"must": [{"frob":1}]})", "filter: must[0].frob: unknown condition"},
        {R"({"must": [{"must": [], "frob": 2}]})", "filter: must[0].frob: unknown condition"},
        {R"({"must": [{"must":[{"should":[{"key":"a","range":{"lt":[]}}]}]}]})",
         "filter: must[0].must[0].should[0].range.lt: expected a number"},
        {R"({"must": [{"nested":{"key":"a","filter":{}}}]})", "filter: must[0].nested: nested object-array conditions are not supported"},
        {R"({"min_should": {"conditions": [{"key":"a","match":{"value":1}}]}})", "filter: min_should.min_count: expected an unsigned integer"},
        {R"({"min_should": {"conditions": [{"key":"a","match":{"value":1}}], "min_count": 2}})",
         "filter: min_should.min_count: 2 exceeds the 1 conditions"},
        {R"({"min_should": {"conds": []}})", "filter: min_should.conds: unknown member"},
        {R"({"must": 3})", "filter: must: expected an array of conditions"},
        {R"({"filter": []})", "filter: filter: unknown member (valid: must, should, must_not, min_should)"},
        {R"([])", "filter: expected an object"},
        {R"({"must": [)", "filter: not valid JSON"},
        {R"({"must": [3]})", "filter: must[0]: expected an object"},
    };
    for (const auto& [text, want] : cases) {
        try {
            (void)parse_filter(text);
            ADD_FAILURE() << "accepted " << text;
        } catch (const InvalidArgument& e) {
            EXPECT_NE(std::string(e.what()).find(want), std::string::npos) << text << "\n  got: " << e.what();
        }
    }
    std::string deep = R"({"key":"a","match":{"value":1}})";
    for (int i = 0; i < 40; ++i) deep = R"({"must":[)" + deep + "]}";
    test::expect_message([&] { (void)parse_filter(deep); }, "nest deeper than 32 levels");
}

TEST(FilterParser, AcceptsQdrantShapes) {
    const Filter f = parse_filter(R"({
        "must": {"key": "city", "match": {"value": "London"}},
        "should": [{"key": "n", "range": {"gt": 1, "lte": 5.5, "lt": null}},
                   {"has_id": [1, "doc-2"]},
                   {"must_not": [{"is_empty": {"key": "x"}}]}],
        "must_not": [{"is_null": {"key": "y.z"}}, {"key": "t", "match": {"except": [true, 3, "s"]}}],
        "min_should": {"conditions": [{"key": "d", "range": {"gte": "2024-01-01T00:00:00Z"}}], "min_count": 1}
    })");
    ASSERT_EQ(f.must.size(), 1U);
    EXPECT_EQ(f.must[0].kind, Condition::Kind::match_value);
    ASSERT_EQ(f.should.size(), 3U);
    EXPECT_EQ(*f.should[0].gt, 1.0);
    EXPECT_EQ(*f.should[0].lte, 5.5);
    EXPECT_FALSE(f.should[0].lt.has_value());
    EXPECT_EQ(f.should[1].ids, (std::vector<PointId>{PointId(1), PointId::key("doc-2")}));
    EXPECT_EQ(f.should[2].kind, Condition::Kind::filter);
    EXPECT_EQ(f.must_not[1].values.size(), 3U);
    EXPECT_EQ(*f.min_should[0].gte, 1704067200.0 * 1e6);
    EXPECT_TRUE(parse_filter("{}").empty());
}

TEST(Rfc3339, ParsesAndRejects) {
    EXPECT_EQ(parse_rfc3339("1970-01-01T00:00:00Z"), 0);
    EXPECT_EQ(parse_rfc3339("1970-01-01"), 0);
    EXPECT_EQ(parse_rfc3339("2024-02-29T12:30:15.5Z"), 1709209815500000LL);
    EXPECT_EQ(parse_rfc3339("2024-02-29T14:30:15.5+02:00"), 1709209815500000LL);
    EXPECT_EQ(parse_rfc3339("1969-12-31T23:59:59Z"), -1000000);
    for (const char* bad : {"2023-02-29", "2024-13-01", "2024-01-01T25:00:00Z", "2024-01-01T00:00:00", "2024-1-01",
                            "x", "", "2024-01-01T00:00:00.Z", "2024-01-01T00:00:00+0200", "2024-01-01T00:00:00Zjunk"}) {
        EXPECT_FALSE(parse_rfc3339(bad).has_value()) << bad;
    }
}

// --- semantics by hand --------------------------------------------------------

bool matches(const std::string& filter, const std::string& payload, const PayloadSchema& schema = {}, PointId id = 1) {
    return filter_matches(parse_filter(filter), id, payload.empty() ? json() : json::parse(payload), schema);
}

TEST(FilterSemantics, ByHand) {
    const std::string cat_a = R"({"must":[{"key":"cat","match":{"value":"a"}}]})";
    EXPECT_TRUE(matches(cat_a, R"({"cat":"a"})"));
    EXPECT_TRUE(matches(cat_a, R"({"cat":["b","a"]})"));
    EXPECT_FALSE(matches(cat_a, R"({"cat":"b"})"));
    EXPECT_FALSE(matches(cat_a, R"({})"));
    EXPECT_FALSE(matches(cat_a, ""));
    // Dotted keys walk objects and arrays of objects.
    EXPECT_TRUE(matches(R"({"must":[{"key":"m.l","match":{"value":"en"}}]})", R"({"m":[{"l":"de"},{"l":["en"]}]})"));
    // Integers and numbers.
    const std::string year = R"({"must":[{"key":"y","range":{"gte":2000,"lt":2010}}]})";
    EXPECT_TRUE(matches(year, R"({"y":2000})"));
    EXPECT_TRUE(matches(year, R"({"y":2009.5})"));
    EXPECT_FALSE(matches(year, R"({"y":2009.5})", {{"y", PayloadType::integer}}));  // an integer field ignores floats
    EXPECT_FALSE(matches(year, R"({"y":2010})"));
    EXPECT_FALSE(matches(year, R"({"y":"2005"})"));
    EXPECT_TRUE(matches(R"({"must":[{"key":"n","match":{"value":3}}]})", R"({"n":[1,3]})"));
    EXPECT_FALSE(matches(R"({"must":[{"key":"n","match":{"value":3}}]})", R"({"n":3.0})"));
    EXPECT_FALSE(matches(R"({"must":[{"key":"n","match":{"value":3}}]})", R"({"n":"3"})"));
    // Datetimes compare as instants.
    const std::string after = R"({"must":[{"key":"t","range":{"gt":"2024-01-01T00:00:00Z"}}]})";
    EXPECT_TRUE(matches(after, R"({"t":"2024-01-01T01:00:00+00:30"})", {{"t", PayloadType::datetime}}));
    EXPECT_FALSE(matches(after, R"({"t":"2024-01-01T01:00:00+01:00"})", {{"t", PayloadType::datetime}}));
    EXPECT_FALSE(matches(after, R"({"t":"soon"})", {{"t", PayloadType::datetime}}));
    // except: some value outside the list; a missing field does not match.
    const std::string except = R"({"must":[{"key":"c","match":{"except":["a","b"]}}]})";
    EXPECT_TRUE(matches(except, R"({"c":["a","z"]})"));
    EXPECT_FALSE(matches(except, R"({"c":["a","b"]})"));
    EXPECT_FALSE(matches(except, R"({})"));
    // is_empty / is_null.
    const std::string empty = R"({"must":[{"is_empty":{"key":"e"}}]})";
    EXPECT_TRUE(matches(empty, R"({})"));
    EXPECT_TRUE(matches(empty, R"({"e":null})"));
    EXPECT_TRUE(matches(empty, R"({"e":[]})"));
    EXPECT_FALSE(matches(empty, R"({"e":0})"));
    const std::string null = R"({"must":[{"is_null":{"key":"e"}}]})";
    EXPECT_TRUE(matches(null, R"({"e":null})"));
    EXPECT_FALSE(matches(null, R"({})"));
    EXPECT_FALSE(matches(null, R"({"e":[]})"));
    // Clauses.
    const std::string clauses = R"({"should":[{"key":"a","match":{"value":1}},{"key":"b","match":{"value":1}}],
                                   "must_not":[{"key":"c","match":{"value":1}}]})";
    EXPECT_TRUE(matches(clauses, R"({"a":1})"));
    EXPECT_FALSE(matches(clauses, R"({"a":1,"c":1})"));
    EXPECT_FALSE(matches(clauses, R"({"c":0})"));
    const std::string two_of = R"({"min_should":{"conditions":[{"key":"a","match":{"value":1}},{"key":"b","match":{"value":1}},
                                  {"key":"c","match":{"value":1}}],"min_count":2}})";
    EXPECT_TRUE(matches(two_of, R"({"a":1,"c":1})"));
    EXPECT_FALSE(matches(two_of, R"({"a":1,"c":2})"));
    EXPECT_TRUE(matches(R"({"must":[{"has_id":[7,"x"]}]})", "{}", {}, 7));
    EXPECT_FALSE(matches(R"({"must":[{"has_id":[7,"x"]}]})", "{}", {}, PointId::key("7")));
    EXPECT_TRUE(matches(R"({"must":[{"has_id":[7,"x"]}]})", "{}", {}, PointId::key("x")));
    EXPECT_TRUE(matches("{}", ""));
}

// --- the randomized differential test -------------------------------------

const PayloadSchema kSchema = {{"cat", PayloadType::keyword}, {"year", PayloadType::integer},
                               {"price", PayloadType::floating}, {"flag", PayloadType::boolean},
                               {"ts", PayloadType::datetime},   {"tags", PayloadType::keyword}};

std::string zipf_cat(std::mt19937_64& rng) {
    const double u = static_cast<double>(rng() % 100000) / 100000.0;
    return "c" + std::to_string(static_cast<int>(std::pow(u, 3.0) * 30));
}

std::string day(int d) {
    char buf[40];
    std::snprintf(buf, sizeof buf, "2024-03-%02dT%02d:00:00Z", 1 + d % 28, d % 24);
    return buf;
}

json random_payload(std::mt19937_64& rng) {
    json p = json::object();
    const auto roll = [&](int pct) { return static_cast<int>(rng() % 100) < pct; };
    if (roll(85)) {
        if (roll(20)) {
            json a = json::array();
            for (std::uint64_t i = 0, n = rng() % 3; i < n; ++i) a.push_back(zipf_cat(rng));
            p["cat"] = a;
        } else {
            p["cat"] = zipf_cat(rng);
        }
    } else if (roll(50)) {
        p["cat"] = nullptr;
    }
    if (roll(80)) p["year"] = 1995 + static_cast<int>(rng() % 30);
    if (roll(3)) p["year"] = "unknown";  // the wrong type for an integer index
    if (roll(80)) p["price"] = roll(30) ? json(static_cast<int>(rng() % 20)) : json(0.5 * static_cast<double>(rng() % 40));
    if (roll(70)) p["flag"] = roll(40);
    if (roll(75)) p["ts"] = day(static_cast<int>(rng() % 60));
    if (roll(60)) {
        json a = json::array();
        for (std::uint64_t i = 0, n = rng() % 4; i < n; ++i) a.push_back("t" + std::to_string(rng() % 10));
        p["tags"] = a;
    }
    if (roll(90)) p["tenant"] = static_cast<int>(rng() % 5);          // not indexed
    if (roll(60)) p["meta"] = {{"lang", roll(50) ? "en" : (roll(50) ? "de" : "fr")}};  // not indexed, dotted
    if (roll(10)) p["note"] = nullptr;                                   // not indexed
    return p;
}

PointId random_id(std::mt19937_64& rng, std::size_t universe) {
    const std::uint64_t n = rng() % universe;
    if (n % 4 == 0) return PointId::key("doc-" + std::to_string(n));
    return PointId(n);
}

json random_condition(std::mt19937_64& rng, int depth, std::size_t universe);

json random_filter(std::mt19937_64& rng, int depth, std::size_t universe) {
    json f = json::object();
    auto list = [&](std::size_t max) {
        json a = json::array();
        for (std::uint64_t i = 0, n = rng() % (max + 1); i < n; ++i) a.push_back(random_condition(rng, depth + 1, universe));
        return a;
    };
    if (rng() % 3 != 0) f["must"] = list(2);
    if (rng() % 3 == 0) f["should"] = list(3);
    if (rng() % 3 == 0) f["must_not"] = list(1);
    if (rng() % 5 == 0) {
        json c = list(3);
        if (!c.empty()) f["min_should"] = {{"conditions", c}, {"min_count", 1 + rng() % c.size()}};
    }
    return f;
}

json match_value_for(const std::string& key, std::mt19937_64& rng) {
    if (key == "cat") return zipf_cat(rng);
    if (key == "tags") return "t" + std::to_string(rng() % 10);
    if (key == "meta.lang") return rng() % 2 ? "en" : "de";
    if (key == "year") return 1995 + static_cast<int>(rng() % 30);
    if (key == "tenant") return static_cast<int>(rng() % 5);
    if (key == "price") return static_cast<int>(rng() % 20);
    return rng() % 2 == 0;  // flag
}

json random_condition(std::mt19937_64& rng, int depth, std::size_t universe) {
    static const std::vector<std::string> match_keys = {"cat", "tags", "meta.lang", "year", "tenant", "price", "flag"};
    static const std::vector<std::string> range_keys = {"year", "price", "ts", "tenant"};
    static const std::vector<std::string> all_keys = {"cat", "tags", "year", "price", "flag", "ts", "tenant", "meta.lang", "note", "missing"};
    const auto kind = rng() % (depth < 2 ? 9 : 8);
    switch (kind) {
        case 0:
        case 1: {
            const std::string k = match_keys[rng() % match_keys.size()];
            return {{"key", k}, {"match", {{"value", match_value_for(k, rng)}}}};
        }
        case 2: {
            const std::string k = match_keys[rng() % match_keys.size()];
            json a = json::array();
            for (std::uint64_t i = 0, n = 1 + rng() % 4; i < n; ++i) a.push_back(match_value_for(k, rng));
            return {{"key", k}, {"match", {{rng() % 3 == 0 ? "except" : "any", a}}}};
        }
        case 3:
        case 4: {
            const std::string k = range_keys[rng() % range_keys.size()];
            json r = json::object();
            auto bound = [&]() -> json {
                if (k == "year") return 1995 + static_cast<int>(rng() % 30);
                if (k == "price") return 0.5 * static_cast<double>(rng() % 40);
                if (k == "tenant") return static_cast<int>(rng() % 5);
                return day(static_cast<int>(rng() % 60));
            };
            const char* lo = rng() % 2 ? "gt" : "gte";
            const char* hi = rng() % 2 ? "lt" : "lte";
            if (rng() % 3 != 0) r[lo] = bound();
            if (rng() % 3 != 0 || r.empty()) r[hi] = bound();
            return {{"key", k}, {"range", r}};
        }
        case 5: {
            json ids = json::array();
            for (std::uint64_t i = 0, n = 1 + rng() % 20; i < n; ++i) {
                const PointId id = random_id(rng, universe);
                ids.push_back(id.is_number() ? json(id.number()) : json(id.str()));
            }
            return {{"has_id", ids}};
        }
        case 6: return {{"is_empty", {{"key", all_keys[rng() % all_keys.size()]}}}};
        case 7: return {{"is_null", {{"key", all_keys[rng() % all_keys.size()]}}}};
        default: return random_filter(rng, depth, universe);
    }
}

struct ModelPoint {
    std::map<std::string, float> v;
    json payload;
    std::string text;
};
using Model = std::map<PointId, ModelPoint>;

Point random_point(std::mt19937_64& rng, std::size_t universe, ModelPoint& m) {
    Point p;
    p.id = random_id(rng, universe);
    m = {};
    SparseVector v;
    std::set<std::string> used;
    for (std::uint64_t i = 0, n = rng() % 8; i < n; ++i) {
        const auto t = static_cast<std::size_t>(std::pow(static_cast<double>(rng() % 1000) / 1000.0, 3.0) * 30);
        const std::string tok = "w" + std::to_string(t);
        if (!used.insert(tok).second) continue;
        const float w = static_cast<float>(1 + rng() % 4) * 0.5F;  // few values: ties
        v.tokens.push_back(tok);
        v.values.push_back(w);
        m.v[tok] = w;
    }
    p.vectors.emplace("v", std::move(v));
    if (rng() % 20 != 0) {
        m.payload = random_payload(rng);
        m.text = m.payload.dump();
        p.payload = m.text;
    }
    return p;
}

struct Expected {
    PointId id;
    double score;
};

std::vector<Expected> brute_force(const Model& model, const Index& idx, const TextQuery& q, std::size_t k,
                                  const std::set<PointId>& allowed) {
    const QueryPlan plan = plan_query(idx, q);
    std::map<termid_t, QueryWeight> qw;
    for (std::size_t i = 0; i < plan.terms.size(); ++i) qw[plan.terms[i].term] = plan.weights[i];
    std::vector<Expected> all;
    for (const auto& [id, p] : model) {
        if (!allowed.contains(id)) continue;
        score_t s = 0;
        for (const auto& [tok, w] : p.v) {
            const auto t = idx.vocabulary().find(tok);
            if (!t) continue;
            const auto it = qw.find(*t);
            if (it != qw.end()) s += contrib<float>(it->second, w);
        }
        if (s > 0) all.push_back({id, static_cast<double>(s) * plan.inv_scale});
    }
    std::sort(all.begin(), all.end(), [](const Expected& x, const Expected& y) {
        return x.score > y.score || (x.score == y.score && x.id < y.id);
    });
    if (all.size() > k) all.resize(k);
    return all;
}

SearchRequest random_query(std::mt19937_64& rng) {
    SearchRequest r;
    std::set<std::string> seen;
    for (std::uint64_t i = 0, n = 1 + rng() % 5; i < n; ++i) {
        const std::string tok = "w" + std::to_string(rng() % 32);
        if (!seen.insert(tok).second) continue;
        r.query.tokens.push_back(tok);
        r.query.values.push_back(static_cast<float>(1 + rng() % 4) * 0.5F);
    }
    r.k = 1 + rng() % 15;
    return r;
}

/// `history`: filters of earlier checks, half of each check's filters are
/// taken from it, so that the filter cache's allow-sets of earlier segment
/// states (before upserts, deletions, flushes, merges, index changes) are
/// asked for again.
void check_filters(const Collection& c, const Model& model, const PayloadSchema& schema, std::mt19937_64& rng,
                   std::size_t universe, const std::string& where, std::map<std::string, int>& seen_selectivity,
                   std::vector<json>& history) {
    ASSERT_EQ(c.count(), model.size()) << where;
    const auto snap = c.snapshot();
    const auto idx = snap->index("v");
    for (int fi = 0; fi < 4; ++fi) {
        json fj;
        if (fi % 2 == 1 && !history.empty()) {
            fj = history[rng() % history.size()];
        } else {
            fj = random_filter(rng, 0, universe);
            if (history.size() < 12) history.push_back(fj);
        }
        const auto filter = std::make_shared<const Filter>(parse_filter(fj.dump()));
        std::set<PointId> allowed;
        for (const auto& [id, p] : model) {
            if (filter_matches(*filter, id, p.payload, schema)) allowed.insert(id);
        }
        const std::string w = where + " filter " + fj.dump();
        ASSERT_EQ(c.count(*filter), allowed.size()) << w;
        const double sel = model.empty() ? 0 : static_cast<double>(allowed.size()) / static_cast<double>(model.size());
        ++seen_selectivity[sel == 0 ? "0" : sel < 0.01 ? "<1%" : sel < 0.1 ? "<10%" : sel < 0.5 ? "<50%" : sel < 1 ? "<100%" : "100%"];
        for (int qi = 0; qi < 2; ++qi) {
            SearchRequest r = random_query(rng);
            r.filter = filter;
            const TextQuery tq = query_tokens(r, c.config().vectors.at("v"), "v");
            const auto want = brute_force(model, *idx, tq, r.k, allowed);
            for (Algorithm alg : {Algorithm::exhaustive, Algorithm::maxscore, Algorithm::bmw, Algorithm::bmp}) {
                for (const std::optional<bool> direct : {std::optional<bool>(false), std::optional<bool>(true), std::optional<bool>()}) {
                    r.algorithm = alg;
                    r.direct = direct;
                    const SearchResult got = c.search(r);
                    const std::string what = w + " " + std::string(to_string(alg)) + " direct " +
                                             (direct ? (*direct ? "yes" : "no") : "auto");
                    ASSERT_EQ(got.matched, allowed.size()) << what;
                    ASSERT_EQ(got.points.size(), want.size()) << what;
                    for (std::size_t i = 0; i < want.size(); ++i) {
                        ASSERT_EQ(got.points[i].id, want[i].id) << what << " rank " << i;
                        ASSERT_EQ(got.points[i].score, want[i].score) << what << " rank " << i;
                    }
                }
            }
        }
    }
}

/// How the differential test's collection gets its payload indexes.
enum class IndexMode { scan = 0, indexed = 1, added = 2 };  // added: add_payload_index part-way, over existing points

class FilterDifferential : public ::testing::TestWithParam<std::tuple<int, int>> {};

TEST_P(FilterDifferential, EveryExactAlgorithmEqualsBruteForceOverAllowedPoints) {
    skip_fsync_for_tests();
    const auto [seed_param, mode_param] = GetParam();
    const auto mode = static_cast<IndexMode>(mode_param);
    const bool indexed = mode == IndexMode::indexed;
    const auto seed = static_cast<std::uint64_t>(seed_param);
    std::mt19937_64 rng(seed * 104729 + (mode == IndexMode::scan ? 2 : mode == IndexMode::indexed ? 1 : 3));
    TempDir tmp;
    const std::string dir = tmp / "coll";
    CollectionConfig cfg;
    SparseVectorConfig v;
    v.weight_type = WeightType::f32;
    v.range_block = 1 + static_cast<std::uint32_t>(rng() % 8);
    cfg.vectors.emplace("v", v);
    cfg.segments.flush_docs = 20 + rng() % 60;
    cfg.segments.memory_merge_factor = 2 + static_cast<std::uint32_t>(rng() % 3);
    cfg.segments.merge_factor = 2 + static_cast<std::uint32_t>(rng() % 3);
    cfg.segments.tier_floor_docs = 20;
    if (indexed) cfg.payload_indexes = kSchema;
    PayloadSchema schema = indexed ? kSchema : PayloadSchema{};
    auto c = Collection::create(dir, cfg);
    Model model;
    const std::size_t universe = 150 + rng() % 350;
    std::map<std::string, int> seen;
    std::vector<json> history;
    for (int step = 0; step < 60; ++step) {
        const auto op = rng() % 10;
        const std::string where = "seed " + std::to_string(seed) +
                                  (mode == IndexMode::scan ? " scan" : mode == IndexMode::indexed ? " indexed" : " added") +
                                  " step " + std::to_string(step);
        if (mode == IndexMode::added && step == 30) {
            // Indexes declared over existing points (disk and in-memory segments).
            for (const auto& [key, type] : kSchema) c->add_payload_index(key, type);
            schema = kSchema;
            ASSERT_EQ(c->config().payload_indexes, kSchema) << where;
            for (const auto& seg : c->info().segments) {
                if (!seg.in_memory) {
                    EXPECT_EQ(seg.origin, "merge") << where << ": " << seg.name << " was not re-indexed";
                }
            }
            c->add_payload_index(kSchema.begin()->first, kSchema.begin()->second);  // again: nothing to do
            EXPECT_THROW(c->add_payload_index(kSchema.begin()->first, kSchema.begin()->second == PayloadType::keyword
                                                                          ? PayloadType::integer : PayloadType::keyword),
                         InvalidArgument);
            check_filters(*c, model, schema, rng, universe, where + " (just added)", seen, history);
            if (HasFatalFailure()) return;
        }
        if (op < 5) {
            std::vector<Point> batch;
            Model staged;
            for (std::uint64_t i = 0, n = 1 + rng() % 40; i < n; ++i) {
                ModelPoint m;
                batch.push_back(random_point(rng, universe, m));
                staged[batch.back().id] = m;
            }
            c->upsert(batch);
            for (auto& [id, m] : staged) model[id] = m;
        } else if (op < 7) {
            std::vector<PointId> ids;
            for (std::uint64_t i = 0, n = 1 + rng() % 10; i < n; ++i) ids.push_back(random_id(rng, universe));
            c->remove(ids);
            for (const auto& id : ids) model.erase(id);
        } else if (op == 7) {
            c->flush();
        } else if (op == 8 && step % 3 == 0) {
            c.reset();
            c = Collection::open(dir);
        } else {
            c->optimize(1 + rng() % 3);
        }
        if (step % 4 == 3) {
            check_filters(*c, model, schema, rng, universe, where, seen, history);
            if (HasFatalFailure()) return;
        }
    }
    // The random filters spanned selectivities from none to all points.
    std::string spread;
    for (const auto& [bucket, n] : seen) spread += bucket + ":" + std::to_string(n) + " ";
    RecordProperty("selectivities", spread);
    EXPECT_GE(seen.size(), 4U) << spread;
}

// 3 seeds per mode by default (each ~15 s under ASan); SPINDLE_TEST_SEEDS=N for more.
INSTANTIATE_TEST_SUITE_P(Seeds, FilterDifferential,
                         ::testing::Combine(::testing::Range(1, 1 + test::test_seeds(3)), ::testing::Values(0, 1)));
// Indexes added part-way: fewer seeds (each adds six rewrites of every segment).
INSTANTIATE_TEST_SUITE_P(Added, FilterDifferential,
                         ::testing::Combine(::testing::Range(1, 1 + std::max(1, test::test_seeds(3) * 2 / 3)), ::testing::Values(2)));

// Malformed filters give InvalidArgument, never another exception or a
// crash: random valid filters, byte-mutated, truncated and spliced (a
// deterministic companion of the libFuzzer target tests/fuzz/filter_fuzz.cpp;
// run under ASan by the Debug suite).
TEST(FilterParser, MutatedFiltersNeverCrash) {
    std::mt19937_64 rng(12);
    const std::string alphabet = "{}[]\":,. 0123456789-+eE.truefalsnmkyhs_idgtlmatchvaluenyexceptrangeis_emptynullmust";
    std::size_t accepted = 0, refused = 0;
    for (int i = 0; i < 4000; ++i) {
        std::string text = random_filter(rng, 0, 100).dump();
        const auto edits = 1 + rng() % 4;
        for (std::uint64_t e = 0; e < edits && !text.empty(); ++e) {
            const std::size_t at = rng() % text.size();
            switch (rng() % 4) {
                case 0: text[at] = alphabet[rng() % alphabet.size()]; break;
                case 1: text.erase(at, 1 + rng() % 8); break;
                case 2: text.insert(at, 1, alphabet[rng() % alphabet.size()]); break;
                default: text.resize(at); break;
            }
        }
        try {
            const Filter f = parse_filter(text);
            (void)filter_matches(f, PointId(1), json::parse(R"({"cat":["c1",null],"year":2000,"meta":{"lang":"en"}})"), kSchema);
            ++accepted;
        } catch (const InvalidArgument&) {
            ++refused;
        }
    }
    EXPECT_GT(accepted, 40U);  // both outcomes occur (83 / 3,917 with this seed)
    EXPECT_GT(refused, 1000U);
}

// --- payload index structures beyond one chunk ---------------------------------

TEST(PayloadIndexFile, WideRangesAndRoundTrip) {
    // More values than FieldIndex::kChunk, with repeats and arrays, so that
    // ranges take whole chunks plus partial ends; written and loaded back.
    std::mt19937_64 rng(3);
    std::vector<std::string> texts;
    for (int d = 0; d < 12000; ++d) {
        json p = json::object();
        if (rng() % 10 != 0) p["n"] = static_cast<int>(rng() % 700);
        if (rng() % 7 == 0) p["n"] = json::array({static_cast<int>(rng() % 700), 0.5 + static_cast<double>(rng() % 700)});
        p["k"] = "v" + std::to_string(rng() % 50);
        texts.push_back(p.dump());
    }
    const PayloadSchema schema = {{"n", PayloadType::floating}, {"k", PayloadType::keyword}};
    const std::vector<std::string_view> views(texts.begin(), texts.end());
    const PayloadIndex built = PayloadIndex::build(views, schema);
    TempDir tmp;
    built.write(tmp / "pidx.bin");
    const PayloadIndex loaded = PayloadIndex::load(tmp / "pidx.bin", texts.size());
    std::vector<json> docs;
    for (const auto& t : texts) docs.push_back(json::parse(t));
    for (int i = 0; i < 40; ++i) {
        double lo = static_cast<double>(rng() % 800) - 50;
        double hi = lo + static_cast<double>(rng() % 800);
        bool li = rng() % 2 == 0;
        bool hi_incl = rng() % 2 == 0;
        if (i == 0) lo = -1e9, hi = 1e9;                      // spans every value (FieldIndex::valued)
        if (i == 1) lo = 0, hi = 699.5, li = true, hi_incl = true;  // exactly the smallest to the largest
        Condition c;
        c.kind = Condition::Kind::range;
        c.key = "n";
        (li ? c.gte : c.gt) = lo;
        (hi_incl ? c.lte : c.lt) = hi;
        Filter f;
        f.must.push_back(c);
        Bitmap want;
        for (docid_t d = 0; d < docs.size(); ++d) {
            if (filter_matches(f, PointId(0), docs[d], schema)) want.add(d);
        }
        for (const PayloadIndex* ix : {&built, &loaded}) {
            const Bitmap got = ix->field("n")->range(lo, li, hi, hi_incl);
            ASSERT_EQ(got, want) << "range " << lo << ".." << hi << " cardinality " << want.cardinality();
        }
    }
    for (const auto& [t, b] : built.field("k")->terms) EXPECT_EQ(loaded.field("k")->terms.at(t), b);
    EXPECT_EQ(loaded.field("n")->empty, built.field("n")->empty);
    // A file for another document count is refused.
    test::expect_message([&] { (void)PayloadIndex::load(tmp / "pidx.bin", texts.size() + 1); }, "indexes 12000 documents");
}

TEST(AllowSet, BulkAssignEqualsTheBitmap) {
    // Array, bitset and run containers, values past num_docs, empty.
    std::mt19937_64 rng(11);
    for (int round = 0; round < 8; ++round) {
        Bitmap b;
        const docid_t n = 1 + static_cast<docid_t>(rng() % 300000);
        for (int i = 0; i < 2000; ++i) b.add(static_cast<std::uint32_t>(rng() % (n + 5000)));
        if (round % 2 == 0) b.addRange(n / 3, n / 3 + 70000);  // bitset or run containers
        if (round % 3 == 0) b.runOptimize();
        if (round == 7) b = Bitmap();
        const AllowSet a(b, n);
        std::uint64_t count = 0;
        for (docid_t d = 0; d < n; ++d) {
            ASSERT_EQ(a.contains(d), b.contains(d)) << "round " << round << " doc " << d;
            count += b.contains(d) ? 1 : 0;
        }
        EXPECT_EQ(a.count(), count);
        EXPECT_EQ(a.num_docs(), n);
        // bmp's aligned range test equals the general one, the last partial range included.
        for (const unsigned w : {1U, 2U, 4U, 8U, 16U, 32U, 64U}) {
            for (docid_t lo = 0; lo < n; lo += w) {
                ASSERT_EQ(a.any_in_aligned(lo, w), a.any_in(lo, std::min<docid_t>(n, lo + w)))
                    << "round " << round << " width " << w << " lo " << lo;
            }
        }
    }
}

// --- delete by filter ----------------------------------------------------------

TEST(FilteredCollection, DeleteByFilterAndCount) {
    skip_fsync_for_tests();
    TempDir tmp;
    CollectionConfig cfg;
    cfg.vectors.emplace("v", SparseVectorConfig{});
    cfg.payload_indexes = {{"n", PayloadType::integer}};
    auto c = Collection::create(tmp / "coll", cfg);
    std::vector<Point> pts;
    for (std::uint64_t i = 0; i < 100; ++i) {
        Point p;
        p.id = i;
        p.vectors["v"].tokens = {"a"};
        p.vectors["v"].values = {1.0F};
        p.payload = json{{"n", i % 10}, {"tenant", i < 50 ? "x" : "y"}}.dump();
        pts.push_back(std::move(p));
    }
    c->upsert(std::span<const Point>(pts.data(), 60));
    c->flush();
    c->upsert(std::span<const Point>(pts.data() + 60, 40));
    const Filter low = parse_filter(R"({"must":[{"key":"n","range":{"lt":3}}]})");
    EXPECT_EQ(c->count(low), 30U);
    EXPECT_EQ(c->count(parse_filter(R"({"must":[{"key":"tenant","match":{"value":"y"}}]})")), 50U);
    EXPECT_EQ(c->remove(low).applied, 30U);
    EXPECT_EQ(c->count(low), 0U);
    EXPECT_EQ(c->count(), 70U);
    EXPECT_EQ(c->count(Filter{}), 70U);
    SearchRequest r;
    r.query.tokens = {"a"};
    r.query.values = {1.0F};
    r.k = 100;
    r.filter = std::make_shared<const Filter>(parse_filter(R"({"must_not":[{"key":"tenant","match":{"value":"x"}}]})"));
    const auto res = c->search(r);
    EXPECT_EQ(res.matched, 35U);  // 50 of tenant y, minus n < 3
    EXPECT_EQ(res.points.size(), 35U);
}

// The filter cache: a filter repeated (whatever its JSON's spacing or key
// order) is served from the cache, a different one is not, and writes
// (deletions, upserts, flushes, merges) never let a search see an allow-set
// of an earlier state; with the cache off, results are the same.
TEST(FilterCache, HitsAndNeverStale) {
    skip_fsync_for_tests();
    TempDir tmp;
    CollectionConfig cfg;
    cfg.vectors.emplace("v", SparseVectorConfig{});
    cfg.payload_indexes = {{"n", PayloadType::integer}};
    auto c = Collection::create(tmp / "coll", cfg);
    auto point = [](std::uint64_t id, int n) {
        Point p;
        p.id = id;
        p.vectors["v"].tokens = {"a", "b"};
        p.vectors["v"].values = {1.0F + static_cast<float>(id % 7), 0.5F};
        p.payload = json{{"n", n}, {"tag", n % 2 == 0 ? "even" : "odd"}}.dump();
        return p;
    };
    std::map<std::uint64_t, int> model;  // id -> n
    auto upsert = [&](std::uint64_t from, std::uint64_t to, int shift) {
        std::vector<Point> pts;
        for (std::uint64_t i = from; i < to; ++i) {
            pts.push_back(point(i, static_cast<int>((i + shift) % 10)));
            model[i] = static_cast<int>((i + shift) % 10);
        }
        c->upsert(pts);
    };
    upsert(0, 120, 0);
    c->flush();
    upsert(120, 200, 0);  // one disk and one in-memory segment
    const std::string low = R"({"must":[{"key":"n","range":{"lt":3}}]})";
    const std::string low_again = R"({ "must" : [ { "range" : { "lt" : 3 }, "key" : "n" } ] })";
    const std::string low4 = R"({"must":[{"key":"n","range":{"lt":4}}]})";
    const std::string odd = R"({"must":[{"key":"tag","match":{"value":"odd"}}]})";
    auto expect = [&](const std::string& f, const std::string& where) {
        std::set<PointId> want;
        const Filter parsed = parse_filter(f);
        for (const auto& [id, n] : model) {
            if (filter_matches(parsed, id, json{{"n", n}, {"tag", n % 2 == 0 ? "even" : "odd"}}, cfg.payload_indexes)) want.insert(id);
        }
        SearchRequest r;
        r.query.tokens = {"a"};
        r.query.values = {1.0F};
        r.k = 1000;
        r.filter = std::make_shared<const Filter>(parsed);
        for (Algorithm alg : {Algorithm::bmp, Algorithm::exhaustive}) {
            r.algorithm = alg;
            const auto res = c->search(r);
            ASSERT_EQ(res.matched, want.size()) << where << " " << f;
            std::set<PointId> got;
            for (const auto& p : res.points) got.insert(p.id);
            ASSERT_EQ(got, want) << where << " " << f;
        }
        ASSERT_EQ(c->count(parsed), want.size()) << where << " count " << f;
    };
    const auto segs = c->info().segments.size();
    ASSERT_EQ(segs, 2U);
    expect(low, "first");
    auto st = c->info().filter_cache;
    EXPECT_EQ(st.misses, segs);      // the first search evaluates every segment
    EXPECT_EQ(st.hits, 2 * segs);    // the second algorithm and the count reuse them
    EXPECT_EQ(st.entries, segs);
    EXPECT_GT(st.bytes, 0U);
    expect(low_again, "same filter, other JSON");
    EXPECT_EQ(c->info().filter_cache.misses, segs);
    expect(low4, "other value");
    expect(odd, "other field");
    EXPECT_EQ(c->info().filter_cache.misses, 3 * segs);

    // Deletions of allowed points, replacements moving points in and out,
    // new points, a flush and a merge: never a stale allow-set.
    std::vector<PointId> gone;
    for (std::uint64_t i = 0; i < 200; i += 3) {
        if (model.at(i) < 3) {
            gone.push_back(i);
            model.erase(i);
        }
    }
    c->remove(gone);
    expect(low, "after deleting allowed points");
    upsert(50, 150, 1);  // replacements: n shifts by one
    expect(low, "after replacements");
    expect(odd, "after replacements");
    upsert(200, 260, 0);
    expect(low4, "after new points");
    c->flush();
    expect(low, "after a flush");
    c->optimize(1);
    expect(low, "after a merge");
    expect(odd, "after a merge");

    // Off: the same results, nothing kept.
    c.reset();
    OpenOptions off;
    off.filter_cache_bytes = 0;
    c = Collection::open(tmp / "coll", off);
    expect(low, "cache off");
    expect(odd, "cache off");
    st = c->info().filter_cache;
    EXPECT_EQ(st.entries, 0U);
    EXPECT_EQ(st.hits, 0U);

    // A budget of a few entries: older entries leave, the total stays within it.
    c.reset();
    OpenOptions tiny;
    tiny.filter_cache_bytes = 2000;
    c = Collection::open(tmp / "coll", tiny);
    for (int n = 1; n <= 10; ++n) expect(R"({"must":[{"key":"n","range":{"lt":)" + std::to_string(n) + "}}]}", "tiny budget");
    st = c->info().filter_cache;
    EXPECT_LE(st.bytes, 2000U);
    EXPECT_GE(st.entries, 1U);
    EXPECT_LT(st.entries, 10U);
    expect(low, "tiny budget, after evictions");
}

// --- persistence -----------------------------------------------------------------

TEST(FilteredCollection, PayloadIndexPersistsAndIsChecked) {
    skip_fsync_for_tests();
    TempDir tmp;
    const std::string dir = tmp / "coll";
    CollectionConfig cfg;
    cfg.vectors.emplace("v", SparseVectorConfig{});
    cfg.payload_indexes = kSchema;
    std::mt19937_64 rng(99);
    Model model;
    {
        auto c = Collection::create(dir, cfg);
        std::vector<Point> pts;
        for (int i = 0; i < 300; ++i) {
            ModelPoint m;
            pts.push_back(random_point(rng, 100000, m));
            model[pts.back().id] = m;
        }
        c->upsert(pts);
        c->flush();
    }
    const std::vector<std::string> filters = {
        R"({"must":[{"key":"cat","match":{"any":["c0","c1"]}}]})",
        R"({"must":[{"key":"year","range":{"gte":2000,"lt":2010}},{"key":"flag","match":{"value":true}}]})",
        R"({"should":[{"key":"ts","range":{"lt":"2024-03-10T00:00:00Z"}},{"is_empty":{"key":"tags"}}]})",
        R"({"must_not":[{"key":"price","range":{"gt":5}}],"must":[{"is_null":{"key":"cat"}}]})"};
    auto expected = [&](const std::string& f) {
        const Filter filter = parse_filter(f);
        std::size_t n = 0;
        for (const auto& [id, p] : model) n += filter_matches(filter, id, p.payload, kSchema) ? 1 : 0;
        return n;
    };
    {
        auto c = Collection::open(dir, {.read_only = true});
        ASSERT_EQ(c->info().segments.size(), 1U);
        for (const auto& f : filters) EXPECT_EQ(c->count(parse_filter(f)), expected(f)) << f;
        EXPECT_GT(c->info().manifest.segments[0].payload_index_bytes, 0U);
    }
    // The file is versioned and checksummed like every other index file.
    const std::string seg = dir + "/" + Collection::open(dir, {.read_only = true})->info().segments[0].name;
    const std::string file = seg + "/payload_index.bin";
    ASSERT_TRUE(std::filesystem::exists(file));
    {
        std::fstream f(file, std::ios::in | std::ios::out | std::ios::binary);
        f.seekp(static_cast<std::streamoff>(std::filesystem::file_size(file) - 3));
        f.put('\x5a');
    }
    test::expect_message([&] { (void)Collection::open(dir, {.read_only = true}); }, "payload_index.bin");
}

// --- approximate search under filters ---------------------------------------------

// Recall@10 of approx (query_cut 5, heap_factor 0.9: the settings of
// approx_test's unfiltered floor, measured 0.935 there) against the exact
// filtered top-10, at selectivities 0.1 %, 1 %, 10 % and 50 % of 6,000
// documents, two ways: as searches run (auto: allow-sets up to
// score_directly()'s threshold are scored exactly through the forward index,
// so 0.1 % and 1 % are exact here) and with the approximate traversal forced
// at every selectivity (direct = false). Floors: the unfiltered recall minus
// 0.02 (0.915) wherever the traversal runs at >= 10 % or by auto; 0.85 for the
// forced traversal below 10 %, where the query_cut lists hold few allowed
// documents (measured: forced 1.000 / 0.887 / 0.946 / 0.932; auto 1 / 1 / 1 /
// 0.932, the first three under the direct threshold of 1,024 documents).
struct RecallFloor {
    int per10k;
    double automatic;
    double forced;
};
constexpr RecallFloor kFilteredRecallFloors[] = {{10, 0.915, 0.85}, {100, 0.915, 0.85}, {1000, 0.915, 0.915}, {5000, 0.915, 0.915}};

TEST(FilteredApprox, RecallFloorAtSeveralSelectivities) {
    skip_fsync_for_tests();
    test::CorpusParams p;
    p.docs = 6000;
    p.discrete_weights = false;
    const auto docs = test::random_corpus(5, p);
    TempDir tmp;
    CollectionConfig cfg;
    SparseVectorConfig v;
    v.weight_type = WeightType::u16;
    ApproxOptions ao;
    ao.lambda = 300;
    ao.block_size = 16;
    ao.alpha_mass = 0.5;
    ao.threads = 2;
    v.approx = ao;
    cfg.vectors.emplace("v", v);
    cfg.segments.flush_docs = 100000;
    cfg.segments.approx_min_docs = 1000;
    cfg.payload_indexes = {{"sel", PayloadType::integer}};
    auto c = Collection::create(tmp / "coll", cfg);
    std::vector<Point> pts;
    std::mt19937_64 rng(17);
    for (std::size_t i = 0; i < docs.size(); ++i) {
        Point pt;
        pt.id = i;
        for (const auto& [t, w] : docs[i].terms) {
            pt.vectors["v"].tokens.push_back(t);
            pt.vectors["v"].values.push_back(w);
        }
        pt.payload = json{{"sel", rng() % 10000}}.dump();
        pts.push_back(std::move(pt));
    }
    c->upsert(pts);
    c->flush();
    ASSERT_TRUE(c->info().segments.at(0).approx);
    const auto queries = test::random_queries(5, 100, p.vocab, false);
    for (const auto& [per10k, floor_auto, floor_forced] : kFilteredRecallFloors)
    for (const bool forced : {false, true}) {
        const auto filter = std::make_shared<const Filter>(
            parse_filter(json{{"must", {{{"key", "sel"}, {"range", {{"lt", per10k}}}}}}}.dump()));
        double sum = 0;
        std::size_t counted = 0;
        std::size_t short_results = 0;
        std::size_t exact_switches = 0;
        for (const auto& q : queries) {
            SearchRequest r;
            for (const auto& [t, w] : q.terms) {
                r.query.tokens.push_back(t);
                r.query.values.push_back(w);
            }
            r.k = 10;
            r.filter = filter;
            r.algorithm = Algorithm::bmp;
            const auto exact = c->search(r);
            if (exact.points.empty()) continue;
            r.algorithm = Algorithm::approx;
            r.query_cut = 5;
            r.heap_factor = 0.9;
            if (forced) r.direct = false;
            const auto approx = c->search(r);
            // Only allowed points, and k of them whenever k allowed points share a term.
            std::set<PointId> exact_ids;
            for (const auto& e : exact.points) exact_ids.insert(e.id);
            std::size_t hit = 0;
            for (const auto& a : approx.points) {
                ASSERT_LT(a.id.number(), pts.size());
                const auto sel = json::parse(pts[a.id.number()].payload)["sel"].get<int>();
                ASSERT_LT(sel, per10k) << "approx returned a point outside the filter";
                hit += exact_ids.contains(a.id) ? 1 : 0;
            }
            if (approx.points.size() < exact.points.size()) ++short_results;
            // Too few allowed documents in the kept postings: approx searched exactly.
            if (forced && approx_too_sparse(ao.lambda, approx.matched, docs.size())) {
                ASSERT_EQ(approx.stats.exact_segments, 1U) << per10k;
                ASSERT_EQ(hit, exact.points.size()) << per10k;
                ++exact_switches;
            } else {
                ASSERT_EQ(approx.stats.exact_segments, 0U) << per10k;
            }
            sum += static_cast<double>(hit) / static_cast<double>(exact.points.size());
            ++counted;
            if (forced) continue;
            // approx_exact (--filter-exact): true always searches exactly
            // (bmp's results), false never does, whatever the selectivity.
            r.direct = false;
            r.approx_exact = true;
            const auto always = c->search(r);
            ASSERT_GE(always.stats.exact_segments, 1U) << per10k;  // one per run: ties at k may widen it
            ASSERT_EQ(always.points.size(), exact.points.size()) << per10k;
            for (std::size_t i = 0; i < exact.points.size(); ++i) {
                ASSERT_EQ(always.points[i].id, exact.points[i].id) << per10k;
                ASSERT_EQ(always.points[i].score, exact.points[i].score) << per10k;
            }
            r.approx_exact = false;
            const auto never = c->search(r);
            ASSERT_EQ(never.stats.exact_segments, 0U) << per10k;
            for (const auto& a : never.points) {
                ASSERT_LT(json::parse(pts[a.id.number()].payload)["sel"].get<int>(), per10k) << "outside the filter";
            }
            r.direct.reset();
            r.approx_exact.reset();
        }
        ASSERT_GT(counted, 20U);
        const double mean = sum / static_cast<double>(counted);
        const char* mode = forced ? "forced traversal" : "auto";
        std::printf("filtered approx recall@10 at %.1f %% selectivity (%s): %.4f over %zu queries\n", per10k / 100.0,
                    mode, mean, counted);
        RecordProperty("recall_" + std::to_string(per10k) + (forced ? "_forced" : "_auto"), std::to_string(mean));
        EXPECT_EQ(short_results, 0U) << per10k;
        if (forced && per10k <= 100) EXPECT_GT(exact_switches, 0U) << per10k;  // 1 % x lambda 300 = 3 < 6
        EXPECT_GE(mean, forced ? floor_forced : floor_auto) << "selectivity " << per10k / 100.0 << " % " << mode;
    }
}

// --- the CLI -------------------------------------------------------------------

struct CliResult {
    int code;
    std::string out;
    std::string err;
};

std::string slurp(const std::string& p) {
    std::ifstream in(p);
    std::stringstream ss;
    ss << in.rdbuf();
    return ss.str();
}

CliResult spindle_cli(const TempDir& dir, const std::string& args) {
    const std::string cmd =
        std::string(SPINDLE_CLI) + " " + args + " >" + (dir / "stdout") + " 2>" + (dir / "stderr") + " </dev/null";
    const int status = std::system(cmd.c_str());
    return {WIFEXITED(status) ? WEXITSTATUS(status) : -1, slurp(dir / "stdout"), slurp(dir / "stderr")};
}

TEST(FilterCli, IndexWithPayloadsAndSearchWithFilter) {
    TempDir dir;
    {
        std::ofstream docs(dir / "docs.jsonl");
        for (int i = 0; i < 40; ++i) {
            json d = {{"id", "d" + std::to_string(i)}, {"vector", {{"a", 1.0 + i % 3}, {"b", 0.5}}}};
            if (i % 5 != 0) d["payload"] = {{"cat", i % 2 == 0 ? "even" : "odd"}, {"n", i}};
            docs << d.dump() << "\n";
        }
        std::ofstream q(dir / "q.tsv");
        q << "q1\ta b\n";
        std::ofstream f(dir / "filter.json");
        f << R"({"must": [{"key": "cat", "match": {"value": "odd"}}], "must_not": [{"key": "n", "range": {"gte": 30}}]})";
    }
    auto r = spindle_cli(dir, "index -i " + (dir / "docs.jsonl") + " -o " + (dir / "idx") +
                                  " --payload-index cat:keyword --payload-index n:integer -q");
    ASSERT_EQ(r.code, 0) << r.err;
    for (const char* alg : {"exhaustive", "maxscore", "bmw", "bmp"}) {
        r = spindle_cli(dir, "search --index " + (dir / "idx") + " --queries " + (dir / "q.tsv") + " -k 100 -a " + alg +
                                 " --filter @" + (dir / "filter.json"));
        ASSERT_EQ(r.code, 0) << r.err;
        // Odd i below 30 that carry a payload (i % 5 != 0): 1 3 7 9 11 13 17 19 21 23 27 29.
        std::istringstream lines(r.out);
        std::set<std::string> got;
        for (std::string line; std::getline(lines, line);) {
            std::istringstream f(line);
            std::string qid, q0, doc;
            f >> qid >> q0 >> doc;
            got.insert(doc);
        }
        EXPECT_EQ(got, (std::set<std::string>{"d1", "d3", "d7", "d9", "d11", "d13", "d17", "d19", "d21", "d23", "d27", "d29"}))
            << alg;
        EXPECT_NE(r.err.find("filter: 12 points match"), std::string::npos) << r.err;
    }
    // One filter per query from the "filter" field of JSONL queries, and-ed with --filter.
    {
        std::ofstream q(dir / "q.jsonl");
        q << R"({"id": "even", "vector": {"a": 1, "b": 1}, "filter": {"must": [{"key": "cat", "match": {"value": "even"}}]}})" << "\n";
        q << R"({"id": "all", "vector": {"a": 1, "b": 1}})" << "\n";
    }
    r = spindle_cli(dir, "search --index " + (dir / "idx") + " --queries " + (dir / "q.jsonl") + " -k 100" +
                             " --filter '{\"must\":[{\"key\":\"n\",\"range\":{\"lt\":10}}]}'");
    ASSERT_EQ(r.code, 0) << r.err;
    {
        std::map<std::string, std::set<std::string>> got;
        std::istringstream lines(r.out);
        for (std::string line; std::getline(lines, line);) {
            std::istringstream f(line);
            std::string qid, q0, doc;
            f >> qid >> q0 >> doc;
            got[qid].insert(doc);
        }
        EXPECT_EQ(got["even"], (std::set<std::string>{"d2", "d4", "d6", "d8"}));
        EXPECT_EQ(got["all"], (std::set<std::string>{"d1", "d2", "d3", "d4", "d6", "d7", "d8", "d9"}));
    }
    r = spindle_cli(dir, "search --index " + (dir / "idx") + " --queries " + (dir / "q.tsv") +
                             " --filter '{\"must\":[{\"key\":\"n\",\"range\":{\"gte\":\"soon\"}}]}'");
    EXPECT_NE(r.code, 0);
    EXPECT_NE(r.err.find("--filter: filter: must[0].range.gte: 'soon' is not an RFC 3339 date-time"), std::string::npos) << r.err;
    r = spindle_cli(dir, "index -i " + (dir / "docs.jsonl") + " -o " + (dir / "idx2") + " --payload-index cat:text -q");
    EXPECT_NE(r.code, 0);
    EXPECT_NE(r.err.find("unknown payload index type 'text'"), std::string::npos) << r.err;
}


// spindle bench --filter: recall is against the exact top-k under the filter
// (here the unfiltered top-k holds no allowed point, so a reference without
// the filter would give recall 0), post-filtering keeps only allowed points
// and searches ceil(k / selectivity), `matched` is reported, and a bad
// filter is an error that names it.
TEST(FilterCli, BenchUnderFiltersAndPostFiltering) {
    TempDir dir;
    {
        // Document i scores 1 + i on `a`: the best documents are the last ones.
        std::ofstream docs(dir / "docs.jsonl");
        for (int i = 0; i < 40; ++i) {
            json d = {{"id", "d" + std::to_string(i)}, {"vector", {{"a", 1.0 + i}, {"b", 0.5}}}, {"payload", {{"n", i}}}};
            docs << d.dump() << "\n";
        }
        std::ofstream q(dir / "q.tsv");
        q << "q1\ta b\nq2\ta\n";
        std::ofstream f(dir / "low.json");
        f << R"({"must": [{"key": "n", "range": {"lt": 10}}]})";
    }
    auto r = spindle_cli(dir, "index -i " + (dir / "docs.jsonl") + " -o " + (dir / "idx") +
                                  " --approx --approx-knn 0 --payload-index n:integer -q");
    ASSERT_EQ(r.code, 0) << r.err;
    const std::string high = R"('{"must":[{"key":"n","range":{"gte":20}}]}')";
    r = spindle_cli(dir, "bench --index " + (dir / "idx") + " --queries " + (dir / "q.tsv") +
                             " -k 3 --runs 1 -q -a exhaustive,bmp,maxscore,postfilter@10,1 --filter @" + (dir / "low.json") +
                             " --filter " + high + " --filter none --json " + (dir / "b.json") + " --svg " + (dir / "b.svg"));
    ASSERT_EQ(r.code, 0) << r.err;
    EXPECT_NE(r.out.find("10 of 40 points match, selectivity 25 %"), std::string::npos) << r.out;
    EXPECT_NE(r.out.find("20 of 40 points match, selectivity 50 %"), std::string::npos) << r.out;
    EXPECT_NE(r.out.find("40 of 40 points match, selectivity 100 %"), std::string::npos) << r.out;
    const json j = json::parse(slurp(dir / "b.json"));
    ASSERT_EQ(j["filters"].size(), 3U);
    EXPECT_EQ(j["filters"][0]["matched"], 10);
    EXPECT_EQ(j["filters"][1]["matched"], 20);
    EXPECT_EQ(j["filters"][2]["matched"], 40);
    EXPECT_DOUBLE_EQ(j["filters"][0]["selectivity"].get<double>(), 0.25);
    ASSERT_EQ(j["results"].size(), 12U);  // 3 filters x 4 variants
    for (const auto& e : j["results"]) {
        const std::string alg = e["algorithm"];
        const std::string filter = e["filter"];
        SCOPED_TRACE(alg + " under " + filter);
        EXPECT_EQ(e["outside_filter"], 0);
        if (alg != "postfilter@10,1") {
            // Exact algorithms under the filter: the filtered exact top-3.
            EXPECT_EQ(e["recall_at_k"], 1.0);
            EXPECT_EQ(e["identical_to_exhaustive"], true);
            EXPECT_EQ(e["results_per_query"], 3.0);
            EXPECT_EQ(e["postfilter"], false);
            continue;
        }
        EXPECT_EQ(e["postfilter"], true);
        if (e["matched"] == 10) {
            // k 3 / 25 % = 12: the unfiltered top-12 (d39..d28) holds no allowed point.
            EXPECT_EQ(e["k_searched"], 12);
            EXPECT_EQ(e["results_per_query"], 0.0);
            EXPECT_EQ(e["recall_at_k"], 0.0);
        } else if (e["matched"] == 20) {
            // k 3 / 50 % = 6: d39..d34, all allowed; the first 3 are the filtered top-3.
            EXPECT_EQ(e["k_searched"], 6);
            EXPECT_EQ(e["results_per_query"], 3.0);
        } else {
            EXPECT_EQ(e["k_searched"], 3);  // no filter: approx at k
            EXPECT_EQ(e["results_per_query"], 3.0);
        }
    }
    EXPECT_NE(slurp(dir / "b.svg").find("postfilter@10,1"), std::string::npos);
    // A bad filter names itself and the problem, before anything is measured.
    const std::string bad = R"({"must":[{"key":"n","range":{"gte":"soon"}}]})";
    r = spindle_cli(dir, "bench --index " + (dir / "idx") + " --queries " + (dir / "q.tsv") + " -q --filter '" + bad + "'");
    EXPECT_EQ(r.code, 1);
    EXPECT_NE(r.err.find("--filter '" + bad + "': filter: must[0].range.gte: 'soon' is not an RFC 3339 date-time"),
              std::string::npos)
        << r.err;
    {
        std::ofstream q(dir / "own.jsonl");
        q << R"({"id": "own", "vector": {"a": 1}, "filter": {"must": [{"key": "n", "range": {"lt": 5}}]}})" << "\n";
    }
    r = spindle_cli(dir, "bench --index " + (dir / "idx") + " --queries " + (dir / "own.jsonl") + " -q --filter none");
    EXPECT_EQ(r.code, 1);
    EXPECT_NE(r.err.find("query own carries its own filter"), std::string::npos) << r.err;
    r = spindle_cli(dir, "bench --index " + (dir / "idx") + " --queries " + (dir / "q.tsv") + " -q --filter @" +
                             (dir / "missing.json"));
    EXPECT_NE(r.code, 0);
    EXPECT_NE(r.err.find("missing.json"), std::string::npos) << r.err;
}

}  // namespace
}  // namespace spindle
