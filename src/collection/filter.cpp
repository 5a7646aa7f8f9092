// Payload filters: the parser (errors name the path in the filter), the
// per-point reference semantics, and the per-segment evaluation into an
// allow-set (payload indexes where the field is indexed, stored payloads
// otherwise).
#include "spindle/collection/filter.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <limits>
#include <set>

#include "spindle/common/error.hpp"
#include "spindle/index/collection_segment.hpp"

namespace spindle {

using nlohmann::json;

namespace {

[[noreturn]] void fail(const std::string& path, const std::string& what) {
    throw InvalidArgument("filter: " + (path.empty() ? std::string() : path + ": ") + what);
}

std::string join(const std::string& path, std::string_view member) {
    return path.empty() ? std::string(member) : path + "." + std::string(member);
}

std::string key_of(const json& j, const std::string& path) {
    const std::string p = join(path, "key");
    if (!j.is_string()) fail(p, "expected a string");
    const std::string k = j.get<std::string>();
    try {
        check_payload_key(k);
    } catch (const InvalidArgument& e) {
        fail(p, e.what());
    }
    return k;
}

MatchValue match_value(const json& j, const std::string& path) {
    if (j.is_string()) return j.get<std::string>();
    if (j.is_boolean()) return j.get<bool>();
    if (j.is_number_integer()) {
        if (j.is_number_unsigned() && j.get<std::uint64_t>() > static_cast<std::uint64_t>(INT64_MAX)) {
            fail(path, "integer out of the signed 64-bit range");
        }
        return j.get<std::int64_t>();
    }
    fail(path, "expected a string, an integer or a bool");
}

double range_bound(const json& j, const std::string& path) {
    if (j.is_number()) {
        const double v = j.get<double>();
        if (!std::isfinite(v)) fail(path, "expected a finite number");
        return v;
    }
    if (j.is_string()) {
        if (const auto t = parse_rfc3339(j.get_ref<const std::string&>())) return static_cast<double>(*t);
        fail(path, "'" + j.get<std::string>() + "' is not an RFC 3339 date-time");
    }
    fail(path, "expected a number or an RFC 3339 date-time");
}

std::vector<MatchValue> match_list(const json& j, const std::string& path) {
    if (!j.is_array()) fail(path, "expected an array");
    std::vector<MatchValue> out;
    for (std::size_t i = 0; i < j.size(); ++i) out.push_back(match_value(j[i], fmt::format("{}[{}]", path, i)));
    return out;
}

bool is_filter_member(std::string_view k) { return k == "must" || k == "should" || k == "must_not" || k == "min_should"; }

Filter parse_filter_at(const json& j, const std::string& path, int depth);

Condition parse_condition(const json& j, const std::string& path, int depth) {
    if (!j.is_object()) fail(path, "expected an object (a condition or a nested filter)");
    Condition c;
    if (j.contains("key")) {
        c.key = key_of(j["key"], path);
        const bool m = j.contains("match");
        const bool r = j.contains("range");
        for (const auto& [k, v] : j.items()) {
            if (k != "key" && k != "match" && k != "range") fail(join(path, k), "unknown member of a field condition");
        }
        if (m == r) fail(path, "a field condition needs exactly one of 'match' and 'range'");
        if (m) {
            const std::string mp = join(path, "match");
            const json& mj = j["match"];
            if (!mj.is_object() || mj.size() != 1) fail(mp, "expected an object with one of 'value', 'any', 'except'");
            const std::string k = mj.begin().key();
            const json& v = mj.begin().value();
            if (k == "value") {
                c.kind = Condition::Kind::match_value;
                c.values.push_back(match_value(v, join(mp, "value")));
            } else if (k == "any") {
                c.kind = Condition::Kind::match_any;
                c.values = match_list(v, join(mp, "any"));
            } else if (k == "except") {
                c.kind = Condition::Kind::match_except;
                c.values = match_list(v, join(mp, "except"));
            } else {
                fail(join(mp, k), "unknown match (valid: value, any, except)");
            }
        } else {
            const std::string rp = join(path, "range");
            const json& rj = j["range"];
            if (!rj.is_object() || rj.empty()) fail(rp, "expected an object with gt, gte, lt or lte");
            c.kind = Condition::Kind::range;
            for (const auto& [k, v] : rj.items()) {
                const std::string bp = join(rp, k);
                if (v.is_null()) continue;  // Qdrant clients send absent bounds as null
                const double b = range_bound(v, bp);
                if (k == "gt") {
                    c.gt = b;
                } else if (k == "gte") {
                    c.gte = b;
                } else if (k == "lt") {
                    c.lt = b;
                } else if (k == "lte") {
                    c.lte = b;
                } else {
                    fail(bp, "unknown bound (valid: gt, gte, lt, lte)");
                }
            }
        }
        return c;
    }
    if (j.size() == 1 && j.contains("has_id")) {
        const std::string p = join(path, "has_id");
        const json& ids = j["has_id"];
        if (!ids.is_array()) fail(p, "expected an array of ids");
        c.kind = Condition::Kind::has_id;
        for (std::size_t i = 0; i < ids.size(); ++i) {
            const std::string ip = fmt::format("{}[{}]", p, i);
            if (ids[i].is_number_unsigned()) {
                c.ids.emplace_back(ids[i].get<std::uint64_t>());
            } else if (ids[i].is_string()) {
                try {
                    c.ids.push_back(PointId::key(ids[i].get<std::string>()));
                } catch (const InvalidArgument& e) {
                    fail(ip, e.what());
                }
            } else {
                fail(ip, "expected an unsigned integer or a string");
            }
        }
        return c;
    }
    for (const char* name : {"is_empty", "is_null"}) {
        if (j.size() == 1 && j.contains(name)) {
            const std::string p = join(path, name);
            const json& o = j[name];
            if (!o.is_object() || o.size() != 1 || !o.contains("key")) fail(p, "expected {\"key\": ...}");
            c.kind = std::string_view(name) == "is_empty" ? Condition::Kind::is_empty : Condition::Kind::is_null;
            c.key = key_of(o["key"], p);
            return c;
        }
    }
    if (j.contains("nested")) fail(join(path, "nested"), "nested object-array conditions are not supported");
    // A nested filter (Qdrant's untagged conditions: `{}` is an empty filter, matching every point).
    const bool nested = std::all_of(j.items().begin(), j.items().end(), [](const auto& kv) {
        return is_filter_member(kv.key());
    });
    if (!nested) {
        std::string first;
        for (const auto& [k, v] : j.items()) {
            if (!is_filter_member(k)) {
                first = k;
                break;
            }
        }
        fail(join(path, first),
             "unknown condition (valid: key with match or range, has_id, is_empty, is_null, or a nested filter)");
    }
    c.kind = Condition::Kind::filter;
    c.filter = std::make_shared<const Filter>(parse_filter_at(j, path, depth + 1));
    return c;
}

std::vector<Condition> parse_clause(const json& j, const std::string& path, int depth) {
    std::vector<Condition> out;
    if (j.is_object()) {  // Qdrant accepts one condition for a list of one
        out.push_back(parse_condition(j, path, depth));
        return out;
    }
    if (!j.is_array()) fail(path, "expected an array of conditions");
    for (std::size_t i = 0; i < j.size(); ++i) out.push_back(parse_condition(j[i], fmt::format("{}[{}]", path, i), depth));
    return out;
}

Filter parse_filter_at(const json& j, const std::string& path, int depth) {
    if (depth > 32) fail(path, "filters nest deeper than 32 levels");
    if (!j.is_object()) fail(path, "expected an object");
    Filter f;
    for (const auto& [k, v] : j.items()) {
        const std::string p = join(path, k);
        if (v.is_null()) continue;
        if (k == "must") {
            f.must = parse_clause(v, p, depth);
        } else if (k == "should") {
            f.should = parse_clause(v, p, depth);
        } else if (k == "must_not") {
            f.must_not = parse_clause(v, p, depth);
        } else if (k == "min_should") {
            if (!v.is_object()) fail(p, "expected {\"conditions\": [...], \"min_count\": n}");
            for (const auto& [mk, mv] : v.items()) {
                if (mk != "conditions" && mk != "min_count") fail(join(p, mk), "unknown member (valid: conditions, min_count)");
            }
            if (!v.contains("conditions")) fail(p, "missing 'conditions'");
            if (!v.contains("min_count") || !v["min_count"].is_number_unsigned()) {
                fail(join(p, "min_count"), "expected an unsigned integer");
            }
            f.min_should = parse_clause(v["conditions"], join(p, "conditions"), depth);
            f.min_count = v["min_count"].get<std::uint64_t>();
            if (f.min_count > f.min_should.size()) {
                // Qdrant matches nothing then; say so instead of silently matching nothing.
                fail(join(p, "min_count"), fmt::format("{} exceeds the {} conditions", f.min_count, f.min_should.size()));
            }
        } else {
            fail(p, "unknown member (valid: must, should, must_not, min_should)");
        }
    }
    return f;
}

// --- the per-point semantics --------------------------------------------------

std::optional<PayloadType> type_of(const PayloadSchema& schema, std::string_view key) {
    const auto it = schema.find(key);
    if (it == schema.end()) return std::nullopt;
    return it->second;
}

/// The value as a match value under `type`, if it is one (else nullopt).
std::optional<MatchValue> as_match_value(const json& v, std::optional<PayloadType> type) {
    if (v.is_string() && (!type || *type == PayloadType::keyword)) return v.get<std::string>();
    if (v.is_boolean() && (!type || *type == PayloadType::boolean)) return v.get<bool>();
    if (v.is_number_integer() && (!type || *type == PayloadType::integer)) {
        if (v.is_number_unsigned() && v.get<std::uint64_t>() > static_cast<std::uint64_t>(INT64_MAX)) return std::nullopt;
        return v.get<std::int64_t>();
    }
    return std::nullopt;
}

bool same(const MatchValue& a, const MatchValue& b) {
    if (a.index() != b.index()) return false;
    if (std::holds_alternative<std::int64_t>(a)) {
        // Integers compare as the doubles the integer index stores (exact below 2^53).
        return static_cast<double>(std::get<std::int64_t>(a)) == static_cast<double>(std::get<std::int64_t>(b));
    }
    return a == b;
}

struct Bounds {
    double lo = -std::numeric_limits<double>::infinity();
    bool lo_incl = true;
    double hi = std::numeric_limits<double>::infinity();
    bool hi_incl = true;
    [[nodiscard]] bool holds(double v) const {
        return (lo_incl ? v >= lo : v > lo) && (hi_incl ? v <= hi : v < hi);
    }
};

Bounds bounds_of(const Condition& c) {
    Bounds b;
    if (c.gte) b.lo = *c.gte;
    if (c.gt && (*c.gt >= b.lo)) {
        b.lo = *c.gt;
        b.lo_incl = false;
    }
    if (c.lte) b.hi = *c.lte;
    if (c.lt && (*c.lt <= b.hi)) {
        b.hi = *c.lt;
        b.hi_incl = false;
    }
    return b;
}

bool condition_matches(const Condition& c, const PointId& id, const json& payload, const PayloadSchema& schema,
                       std::vector<const json*>& vals) {
    using K = Condition::Kind;
    switch (c.kind) {
        case K::filter: return filter_matches(*c.filter, id, payload, schema);
        case K::has_id: return std::find(c.ids.begin(), c.ids.end(), id) != c.ids.end();
        default: break;
    }
    payload_values(payload, c.key, vals);
    const auto type = type_of(schema, c.key);
    switch (c.kind) {
        case K::match_value:
        case K::match_any:
            for (const json* v : vals) {
                const auto mv = as_match_value(*v, type);
                if (!mv) continue;
                for (const MatchValue& w : c.values) {
                    if (same(*mv, w)) return true;
                }
            }
            return false;
        case K::match_except:
            for (const json* v : vals) {
                const auto mv = as_match_value(*v, type);
                if (!mv) continue;
                if (std::none_of(c.values.begin(), c.values.end(), [&](const MatchValue& w) { return same(*mv, w); })) {
                    return true;
                }
            }
            return false;
        case K::range: {
            const Bounds b = bounds_of(c);
            for (const json* v : vals) {
                const auto n = payload_number(*v, type);
                if (n && b.holds(*n)) return true;
            }
            return false;
        }
        case K::is_empty: return std::all_of(vals.begin(), vals.end(), [](const json* v) { return v->is_null(); });
        case K::is_null: return std::any_of(vals.begin(), vals.end(), [](const json* v) { return v->is_null(); });
        case K::has_id:
        case K::filter: break;
    }
    return false;
}

// --- the per-segment evaluation ------------------------------------------------

class SegmentEval {
public:
    SegmentEval(const SegmentData& seg, const PayloadSchema& schema) : seg_(seg), schema_(schema) {
        all_.addRange(0, seg.docs);
    }

    Bitmap filter(const Filter& f) {
        Bitmap r = all_;
        for (const Condition& c : f.must) {
            r &= condition(c);
            if (r.isEmpty()) return r;
        }
        if (!f.should.empty()) {
            Bitmap any;
            for (const Condition& c : f.should) any |= condition(c);
            r &= any;
        }
        for (const Condition& c : f.must_not) {
            if (r.isEmpty()) return r;
            r -= condition(c);
        }
        if (!f.min_should.empty() && f.min_count > 0) {
            // at_least[j]: documents matching at least j of the conditions so far.
            std::vector<Bitmap> at_least(f.min_count + 1);
            at_least[0] = all_;
            for (std::size_t i = 0; i < f.min_should.size(); ++i) {
                const Bitmap m = condition(f.min_should[i]);
                for (std::size_t j = std::min(f.min_count, i + 1); j >= 1; --j) at_least[j] |= at_least[j - 1] & m;
            }
            r &= at_least[f.min_count];
        }
        return r;
    }

private:
    Bitmap condition(const Condition& c) {
        using K = Condition::Kind;
        if (c.kind == K::filter) return filter(*c.filter);
        if (c.kind == K::has_id) {
            Bitmap r;
            for (const PointId& id : c.ids) {
                if (const auto d = seg_.ids->find(id.is_number(), id.text())) r.add(*d);
            }
            return r;
        }
        const FieldIndex* fx = seg_.payload_index ? seg_.payload_index->field(c.key) : nullptr;
        if (fx == nullptr) return scan(c);
        switch (c.kind) {
            case K::match_value:
            case K::match_any: {
                Bitmap r;
                for (const MatchValue& v : c.values) r |= match_one(*fx, v);
                return r;
            }
            case K::match_except: return match_except(*fx, c.values);
            case K::range: {
                if (fx->type == PayloadType::keyword || fx->type == PayloadType::boolean) return {};
                const Bounds b = bounds_of(c);
                return fx->range(b.lo, b.lo_incl, b.hi, b.hi_incl);
            }
            case K::is_empty: return fx->empty;
            case K::is_null: return fx->null;
            case K::has_id:
            case K::filter: break;
        }
        return {};
    }

    static Bitmap match_one(const FieldIndex& fx, const MatchValue& v) {
        if (const auto* s = std::get_if<std::string>(&v)) {
            if (fx.type != PayloadType::keyword) return {};
            const auto it = fx.terms.find(*s);
            return it == fx.terms.end() ? Bitmap() : it->second;
        }
        if (const auto* b = std::get_if<bool>(&v)) {
            if (fx.type != PayloadType::boolean) return {};
            const auto it = fx.terms.find(*b ? "true" : "false");
            return it == fx.terms.end() ? Bitmap() : it->second;
        }
        if (fx.type != PayloadType::integer) return {};
        const auto x = static_cast<double>(std::get<std::int64_t>(v));
        return fx.range(x, true, x, true);
    }

    static Bitmap match_except(const FieldIndex& fx, const std::vector<MatchValue>& values) {
        Bitmap r;
        if (fx.type == PayloadType::keyword || fx.type == PayloadType::boolean) {
            std::set<std::string, std::less<>> excluded;
            for (const MatchValue& v : values) {
                if (fx.type == PayloadType::keyword) {
                    if (const auto* s = std::get_if<std::string>(&v)) excluded.insert(*s);
                } else if (const auto* b = std::get_if<bool>(&v)) {
                    excluded.insert(*b ? "true" : "false");
                }
            }
            for (const auto& [t, bm] : fx.terms) {
                if (!excluded.contains(t)) r |= bm;
            }
            return r;
        }
        if (fx.type != PayloadType::integer) return r;
        std::vector<double> excluded;
        for (const MatchValue& v : values) {
            if (const auto* i = std::get_if<std::int64_t>(&v)) excluded.push_back(static_cast<double>(*i));
        }
        std::sort(excluded.begin(), excluded.end());
        std::vector<docid_t> ds;
        for (std::size_t i = 0; i < fx.values.size(); ++i) {
            if (!std::binary_search(excluded.begin(), excluded.end(), fx.values[i])) ds.push_back(fx.docs[i]);
        }
        std::sort(ds.begin(), ds.end());
        r.addMany(ds.size(), ds.data());
        return r;
    }

    Bitmap scan(const Condition& c) {
        parse_payloads();
        Bitmap r;
        std::vector<docid_t> ds;
        std::vector<const json*> vals;
        const PointId none;
        for (docid_t d = 0; d < seg_.docs; ++d) {
            if (condition_matches(c, none, docs_[d], schema_, vals)) ds.push_back(d);
        }
        r.addMany(ds.size(), ds.data());
        return r;
    }

    void parse_payloads() {
        if (parsed_) return;
        parsed_ = true;
        docs_.resize(seg_.docs);
        if (!seg_.payloads || seg_.payloads->empty()) return;
        for (docid_t d = 0; d < seg_.docs; ++d) {
            const std::string_view text = seg_.payloads->json(d);
            if (text.empty()) continue;
            docs_[d] = json::parse(text, nullptr, false);
            if (docs_[d].is_discarded()) docs_[d] = json();
        }
    }

    const SegmentData& seg_;
    const PayloadSchema& schema_;
    Bitmap all_;
    bool parsed_ = false;
    std::vector<json> docs_;
};

}  // namespace

Filter parse_filter_json(const json& j) { return parse_filter_at(j, "", 0); }

Filter parse_filter(std::string_view text) {
    const json j = json::parse(text, nullptr, false);
    if (j.is_discarded()) throw InvalidArgument("filter: not valid JSON");
    return parse_filter_json(j);
}

bool filter_matches(const Filter& f, const PointId& id, const json& payload, const PayloadSchema& schema) {
    std::vector<const json*> vals;
    for (const Condition& c : f.must) {
        if (!condition_matches(c, id, payload, schema, vals)) return false;
    }
    if (!f.should.empty() &&
        std::none_of(f.should.begin(), f.should.end(), [&](const Condition& c) { return condition_matches(c, id, payload, schema, vals); })) {
        return false;
    }
    for (const Condition& c : f.must_not) {
        if (condition_matches(c, id, payload, schema, vals)) return false;
    }
    if (f.min_count > 0) {
        std::size_t n = 0;
        for (const Condition& c : f.min_should) n += condition_matches(c, id, payload, schema, vals) ? 1 : 0;
        if (n < f.min_count) return false;
    }
    return true;
}

Bitmap evaluate_filter(const Filter& f, const SegmentData& seg, const Bitmap& deleted, const PayloadSchema& schema) {
    SegmentEval ev(seg, schema);
    Bitmap r = ev.filter(f);
    r -= deleted;
    return r;
}

}  // namespace spindle
