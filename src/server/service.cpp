#include "spindle/server/service.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <filesystem>
#include <map>
#include <mutex>
#include <shared_mutex>
#include <thread>
#include <vector>

#include "api_json.hpp"
#include "console_page.hpp"
#include "metrics.hpp"
#include "spindle/collection/collection.hpp"
#include "spindle/collection/filter.hpp"
#include "spindle/common/error.hpp"
#include "spindle/index/collection_manifest.hpp"
#include "spindle/query/algorithm.hpp"

namespace spindle::server {
namespace fs = std::filesystem;
using Clock = std::chrono::steady_clock;

namespace {

enum class Access : std::uint8_t { none, read, write };

// Compares without an early exit on the first differing byte.
bool same_key(std::string_view a, std::string_view b) {
    if (a.size() != b.size()) return false;
    unsigned diff = 0;
    for (std::size_t i = 0; i < a.size(); ++i) {
        diff |= static_cast<unsigned>(static_cast<unsigned char>(a[i]) ^ static_cast<unsigned char>(b[i]));
    }
    return diff == 0;
}

void check_collection_name(const std::string& name) {
    const bool ok = !name.empty() && name.size() <= 255 && name[0] != '.' &&
                    std::all_of(name.begin(), name.end(), [](char c) {
                        return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' ||
                               c == '-' || c == '.';
                    });
    if (!ok) {
        bad_input(fmt::format("collection name `{}`: use 1 to 255 characters of [A-Za-z0-9_.-], not starting with '.'", name));
    }
}

std::vector<std::string> split_path(const std::string& path) {
    std::vector<std::string> parts;
    std::size_t i = 0;
    while (i < path.size()) {
        while (i < path.size() && path[i] == '/') ++i;
        const std::size_t j = path.find('/', i);
        const std::size_t end = j == std::string::npos ? path.size() : j;
        if (end > i) parts.push_back(path.substr(i, end - i));
        i = end;
    }
    return parts;
}

double seconds_since(Clock::time_point t0) { return std::chrono::duration<double>(Clock::now() - t0).count(); }

std::string dump(const json& j) { return j.dump(-1, ' ', false, json::error_handler_t::replace); }

HttpResponse json_response(int status, const json& j) {
    HttpResponse r;
    r.status = status;
    r.body = dump(j);
    return r;
}

HttpResponse ok(json result, Clock::time_point t0) {
    return json_response(200, json{{"result", std::move(result)}, {"status", "ok"}, {"time", seconds_since(t0)}});
}

HttpResponse error_response(int status, const std::string& message, Clock::time_point t0) {
    return json_response(status, json{{"status", {{"error", message}}}, {"time", seconds_since(t0)}});
}

json update_result(const WriteResult& w, bool wait) {
    return json{{"operation_id", w.lsn}, {"status", wait ? "completed" : "acknowledged"}};
}

// Qdrant's field_schema names are spindle's (to_string(PayloadType)), plus
// "uuid", which spindle indexes as a keyword.
std::optional<PayloadType> qdrant_payload_type(const std::string& t) {
    if (t == "uuid") return PayloadType::keyword;
    for (const PayloadType p : {PayloadType::keyword, PayloadType::integer, PayloadType::floating, PayloadType::boolean,
                                PayloadType::datetime}) {
        if (to_string(p) == t) return p;
    }
    return std::nullopt;
}

// Qdrant's sparse datatype <-> spindle's stored weight type.
WeightType weight_type_of_datatype(const std::string& d, const std::string& where) {
    if (d == "float32") return WeightType::f32;
    if (d == "float16") return WeightType::u16;
    if (d == "uint8") return WeightType::u8;
    bad_input(fmt::format("{}: unknown datatype `{}` (float32, float16 or uint8)", where, d));
}

std::string_view datatype_of(WeightType w) {
    switch (w) {
        case WeightType::f32: return "float32";
        case WeightType::u16: return "float16";
        case WeightType::u8: return "uint8";
    }
    return "float32";
}

// "vectors": {name: {"size": D, "distance": "Cosine", ...}} (named dense
// vectors), or Qdrant's unnamed {"size": D, "distance": ...}, stored as the
// dense vector "default"; "hnsw_config" (collection level) is their default.
void parse_dense_vectors(const json& body, CollectionConfig& cfg) {
    const json* v = member(body, "vectors");
    if (v == nullptr || v->is_null()) return;
    require_object(*v, "vectors");
    DenseVectorConfig base;
    if (const json* h = member(body, "hnsw_config")) apply_hnsw_config(*h, base.hnsw, "hnsw_config");
    if (v->contains("size")) {
        cfg.dense["default"] = parse_dense_params(*v, base, "vectors");
        return;
    }
    for (const auto& [name, params] : v->items()) cfg.dense[name] = parse_dense_params(params, base, "vectors." + name);
}

// PUT /collections/{c}: {"sparse_vectors": {name: {"index": {...}, "modifier": "none",
// "spindle": {"keys": "tokens"|"indices", "weight_type": "f32"|"u16"|"u8"}}},
// "spindle": {"payload_indexes": {field: type}, "flush_docs": n}}.
CollectionConfig parse_collection_config(const json& body) {
    require_object(body, "body");
    CollectionConfig cfg;
    parse_dense_vectors(body, cfg);
    const json* sv = member(body, "sparse_vectors");
    if (cfg.dense.empty() && (sv == nullptr || !sv->is_object() || sv->empty())) {
        bad_input("\"sparse_vectors\" must name at least one sparse vector (or \"vectors\" a dense one): {\"sparse_vectors\": {\"name\": {}}}");
    }
    if (sv != nullptr && !sv->is_object()) bad_input("sparse_vectors: expected an object of named sparse vectors");
    const json none = json::object();
    for (const auto& [name, params] : (sv != nullptr ? *sv : none).items()) {
        const std::string where = fmt::format("sparse_vectors.{}", name);
        if (!params.is_null()) require_object(params, where);
        SparseVectorConfig v;
        v.keys = VectorKeys::indices;
        v.weight_type = WeightType::f32;
        if (const json* index = member(params, "index")) {
            require_object(*index, where + ".index");
            if (auto d = get_string(*index, "datatype", where + ".index.")) v.weight_type = weight_type_of_datatype(*d, where + ".index.datatype");
        }
        if (auto m = get_string(params, "modifier", where + ".")) {
            if (*m == "idf") {
                bad_input(where + ".modifier: `idf` is not supported (give weights that already include IDF, or index raw text with spindle index --text for BM25)");
            }
            if (*m != "none") bad_input(fmt::format("{}.modifier: unknown modifier `{}`", where, *m));
        }
        if (const json* sp = member(params, "spindle")) {
            require_object(*sp, where + ".spindle");
            try {
                if (auto k = get_string(*sp, "keys", where + ".spindle.")) v.keys = parse_vector_keys(*k);
                if (auto w = get_string(*sp, "weight_type", where + ".spindle.")) v.weight_type = parse_weight_type(*w);
            } catch (const InvalidArgument& e) {
                bad_input(fmt::format("{}.spindle: {}", where, e.what()));
            }
        }
        cfg.vectors[name] = v;
    }
    if (const json* sp = member(body, "spindle")) {
        require_object(*sp, "spindle");
        if (const json* pi = member(*sp, "payload_indexes")) {
            require_object(*pi, "spindle.payload_indexes");
            for (const auto& [field, type] : pi->items()) {
                if (!type.is_string()) bad_input(fmt::format("spindle.payload_indexes.{}: expected a type name", field));
                const auto t = qdrant_payload_type(type.get<std::string>());
                if (!t) bad_input(fmt::format("spindle.payload_indexes.{}: unknown type `{}` (keyword, integer, float, bool, datetime)", field, type.get<std::string>()));
                cfg.payload_indexes[field] = *t;
            }
        }
        if (auto f = get_uint(*sp, "flush_docs", "spindle.")) cfg.segments.flush_docs = *f;
    }
    try {
        cfg.validate();
    } catch (const InvalidArgument& e) {
        bad_input(e.what());
    }
    return cfg;
}

json collection_info_json(const Collection& c) {
    const CollectionInfo info = c.info();
    const CollectionConfig& cfg = c.config();
    json sparse = json::object();
    json vectors = json::object();
    for (const auto& [name, v] : cfg.vectors) {
        sparse[name] = {{"index", {{"on_disk", true}, {"datatype", datatype_of(v.weight_type)}}}, {"modifier", "none"}};
        json sv = {{"keys", to_string(v.keys)}, {"weight_type", to_string(v.weight_type)}, {"text", v.text.has_value()},
                   {"approx", v.approx.has_value()}};
        if (const auto it = info.vocabulary_terms.find(name); it != info.vocabulary_terms.end()) sv["terms"] = it->second;
        if (const auto it = info.manifest.vectors.find(name); it != info.manifest.vectors.end() && it->second.approx_defaults) {
            const ApproxDefaults& d = *it->second.approx_defaults;
            sv["tuned"] = {{"query_cut", d.query_cut}, {"heap_factor", d.heap_factor}, {"knn", d.knn}, {"k", d.k},
                           {"target_recall", d.target_recall}, {"recall", d.recall}, {"mean_ms", d.mean_ms}};
            json curve = json::array();
            for (const TunedPoint& p : d.curve) {
                curve.push_back({{"query_cut", p.query_cut}, {"heap_factor", p.heap_factor}, {"knn", p.knn},
                                 {"recall", p.recall}, {"mean_ms", p.mean_ms}});
            }
            sv["tuned"]["curve"] = std::move(curve);
        }
        vectors[name] = std::move(sv);
    }
    json dense = json::object();
    for (const auto& [name, v] : cfg.dense) {
        dense[name] = {{"size", v.dim}, {"distance", qdrant_distance(v.distance)},
                       {"datatype", v.storage == DenseStorage::f16 ? "float16" : "float32"}, {"on_disk", true},
                       {"hnsw_config", {{"m", v.hnsw.m}, {"ef_construct", v.hnsw.ef_construct}}},
                       {"spindle", {{"min_docs", v.hnsw.min_docs}, {"ef", v.hnsw.ef}}}};
    }
    json schema = json::object();
    for (const auto& [field, t] : cfg.payload_indexes) schema[field] = {{"data_type", to_string(t)}};
    std::uint64_t deleted = 0;
    json segments = json::array();
    for (const auto& s : info.segments) {
        deleted += s.deleted;
        segments.push_back({{"name", s.name}, {"in_memory", s.in_memory}, {"origin", s.origin}, {"docs", s.docs},
                            {"deleted", s.deleted}, {"bytes", s.bytes}, {"approx", s.approx}, {"hnsw", s.hnsw}});
    }
    return json{
        {"status", info.merge_running ? "yellow" : "green"},
        {"optimizer_status", "ok"},
        {"indexed_vectors_count", info.points},
        {"points_count", info.points},
        {"segments_count", info.segments.size()},
        {"config",
         {{"params", {{"vectors", dense}, {"sparse_vectors", sparse}, {"shard_number", 1}, {"replication_factor", 1},
                      {"write_consistency_factor", 1}, {"on_disk_payload", true}}},
          {"hnsw_config", {{"m", 0}, {"ef_construct", 0}, {"full_scan_threshold", 0}, {"on_disk", true}}},
          {"optimizer_config", {{"deleted_threshold", cfg.segments.max_deleted_fraction}, {"flush_interval_sec", 0},
                                {"default_segment_number", 0}, {"indexing_threshold", cfg.segments.approx_min_docs}}},
          {"wal_config", {{"wal_capacity_mb", 0}, {"wal_segments_ahead", 0}}}}},
        {"payload_schema", schema},
        {"spindle", {{"read_only", info.read_only}, {"generation", info.generation}, {"deleted", deleted},
                     {"memory_docs", info.memory_docs}, {"log_bytes", info.wal_bytes}, {"merges_done", info.merges_done},
                     {"merge_running", info.merge_running}, {"vectors", vectors}, {"segments", segments},
                     {"filter_cache", {{"entries", info.filter_cache.entries}, {"bytes", info.filter_cache.bytes},
                                       {"hits", info.filter_cache.hits}, {"misses", info.filter_cache.misses}}}}}};
}

// The vector a request names (empty: the collection's only vector).
std::pair<std::string, const SparseVectorConfig*> resolve_vector(const Collection& c, const std::string& name) {
    const auto& vs = c.config().vectors;
    if (name.empty()) {
        if (vs.size() == 1) return {vs.begin()->first, &vs.begin()->second};
        std::string names;
        for (const auto& [n, _] : vs) names += (names.empty() ? "" : ", ") + n;
        bad_input(fmt::format("the collection has several vectors ({}): name one with `using`", names));
    }
    const auto it = vs.find(name);
    if (it == vs.end()) bad_input(fmt::format("Not existing vector name error: {}", name));
    return {it->first, &it->second};
}

// Points in id order from `from` (inclusive) that match `f` (null: all),
// at most `want`; `next` is the first matching id after them, if any.
std::vector<Point> scroll_matching(const Collection& c, const Filter* f, std::optional<PointId> from, std::size_t want,
                                   bool with_vectors, std::optional<PointId>& next) {
    std::vector<Point> out;
    next.reset();
    const std::size_t page = std::max<std::size_t>(want + 1, 256);
    bool skip_first = false;
    for (;;) {
        std::vector<Point> got = c.scroll(from, page, with_vectors);
        std::size_t i = 0;
        if (skip_first && !got.empty() && from && got.front().id == *from) i = 1;
        for (; i < got.size(); ++i) {
            Point& p = got[i];
            if (f != nullptr) {
                const json payload = p.payload.empty() ? json() : json::parse(p.payload);
                if (!filter_matches(*f, p.id, payload, c.config().payload_indexes)) continue;
            }
            if (out.size() == want) {
                next = p.id;
                return out;
            }
            out.push_back(std::move(p));
        }
        if (got.size() < page) return out;
        from = got.back().id;
        skip_first = true;
    }
}

std::shared_ptr<const Filter> parse_filter_member(const json& body) {
    const json* f = member(body, "filter");
    if (f == nullptr) return nullptr;
    return std::make_shared<const Filter>(parse_filter_json(*f));
}

}  // namespace

struct Service::Impl {
    ServiceOptions opt;
    mutable std::shared_mutex map_mu;
    std::map<std::string, std::shared_ptr<Collection>> colls;
    std::mutex admin_mu;  // create, delete, payload index
    RequestMetrics metrics;

    explicit Impl(ServiceOptions o) : opt(std::move(o)) {}

    std::shared_ptr<Collection> find(const std::string& name) const {
        const std::shared_lock lock(map_mu);
        const auto it = colls.find(name);
        if (it == colls.end()) throw ApiError(404, fmt::format("Not found: Collection `{}` doesn't exist!", name));
        return it->second;
    }
    bool exists(const std::string& name) const {
        const std::shared_lock lock(map_mu);
        return colls.count(name) != 0;
    }
    // Removes `name` from the map and closes it once no request holds it.
    void retire(const std::string& name) {
        std::shared_ptr<Collection> c;
        {
            const std::unique_lock lock(map_mu);
            const auto it = colls.find(name);
            if (it == colls.end()) return;
            c = std::move(it->second);
            colls.erase(it);
        }
        while (c.use_count() > 1) std::this_thread::sleep_for(std::chrono::milliseconds(1));
        c.reset();
    }
    std::string dir_of(const std::string& name) const { return (fs::path(opt.data_dir) / name).string(); }
    OpenOptions open_options() const {
        OpenOptions o;
        o.background_merges = opt.background_merges;
        o.background_flush = opt.background_flush;
        o.filter_cache_bytes = opt.filter_cache_bytes;
        return o;
    }

    void open_all() {
        fs::create_directories(opt.data_dir);
        for (const auto& e : fs::directory_iterator(opt.data_dir)) {
            if (!e.is_directory()) continue;
            const std::string name = e.path().filename().string();
            if (name.empty() || name[0] == '.') continue;
            const std::string dir = e.path().string();
            if (is_collection_dir(dir)) {
                colls[name] = Collection::open(dir, open_options());
            } else if (fs::exists(e.path() / "MANIFEST")) {
                OpenOptions o;
                o.read_only = true;  // a format-2 index: searchable, not writable
                colls[name] = Collection::open(dir, o);
            }
        }
    }

    static void writable(const Collection& c, const std::string& name) {
        if (c.read_only()) bad_input(fmt::format("collection `{}` is read-only (a format-2 index)", name));
    }

    Access access(const HttpRequest& r) const {
        if (opt.api_key.empty() && opt.read_only_key.empty()) return Access::write;
        std::string key;
        if (const auto it = r.headers.find("api-key"); it != r.headers.end()) {
            key = it->second;
        } else if (const auto a = r.headers.find("authorization"); a != r.headers.end()) {
            constexpr std::string_view kBearer = "Bearer ";
            if (a->second.size() > kBearer.size() && a->second.compare(0, kBearer.size(), kBearer) == 0) {
                key = a->second.substr(kBearer.size());
            }
        }
        if (key.empty()) return Access::none;
        if (!opt.api_key.empty() && same_key(key, opt.api_key)) return Access::write;
        if (!opt.read_only_key.empty() && same_key(key, opt.read_only_key)) return Access::read;
        return Access::none;
    }

    // ---- endpoints ----------------------------------------------------

    json list_collections() const {
        json list = json::array();
        const std::shared_lock lock(map_mu);
        for (const auto& [name, _] : colls) list.push_back({{"name", name}});
        return json{{"collections", list}};
    }

    json create_collection(const std::string& name, const json& body) {
        check_collection_name(name);
        const CollectionConfig cfg = parse_collection_config(body);
        const std::lock_guard admin(admin_mu);
        if (exists(name)) throw ApiError(409, fmt::format("Wrong input: Collection `{}` already exists!", name));
        const std::string dir = dir_of(name);
        if (fs::exists(dir)) {
            throw ApiError(409, fmt::format("Wrong input: `{}` already exists in the data directory and is not a collection", name));
        }
        auto c = Collection::create(dir, cfg, open_options());
        const std::unique_lock lock(map_mu);
        colls[name] = std::move(c);
        return true;
    }

    json delete_collection(const std::string& name) {
        const std::lock_guard admin(admin_mu);
        if (!exists(name)) return false;
        retire(name);
        fs::remove_all(dir_of(name));
        return true;
    }

    json create_index(const std::string& name, const json& body, bool wait) {
        require_object(body, "body");
        const auto field = get_string(body, "field_name", "");
        if (!field) bad_input("field_name: required");
        const json* schema = member(body, "field_schema");
        if (schema == nullptr) bad_input("field_schema: required (keyword, integer, float, bool or datetime)");
        std::string type;
        if (schema->is_string()) {
            type = schema->get<std::string>();
        } else if (schema->is_object() && member(*schema, "type") != nullptr && (*schema)["type"].is_string()) {
            type = (*schema)["type"].get<std::string>();
        } else {
            bad_input("field_schema: expected a type name or {\"type\": name, ...}");
        }
        const auto t = qdrant_payload_type(type);
        if (!t) bad_input(fmt::format("field_schema: payload index type `{}` is not supported (keyword, integer, float, bool, datetime, uuid)", type));
        try {
            check_payload_key(*field);
        } catch (const InvalidArgument& e) {
            bad_input(fmt::format("field_name: {}", e.what()));
        }
        const std::lock_guard admin(admin_mu);
        auto c = find(name);
        writable(*c, name);
        // Existing segments are re-indexed by the library before it returns
        // (so wait=false is acknowledged only once it is done, too).
        try {
            c->add_payload_index(*field, *t);
        } catch (const InvalidArgument& e) {
            bad_input(fmt::format("field_name: {}", e.what()));
        }
        return json{{"operation_id", 0}, {"status", wait ? "completed" : "acknowledged"}};
    }

    // The vectors of one point: {name: sparse} (or a bare sparse vector for a
    // collection with one vector).
    // A point's "vector": {name: sparse vector or dense list}, one sparse
    // vector (the collection's only sparse vector), or one dense list (the
    // only dense vector).
    static void parse_point_vectors(const Collection& c, const json& v, const std::string& where, Point& p) {
        const auto& vs = c.config().vectors;
        const auto& ds = c.config().dense;
        if (v.is_array()) {
            if (ds.size() != 1) {
                bad_input(ds.empty() ? where + ": the collection has no dense vector (give {\"vector_name\": {\"indices\": [...], \"values\": [...]}})"
                                     : where + ": the collection has several dense vectors: give {\"vector_name\": [...]}");
            }
            p.dense[ds.begin()->first] = parse_dense_vector(v, where);
            return;
        }
        require_object(v, where);
        if (vs.size() == 1 && v.contains("indices") && v.contains("values") && v["indices"].is_array() && vs.count("indices") == 0) {
            p.vectors[vs.begin()->first] = parse_sparse_vector(v, vs.begin()->second.keys, where);
            return;
        }
        for (const auto& [name, sv] : v.items()) {
            const std::string at = fmt::format("{}.{}", where, name);
            if (ds.contains(name)) {
                p.dense[name] = parse_dense_vector(sv, at);
                continue;
            }
            const auto it = vs.find(name);
            if (it == vs.end()) bad_input(fmt::format("{}: Not existing vector name error: {}", where, name));
            p.vectors[name] = parse_sparse_vector(sv, it->second.keys, at);
        }
    }

    static std::string payload_text(const json* p, const std::string& where) {
        if (p == nullptr) return {};
        if (!p->is_object()) bad_input(fmt::format("{}: a payload must be a JSON object, got {}", where, p->type_name()));
        return p->empty() ? std::string() : dump(*p);
    }

    json upsert(const std::string& name, const json& body, bool wait) {
        require_object(body, "body");
        auto c = find(name);
        writable(*c, name);
        std::vector<Point> points;
        if (const json* list = member(body, "points")) {
            if (!list->is_array()) bad_input("points: expected a list of points");
            if (list->size() > opt.max_batch_points) {
                bad_input(fmt::format("points: {} points in one request; the limit is {}", list->size(), opt.max_batch_points));
            }
            points.reserve(list->size());
            for (std::size_t i = 0; i < list->size(); ++i) {
                const json& pj = (*list)[i];
                const std::string where = fmt::format("points[{}]", i);
                require_object(pj, where);
                const json* id = member(pj, "id");
                if (id == nullptr) bad_input(where + ".id: required");
                Point p;
                p.id = parse_point_id(*id, where + ".id");
                if (const json* v = member(pj, "vector")) parse_point_vectors(*c, *v, where + ".vector", p);
                p.payload = payload_text(member(pj, "payload"), where + ".payload");
                points.push_back(std::move(p));
            }
        } else if (const json* batch = member(body, "batch")) {
            require_object(*batch, "batch");
            const json* ids = member(*batch, "ids");
            if (ids == nullptr || !ids->is_array()) bad_input("batch.ids: expected a list of point ids");
            if (ids->size() > opt.max_batch_points) {
                bad_input(fmt::format("batch.ids: {} points in one request; the limit is {}", ids->size(), opt.max_batch_points));
            }
            points.resize(ids->size());
            for (std::size_t i = 0; i < ids->size(); ++i) points[i].id = parse_point_id((*ids)[i], fmt::format("batch.ids[{}]", i));
            if (const json* vecs = member(*batch, "vectors")) {
                if (vecs->is_array()) bad_input("batch.vectors: give {\"vector_name\": [vectors, one per id]}");
                require_object(*vecs, "batch.vectors");
                for (const auto& [vname, column] : vecs->items()) {
                    if (c->config().dense.contains(vname)) {
                        if (!column.is_array() || column.size() != points.size()) {
                            bad_input(fmt::format("batch.vectors.{}: expected a list of {} dense vectors (one per id)", vname, points.size()));
                        }
                        for (std::size_t i = 0; i < points.size(); ++i) {
                            if (!column[i].is_null()) points[i].dense[vname] = parse_dense_vector(column[i], fmt::format("batch.vectors.{}[{}]", vname, i));
                        }
                        continue;
                    }
                    const auto it = c->config().vectors.find(vname);
                    if (it == c->config().vectors.end()) bad_input(fmt::format("batch.vectors: Not existing vector name error: {}", vname));
                    if (!column.is_array() || column.size() != points.size()) {
                        bad_input(fmt::format("batch.vectors.{}: expected a list of {} sparse vectors (one per id)", vname, points.size()));
                    }
                    for (std::size_t i = 0; i < points.size(); ++i) {
                        if (column[i].is_null()) continue;
                        points[i].vectors[vname] = parse_sparse_vector(column[i], it->second.keys, fmt::format("batch.vectors.{}[{}]", vname, i));
                    }
                }
            }
            if (const json* pls = member(*batch, "payloads")) {
                if (!pls->is_array() || pls->size() != points.size()) {
                    bad_input(fmt::format("batch.payloads: expected a list of {} payloads (one per id)", points.size()));
                }
                for (std::size_t i = 0; i < points.size(); ++i) {
                    const json& pl = (*pls)[i];
                    points[i].payload = payload_text(pl.is_null() ? nullptr : &pl, fmt::format("batch.payloads[{}]", i));
                }
            }
        } else {
            bad_input("expected \"points\": [...] or \"batch\": {...}");
        }
        WriteOptions w;
        w.wait = wait;
        return update_result(c->upsert(points, w), wait);
    }

    std::vector<PointId> parse_ids(const json& list, const std::string& where) const {
        if (!list.is_array()) bad_input(where + ": expected a list of point ids");
        if (list.size() > opt.max_batch_points) {
            bad_input(fmt::format("{}: {} ids in one request; the limit is {}", where, list.size(), opt.max_batch_points));
        }
        std::vector<PointId> ids;
        ids.reserve(list.size());
        for (std::size_t i = 0; i < list.size(); ++i) ids.push_back(parse_point_id(list[i], fmt::format("{}[{}]", where, i)));
        return ids;
    }

    json delete_points(const std::string& name, const json& body, bool wait) {
        require_object(body, "body");
        auto c = find(name);
        writable(*c, name);
        const json* pts = member(body, "points");
        const json* f = member(body, "filter");
        if ((pts == nullptr) == (f == nullptr)) bad_input("expected one of \"points\": [ids] or \"filter\": {...}");
        WriteOptions w;
        w.wait = wait;
        if (pts != nullptr) {
            const auto ids = parse_ids(*pts, "points");
            return update_result(c->remove(ids, w), wait);
        }
        return update_result(c->remove(parse_filter_json(*f), w), wait);
    }

    json record_json(const Collection& c, const Point& p, const PayloadSelector& ps, const VectorSelector& vs) const {
        json r = {{"id", point_id_json(p.id)}};
        r["payload"] = ps.any ? ps.apply(p.payload) : json(nullptr);
        if (vs.any) r["vector"] = point_vectors_json(p, c.config(), vs);
        return r;
    }

    json retrieve(const std::string& name, const json& body) const {
        require_object(body, "body");
        auto c = find(name);
        const json* ids_j = member(body, "ids");
        if (ids_j == nullptr) bad_input("ids: required");
        const auto ids = parse_ids(*ids_j, "ids");
        const auto ps = parse_payload_selector(member(body, "with_payload"), true, "with_payload");
        const auto vs = parse_vector_selector(member(body, "with_vector"), "with_vector");
        json out = json::array();
        for (const auto& p : c->get(ids, vs.any)) {
            if (p) out.push_back(record_json(*c, *p, ps, vs));
        }
        return out;
    }

    json get_point(const std::string& name, const std::string& id_text) const {
        auto c = find(name);
        const bool digits = !id_text.empty() && std::all_of(id_text.begin(), id_text.end(), [](char ch) { return ch >= '0' && ch <= '9'; });
        json idj = id_text;
        if (digits && id_text.size() <= 20) {
            try {
                idj = std::stoull(id_text);
            } catch (const std::exception&) {
            }
        }
        const PointId id = parse_point_id(idj, "id");
        const auto got = c->get(std::span<const PointId>(&id, 1), true);
        if (!got.front()) throw ApiError(404, fmt::format("Not found: No point with id {} found", id.text()));
        VectorSelector vs;
        vs.any = true;
        return record_json(*c, *got.front(), parse_payload_selector(nullptr, true, ""), vs);
    }

    json count(const std::string& name, const json& body) const {
        require_object(body, "body");
        auto c = find(name);
        (void)get_bool(body, "exact", true, "");
        const auto f = parse_filter_member(body);
        return json{{"count", f ? c->count(*f) : c->count()}};
    }

    json scroll(const std::string& name, const json& body) const {
        require_object(body, "body");
        auto c = find(name);
        if (member(body, "order_by") != nullptr) bad_input("order_by is not supported: scroll returns points in id order");
        const std::size_t limit = get_uint(body, "limit", "").value_or(10);
        if (limit > opt.max_limit) bad_input(fmt::format("limit: {} is more than the limit of {}", limit, opt.max_limit));
        std::optional<PointId> from;
        if (const json* off = member(body, "offset")) from = parse_point_id(*off, "offset");
        const auto ps = parse_payload_selector(member(body, "with_payload"), true, "with_payload");
        const auto vs = parse_vector_selector(member(body, "with_vector"), "with_vector");
        const auto f = parse_filter_member(body);
        std::optional<PointId> next;
        const auto pts = scroll_matching(*c, f.get(), from, limit, vs.any, next);
        json list = json::array();
        for (const auto& p : pts) list.push_back(record_json(*c, p, ps, vs));
        return json{{"points", list}, {"next_page_offset", next ? point_id_json(*next) : json(nullptr)}};
    }

    // spindle's knobs in "params" (README, "Search params").
    static void apply_params(const json* params, SearchRequest& r, bool dense) {
        if (params == nullptr) return;
        if (dense) {
            apply_dense_params(*params, r);
            return;
        }
        require_object(*params, "params");
        static const char* const kKnown[] = {"exact", "hnsw_ef", "indexed_only", "quantization", "acorn", "algorithm",
                                             "query_cut", "heap_factor", "knn", "target_recall"};
        for (const auto& [k, _] : params->items()) {
            if (std::find(std::begin(kKnown), std::end(kKnown), k) == std::end(kKnown)) {
                bad_input(fmt::format("params: unknown field `{}` (exact, algorithm, query_cut, heap_factor, knn, target_recall; hnsw_ef, indexed_only, quantization and acorn are ignored)", k));
            }
        }
        const bool exact = get_bool(*params, "exact", false, "params.");
        if (auto a = get_string(*params, "algorithm", "params.")) {
            try {
                r.algorithm = parse_algorithm(*a);
            } catch (const InvalidArgument& e) {
                bad_input(fmt::format("params.algorithm: {}", e.what()));
            }
        }
        r.query_cut = get_uint(*params, "query_cut", "params.");
        r.heap_factor = get_number(*params, "heap_factor", "params.");
        r.knn = get_uint(*params, "knn", "params.");
        const auto target = get_number(*params, "target_recall", "params.");
        const bool knobs = r.query_cut || r.heap_factor || r.knn || target;
        if (knobs) {
            if (r.algorithm && *r.algorithm != Algorithm::approx) {
                bad_input(fmt::format("params: query_cut, heap_factor, knn and target_recall apply to algorithm approx, not {}", to_string(*r.algorithm)));
            }
            r.algorithm = Algorithm::approx;
        }
        if (exact && r.algorithm == Algorithm::approx) bad_input("params: exact is true but the approximate algorithm was asked for");
        // Checked against the vector's tuned setting by the library's search.
        r.target_recall = target;
    }

    // A dense search's "params": hnsw_ef and exact (Qdrant's); the sparse knobs are refused.
    static void apply_dense_params(const json& params, SearchRequest& r) {
        require_object(params, "params");
        static const char* const kKnown[] = {"exact", "hnsw_ef", "indexed_only", "quantization", "acorn"};
        for (const auto& [k, _] : params.items()) {
            if (std::find(std::begin(kKnown), std::end(kKnown), k) == std::end(kKnown)) {
                bad_input(fmt::format("params: unknown field `{}` for a dense vector (hnsw_ef, exact; indexed_only, quantization and acorn are ignored)", k));
            }
        }
        r.exact = get_bool(params, "exact", false, "params.");
        if (auto ef = get_uint(params, "hnsw_ef", "params.")) {
            if (*ef == 0 || *ef > 100'000) bad_input(fmt::format("params.hnsw_ef: must be in [1, 100000], got {}", *ef));
            r.ef = static_cast<std::size_t>(*ef);
        }
    }

    struct Query {
        SearchRequest req;
        PayloadSelector payload;
        VectorSelector vectors;
        bool by_id_order = false;  ///< no query: points in id order
        /// `prefetch` given: a query tree (Collection::query); `req` unused.
        std::optional<QueryRequest> tree;
    };

    // The query of a sparse vector: tokens/indices, raw text, or a point id.
    void parse_sparse_query(const Collection& c, const std::string& vname, const json* qv, bool legacy, Query& q) const {
        const auto [name, vcfg] = resolve_vector(c, vname);
        q.req.vector = name;
        if (qv == nullptr) {
            if (legacy) bad_input("vector: required");
            q.by_id_order = true;
        } else if (qv->is_string() && vcfg->text) {
            q.req.text = qv->get<std::string>();
        } else if (qv->is_object() && vcfg->text && member(*qv, "text") != nullptr) {
            q.req.text = get_string(*qv, "text", "query.").value_or("");
        } else if (qv->is_number_unsigned() || qv->is_string()) {
            // A point id: the query is that point's stored vector.
            const PointId id = parse_point_id(*qv, "query");
            const auto got = c.get(std::span<const PointId>(&id, 1), true);
            if (!got.front()) throw ApiError(404, fmt::format("Not found: No point with id {} found", id.text()));
            const auto it = got.front()->vectors.find(name);
            if (it != got.front()->vectors.end()) q.req.query = it->second;
        } else {
            q.req.query = parse_sparse_vector(*qv, vcfg->keys, legacy ? "vector" : "query");
        }
    }

    // The query of a dense vector: a list of floats or a point id (that
    // point's stored vector); `vname` empty: the collection's only dense vector.
    void parse_dense_query(const Collection& c, const std::string& vname, const json* qv, bool legacy, Query& q) const {
        const auto& ds = c.config().dense;
        std::string name = vname;
        if (name.empty()) {
            if (ds.size() != 1) {
                bad_input(ds.empty() ? std::string("the collection has no dense vector")
                                     : std::string("the collection has several dense vectors: name one with `using`"));
            }
            name = ds.begin()->first;
        }
        q.req.vector = name;
        const std::string where = legacy ? "vector" : "query";
        if (qv == nullptr) {
            if (legacy) bad_input("vector: required");
            q.by_id_order = true;
        } else if (qv->is_array()) {
            q.req.dense_query = parse_dense_vector(*qv, where);
        } else if (qv->is_number_unsigned() || qv->is_string()) {
            const PointId id = parse_point_id(*qv, where);
            const auto got = c.get(std::span<const PointId>(&id, 1), true);
            if (!got.front()) throw ApiError(404, fmt::format("Not found: No point with id {} found", id.text()));
            const auto it = got.front()->dense.find(name);
            if (it == got.front()->dense.end()) bad_input(fmt::format("{}: point {} has no vector `{}`", where, id.text(), name));
            q.req.dense_query = it->second;
        } else {
            bad_input(fmt::format("{}: vector `{}` is dense: give a list of {} numbers", where, name, ds.at(name).dim));
        }
    }

    // A one-key query object {kind: ...}: Qdrant's query kinds have a value
    // that is not a number; {"token": weight} with a number is a token
    // vector, even when the token is "sample", "fusion" or "nearest" (real
    // WordPiece tokens).
    static bool query_kind(const json* qv, const char* k) {
        return qv != nullptr && qv->is_object() && qv->contains(k) && !(*qv)[k].is_number();
    }

    // {"fusion": "rrf"|"dbsf"}, {"rrf": {"k", "weights"}} (Qdrant) or
    // {"convex": {"alpha", "weights", "normalization"}} (spindle's extension).
    static std::optional<FusionParams> parse_fusion_query(const json* qv, const std::string& where) {
        FusionParams f;
        const auto weights = [&](const json& o, const std::string& w) {
            const json* ws = member(o, "weights");
            if (ws == nullptr) return;
            if (!ws->is_array()) bad_input(fmt::format("{}weights: expected a list of numbers, got {}", w, ws->dump()));
            for (std::size_t i = 0; i < ws->size(); ++i) {
                const json& x = (*ws)[i];
                if (!x.is_number() || !std::isfinite(x.get<double>())) {
                    bad_input(fmt::format("{}weights[{}]: expected a finite number, got {}", w, i, x.dump()));
                }
                f.weights.push_back(x.get<double>());
            }
        };
        const auto known = [&](const json& o, const std::string& w, std::initializer_list<const char*> keys) {
            require_object(o, w.substr(0, w.size() - 1));
            for (const auto& item : o.items()) {
                const std::string& k = item.key();  // not a structured binding: clang 14 cannot capture one
                if (std::find_if(keys.begin(), keys.end(), [&](const char* x) { return k == x; }) == keys.end()) {
                    bad_input(fmt::format("{}{}: unknown field", w, k));
                }
            }
        };
        if (query_kind(qv, "fusion")) {
            const std::string w = where + ".fusion";
            if (!(*qv)["fusion"].is_string()) bad_input(fmt::format("{}: expected \"rrf\" or \"dbsf\", got {}", w, (*qv)["fusion"].dump()));
            const std::string m = (*qv)["fusion"].get<std::string>();
            if (m == "rrf") {
                f.method = FusionMethod::rrf;
            } else if (m == "dbsf") {
                f.method = FusionMethod::dbsf;
            } else if (m == "convex") {
                f.method = FusionMethod::convex;
            } else {
                bad_input(fmt::format("{}: unknown fusion `{}` (rrf, dbsf; spindle also has {{\"convex\": {{\"alpha\": a}}}})", w, m));
            }
            return f;
        }
        if (query_kind(qv, "rrf")) {
            const std::string w = where + ".rrf.";
            const json& o = (*qv)["rrf"];
            known(o, w, {"k", "weights"});
            f.method = FusionMethod::rrf;
            if (const auto k = get_uint(o, "k", w)) f.rrf_k = *k;
            weights(o, w);
            return f;
        }
        if (query_kind(qv, "convex")) {
            const std::string w = where + ".convex.";
            const json& o = (*qv)["convex"];
            known(o, w, {"alpha", "weights", "normalization"});
            f.method = FusionMethod::convex;
            f.alpha = get_number(o, "alpha", w);
            weights(o, w);
            if (const auto n = get_string(o, "normalization", w)) {
                try {
                    f.normalization = parse_score_normalization(*n);
                } catch (const InvalidArgument& e) {
                    bad_input(fmt::format("{}normalization: {}", w, e.what()));
                }
            }
            return f;
        }
        return std::nullopt;
    }

    // A node of a query tree (README, "Hybrid queries"): the request body
    // (root) or one of its prefetches. A fusion node is parsed here; a vector
    // query node is parsed by parse_query as a request of its own (without
    // its prefetch), whose filter, limit and score_threshold become the node's.
    QueryRequest parse_query_node(const Collection& c, const json& j, std::size_t depth, const std::string& where) const {
        const std::string prefix = where.empty() ? "" : where + ".";
        require_object(j, where.empty() ? "query" : where);
        if (depth > kMaxQueryDepth) bad_input(fmt::format("{}: prefetches nest more than {} levels deep", where, kMaxQueryDepth));
        QueryRequest n;
        if (const json* p = member(j, "prefetch")) {
            if (p->is_array()) {
                for (std::size_t i = 0; i < p->size(); ++i) {
                    n.prefetch.push_back(parse_query_node(c, (*p)[i], depth + 1, fmt::format("{}prefetch[{}]", prefix, i)));
                }
            } else {
                n.prefetch.push_back(parse_query_node(c, *p, depth + 1, prefix + "prefetch"));
            }
        }
        const json* qv = member(j, "query");
        const std::string qwhere = prefix + "query";
        if (auto f = parse_fusion_query(qv, qwhere)) {
            if (n.prefetch.empty()) bad_input(fmt::format("{}: a fusion combines the results of prefetches: give `prefetch`", qwhere));
            if (member(j, "using") != nullptr) bad_input(fmt::format("{}using: a fusion query uses no vector", prefix));
            n.fusion = std::move(*f);
            const std::size_t limit = get_uint(j, "limit", prefix).value_or(10);
            if (limit > opt.max_limit) bad_input(fmt::format("{}limit: {} is more than the limit of {}", prefix, limit, opt.max_limit));
            n.limit = limit;
            n.score_threshold = get_number(j, "score_threshold", prefix);
            n.filter = parse_filter_member(j);
            return n;
        }
        if (qv == nullptr) {
            bad_input(n.prefetch.empty() ? fmt::format("{}: required in a prefetch", qwhere)
                                         : fmt::format("{}: required with prefetch (a vector query re-scoring the prefetched points, or a fusion)", qwhere));
        }
        if (!where.empty() && member(j, "offset") != nullptr) {
            bad_input(fmt::format("{}offset: a prefetch has no offset (the request's offset applies to the final results)", prefix));
        }
        json leaf = json::object();  // the node without its prefetches; the root's offset applies to the tree
        for (const auto& [k, v] : j.items()) {
            if (k != "prefetch" && k != "offset") leaf[k] = v;
        }
        Query q;
        try {
            q = parse_query(c, leaf, false);
        } catch (const ApiError& e) {
            std::string m = e.what();
            constexpr std::string_view kPrefix = "Wrong input: ";
            if (where.empty() || m.compare(0, kPrefix.size(), kPrefix) != 0) throw;
            throw ApiError(e.status(), fmt::format("Wrong input: {}: {}", where, m.substr(kPrefix.size())));
        }
        n.limit = q.req.k;
        n.filter = std::move(q.req.filter);
        n.score_threshold = q.req.score_threshold;
        q.req.score_threshold.reset();
        q.req.with_payload = false;
        q.req.offset = 0;
        n.search = std::move(q.req);
        return n;
    }


    Query parse_query(const Collection& c, const json& body, bool legacy) const {
        require_object(body, legacy ? "search" : "query");
        Query q;
        std::string vname;
        const json* qv = nullptr;
        if (legacy) {
            const json* v = member(body, "vector");
            if (v == nullptr) bad_input("vector: required");
            if (!v->is_array()) require_object(*v, "vector");
            if (v->is_array()) {
                qv = v;  // a dense vector: the collection's only dense vector
            } else if (member(*v, "name") != nullptr && member(*v, "vector") != nullptr) {
                vname = get_string(*v, "name", "vector.").value_or("");
                qv = member(*v, "vector");
            } else {
                qv = v;
            }
        } else {
            if (member(body, "prefetch") != nullptr) {
                q.tree = parse_query_node(c, body, 0, "");
                q.tree->offset = get_uint(body, "offset", "").value_or(0);
                if (q.tree->limit + q.tree->offset > opt.max_limit) {
                    bad_input(fmt::format("limit + offset: {} is more than the limit of {}", q.tree->limit + q.tree->offset, opt.max_limit));
                }
                q.payload = parse_payload_selector(member(body, "with_payload"), false, "with_payload");
                q.vectors = parse_vector_selector(member(body, "with_vector"), "with_vector");
                q.tree->with_payload = q.payload.any;
                return q;
            }
            if (member(body, "lookup_from") != nullptr) bad_input("lookup_from is not supported");
            vname = get_string(body, "using", "").value_or("");
            qv = member(body, "query");
            // Qdrant's query kinds are one-key objects whose value is not a
            // number; {"token": weight} with a number is a token vector, even
            // when the token is "sample", "fusion" or "nearest" (real
            // WordPiece tokens).
            const auto kind = [&](const char* k) { return qv != nullptr && qv->is_object() && qv->contains(k) && !(*qv)[k].is_number(); };
            if (kind("nearest")) qv = member(*qv, "nearest");
            if (parse_fusion_query(qv, "query")) bad_input("query: a fusion combines the results of prefetches: give `prefetch`");
            static const char* const kUnsupported[] = {"recommend", "discover", "context", "order_by",
                                                        "formula", "sample", "mmr"};
            for (const char* k : kUnsupported) {
                if (kind(k)) bad_input(fmt::format("query: `{}` queries are not supported (nearest queries and fusions of prefetches only)", k));
            }
        }
        if (member(body, "shard_key") != nullptr) bad_input("shard_key is not supported (spindle collections have one shard)");
        const CollectionConfig& cc = c.config();
        const bool dense = cc.dense.contains(vname) || (vname.empty() && ((qv != nullptr && qv->is_array()) || cc.vectors.empty()));
        if (dense) {
            parse_dense_query(c, vname, qv, legacy, q);
        } else {
            parse_sparse_query(c, vname, qv, legacy, q);
        }
        const std::size_t limit = get_uint(body, "limit", "").value_or(10);
        const std::size_t offset = get_uint(body, "offset", "").value_or(0);
        if (limit + offset > opt.max_limit || limit > opt.max_limit) {
            bad_input(fmt::format("limit + offset: {} is more than the limit of {}", limit + offset, opt.max_limit));
        }
        q.req.k = limit;
        q.req.offset = offset;
        q.req.score_threshold = get_number(body, "score_threshold", "");
        q.req.filter = parse_filter_member(body);
        q.payload = parse_payload_selector(member(body, "with_payload"), false, "with_payload");
        q.vectors = parse_vector_selector(member(body, "with_vector"), "with_vector");
        q.req.with_payload = q.payload.any;
        apply_params(member(body, "params"), q.req, dense);
        return q;
    }

    json run_query(const Collection& c, const Query& q) const {
        json points = json::array();
        if (q.by_id_order) {
            std::optional<PointId> next;
            auto pts = scroll_matching(c, q.req.filter.get(), std::nullopt, q.req.k + q.req.offset, q.vectors.any, next);
            for (std::size_t i = q.req.offset; i < pts.size(); ++i) {
                json r = record_json(c, pts[i], q.payload, q.vectors);
                r["version"] = 0;
                r["score"] = 0.0;
                points.push_back(std::move(r));
            }
            return points;
        }
        SearchResult res;
        if (q.tree) {
            res.points = c.query(*q.tree).points;
        } else {
            res = c.search(q.req);
        }
        std::vector<std::optional<Point>> vecs;
        if (q.vectors.any) {
            std::vector<PointId> ids;
            for (const auto& p : res.points) ids.push_back(p.id);
            vecs = c.get(ids, true);
        }
        for (std::size_t i = 0; i < res.points.size(); ++i) {
            const ScoredPoint& p = res.points[i];
            json r = {{"id", point_id_json(p.id)}, {"version", 0}, {"score", p.score}};
            r["payload"] = q.payload.any ? q.payload.apply(p.payload) : json(nullptr);
            if (q.vectors.any) r["vector"] = vecs[i] ? point_vectors_json(*vecs[i], c.config(), q.vectors) : json::object();
            points.push_back(std::move(r));
        }
        return points;
    }

    json query(const std::string& name, const json& body) const {
        auto c = find(name);
        return json{{"points", run_query(*c, parse_query(*c, body, false))}};
    }

    json search(const std::string& name, const json& body) const {
        auto c = find(name);
        return run_query(*c, parse_query(*c, body, true));
    }

    json batch(const std::string& name, const json& body, bool legacy) const {
        require_object(body, "body");
        auto c = find(name);
        const json* s = member(body, "searches");
        if (s == nullptr || !s->is_array()) bad_input("searches: expected a list of requests");
        if (s->size() > opt.max_batch_queries) {
            bad_input(fmt::format("searches: {} requests in one batch; the limit is {}", s->size(), opt.max_batch_queries));
        }
        std::vector<Query> qs;
        qs.reserve(s->size());
        for (std::size_t i = 0; i < s->size(); ++i) {
            try {
                qs.push_back(parse_query(*c, (*s)[i], legacy));
            } catch (const ApiError& e) {
                std::string m = e.what();
                constexpr std::string_view kPrefix = "Wrong input: ";
                if (m.compare(0, kPrefix.size(), kPrefix) == 0) m = m.substr(kPrefix.size());
                throw ApiError(e.status(), fmt::format("Wrong input: searches[{}]: {}", i, m));
            }
        }
        json out = json::array();
        for (const Query& q : qs) {
            json pts = run_query(*c, q);
            out.push_back(legacy ? std::move(pts) : json{{"points", std::move(pts)}});
        }
        return out;
    }

    std::string metrics_text() const {
        std::string out;
        metrics.render(out);
        std::vector<std::pair<std::string, CollectionInfo>> infos;
        {
            const std::shared_lock lock(map_mu);
            for (const auto& [name, c] : colls) infos.emplace_back(name, c->info());
        }
        const auto gauge = [&](const char* metric, const char* type, const char* help, auto value) {
            out += fmt::format("# HELP {} {}\n# TYPE {} {}\n", metric, help, metric, type);
            for (const auto& [name, info] : infos) {
                out += fmt::format("{}{{collection=\"{}\"}} {}\n", metric, prometheus_label(name), value(info));
            }
        };
        gauge("spindle_collection_points", "gauge", "Live points.", [](const CollectionInfo& i) { return i.points; });
        gauge("spindle_collection_segments", "gauge", "Segments (disk and in memory).",
              [](const CollectionInfo& i) { return i.segments.size(); });
        gauge("spindle_collection_deleted_points", "gauge", "Deleted points still held by segments.", [](const CollectionInfo& i) {
            std::uint64_t d = 0;
            for (const auto& s : i.segments) d += s.deleted;
            return d;
        });
        gauge("spindle_collection_memory_points", "gauge", "Points in in-memory segments (not yet flushed).",
              [](const CollectionInfo& i) { return i.memory_docs; });
        gauge("spindle_collection_log_bytes", "gauge", "Write-ahead log bytes since the last flush.",
              [](const CollectionInfo& i) { return i.wal_bytes; });
        gauge("spindle_collection_merges_total", "counter", "Segment merges by this process.",
              [](const CollectionInfo& i) { return i.merges_done; });
        gauge("spindle_collection_merge_running", "gauge", "1 while a merge runs.",
              [](const CollectionInfo& i) { return i.merge_running ? 1 : 0; });
        return out;
    }

    // ---- routing ------------------------------------------------------

    HttpResponse dispatch(const HttpRequest& req, std::string& endpoint, Clock::time_point t0) {
        const auto parts = split_path(req.path);
        const std::string& m = req.method;
        const std::size_t n = parts.size();
        bool write = false;
        bool open = false;  // no key needed
        enum class Route : std::uint8_t {
            none, bad_method, root, console, healthz, readyz, livez, metrics_page, list, create, info, remove, exists, index, upsert,
            retrieve, get_point, del, query, query_batch, search, search_batch, count, scroll
        };
        Route route = Route::none;
        const auto is = [&](std::size_t i, const char* s) { return n > i && parts[i] == s; };
        const auto pick = [&](const char* ep, std::initializer_list<std::pair<const char*, Route>> by_method) {
            endpoint = ep;
            route = Route::bad_method;
            for (const auto& [method, r] : by_method) {
                if (m == method) route = r;
            }
        };
        if (n == 0) {
            pick("/", {{"GET", Route::root}});
        } else if (n == 1 && is(0, "console")) {
            // The page is static and holds no data; its API calls send the key.
            pick("/console", {{"GET", Route::console}});
            open = true;
        } else if (n == 1 && is(0, "healthz")) {
            pick("/healthz", {{"GET", Route::healthz}});
            open = true;
        } else if (n == 1 && is(0, "readyz")) {
            pick("/readyz", {{"GET", Route::readyz}});
            open = true;
        } else if (n == 1 && is(0, "livez")) {
            pick("/livez", {{"GET", Route::livez}});
            open = true;
        } else if (n == 1 && is(0, "metrics")) {
            pick("/metrics", {{"GET", Route::metrics_page}});
        } else if (is(0, "collections")) {
            if (n == 1) {
                pick("/collections", {{"GET", Route::list}});
            } else if (n == 2) {
                pick("/collections/{name}", {{"GET", Route::info}, {"PUT", Route::create}, {"DELETE", Route::remove}});
            } else if (n == 3 && is(2, "exists")) {
                pick("/collections/{name}/exists", {{"GET", Route::exists}});
            } else if (n == 3 && is(2, "index")) {
                pick("/collections/{name}/index", {{"PUT", Route::index}});
            } else if (n == 3 && is(2, "points")) {
                pick("/collections/{name}/points", {{"PUT", Route::upsert}, {"POST", Route::retrieve}});
            } else if (n == 4 && is(2, "points") && is(3, "delete")) {
                pick("/collections/{name}/points/delete", {{"POST", Route::del}});
            } else if (n == 4 && is(2, "points") && is(3, "query")) {
                pick("/collections/{name}/points/query", {{"POST", Route::query}});
            } else if (n == 5 && is(2, "points") && is(3, "query") && is(4, "batch")) {
                pick("/collections/{name}/points/query/batch", {{"POST", Route::query_batch}});
            } else if (n == 4 && is(2, "points") && is(3, "search")) {
                pick("/collections/{name}/points/search", {{"POST", Route::search}});
            } else if (n == 5 && is(2, "points") && is(3, "search") && is(4, "batch")) {
                pick("/collections/{name}/points/search/batch", {{"POST", Route::search_batch}});
            } else if (n == 4 && is(2, "points") && is(3, "count")) {
                pick("/collections/{name}/points/count", {{"POST", Route::count}});
            } else if (n == 4 && is(2, "points") && is(3, "scroll")) {
                pick("/collections/{name}/points/scroll", {{"POST", Route::scroll}});
            } else if (n == 4 && is(2, "points")) {
                pick("/collections/{name}/points/{id}", {{"GET", Route::get_point}});
            }
        }
        write = route == Route::create || route == Route::remove || route == Route::index || route == Route::upsert ||
                route == Route::del;
        if (route == Route::none) {
            throw ApiError(404, fmt::format("Not found: no endpoint {} {}", m, req.path));
        }
        if (!open) {
            const Access a = access(req);
            if (a == Access::none) {
                const bool given = req.headers.count("api-key") != 0 || req.headers.count("authorization") != 0;
                throw ApiError(401, given ? "Unauthorized: invalid API key" : "Unauthorized: missing API key (send an `api-key` header or `Authorization: Bearer <key>`)");
            }
            if (write && a == Access::read) throw ApiError(403, "Forbidden: the read-only API key cannot write");
        }
        if (route == Route::bad_method) throw ApiError(405, fmt::format("Method not allowed: {} {}", m, endpoint));
        if (req.body_truncated) {
            throw ApiError(413, fmt::format("Payload too large: the body is larger than the limit of {} bytes (--max-body-bytes)",
                                            opt.max_body_bytes));
        }
        if (req.body.size() > opt.max_body_bytes) {
            throw ApiError(413, fmt::format("Payload too large: the body has {} bytes, more than the limit of {} (--max-body-bytes)",
                                            req.body.size(), opt.max_body_bytes));
        }
        const std::string name = n >= 2 ? parts[1] : std::string();
        const auto wait_it = req.query.find("wait");
        const bool wait = wait_it != req.query.end() && (wait_it->second == "true" || wait_it->second == "1");
        const auto body = [&] { return parse_body(req.body, opt.max_json_depth, opt.max_array_items); };
        switch (route) {
            case Route::root:
                return json_response(200, json{{"title", "spindle - sparse retrieval engine (Qdrant-compatible REST API)"},
                                               {"version", kQdrantApiVersion},
                                               {"spindle_version", "0.1.0"}});
            case Route::console: {
                HttpResponse r;
                r.content_type = "text/html; charset=utf-8";
                r.body = std::string(console_html());
                return r;
            }
            case Route::healthz:
            case Route::livez: {
                HttpResponse r;
                r.content_type = "text/plain; charset=utf-8";
                r.body = "healthz check passed";
                return r;
            }
            case Route::readyz: {
                HttpResponse r;
                r.content_type = "text/plain; charset=utf-8";
                r.body = "all shards are ready";
                return r;
            }
            case Route::metrics_page: {
                HttpResponse r;
                r.content_type = "text/plain; version=0.0.4; charset=utf-8";
                r.body = metrics_text();
                return r;
            }
            case Route::list: return ok(list_collections(), t0);
            case Route::create: return ok(create_collection(name, body()), t0);
            case Route::info: return ok(collection_info_json(*find(name)), t0);
            case Route::remove: return ok(delete_collection(name), t0);
            case Route::exists: return ok(json{{"exists", exists(name)}}, t0);
            case Route::index: return ok(create_index(name, body(), wait), t0);
            case Route::upsert: return ok(upsert(name, body(), wait), t0);
            case Route::retrieve: return ok(retrieve(name, body()), t0);
            case Route::get_point: return ok(get_point(name, parts[3]), t0);
            case Route::del: return ok(delete_points(name, body(), wait), t0);
            case Route::query: return ok(query(name, body()), t0);
            case Route::query_batch: return ok(batch(name, body(), false), t0);
            case Route::search: return ok(search(name, body()), t0);
            case Route::search_batch: return ok(batch(name, body(), true), t0);
            case Route::count: return ok(count(name, body()), t0);
            case Route::scroll: return ok(scroll(name, body()), t0);
            case Route::none:
            case Route::bad_method: break;
        }
        throw ApiError(404, fmt::format("Not found: no endpoint {} {}", m, req.path));
    }
};

Service::Service(ServiceOptions options) : impl_(std::make_unique<Impl>(std::move(options))) {
    if (impl_->opt.data_dir.empty()) throw InvalidArgument("spindle serve: the data directory is empty");
    impl_->open_all();
}

Service::~Service() = default;

std::size_t Service::collection_count() const {
    const std::shared_lock lock(impl_->map_mu);
    return impl_->colls.size();
}

void Service::flush_all() {
    std::vector<std::shared_ptr<Collection>> cs;
    {
        const std::shared_lock lock(impl_->map_mu);
        for (const auto& [_, c] : impl_->colls) cs.push_back(c);
    }
    for (const auto& c : cs) {
        if (!c->read_only()) c->flush();
    }
}

HttpResponse Service::handle(const HttpRequest& request) {
    const auto t0 = Clock::now();
    std::string endpoint = "unknown";
    HttpResponse res;
    try {
        res = impl_->dispatch(request, endpoint, t0);
    } catch (const ApiError& e) {
        res = error_response(e.status(), e.what(), t0);
    } catch (const InvalidArgument& e) {
        res = error_response(400, std::string("Wrong input: ") + e.what(), t0);
    } catch (const ParseError& e) {
        res = error_response(400, std::string("Wrong input: ") + e.what(), t0);
    } catch (const json::exception& e) {
        res = error_response(400, std::string("Wrong input: ") + e.what(), t0);
    } catch (const std::bad_alloc&) {
        res = error_response(500, "Service internal error: out of memory", t0);
    } catch (const std::exception& e) {
        res = error_response(500, std::string("Service internal error: ") + e.what(), t0);
    }
    res.endpoint = endpoint;
    impl_->metrics.observe(request.method, endpoint, res.status, seconds_since(t0));
    return res;
}

}  // namespace spindle::server
