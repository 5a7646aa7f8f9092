#include "api_json.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cctype>
#include <cmath>
#include <limits>

#include "spindle/common/error.hpp"

namespace spindle::server {

void bad_input(const std::string& what) { throw ApiError(400, "Wrong input: " + what); }

json parse_body(std::string_view body, std::size_t max_depth, std::size_t max_array_items) {
    if (body.empty()) return json::object();
    const json::parser_callback_t bounds = [&](int depth, json::parse_event_t event, json& parsed) {
        if ((event == json::parse_event_t::object_start || event == json::parse_event_t::array_start) &&
            static_cast<std::size_t>(depth) >= max_depth) {
            bad_input(fmt::format("JSON body nested deeper than {} levels", max_depth));
        }
        if (event == json::parse_event_t::array_end && parsed.size() > max_array_items) {
            bad_input(fmt::format("JSON array of more than {} items", max_array_items));
        }
        return true;
    };
    try {
        return json::parse(body.begin(), body.end(), bounds);
    } catch (const json::exception& e) {  // parse_error, out_of_range (number overflow)
        // nlohmann's message starts with "[json.exception.parse_error.101] ".
        std::string m = e.what();
        if (const auto p = m.find("] "); p != std::string::npos) m = m.substr(p + 2);
        bad_input("malformed JSON body: " + m);
    }
}

const json* member(const json& o, std::string_view key) {
    if (!o.is_object()) return nullptr;
    const auto it = o.find(key);
    if (it == o.end() || it->is_null()) return nullptr;
    return &*it;
}

void require_object(const json& j, const std::string& where) {
    if (!j.is_object()) bad_input(fmt::format("{}: expected a JSON object, got {}", where, j.type_name()));
}

bool get_bool(const json& o, std::string_view key, bool def, const std::string& where) {
    const json* v = member(o, key);
    if (v == nullptr) return def;
    if (!v->is_boolean()) bad_input(fmt::format("{}{}: expected true or false, got {}", where, key, v->dump()));
    return v->get<bool>();
}

std::optional<double> get_number(const json& o, std::string_view key, const std::string& where) {
    const json* v = member(o, key);
    if (v == nullptr) return std::nullopt;
    if (!v->is_number()) bad_input(fmt::format("{}{}: expected a number, got {}", where, key, v->dump()));
    const double d = v->get<double>();
    if (!std::isfinite(d)) bad_input(fmt::format("{}{}: expected a finite number", where, key));
    return d;
}

std::optional<std::uint64_t> get_uint(const json& o, std::string_view key, const std::string& where) {
    const json* v = member(o, key);
    if (v == nullptr) return std::nullopt;
    if (v->is_number_unsigned()) return v->get<std::uint64_t>();
    // 10.0 is accepted as 10 (clients may send integers as floats).
    if (v->is_number_float()) {
        const double d = v->get<double>();
        if (d >= 0 && d < 1.8e19 && std::floor(d) == d) return static_cast<std::uint64_t>(d);
    }
    bad_input(fmt::format("{}{}: expected an unsigned integer, got {}", where, key, v->dump()));
}

std::optional<std::string> get_string(const json& o, std::string_view key, const std::string& where) {
    const json* v = member(o, key);
    if (v == nullptr) return std::nullopt;
    if (!v->is_string()) bad_input(fmt::format("{}{}: expected a string, got {}", where, key, v->dump()));
    return v->get<std::string>();
}

namespace {

bool all_hex(std::string_view s) {
    for (char c : s) {
        if (std::isxdigit(static_cast<unsigned char>(c)) == 0) return false;
    }
    return true;
}

std::string lower(std::string s) {
    for (char& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    return s;
}

// "550E8400E29B41D4A716446655440000" and "550e8400-e29b-41d4-a716-446655440000"
// are the same UUID; it is stored in the second form, as Qdrant shows it.
std::string normalize_uuid(const std::string& s) {
    if (s.size() == 36 && s[8] == '-' && s[13] == '-' && s[18] == '-' && s[23] == '-') {
        std::string hex = s.substr(0, 8) + s.substr(9, 4) + s.substr(14, 4) + s.substr(19, 4) + s.substr(24);
        if (all_hex(hex)) return lower(s);
    }
    if (s.size() == 32 && all_hex(s)) {
        const std::string l = lower(s);
        return l.substr(0, 8) + "-" + l.substr(8, 4) + "-" + l.substr(12, 4) + "-" + l.substr(16, 4) + "-" + l.substr(20);
    }
    return s;
}

float weight(const json& v, const std::string& where) {
    if (!v.is_number()) bad_input(fmt::format("{}: expected a number, got {}", where, v.dump()));
    const double d = v.get<double>();
    const auto f = static_cast<float>(d);
    if (!std::isfinite(d) || !std::isfinite(f)) bad_input(fmt::format("{}: not a finite 32-bit number", where));
    if (f < 0) bad_input(fmt::format("{}: negative weight {} (sparse weights must be >= 0)", where, d));
    return f;
}

}  // namespace

PointId parse_point_id(const json& j, const std::string& where) {
    if (j.is_number_unsigned()) return PointId(j.get<std::uint64_t>());
    if (j.is_string()) {
        try {
            return PointId::key(normalize_uuid(j.get<std::string>()));
        } catch (const InvalidArgument& e) {
            bad_input(fmt::format("{}: {}", where, e.what()));
        }
    }
    bad_input(fmt::format("{}: a point id must be an unsigned integer or a UUID string, got {}", where, j.dump()));
}

json point_id_json(const PointId& id) { return id.is_number() ? json(id.number()) : json(id.str()); }

SparseVector parse_sparse_vector(const json& j, VectorKeys keys, const std::string& where) {
    if (!j.is_object()) {
        bad_input(fmt::format("{}: expected a sparse vector {}, got {}", where,
                              keys == VectorKeys::indices ? "{\"indices\": [...], \"values\": [...]}" : "{\"token\": weight, ...}",
                              j.type_name()));
    }
    SparseVector v;
    // {"indices": [...], "values": [...]}; a token vector may hold the
    // tokens "indices" and "values" (real WordPiece tokens) with numbers.
    const auto array_at = [&](const char* k) { return j.contains(k) && j[k].is_array(); };
    const bool indexed_form = array_at("indices") || array_at("values");
    if (keys == VectorKeys::indices) {
        const json* idx = member(j, "indices");
        const json* val = member(j, "values");
        if (idx == nullptr || val == nullptr || !idx->is_array() || !val->is_array()) {
            bad_input(fmt::format("{}: expected a sparse vector {{\"indices\": [...], \"values\": [...]}}", where));
        }
        if (idx->size() != val->size()) {
            bad_input(fmt::format("{}: indices and values differ in length ({} vs {})", where, idx->size(), val->size()));
        }
        v.indices.reserve(idx->size());
        v.values.reserve(val->size());
        for (std::size_t i = 0; i < idx->size(); ++i) {
            const json& x = (*idx)[i];
            if (!x.is_number_unsigned() || x.get<std::uint64_t>() > std::numeric_limits<std::uint32_t>::max()) {
                bad_input(fmt::format("{}.indices[{}]: expected an integer in [0, 4294967295], got {}", where, i, x.dump()));
            }
            v.indices.push_back(static_cast<std::uint32_t>(x.get<std::uint64_t>()));
            v.values.push_back(weight((*val)[i], fmt::format("{}.values[{}]", where, i)));
        }
        for (const auto& [k, _] : j.items()) {
            if (k != "indices" && k != "values") bad_input(fmt::format("{}: unknown field `{}`", where, k));
        }
        return v;
    }
    if (indexed_form) {
        bad_input(fmt::format("{}: this vector is keyed by tokens: give {{\"token\": weight, ...}}, not indices", where));
    }
    v.tokens.reserve(j.size());
    v.values.reserve(j.size());
    for (const auto& [k, x] : j.items()) {
        v.tokens.push_back(k);
        v.values.push_back(weight(x, fmt::format("{}[\"{}\"]", where, k)));
    }
    return v;
}

json sparse_vector_json(const SparseVector& v, VectorKeys keys) {
    if (keys == VectorKeys::indices) {
        // Stored vectors come back in the collection's term order; Qdrant
        // shows them sorted by index.
        std::vector<std::size_t> order(std::min(v.indices.size(), v.values.size()));
        for (std::size_t i = 0; i < order.size(); ++i) order[i] = i;
        std::sort(order.begin(), order.end(), [&](std::size_t a, std::size_t b) { return v.indices[a] < v.indices[b]; });
        json idx = json::array();
        json val = json::array();
        for (const std::size_t i : order) {
            idx.push_back(v.indices[i]);
            val.push_back(v.values[i]);
        }
        return json{{"indices", std::move(idx)}, {"values", std::move(val)}};
    }
    json o = json::object();
    for (std::size_t i = 0; i < v.tokens.size() && i < v.values.size(); ++i) o[v.tokens[i]] = v.values[i];
    return o;
}

namespace {

std::vector<std::string> string_list(const json& j, const std::string& where) {
    if (!j.is_array()) bad_input(fmt::format("{}: expected a list of strings", where));
    std::vector<std::string> out;
    for (const json& s : j) {
        if (!s.is_string()) bad_input(fmt::format("{}: expected a list of strings, got {}", where, s.dump()));
        out.push_back(s.get<std::string>());
    }
    return out;
}

}  // namespace

PayloadSelector parse_payload_selector(const json* j, bool def, const std::string& where) {
    PayloadSelector s;
    if (j == nullptr) {
        s.any = def;
        return s;
    }
    if (j->is_boolean()) {
        s.any = j->get<bool>();
    } else if (j->is_array()) {
        s.any = true;
        s.include = string_list(*j, where);
        if (s.include.empty()) s.any = false;
    } else if (j->is_object() && (j->contains("include") || j->contains("exclude"))) {
        s.any = true;
        if (const json* inc = member(*j, "include")) s.include = string_list(*inc, where + ".include");
        if (const json* exc = member(*j, "exclude")) s.exclude = string_list(*exc, where + ".exclude");
    } else {
        bad_input(fmt::format("{}: expected true, false, a list of keys, {{\"include\": [...]}} or {{\"exclude\": [...]}}", where));
    }
    return s;
}

json PayloadSelector::apply(std::string_view payload_text) const {
    json p = payload_text.empty() ? json::object() : json::parse(payload_text);
    if (!p.is_object()) return json::object();
    if (!include.empty()) {
        json out = json::object();
        for (const auto& k : include) {
            if (const auto it = p.find(k); it != p.end()) out[k] = *it;
        }
        p = std::move(out);
    }
    for (const auto& k : exclude) p.erase(k);
    return p;
}

VectorSelector parse_vector_selector(const json* j, const std::string& where) {
    VectorSelector s;
    if (j == nullptr) return s;
    if (j->is_boolean()) {
        s.any = j->get<bool>();
    } else if (j->is_array()) {
        s.names = string_list(*j, where);
        s.any = !s.names.empty();
    } else {
        bad_input(fmt::format("{}: expected true, false or a list of vector names", where));
    }
    return s;
}

bool VectorSelector::wants(const std::string& name) const {
    if (!any) return false;
    if (names.empty()) return true;
    for (const auto& n : names) {
        if (n == name) return true;
    }
    return false;
}

json point_vectors_json(const Point& p, const CollectionConfig& config, const VectorSelector& sel) {
    json out = json::object();
    for (const auto& [name, v] : p.vectors) {
        if (!sel.wants(name)) continue;
        const auto it = config.vectors.find(name);
        out[name] = sparse_vector_json(v, it == config.vectors.end() ? VectorKeys::indices : it->second.keys);
    }
    for (const auto& [name, v] : p.dense) {
        if (sel.wants(name)) out[name] = v;
    }
    return out;
}

std::vector<float> parse_dense_vector(const json& j, const std::string& where) {
    if (!j.is_array()) bad_input(fmt::format("{}: expected a dense vector (a list of numbers)", where));
    std::vector<float> v;
    v.reserve(j.size());
    for (std::size_t i = 0; i < j.size(); ++i) {
        if (!j[i].is_number()) bad_input(fmt::format("{}[{}]: expected a number", where, i));
        const auto f = static_cast<float>(j[i].get<double>());
        if (!std::isfinite(f)) bad_input(fmt::format("{}[{}]: {} is not a finite 32-bit float", where, i, j[i].get<double>()));
        v.push_back(f);
    }
    return v;
}

std::string qdrant_distance(DenseDistance d) {
    switch (d) {
        case DenseDistance::cosine: return "Cosine";
        case DenseDistance::dot: return "Dot";
        case DenseDistance::euclid: return "Euclid";
    }
    return "Cosine";
}

void apply_hnsw_config(const json& j, HnswSettings& h, const std::string& where) {
    require_object(j, where);
    static const char* const kKnown[] = {"m", "ef_construct", "full_scan_threshold", "max_indexing_threads", "on_disk",
                                         "payload_m", "inline_storage"};
    for (const auto& [k, _] : j.items()) {
        if (std::find(std::begin(kKnown), std::end(kKnown), k) == std::end(kKnown)) {
            bad_input(fmt::format("{}: unknown field `{}` (m, ef_construct; full_scan_threshold, max_indexing_threads, on_disk, "
                                  "payload_m and inline_storage are accepted and ignored)", where, k));
        }
    }
    if (auto m = get_uint(j, "m", where + ".")) {
        if (*m == 0) bad_input(where + ".m: 0 (no graph) is not supported; segments below spindle.min_docs are searched exactly");
        h.m = static_cast<std::uint32_t>(std::min<std::uint64_t>(*m, 1U << 20));
    }
    if (auto e = get_uint(j, "ef_construct", where + ".")) h.ef_construct = static_cast<std::uint32_t>(std::min<std::uint64_t>(*e, 1U << 20));
}

DenseVectorConfig parse_dense_params(const json& j, DenseVectorConfig base, const std::string& where) {
    require_object(j, where);
    DenseVectorConfig v = base;
    const auto size = get_uint(j, "size", where + ".");
    if (!size) bad_input(where + ".size: required (the vectors' dimension)");
    if (*size == 0 || *size > 65536) bad_input(fmt::format("{}.size: must be in [1, 65536], got {}", where, *size));
    v.dim = static_cast<std::uint32_t>(*size);
    if (auto d = get_string(j, "distance", where + ".")) {
        if (*d == "Manhattan") bad_input(where + ".distance: Manhattan is not supported (Cosine, Dot, Euclid)");
        try {
            v.distance = parse_dense_distance(*d);
        } catch (const InvalidArgument& e) {
            bad_input(fmt::format("{}.distance: {}", where, e.what()));
        }
    } else {
        bad_input(where + ".distance: required (Cosine, Dot or Euclid)");
    }
    if (auto t = get_string(j, "datatype", where + ".")) {
        if (*t == "float32") {
            v.storage = DenseStorage::f32;
        } else if (*t == "float16") {
            v.storage = DenseStorage::f16;
        } else {
            bad_input(fmt::format("{}.datatype: `{}` is not supported (float32, float16)", where, *t));
        }
    }
    if (const json* h = member(j, "hnsw_config")) apply_hnsw_config(*h, v.hnsw, where + ".hnsw_config");
    if (member(j, "quantization_config") != nullptr && !j["quantization_config"].is_null()) {
        bad_input(where + ".quantization_config: quantization is not supported (use datatype float16 for half the bytes)");
    }
    if (member(j, "multivector_config") != nullptr && !j["multivector_config"].is_null()) {
        bad_input(where + ".multivector_config: multivectors are not supported");
    }
    if (const json* sp = member(j, "spindle")) {
        require_object(*sp, where + ".spindle");
        if (auto m = get_uint(*sp, "min_docs", where + ".spindle.")) v.hnsw.min_docs = *m;
        if (auto e = get_uint(*sp, "ef", where + ".spindle.")) v.hnsw.ef = static_cast<std::uint32_t>(std::min<std::uint64_t>(*e, 1U << 20));
    }
    return v;
}

}  // namespace spindle::server
