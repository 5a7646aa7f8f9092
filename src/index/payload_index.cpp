#include "spindle/index/payload_index.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <numeric>

#include "offsets_check.hpp"
#include "spindle/common/error.hpp"
#include "spindle/index/file_kinds.hpp"
#include "spindle/io/container.hpp"

namespace spindle {

using nlohmann::json;

std::string_view to_string(PayloadType t) {
    switch (t) {
        case PayloadType::keyword: return "keyword";
        case PayloadType::integer: return "integer";
        case PayloadType::floating: return "float";
        case PayloadType::boolean: return "bool";
        case PayloadType::datetime: return "datetime";
    }
    return "?";
}

PayloadType parse_payload_type(std::string_view s) {
    if (s == "keyword") return PayloadType::keyword;
    if (s == "integer") return PayloadType::integer;
    if (s == "float") return PayloadType::floating;
    if (s == "bool") return PayloadType::boolean;
    if (s == "datetime") return PayloadType::datetime;
    throw InvalidArgument("unknown payload index type '" + std::string(s) +
                          "' (valid: keyword, integer, float, bool, datetime)");
}

void check_payload_key(std::string_view key) {
    const bool ok = !key.empty() && key.size() <= 256 && key.front() != '.' && key.back() != '.' &&
                    key.find("..") == std::string_view::npos &&
                    std::none_of(key.begin(), key.end(), [](char c) { return static_cast<unsigned char>(c) < 0x20; });
    if (!ok) {
        throw InvalidArgument("invalid payload key '" + std::string(key) +
                              "' (1 to 256 bytes, dot-separated non-empty names, no control characters)");
    }
}

namespace {

bool digits(std::string_view s, std::size_t at, std::size_t n, int& out) {
    if (at + n > s.size()) return false;
    out = 0;
    for (std::size_t i = at; i < at + n; ++i) {
        if (s[i] < '0' || s[i] > '9') return false;
        out = out * 10 + (s[i] - '0');
    }
    return true;
}

// Days since 1970-01-01 of a proleptic Gregorian date (Howard Hinnant's days_from_civil).
std::int64_t days_from_civil(std::int64_t y, unsigned m, unsigned d) {
    y -= m <= 2 ? 1 : 0;
    const std::int64_t era = (y >= 0 ? y : y - 399) / 400;
    const auto yoe = static_cast<unsigned>(y - era * 400);
    const unsigned doy = (153 * (m > 2 ? m - 3 : m + 9) + 2) / 5 + d - 1;
    const unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return era * 146097 + static_cast<std::int64_t>(doe) - 719468;
}

void walk(const json& v, std::string_view rest, std::vector<const json*>& out);

void leaf(const json& v, std::vector<const json*>& out) {
    if (v.is_array()) {
        for (const json& e : v) leaf(e, out);
    } else {
        out.push_back(&v);
    }
}

void walk(const json& v, std::string_view rest, std::vector<const json*>& out) {
    if (rest.empty()) {
        leaf(v, out);
        return;
    }
    if (v.is_array()) {
        for (const json& e : v) walk(e, rest, out);
        return;
    }
    if (!v.is_object()) return;
    const std::size_t dot = rest.find('.');
    const std::string_view name = rest.substr(0, dot);
    const auto it = v.find(name);
    if (it == v.end()) return;
    walk(*it, dot == std::string_view::npos ? std::string_view() : rest.substr(dot + 1), out);
}

}  // namespace

std::optional<std::int64_t> parse_rfc3339(std::string_view s) {
    int y = 0, mo = 0, d = 0, h = 0, mi = 0, sec = 0;
    if (!digits(s, 0, 4, y) || s.size() < 10 || s[4] != '-' || !digits(s, 5, 2, mo) || s[7] != '-' ||
        !digits(s, 8, 2, d)) {
        return std::nullopt;
    }
    static constexpr int kDays[] = {31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    if (mo < 1 || mo > 12 || d < 1 || d > kDays[mo - 1]) return std::nullopt;
    const bool leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
    if (mo == 2 && d == 29 && !leap) return std::nullopt;
    std::int64_t micros = days_from_civil(y, static_cast<unsigned>(mo), static_cast<unsigned>(d)) * 86'400'000'000LL;
    if (s.size() == 10) return micros;
    if ((s[10] != 'T' && s[10] != 't' && s[10] != ' ') || !digits(s, 11, 2, h) || s.size() < 19 || s[13] != ':' ||
        !digits(s, 14, 2, mi) || s[16] != ':' || !digits(s, 17, 2, sec)) {
        return std::nullopt;
    }
    if (h > 23 || mi > 59 || sec > 60) return std::nullopt;
    std::size_t at = 19;
    std::int64_t frac = 0;
    if (at < s.size() && s[at] == '.') {
        ++at;
        std::size_t n = 0;
        while (at < s.size() && s[at] >= '0' && s[at] <= '9') {
            if (n < 6) frac = frac * 10 + (s[at] - '0');
            ++n;
            ++at;
        }
        if (n == 0) return std::nullopt;
        for (; n < 6; ++n) frac *= 10;
    }
    if (at >= s.size()) return std::nullopt;
    std::int64_t offset = 0;
    if (s[at] == 'Z' || s[at] == 'z') {
        ++at;
    } else if (s[at] == '+' || s[at] == '-') {
        int oh = 0, om = 0;
        if (!digits(s, at + 1, 2, oh) || at + 3 >= s.size() || s[at + 3] != ':' || !digits(s, at + 4, 2, om) || oh > 23 ||
            om > 59) {
            return std::nullopt;
        }
        offset = (oh * 60 + om) * 60'000'000LL * (s[at] == '-' ? -1 : 1);
        at += 6;
    } else {
        return std::nullopt;
    }
    if (at != s.size()) return std::nullopt;
    micros += ((h * 60LL + mi) * 60LL + sec) * 1'000'000LL + frac;
    return micros - offset;
}

void payload_values(const json& payload, std::string_view key, std::vector<const json*>& out) {
    out.clear();
    walk(payload, key, out);
}

std::optional<double> payload_number(const json& v, std::optional<PayloadType> type) {
    if (!type) {
        if (v.is_number()) return v.get<double>();
        if (v.is_string()) {
            if (const auto t = parse_rfc3339(v.get_ref<const std::string&>())) return static_cast<double>(*t);
        }
        return std::nullopt;
    }
    switch (*type) {
        case PayloadType::integer:
            if (v.is_number_integer()) {
                if (v.is_number_unsigned() && v.get<std::uint64_t>() > static_cast<std::uint64_t>(INT64_MAX)) return std::nullopt;
                return v.get<double>();
            }
            return std::nullopt;
        case PayloadType::floating:
            if (v.is_number()) return v.get<double>();
            return std::nullopt;
        case PayloadType::datetime:
            if (v.is_string()) {
                if (const auto t = parse_rfc3339(v.get_ref<const std::string&>())) return static_cast<double>(*t);
            }
            return std::nullopt;
        case PayloadType::keyword:
        case PayloadType::boolean: return std::nullopt;
    }
    return std::nullopt;
}

void FieldIndex::build_chunks() {
    chunks.clear();
    for (std::size_t at = 0; at < docs.size(); at += kChunk) {
        std::vector<docid_t> ds(docs.begin() + static_cast<std::ptrdiff_t>(at),
                                docs.begin() + static_cast<std::ptrdiff_t>(std::min(docs.size(), at + kChunk)));
        std::sort(ds.begin(), ds.end());
        Bitmap c;
        c.addMany(ds.size(), ds.data());
        c.runOptimize();
        chunks.push_back(std::move(c));
    }
    std::vector<const Bitmap*> parts;
    parts.reserve(chunks.size());
    for (const Bitmap& c : chunks) parts.push_back(&c);
    valued = parts.empty() ? Bitmap() : Bitmap::fastunion(parts.size(), parts.data());
    valued.runOptimize();
}

Bitmap FieldIndex::range(double lo, bool lo_incl, double hi, bool hi_incl) const {
    auto first = lo_incl ? std::lower_bound(values.begin(), values.end(), lo) : std::upper_bound(values.begin(), values.end(), lo);
    auto last = hi_incl ? std::upper_bound(values.begin(), values.end(), hi) : std::lower_bound(values.begin(), values.end(), hi);
    Bitmap r;
    if (first >= last) return r;
    const auto p = static_cast<std::size_t>(first - values.begin());
    const auto q = static_cast<std::size_t>(last - values.begin());
    if (p == 0 && q == values.size() && chunks.size() == (values.size() + kChunk - 1) / kChunk) return valued;
    // Whole chunks inside [p, q), and the entries before and after them.
    const std::size_t c0 = (p + kChunk - 1) / kChunk;
    const std::size_t c1 = q / kChunk;
    std::vector<docid_t> ds;
    auto add_entries = [&](std::size_t from, std::size_t to) {
        for (std::size_t i = from; i < to; ++i) ds.push_back(docs[i]);
    };
    if (c0 < c1 && c1 <= chunks.size()) {
        std::vector<const Bitmap*> parts;
        for (std::size_t c = c0; c < c1; ++c) parts.push_back(&chunks[c]);
        r = Bitmap::fastunion(parts.size(), parts.data());
        add_entries(p, c0 * kChunk);
        add_entries(c1 * kChunk, q);
    } else {
        add_entries(p, q);
    }
    std::sort(ds.begin(), ds.end());
    ds.erase(std::unique(ds.begin(), ds.end()), ds.end());
    Bitmap edges;
    edges.addMany(ds.size(), ds.data());
    r |= edges;
    return r;
}

PayloadIndex PayloadIndex::build(const std::vector<std::string_view>& payloads, const PayloadSchema& schema) {
    PayloadIndex ix;
    ix.num_docs_ = payloads.size();
    struct Work {
        FieldIndex* f;
        std::string_view key;
        std::map<std::string, std::vector<docid_t>, std::less<>> terms;
        std::vector<std::pair<double, docid_t>> nums;
        std::vector<docid_t> empty, null;
    };
    std::vector<Work> work;
    for (const auto& [key, type] : schema) {
        FieldIndex& f = ix.fields_[key];
        f.type = type;
        work.push_back({&f, key, {}, {}, {}, {}});
    }
    if (work.empty()) return ix;
    std::vector<const json*> vals;
    for (docid_t d = 0; d < payloads.size(); ++d) {
        json doc;
        if (!payloads[d].empty()) {
            doc = json::parse(payloads[d], nullptr, false);
            if (doc.is_discarded()) doc = json();
        }
        for (Work& w : work) {
            payload_values(doc, w.key, vals);
            bool any = false, null = false;
            std::vector<std::string> seen;  // distinct terms of this document
            for (const json* v : vals) {
                if (v->is_null()) {
                    null = true;
                    continue;
                }
                any = true;
                if (w.f->type == PayloadType::keyword && v->is_string()) {
                    seen.push_back(v->get<std::string>());
                } else if (w.f->type == PayloadType::boolean && v->is_boolean()) {
                    seen.emplace_back(v->get<bool>() ? "true" : "false");
                } else if (const auto n = payload_number(*v, w.f->type)) {
                    w.nums.emplace_back(*n, d);
                }
            }
            std::sort(seen.begin(), seen.end());
            seen.erase(std::unique(seen.begin(), seen.end()), seen.end());
            for (auto& t : seen) w.terms[t].push_back(d);
            if (!any) w.empty.push_back(d);
            if (null) w.null.push_back(d);
        }
    }
    for (Work& w : work) {
        for (auto& [t, ds] : w.terms) {
            Bitmap b;
            b.addMany(ds.size(), ds.data());
            b.runOptimize();
            w.f->terms.emplace(t, std::move(b));
        }
        std::sort(w.nums.begin(), w.nums.end());
        w.nums.erase(std::unique(w.nums.begin(), w.nums.end()), w.nums.end());
        for (const auto& [v, d] : w.nums) {
            w.f->values.push_back(v);
            w.f->docs.push_back(d);
        }
        w.f->empty.addMany(w.empty.size(), w.empty.data());
        w.f->empty.runOptimize();
        w.f->null.addMany(w.null.size(), w.null.data());
        w.f->build_chunks();
    }
    return ix;
}

std::uint64_t PayloadIndex::write(const std::string& path) const {
    json fields = json::array();
    std::vector<std::uint64_t> term_offsets{0};
    std::string term_chars;
    std::vector<std::uint64_t> bitmap_offsets{0};
    std::vector<char> bitmap_bytes;
    std::vector<double> values;
    std::vector<docid_t> value_docs;
    auto add_bitmap = [&](const Bitmap& b) {
        const std::size_t at = bitmap_bytes.size();
        bitmap_bytes.resize(at + b.getSizeInBytes(true));
        b.write(bitmap_bytes.data() + at, true);
        bitmap_offsets.push_back(bitmap_bytes.size());
    };
    std::uint64_t terms = 0;
    for (const auto& [key, f] : fields_) {
        fields.push_back({{"key", key},
                          {"type", std::string(to_string(f.type))},
                          {"terms", {terms, f.terms.size()}},
                          {"values", {values.size(), f.values.size()}}});
        for (const auto& [t, b] : f.terms) {
            term_chars += t;
            term_offsets.push_back(term_chars.size());
            add_bitmap(b);
        }
        terms += f.terms.size();
        values.insert(values.end(), f.values.begin(), f.values.end());
        value_docs.insert(value_docs.end(), f.docs.begin(), f.docs.end());
    }
    for (const auto& [key, f] : fields_) {
        add_bitmap(f.empty);
        add_bitmap(f.null);
    }
    const std::string schema =
        json{{"version", kPayloadIndexVersion}, {"num_docs", num_docs_}, {"fields", std::move(fields)}}.dump();
    ContainerWriter w(path, kinds::kPayloadIndex);
    w.add(sections::kPidxSchema, std::span<const char>(schema.data(), schema.size()));
    w.add(sections::kPidxTermOffsets, term_offsets);
    w.add(sections::kPidxTermChars, std::span<const char>(term_chars.data(), term_chars.size()));
    w.add(sections::kPidxBitmapOffsets, bitmap_offsets);
    w.add(sections::kPidxBitmapBytes, std::span<const char>(bitmap_bytes.data(), bitmap_bytes.size()));
    w.add(sections::kPidxValues, values);
    w.add(sections::kPidxValueDocs, value_docs);
    return w.finish();
}

PayloadIndex PayloadIndex::load(const std::string& path, std::uint64_t num_docs) {
    const Container c(path, kinds::kPayloadIndex);
    auto bad = [&](const std::string& what) { return CorruptIndex(path + ": " + what); };
    const auto schema_chars = c.section<char>(sections::kPidxSchema);
    const json schema = json::parse(schema_chars.begin(), schema_chars.end(), nullptr, false);
    if (schema.is_discarded() || !schema.is_object() || !schema.contains("version") || !schema["version"].is_number_unsigned() ||
        !schema.contains("fields") || !schema["fields"].is_array() || !schema.contains("num_docs") ||
        !schema["num_docs"].is_number_unsigned()) {
        throw bad("the schema section is not a payload index description");
    }
    if (schema["version"].get<std::uint64_t>() != kPayloadIndexVersion) {
        throw IncompatibleVersion(fmt::format("{}: payload index layout version {}, this build reads version {}", path,
                                              schema["version"].get<std::uint64_t>(), kPayloadIndexVersion));
    }
    if (schema["num_docs"].get<std::uint64_t>() != num_docs) {
        throw bad(fmt::format("indexes {} documents, the segment has {}", schema["num_docs"].get<std::uint64_t>(), num_docs));
    }
    const auto term_offsets = c.section<std::uint64_t>(sections::kPidxTermOffsets);
    const auto term_chars = c.section<char>(sections::kPidxTermChars);
    const auto bitmap_offsets = c.section<std::uint64_t>(sections::kPidxBitmapOffsets);
    const auto bitmap_bytes = c.section<char>(sections::kPidxBitmapBytes);
    const auto values = c.section<double>(sections::kPidxValues);
    const auto value_docs = c.section<docid_t>(sections::kPidxValueDocs, values.size());
    if (term_offsets.empty()) throw bad("no term offsets");
    check_offsets(term_offsets, term_chars.size(), path, "payload index term offsets");
    if (bitmap_offsets.empty()) throw bad("no bitmap offsets");
    check_offsets(bitmap_offsets, bitmap_bytes.size(), path, "payload index bitmap offsets");
    const std::size_t num_terms = term_offsets.size() - 1;
    const std::size_t num_fields = schema["fields"].size();
    if (bitmap_offsets.size() - 1 != num_terms + 2 * num_fields) throw bad("bitmap count does not match the fields");
    auto bitmap = [&](std::size_t i) {
        Bitmap b;
        try {
            b = Bitmap::readSafe(bitmap_bytes.data() + bitmap_offsets[i], bitmap_offsets[i + 1] - bitmap_offsets[i]);
        } catch (const std::exception&) {
            throw bad(fmt::format("bitmap {} does not parse", i));
        }
        if (!b.isEmpty() && b.maximum() >= num_docs) throw bad(fmt::format("bitmap {} holds a docid past the segment", i));
        return b;
    };
    PayloadIndex ix;
    ix.num_docs_ = num_docs;
    std::uint64_t next_term = 0, next_value = 0;
    for (std::size_t fi = 0; fi < num_fields; ++fi) {
        const json& f = schema["fields"][fi];
        auto pair = [&](const char* name) {
            if (!f.is_object() || !f.contains(name) || !f[name].is_array() || f[name].size() != 2 ||
                !f[name][0].is_number_unsigned() || !f[name][1].is_number_unsigned()) {
                throw bad(fmt::format("field {}: no valid '{}'", fi, name));
            }
            return std::pair{f[name][0].get<std::uint64_t>(), f[name][1].get<std::uint64_t>()};
        };
        if (!f.is_object() || !f.contains("key") || !f["key"].is_string() || !f.contains("type") || !f["type"].is_string()) {
            throw bad(fmt::format("field {}: no key or type", fi));
        }
        const std::string key = f["key"].get<std::string>();
        FieldIndex fx;
        try {
            fx.type = parse_payload_type(f["type"].get<std::string>());
        } catch (const InvalidArgument& e) {
            throw bad(e.what());
        }
        const auto [tb, tn] = pair("terms");
        const auto [vb, vn] = pair("values");
        if (tb != next_term || tn > num_terms - tb || vb != next_value || vn > values.size() - vb) {
            throw bad("field " + key + ": its terms or values lie outside the sections");
        }
        next_term += tn;
        next_value += vn;
        for (std::uint64_t t = tb; t < tb + tn; ++t) {
            std::string term(term_chars.data() + term_offsets[t], term_offsets[t + 1] - term_offsets[t]);
            if (!fx.terms.empty() && !(fx.terms.rbegin()->first < term)) throw bad("field " + key + ": terms not increasing");
            fx.terms.emplace_hint(fx.terms.end(), std::move(term), bitmap(t));
        }
        fx.values.assign(values.begin() + static_cast<std::ptrdiff_t>(vb), values.begin() + static_cast<std::ptrdiff_t>(vb + vn));
        fx.docs.assign(value_docs.begin() + static_cast<std::ptrdiff_t>(vb),
                       value_docs.begin() + static_cast<std::ptrdiff_t>(vb + vn));
        for (std::size_t i = 0; i < fx.values.size(); ++i) {
            if (std::isnan(fx.values[i]) || fx.docs[i] >= num_docs || (i > 0 && fx.values[i] < fx.values[i - 1])) {
                throw bad("field " + key + ": value column not sorted or out of range");
            }
        }
        fx.build_chunks();
        fx.empty = bitmap(num_terms + 2 * fi);
        fx.null = bitmap(num_terms + 2 * fi + 1);
        if (!ix.fields_.emplace(key, std::move(fx)).second) throw bad("field " + key + " listed twice");
    }
    if (next_term != num_terms || next_value != values.size()) throw bad("sections hold entries no field owns");
    return ix;
}

}  // namespace spindle
