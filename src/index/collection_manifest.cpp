#include "spindle/index/collection_manifest.hpp"

#include <fmt/format.h>

#include <cctype>
#include <filesystem>
#include <nlohmann/json.hpp>

#include "spindle/common/error.hpp"
#include "spindle/index/file_kinds.hpp"
#include "spindle/io/container.hpp"
#include "spindle/io/file_lock.hpp"
#include "spindle/io/file_util.hpp"
#include "spindle/io/mapped_file.hpp"

namespace spindle {

using nlohmann::json;

std::string_view to_string(VectorKeys k) { return k == VectorKeys::tokens ? "tokens" : "indices"; }

VectorKeys parse_vector_keys(std::string_view s) {
    if (s == "tokens") return VectorKeys::tokens;
    if (s == "indices") return VectorKeys::indices;
    throw InvalidArgument("unknown vector keys '" + std::string(s) + "' (valid: tokens, indices)");
}

void check_vector_name(std::string_view name) {
    const bool ok = !name.empty() && name.size() <= 64 && name != "." && name != ".." &&
                    name.find_first_not_of("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_.-") ==
                        std::string_view::npos;
    if (!ok) {
        throw InvalidArgument("invalid vector name '" + std::string(name) +
                              "' (1 to 64 characters of A-Z a-z 0-9 _ . -)");
    }
}

void SparseVectorConfig::validate(const std::string& name) const {
    check_vector_name(name);
    if (range_block == 0 || range_block > 65536) {
        throw InvalidArgument(fmt::format("vector '{}': range_block must be in [1, 65536], got {}", name, range_block));
    }
    if (!(dense_ranges >= 0.0 && dense_ranges <= 1.0)) {
        throw InvalidArgument(fmt::format("vector '{}': dense_ranges must be in [0, 1], got {}", name, dense_ranges));
    }
    if (approx) {
        try {
            approx->validate();
        } catch (const InvalidArgument& e) {
            throw InvalidArgument("vector '" + name + "': " + e.what());
        }
    }
    if (text && keys != VectorKeys::tokens) throw InvalidArgument("vector '" + name + "': a text vector has token keys");
}

void SegmentPolicy::validate() const {
    if (flush_docs == 0) throw InvalidArgument("flush_docs must be at least 1");
    if (memory_merge_factor < 2) throw InvalidArgument("memory_merge_factor must be at least 2");
    if (merge_factor < 2) throw InvalidArgument("merge_factor must be at least 2");
    if (tier_floor_docs == 0) throw InvalidArgument("tier_floor_docs must be at least 1");
    if (max_segment_docs == 0 || max_segment_docs >= 0xFFFFFFFFULL) {
        throw InvalidArgument("max_segment_docs must be in [1, 2^32-2]");
    }
    if (!(max_deleted_fraction > 0.0 && max_deleted_fraction <= 1.0)) {
        throw InvalidArgument(fmt::format("max_deleted_fraction must be in (0, 1], got {}", max_deleted_fraction));
    }
}

std::string_view to_string(DenseDistance d) {
    switch (d) {
        case DenseDistance::cosine: return "cosine";
        case DenseDistance::dot: return "dot";
        case DenseDistance::euclid: return "euclid";
    }
    return "?";
}

DenseDistance parse_dense_distance(std::string_view s) {
    std::string l(s);
    for (char& c : l) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    if (l == "cosine") return DenseDistance::cosine;
    if (l == "dot") return DenseDistance::dot;
    if (l == "euclid" || l == "euclidean" || l == "l2") return DenseDistance::euclid;
    throw InvalidArgument("unknown distance '" + std::string(s) + "' (valid: Cosine, Dot, Euclid)");
}

std::string_view to_string(DenseStorage s) { return s == DenseStorage::f16 ? "f16" : "f32"; }

DenseStorage parse_dense_storage(std::string_view s) {
    if (s == "f32" || s == "float32") return DenseStorage::f32;
    if (s == "f16" || s == "float16") return DenseStorage::f16;
    throw InvalidArgument("unknown dense storage '" + std::string(s) + "' (valid: f32, f16)");
}

void DenseVectorConfig::validate(const std::string& name) const {
    check_vector_name(name);
    const std::string where = "dense vector '" + name + "'";
    if (dim == 0 || dim > 65536) throw InvalidArgument(fmt::format("{}: dimension must be in [1, 65536], got {}", where, dim));
    if (hnsw.m < 2 || hnsw.m > 256) throw InvalidArgument(fmt::format("{}: hnsw m must be in [2, 256], got {}", where, hnsw.m));
    if (hnsw.ef_construct < 1 || hnsw.ef_construct > 100'000) {
        throw InvalidArgument(fmt::format("{}: hnsw ef_construct must be in [1, 100000], got {}", where, hnsw.ef_construct));
    }
    if (hnsw.ef < 1 || hnsw.ef > 100'000) throw InvalidArgument(fmt::format("{}: hnsw ef must be in [1, 100000], got {}", where, hnsw.ef));
    if (hnsw.min_docs < 1) throw InvalidArgument(where + ": hnsw min_docs must be at least 1");
}

void CollectionConfig::validate() const {
    if (vectors.empty() && dense.empty()) throw InvalidArgument("a collection needs at least one vector");
    for (const auto& [name, v] : vectors) v.validate(name);
    for (const auto& [name, v] : dense) {
        v.validate(name);
        if (vectors.contains(name)) {
            throw InvalidArgument("vector name '" + name + "' is used by a sparse and a dense vector (names must be unique)");
        }
    }
    segments.validate();
    for (const auto& [key, type] : payload_indexes) check_payload_key(key);
}

namespace {

// --- JSON of the parts -------------------------------------------------------

json approx_json(const ApproxOptions& a) {
    json j = {{"lambda", a.lambda}, {"block_size", a.block_size}, {"alpha_mass", a.alpha_mass}, {"seed", a.seed},
              {"knn_k", a.knn_k}};
    if (a.lambda_per_doc > 0.0) {  // the scaled budget (absent: lambda for every segment)
        j["lambda_per_doc"] = a.lambda_per_doc;
        j["lambda_max"] = a.lambda_max;
    }
    return j;
}

json defaults_json(const ApproxDefaults& d) {
    json j = {{"query_cut", d.query_cut}, {"heap_factor", d.heap_factor}, {"knn", d.knn},
              {"target_recall", d.target_recall}, {"k", d.k}, {"recall", d.recall}, {"mean_ms", d.mean_ms}};
    if (!d.curve.empty()) {
        json& c = j["curve"] = json::array();
        for (const TunedPoint& p : d.curve) {
            c.push_back({{"query_cut", p.query_cut}, {"heap_factor", p.heap_factor}, {"knn", p.knn},
                         {"recall", p.recall}, {"mean_ms", p.mean_ms}});
        }
    }
    return j;
}

json text_json(const TextSettings& t) {
    return {{"analyzer", t.analyzer}, {"similarity", "bm25"}, {"k1", t.k1}, {"b", t.b},
            {"docs_with_terms", t.docs_with_terms}, {"avgdl", t.avgdl}};
}

json segment_info_json(const SegmentInfo& g) {
    json j = {{"name", g.name},
              {"docs", g.docs},
              {"postings", g.postings},
              {"zero_dropped", g.zero_dropped},
              {"empty_docs", g.empty_docs},
              {"scale", g.scale},
              {"max_weight", g.max_weight},
              {"inverted_bytes", g.inverted_bytes},
              {"forward_bytes", g.forward_bytes},
              {"reorder_seconds", g.reorder_seconds}};
    if (g.clipped > 0) {
        j["clipped"] = g.clipped;
        j["clip_max"] = g.clip_max;
        j["clip_cap"] = g.clip_cap;
        j["clip_example"] = g.clip_example;
    }
    if (g.rank_tied > 0) {
        j["rank_tied"] = g.rank_tied;
        j["tie_example"] = g.tie_example;
    }
    if (g.approx_bytes > 0) {
        j["approx_bytes"] = g.approx_bytes;
        j["approx_seconds"] = g.approx_seconds;
    }
    return j;
}

// Reading: every access names the field and the file.
struct Reader {
    const std::string& where;

    const json& member(const json& o, const char* key, const std::string& path) const {
        if (!o.is_object() || !o.contains(key)) throw CorruptIndex(where + ": manifest field '" + path + key + "' missing");
        return o.at(key);
    }
    std::uint64_t u64(const json& o, const char* key, const std::string& path = {}) const {
        const json& v = member(o, key, path);
        if (!v.is_number_unsigned() && !(v.is_number_integer() && v.get<std::int64_t>() >= 0)) {
            throw CorruptIndex(where + ": manifest field '" + path + key + "' is not an unsigned integer");
        }
        return v.get<std::uint64_t>();
    }
    std::uint32_t u32(const json& o, const char* key, const std::string& path = {}) const {
        const auto v = u64(o, key, path);
        if (v > 0xFFFFFFFFULL) throw CorruptIndex(where + ": manifest field '" + path + key + "' exceeds 32 bits");
        return static_cast<std::uint32_t>(v);
    }
    double num(const json& o, const char* key, const std::string& path = {}) const {
        const json& v = member(o, key, path);
        if (!v.is_number()) throw CorruptIndex(where + ": manifest field '" + path + key + "' is not a number");
        return v.get<double>();
    }
    std::string str(const json& o, const char* key, const std::string& path = {}) const {
        const json& v = member(o, key, path);
        if (!v.is_string()) throw CorruptIndex(where + ": manifest field '" + path + key + "' is not a string");
        return v.get<std::string>();
    }
    const json& obj(const json& o, const char* key, const std::string& path = {}) const {
        const json& v = member(o, key, path);
        if (!v.is_object()) throw CorruptIndex(where + ": manifest field '" + path + key + "' is not an object");
        return v;
    }
    template <class F>
    auto valid(F&& f) const {
        try {
            return f();
        } catch (const InvalidArgument& e) {
            throw CorruptIndex(where + ": " + e.what());
        }
    }

    ApproxOptions approx(const json& o, const std::string& path) const {
        ApproxOptions a;
        a.lambda = u32(o, "lambda", path);
        a.block_size = u32(o, "block_size", path);
        a.alpha_mass = num(o, "alpha_mass", path);
        a.seed = u64(o, "seed", path);
        a.knn_k = u32(o, "knn_k", path);
        if (o.contains("lambda_per_doc")) {  // optional: since the budget scales with the segment
            a.lambda_per_doc = num(o, "lambda_per_doc", path);
            a.lambda_max = u32(o, "lambda_max", path);
        }
        valid([&] {
            a.validate();
            return 0;
        });
        return a;
    }
    ApproxDefaults defaults(const json& o, const std::string& path) const {
        ApproxDefaults d;
        d.query_cut = u64(o, "query_cut", path);
        d.heap_factor = num(o, "heap_factor", path);
        d.knn = u64(o, "knn", path);
        d.target_recall = num(o, "target_recall", path);
        d.k = u64(o, "k", path);
        d.recall = num(o, "recall", path);
        d.mean_ms = num(o, "mean_ms", path);
        if (o.contains("curve")) {  // since the tuning curve is stored (optional)
            const json& c = o.at("curve");
            if (!c.is_array()) throw CorruptIndex(where + ": manifest field '" + path + "curve' is not an array");
            for (std::size_t i = 0; i < c.size(); ++i) {
                const std::string at = path + "curve[" + std::to_string(i) + "].";
                if (!c[i].is_object()) throw CorruptIndex(where + ": manifest field '" + path + "curve[" + std::to_string(i) + "]' is not an object");
                d.curve.push_back({u64(c[i], "query_cut", at), num(c[i], "heap_factor", at), u64(c[i], "knn", at),
                                   num(c[i], "recall", at), num(c[i], "mean_ms", at)});
            }
        }
        valid([&] {
            d.validate();
            return 0;
        });
        return d;
    }
    TextSettings text(const json& o, const std::string& path) const {
        TextSettings t;
        t.analyzer = str(o, "analyzer", path);
        if (str(o, "similarity", path) != "bm25") throw CorruptIndex(where + ": unknown text similarity (this build knows \"bm25\")");
        t.k1 = num(o, "k1", path);
        t.b = num(o, "b", path);
        t.docs_with_terms = u64(o, "docs_with_terms", path);
        t.avgdl = num(o, "avgdl", path);
        return t;
    }
    SegmentInfo segment_info(const json& o, const std::string& path) const {
        SegmentInfo g;
        g.name = str(o, "name", path);
        g.docs = u64(o, "docs", path);
        g.postings = u64(o, "postings", path);
        g.zero_dropped = u64(o, "zero_dropped", path);
        g.empty_docs = u64(o, "empty_docs", path);
        g.scale = num(o, "scale", path);
        g.max_weight = static_cast<float>(num(o, "max_weight", path));
        g.inverted_bytes = u64(o, "inverted_bytes", path);
        g.forward_bytes = u64(o, "forward_bytes", path);
        g.reorder_seconds = num(o, "reorder_seconds", path);
        if (o.contains("clipped")) {  // optional: written only when weights were clipped
            g.clipped = u64(o, "clipped", path);
            g.clip_max = static_cast<float>(num(o, "clip_max", path));
            g.clip_cap = static_cast<float>(num(o, "clip_cap", path));
            g.clip_example = str(o, "clip_example", path);
        }
        if (o.contains("rank_tied")) {  // optional: written only when quantization tied distinct weights
            g.rank_tied = u64(o, "rank_tied", path);
            g.tie_example = str(o, "tie_example", path);
            if (g.rank_tied > g.postings) {
                throw CorruptIndex(where + ": manifest field '" + path + "rank_tied' (" + std::to_string(g.rank_tied) +
                                   ") exceeds the segment's postings (" + std::to_string(g.postings) + ")");
            }
        }
        if (o.contains("approx_bytes")) {
            g.approx_bytes = u64(o, "approx_bytes", path);
            g.approx_seconds = num(o, "approx_seconds", path);
            if (g.approx_bytes == 0) throw CorruptIndex(where + ": manifest field '" + path + "approx_bytes' is 0");
        }
        if (!(g.scale > 0.0)) throw CorruptIndex(where + ": manifest field '" + path + "scale' must be positive");
        return g;
    }
};

void check_file_name(const std::string& where, const std::string& what, const std::string& name, bool allow_slash) {
    const bool bad = name.empty() || name.find("..") != std::string::npos || name.front() == '/' ||
                     (!allow_slash && name.find('/') != std::string::npos);
    if (bad) throw CorruptIndex(where + ": invalid " + what + " '" + name + "'");
}

}  // namespace

std::string CollectionManifest::to_json() const {
    json vecs = json::object();
    for (const auto& [name, v] : config.vectors) {
        json j = {{"keys", std::string(spindle::to_string(v.keys))},
                  {"weight_type", std::string(spindle::to_string(v.weight_type))},
                  {"range_block", v.range_block},
                  {"dense_ranges", v.dense_ranges}};
        if (v.approx) j["approx"] = approx_json(*v.approx);
        if (v.text) j["text"] = text_json(*v.text);
        vecs[name] = std::move(j);
    }
    const SegmentPolicy& p = config.segments;
    json dense = json::object();
    for (const auto& [name, v] : config.dense) {
        dense[name] = {{"dim", v.dim},
                       {"distance", std::string(spindle::to_string(v.distance))},
                       {"storage", std::string(spindle::to_string(v.storage))},
                       {"hnsw", {{"m", v.hnsw.m}, {"ef_construct", v.hnsw.ef_construct}, {"min_docs", v.hnsw.min_docs}, {"ef", v.hnsw.ef}}}};
    }
    json cfg = {{"vectors", std::move(vecs)},
                {"segments",
                 {{"flush_docs", p.flush_docs},
                  {"memory_merge_factor", p.memory_merge_factor},
                  {"merge_factor", p.merge_factor},
                  {"tier_floor_docs", p.tier_floor_docs},
                  {"max_segment_docs", p.max_segment_docs},
                  {"max_deleted_fraction", p.max_deleted_fraction},
                  {"approx_min_docs", p.approx_min_docs}}}};
    // Only when there are dense vectors: manifests of sparse-only
    // collections stay as older builds wrote (and read) them.
    if (!config.dense.empty()) cfg["dense"] = std::move(dense);
    if (!config.payload_indexes.empty()) {
        json pi = json::object();
        for (const auto& [key, type] : config.payload_indexes) pi[key] = std::string(spindle::to_string(type));
        cfg["payload_indexes"] = std::move(pi);
    }
    json states = json::object();
    for (const auto& [name, s] : vectors) {
        json j = {{"vocabulary", s.vocabulary}, {"num_terms", s.num_terms}, {"vocab_bytes", s.vocab_bytes}};
        if (s.approx_defaults) j["approx_defaults"] = defaults_json(*s.approx_defaults);
        states[name] = std::move(j);
    }
    json segs = json::array();
    for (const auto& g : segments) {
        json vj = json::object();
        for (const auto& [name, info] : g.vectors) vj[name] = segment_info_json(info);
        json sj = {{"name", g.name},
                   {"docs", g.docs},
                   {"deleted", g.deleted},
                   {"deletions", g.deletions},
                   {"docids_bytes", g.docids_bytes},
                   {"payload_bytes", g.payload_bytes},
                   {"payload_index_bytes", g.payload_index_bytes},
                   {"origin", g.origin},
                   {"vectors", std::move(vj)}};
        if (!g.dense.empty()) {
            json dj = json::object();
            for (const auto& [name, d] : g.dense) {
                dj[name] = {{"bytes", d.bytes}, {"present", d.present}, {"graph", d.graph}, {"graph_seconds", d.graph_seconds}};
            }
            sj["dense"] = std::move(dj);
        }
        segs.push_back(std::move(sj));
    }
    json root = {{"format", "spindle-collection"},
                 {"format_version", kFormatVersion},
                 {"generation", generation},
                 {"config", std::move(cfg)},
                 {"vectors", std::move(states)},
                 {"next_segment", next_segment},
                 {"wal_first", wal_first},
                 {"next_lsn", next_lsn},
                 {"reorder", std::string(spindle::to_string(reorder))},
                 {"build_seconds", build_seconds},
                 {"build_peak_rss", build_peak_rss},
                 {"segments", std::move(segs)}};
    if (last_merge) {
        root["last_merge"] = {{"generation", last_merge->generation}, {"sources", last_merge->sources},
                              {"docs", last_merge->docs},             {"dropped", last_merge->dropped},
                              {"seconds", last_merge->seconds},       {"unix_time", last_merge->unix_time}};
    }
    return root.dump(1) + "\n";
}

CollectionManifest CollectionManifest::from_json(std::string_view text, const std::string& where) {
    json root = json::parse(text, nullptr, false);
    if (root.is_discarded() || !root.is_object()) throw CorruptIndex(where + ": manifest is not valid JSON");
    const Reader r{where};
    if (root.value("format", std::string()) != "spindle-collection") {
        throw CorruptIndex(where + ": not a spindle collection manifest");
    }
    const auto version = r.u64(root, "format_version");
    if (version != kFormatVersion) {
        throw IncompatibleVersion(where + ": collection format version " + std::to_string(version) +
                                  ", this build reads version " + std::to_string(kFormatVersion));
    }
    CollectionManifest m;
    m.generation = r.u64(root, "generation");
    const json& cfg = r.obj(root, "config");
    // Named references, not structured bindings: lambdas below capture them
    // (clang 14, the fuzz build's compiler, cannot capture bindings).
    for (const auto& item : r.obj(cfg, "vectors", "config.").items()) {
        const std::string& name = item.key();
        const json& v = item.value();
        const std::string path = "config.vectors." + name + ".";
        SparseVectorConfig c;
        c.keys = r.valid([&] { return parse_vector_keys(r.str(v, "keys", path)); });
        c.weight_type = r.valid([&] { return parse_weight_type(r.str(v, "weight_type", path)); });
        c.range_block = r.u32(v, "range_block", path);
        c.dense_ranges = r.num(v, "dense_ranges", path);
        if (v.contains("approx")) c.approx = r.approx(r.obj(v, "approx", path), path + "approx.");
        if (v.contains("text")) c.text = r.text(r.obj(v, "text", path), path + "text.");
        m.config.vectors.emplace(name, std::move(c));
    }
    if (cfg.contains("dense")) {  // since dense vectors (optional)
        for (const auto& item : r.obj(cfg, "dense", "config.").items()) {
            const std::string& name = item.key();
            const json& v = item.value();
            const std::string path = "config.dense." + name + ".";
            DenseVectorConfig c;
            c.dim = r.u32(v, "dim", path);
            c.distance = r.valid([&] { return parse_dense_distance(r.str(v, "distance", path)); });
            c.storage = r.valid([&] { return parse_dense_storage(r.str(v, "storage", path)); });
            const json& h = r.obj(v, "hnsw", path);
            const std::string hp = path + "hnsw.";
            c.hnsw.m = r.u32(h, "m", hp);
            c.hnsw.ef_construct = r.u32(h, "ef_construct", hp);
            c.hnsw.min_docs = r.u64(h, "min_docs", hp);
            c.hnsw.ef = r.u32(h, "ef", hp);
            m.config.dense.emplace(name, c);
        }
    }
    const json& pol = r.obj(cfg, "segments", "config.");
    SegmentPolicy& p = m.config.segments;
    const std::string pp = "config.segments.";
    p.flush_docs = r.u64(pol, "flush_docs", pp);
    p.memory_merge_factor = r.u32(pol, "memory_merge_factor", pp);
    p.merge_factor = r.u32(pol, "merge_factor", pp);
    p.tier_floor_docs = r.u64(pol, "tier_floor_docs", pp);
    p.max_segment_docs = r.u64(pol, "max_segment_docs", pp);
    p.max_deleted_fraction = r.num(pol, "max_deleted_fraction", pp);
    p.approx_min_docs = r.u64(pol, "approx_min_docs", pp);
    if (cfg.contains("payload_indexes")) {
        for (const auto& item : r.obj(cfg, "payload_indexes", "config.").items()) {
            const std::string& key = item.key();
            const json& t = item.value();
            const std::string path = "config.payload_indexes.";
            if (!t.is_string()) throw CorruptIndex(where + ": manifest field '" + path + key + "' is not a string");
            m.config.payload_indexes.emplace(key, r.valid([&] { return parse_payload_type(t.get<std::string>()); }));
        }
    }
    r.valid([&] {
        m.config.validate();
        return 0;
    });
    for (const auto& [name, s] : r.obj(root, "vectors").items()) {
        if (!m.config.vectors.contains(name)) throw CorruptIndex(where + ": state of unknown vector '" + name + "'");
        const std::string path = "vectors." + name + ".";
        VectorState st;
        st.vocabulary = r.str(s, "vocabulary", path);
        check_file_name(where, "vocabulary file", st.vocabulary, false);
        st.num_terms = r.u64(s, "num_terms", path);
        st.vocab_bytes = r.u64(s, "vocab_bytes", path);
        if (s.contains("approx_defaults")) st.approx_defaults = r.defaults(r.obj(s, "approx_defaults", path), path + "approx_defaults.");
        m.vectors.emplace(name, std::move(st));
    }
    for (const auto& [name, v] : m.config.vectors) {
        if (!m.vectors.contains(name)) throw CorruptIndex(where + ": no state for vector '" + name + "'");
    }
    m.next_segment = r.u64(root, "next_segment");
    m.wal_first = r.u64(root, "wal_first");
    m.next_lsn = r.u64(root, "next_lsn");
    m.reorder = r.valid([&] { return parse_reorder(r.str(root, "reorder")); });
    m.build_seconds = r.num(root, "build_seconds");
    m.build_peak_rss = r.u64(root, "build_peak_rss");
    const json& segs = r.member(root, "segments", "");
    if (!segs.is_array()) throw CorruptIndex(where + ": manifest field 'segments' is not an array");
    for (std::size_t i = 0; i < segs.size(); ++i) {
        const json& o = segs[i];
        const std::string path = "segments[" + std::to_string(i) + "].";
        CollectionSegment g;
        g.name = r.str(o, "name", path);
        check_file_name(where, "segment name", g.name, false);
        g.docs = r.u64(o, "docs", path);
        g.deleted = r.u64(o, "deleted", path);
        g.deletions = r.str(o, "deletions", path);
        if (!g.deletions.empty()) check_file_name(where, "deletion file", g.deletions, true);
        if (g.deleted > g.docs || (g.deleted > 0) != !g.deletions.empty()) {
            throw CorruptIndex(where + ": segment '" + g.name + "' has inconsistent deletions");
        }
        g.docids_bytes = r.u64(o, "docids_bytes", path);
        g.payload_bytes = r.u64(o, "payload_bytes", path);
        if (o.contains("payload_index_bytes")) g.payload_index_bytes = r.u64(o, "payload_index_bytes", path);
        g.origin = r.str(o, "origin", path);
        for (const auto& [vname, info] : r.obj(o, "vectors", path).items()) {
            if (!m.config.vectors.contains(vname)) throw CorruptIndex(where + ": segment '" + g.name + "' has unknown vector '" + vname + "'");
            SegmentInfo si = r.segment_info(info, path + "vectors." + vname + ".");
            if (si.docs != g.docs) throw CorruptIndex(where + ": segment '" + g.name + "' vector '" + vname + "' document count differs");
            g.vectors.emplace(vname, std::move(si));
        }
        if (g.vectors.size() != m.config.vectors.size()) {
            throw CorruptIndex(where + ": segment '" + g.name + "' does not hold every vector");
        }
        if (o.contains("dense")) {
            for (const auto& [vname, d] : r.obj(o, "dense", path).items()) {
                if (!m.config.dense.contains(vname)) throw CorruptIndex(where + ": segment '" + g.name + "' has unknown dense vector '" + vname + "'");
                const std::string dp = path + "dense." + vname + ".";
                DenseFileInfo fi;
                fi.bytes = r.u64(d, "bytes", dp);
                fi.present = r.u64(d, "present", dp);
                const json& gj = r.member(d, "graph", dp);
                if (!gj.is_boolean()) throw CorruptIndex(where + ": manifest field '" + dp + "graph' is not a boolean");
                fi.graph = gj.get<bool>();
                fi.graph_seconds = r.num(d, "graph_seconds", dp);
                if (fi.present > g.docs) throw CorruptIndex(where + ": segment '" + g.name + "' dense vector '" + vname + "' has more vectors than documents");
                g.dense.emplace(vname, fi);
            }
        }
        if (g.dense.size() != m.config.dense.size()) {
            throw CorruptIndex(where + ": segment '" + g.name + "' does not hold every dense vector");
        }
        m.segments.push_back(std::move(g));
    }
    if (root.contains("last_merge")) {
        const json& lm = r.obj(root, "last_merge");
        LastMerge l;
        l.generation = r.u64(lm, "generation", "last_merge.");
        l.sources = r.u64(lm, "sources", "last_merge.");
        l.docs = r.u64(lm, "docs", "last_merge.");
        l.dropped = r.u64(lm, "dropped", "last_merge.");
        l.seconds = r.num(lm, "seconds", "last_merge.");
        l.unix_time = r.str(lm, "unix_time", "last_merge.");
        m.last_merge = l;
    }
    return m;
}

void CollectionManifest::save(const std::string& dir) const {
    const std::string json_text = to_json();
    ContainerWriter w(dir + "/" + manifest_file_name(generation), kinds::kCollectionManifest);
    w.add(sections::kManifestJson, std::span<const char>(json_text.data(), json_text.size()));
    w.finish();
}

CollectionManifest CollectionManifest::load(const std::string& path) {
    Container c(path, kinds::kCollectionManifest);
    auto text = c.section<char>(sections::kManifestJson);
    return from_json(std::string_view(text.data(), text.size()), path);
}

Manifest CollectionManifest::vector_manifest(const std::string& vector) const {
    const auto it = config.vectors.find(vector);
    if (it == config.vectors.end()) throw InvalidArgument("no vector '" + vector + "'");
    const SparseVectorConfig& c = it->second;
    const VectorState& st = vectors.at(vector);
    Manifest m;
    m.format_version = kFormatVersion;
    m.weight_type = c.weight_type;
    m.posting_block = 128;
    m.range_block = c.range_block;
    m.num_terms = st.num_terms;
    m.vocab_bytes = st.vocab_bytes;
    m.reorder = reorder;
    m.build_seconds = build_seconds;
    m.build_peak_rss = build_peak_rss;
    m.text = c.text;
    for (const auto& g : segments) {
        const SegmentInfo& si = g.vectors.at(vector);
        m.num_docs += si.docs;
        m.num_postings += si.postings;
        m.zero_dropped += si.zero_dropped;
        m.empty_docs += si.empty_docs;
        m.clipped += si.clipped;
        m.rank_tied += si.rank_tied;
        SegmentInfo copy = si;
        copy.docids_bytes = g.docids_bytes;
        m.segments.push_back(std::move(copy));
    }
    // Approximate structures are configured for the vector; segments too
    // small to have them are searched exactly.
    if (c.approx) {
        m.approx = c.approx;
        m.approx_defaults = st.approx_defaults;
    }
    return m;
}

std::uint64_t CollectionManifest::live_docs() const {
    std::uint64_t n = 0;
    for (const auto& g : segments) n += g.docs - g.deleted;
    return n;
}

std::string manifest_file_name(std::uint64_t generation) { return fmt::format("MANIFEST-{:06}", generation); }

std::string read_current(const std::string& dir) {
    const std::string path = dir + "/CURRENT";
    MappedFile f(path);
    std::string name(reinterpret_cast<const char*>(f.bytes().data()), f.size());
    while (!name.empty() && (name.back() == '\n' || name.back() == '\r')) name.pop_back();
    if (name.rfind("MANIFEST-", 0) != 0 || name.size() < 15 || name.size() > 30 ||
        name.find_first_not_of("0123456789", 9) != std::string::npos) {
        throw CorruptIndex(path + ": does not name a manifest (got '" + name.substr(0, 40) + "')");
    }
    return name;
}

void write_current(const std::string& dir, const std::string& manifest_name) {
    write_file_atomically(dir + "/CURRENT", manifest_name + "\n");
}

bool is_collection_dir(const std::string& dir) {
    std::error_code ec;
    return std::filesystem::is_regular_file(dir + "/CURRENT", ec);
}

CollectionManifest load_current_manifest(const std::string& dir) {
    const std::string name = read_current(dir);
    try {
        return CollectionManifest::load(dir + "/" + name);
    } catch (const IoError& e) {
        throw IoError(dir + "/CURRENT names " + name + ", which cannot be read: " + e.what());
    }
}

void check_replaceable_index(const std::string& path) {
    namespace fs = std::filesystem;
    std::error_code ec;
    const auto st = fs::symlink_status(path, ec);
    const std::string refuse = "refusing to replace " + path + ": ";
    if (fs::is_symlink(st)) throw InvalidArgument(refuse + "it is a symbolic link, not a spindle index");
    if (fs::is_regular_file(st)) throw InvalidArgument(refuse + "it is a regular file, not a spindle index");
    if (!fs::is_directory(st)) throw InvalidArgument(refuse + "it is not a directory holding a spindle index");
    if (fs::is_empty(path, ec)) return;
    if (fs::exists(path + "/CURRENT", ec)) {
        try {
            (void)load_current_manifest(path);
        } catch (const Error& e) {
            throw InvalidArgument(refuse + "it has a CURRENT file but is not a readable spindle collection (" +
                                  e.what() + "); remove it yourself if it is to go");
        }
        if (fs::exists(path + "/LOCK", ec)) {
            std::string holder;
            if (!FileLock::try_lock(path + "/LOCK", false, &holder)) {
                throw InvalidArgument(refuse + "the collection is open for writing by another process" +
                                      (holder.empty() ? std::string() : " (pid " + holder + ")"));
            }
        }
        return;
    }
    if (fs::exists(path + "/MANIFEST", ec)) {
        try {
            (void)Manifest::load(path + "/MANIFEST");
        } catch (const Error& e) {
            throw InvalidArgument(refuse + "it has a MANIFEST file but is not a readable spindle index (" + e.what() +
                                  "); remove it yourself if it is to go");
        }
        return;
    }
    std::size_t entries = 0;
    std::string example;
    for (fs::directory_iterator it(path, ec), end; !ec && it != end; it.increment(ec)) {
        if (entries++ == 0) example = it->path().filename().string();
    }
    throw InvalidArgument(refuse + "it is a directory that is not a spindle index (no CURRENT or MANIFEST; " +
                          std::to_string(entries) + " entr" + (entries == 1 ? "y" : "ies") + ", e.g. '" + example + "')");
}

}  // namespace spindle
