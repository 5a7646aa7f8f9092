#include "spindle/index/manifest.hpp"

#include <fmt/format.h>
#include <nlohmann/json.hpp>
#include <simdjson.h>
#include <unistd.h>

#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <filesystem>

#include "spindle/common/error.hpp"
#include "spindle/index/file_kinds.hpp"
#include "spindle/io/container.hpp"
#include "spindle/io/file_util.hpp"

namespace spindle {

void ApproxDefaults::validate() const {
    if (query_cut == 0) throw InvalidArgument("approx defaults: query_cut must be at least 1");
    if (!(heap_factor > 0.0 && heap_factor <= kMaxHeapFactor)) {
        throw InvalidArgument(fmt::format("approx defaults: heap_factor must be in (0, {:g}], got {}", kMaxHeapFactor, heap_factor));
    }
    if (!(target_recall > 0.0 && target_recall <= 1.0)) {
        throw InvalidArgument(fmt::format("approx defaults: target_recall must be in (0, 1], got {}", target_recall));
    }
    if (k == 0) throw InvalidArgument("approx defaults: k must be at least 1");
    if (knn > 1024) throw InvalidArgument(fmt::format("approx defaults: knn must be at most 1024, got {}", knn));
    if (!(recall >= 0.0 && recall <= 1.0)) {
        throw InvalidArgument(fmt::format("approx defaults: recall must be in [0, 1], got {}", recall));
    }
    if (!(mean_ms >= 0.0 && mean_ms < 1e12)) {
        throw InvalidArgument(fmt::format("approx defaults: mean_ms must be a non-negative number, got {}", mean_ms));
    }
    if (curve.size() > kMaxTunedCurve) {
        throw InvalidArgument(fmt::format("approx defaults: curve has {} points, more than {}", curve.size(), kMaxTunedCurve));
    }
    for (std::size_t i = 0; i < curve.size(); ++i) {
        const TunedPoint& p = curve[i];
        if (p.query_cut == 0 || !(p.heap_factor > 0.0 && p.heap_factor <= kMaxHeapFactor) || p.knn > 1024 ||
            !(p.recall >= 0.0 && p.recall <= 1.0) || !(p.mean_ms >= 0.0 && p.mean_ms < 1e12)) {
            throw InvalidArgument(fmt::format("approx defaults: curve[{}] is out of range (query_cut {}, heap_factor {}, knn {}, "
                                              "recall {}, mean_ms {})", i, p.query_cut, p.heap_factor, p.knn, p.recall, p.mean_ms));
        }
    }
}

ComponentBytes Manifest::component_bytes() const {
    ComponentBytes b;
    for (const auto& s : segments) {
        b.inverted += s.inverted_bytes;
        b.forward += s.forward_bytes;
        b.docids += s.docids_bytes;
        b.approx += s.approx_bytes;
    }
    b.vocabulary = vocab_bytes;
    return b;
}

std::string Manifest::to_json() const {
    // Doubles are written in their shortest round-trip form; timings are
    // rounded to milliseconds first so the file reads well.
    const auto ms = [](double seconds) { return std::round(seconds * 1000.0) / 1000.0; };
    // A float as the double of its shortest decimal form (reads back as the same float).
    const auto shortest = [](float f) { return std::strtod(fmt::format("{}", f).c_str(), nullptr); };
    nlohmann::ordered_json j;
    j["format"] = "spindle-index";
    j["format_version"] = format_version;
    j["weight_type"] = to_string(weight_type);
    j["posting_block"] = posting_block;
    j["range_block"] = range_block;
    j["num_docs"] = num_docs;
    j["num_terms"] = num_terms;
    j["num_postings"] = num_postings;
    j["empty_docs"] = empty_docs;
    j["zero_dropped"] = zero_dropped;
    j["vocab_bytes"] = vocab_bytes;
    j["reorder"] = to_string(reorder);
    j["build_seconds"] = ms(build_seconds);
    j["build_peak_rss"] = build_peak_rss;
    if (text) {
        j["text"] = {{"analyzer", text->analyzer}, {"similarity", "bm25"}, {"k1", text->k1}, {"b", text->b},
                     {"docs_with_terms", text->docs_with_terms}, {"avgdl", text->avgdl}};
    }
    if (approx) {
        nlohmann::ordered_json a = {{"lambda", approx->lambda},     {"block_size", approx->block_size},
                                    {"alpha_mass", approx->alpha_mass}, {"seed", approx->seed},
                                    {"knn_k", approx->knn_k}};
        if (approx->lambda_per_doc > 0.0) {  // the scaled budget (absent: lambda for every segment)
            a["lambda_per_doc"] = approx->lambda_per_doc;
            a["lambda_max"] = approx->lambda_max;
        }
        if (approx_defaults) {
            const ApproxDefaults& d = *approx_defaults;
            a["defaults"] = {{"query_cut", d.query_cut}, {"heap_factor", d.heap_factor}, {"knn", d.knn},
                             {"target_recall", d.target_recall}, {"k", d.k}, {"recall", d.recall},
                             {"mean_ms", d.mean_ms}};
        }
        j["approx"] = std::move(a);
    }
    auto& segs = j["segments"] = nlohmann::ordered_json::array();
    for (const auto& g : segments) {
        nlohmann::ordered_json e = {{"name", g.name},
                                    {"docs", g.docs},
                                    {"postings", g.postings},
                                    {"zero_dropped", g.zero_dropped},
                                    {"scale", g.scale},
                                    {"max_weight", shortest(g.max_weight)},
                                    {"inverted_bytes", g.inverted_bytes},
                                    {"forward_bytes", g.forward_bytes},
                                    {"docids_bytes", g.docids_bytes},
                                    {"reorder_seconds", ms(g.reorder_seconds)}};
        if (approx) {
            e["approx_bytes"] = g.approx_bytes;
            e["approx_seconds"] = ms(g.approx_seconds);
        }
        segs.push_back(std::move(e));
    }
    return j.dump(2) + "\n";
}

namespace {
template <class T>
T field(simdjson::dom::object o, std::string_view key, const std::string& where) {
    T v{};
    if (o[key].get(v) != simdjson::SUCCESS) throw CorruptIndex(where + ": manifest field '" + std::string(key) + "' missing or mistyped");
    return v;
}
}  // namespace

Manifest Manifest::from_json(std::string_view json, const std::string& where) {
    simdjson::dom::parser parser;
    simdjson::dom::object root;
    if (parser.parse(json.data(), json.size()).get(root) != simdjson::SUCCESS) {
        throw CorruptIndex(where + ": manifest is not valid JSON");
    }
    Manifest m;
    m.format_version = static_cast<std::uint32_t>(field<std::uint64_t>(root, "format_version", where));
    // A MANIFEST file is a format-2 index (collections have CURRENT and MANIFEST-<gen>).
    if (m.format_version != kLegacyIndexVersion) {
        throw IncompatibleVersion(where + ": index format version " + std::to_string(m.format_version) +
                                  ", this build reads collections of version " + std::to_string(kFormatVersion) +
                                  " and indexes of version " + std::to_string(kLegacyIndexVersion));
    }
    try {
        m.weight_type = parse_weight_type(field<std::string_view>(root, "weight_type", where));
    } catch (const InvalidArgument& e) {
        throw CorruptIndex(where + ": " + e.what());
    }
    m.posting_block = static_cast<std::uint32_t>(field<std::uint64_t>(root, "posting_block", where));
    m.range_block = static_cast<std::uint32_t>(field<std::uint64_t>(root, "range_block", where));
    m.num_docs = field<std::uint64_t>(root, "num_docs", where);
    m.num_terms = field<std::uint64_t>(root, "num_terms", where);
    m.num_postings = field<std::uint64_t>(root, "num_postings", where);
    m.empty_docs = field<std::uint64_t>(root, "empty_docs", where);
    m.zero_dropped = field<std::uint64_t>(root, "zero_dropped", where);
    m.vocab_bytes = field<std::uint64_t>(root, "vocab_bytes", where);
    m.build_seconds = field<double>(root, "build_seconds", where);
    m.build_peak_rss = field<std::uint64_t>(root, "build_peak_rss", where);
    try {
        m.reorder = parse_reorder(field<std::string_view>(root, "reorder", where));
    } catch (const InvalidArgument& e) {
        throw CorruptIndex(where + ": " + e.what());
    }
    simdjson::dom::object text_obj;
    if (root["text"].get(text_obj) == simdjson::SUCCESS) {
        TextSettings t;
        t.analyzer = std::string(field<std::string_view>(text_obj, "analyzer", where));
        if (field<std::string_view>(text_obj, "similarity", where) != "bm25") {
            throw CorruptIndex(where + ": unknown text similarity (this build knows \"bm25\")");
        }
        t.k1 = field<double>(text_obj, "k1", where);
        t.b = field<double>(text_obj, "b", where);
        t.docs_with_terms = field<std::uint64_t>(text_obj, "docs_with_terms", where);
        t.avgdl = field<double>(text_obj, "avgdl", where);
        m.text = std::move(t);
    }
    simdjson::dom::object approx_obj;
    if (root["approx"].get(approx_obj) == simdjson::SUCCESS) {
        ApproxOptions a;
        a.lambda = static_cast<std::uint32_t>(field<std::uint64_t>(approx_obj, "lambda", where));
        a.block_size = static_cast<std::uint32_t>(field<std::uint64_t>(approx_obj, "block_size", where));
        a.alpha_mass = field<double>(approx_obj, "alpha_mass", where);
        a.seed = field<std::uint64_t>(approx_obj, "seed", where);
        a.knn_k = static_cast<std::uint32_t>(field<std::uint64_t>(approx_obj, "knn_k", where));
        double per_doc = 0.0;  // optional: since the budget scales with the segment
        if (approx_obj["lambda_per_doc"].get(per_doc) == simdjson::SUCCESS) {
            a.lambda_per_doc = per_doc;
            a.lambda_max = static_cast<std::uint32_t>(field<std::uint64_t>(approx_obj, "lambda_max", where));
        }
        try {
            a.validate();
        } catch (const InvalidArgument& e) {
            throw CorruptIndex(where + ": " + e.what());
        }
        m.approx = a;
        simdjson::dom::object def_obj;
        const auto def_el = approx_obj["defaults"];
        if (def_el.error() == simdjson::SUCCESS) {
            if (def_el.get(def_obj) != simdjson::SUCCESS) throw CorruptIndex(where + ": manifest field 'approx.defaults' is not an object");
            ApproxDefaults d;
            d.query_cut = field<std::uint64_t>(def_obj, "query_cut", where);
            d.heap_factor = field<double>(def_obj, "heap_factor", where);
            d.target_recall = field<double>(def_obj, "target_recall", where);
            if (def_obj["k"].error() == simdjson::SUCCESS) d.k = field<std::uint64_t>(def_obj, "k", where);
            if (def_obj["knn"].error() == simdjson::SUCCESS) d.knn = field<std::uint64_t>(def_obj, "knn", where);
            d.recall = field<double>(def_obj, "recall", where);
            d.mean_ms = field<double>(def_obj, "mean_ms", where);
            try {
                d.validate();
            } catch (const InvalidArgument& e) {
                throw CorruptIndex(where + ": " + e.what());
            }
            if (d.knn > a.knn_k) {
                throw CorruptIndex(where + fmt::format(": approx defaults: knn {} exceeds the graph's {} neighbours", d.knn, a.knn_k));
            }
            m.approx_defaults = d;
        }
    } else if (root["approx"].error() == simdjson::SUCCESS) {
        throw CorruptIndex(where + ": manifest field 'approx' is not an object");
    }
    simdjson::dom::array segs;
    if (root["segments"].get(segs) != simdjson::SUCCESS) throw CorruptIndex(where + ": manifest has no segment list");
    for (auto el : segs) {
        simdjson::dom::object o;
        if (el.get(o) != simdjson::SUCCESS) throw CorruptIndex(where + ": malformed segment entry");
        SegmentInfo g;
        g.name = std::string(field<std::string_view>(o, "name", where));
        if (g.name.empty() || g.name.find('/') != std::string::npos || g.name.find("..") != std::string::npos) {
            throw CorruptIndex(where + ": invalid segment name '" + g.name + "'");
        }
        g.docs = field<std::uint64_t>(o, "docs", where);
        g.postings = field<std::uint64_t>(o, "postings", where);
        g.zero_dropped = field<std::uint64_t>(o, "zero_dropped", where);
        g.scale = field<double>(o, "scale", where);
        g.max_weight = static_cast<float>(field<double>(o, "max_weight", where));
        g.inverted_bytes = field<std::uint64_t>(o, "inverted_bytes", where);
        g.forward_bytes = field<std::uint64_t>(o, "forward_bytes", where);
        g.docids_bytes = field<std::uint64_t>(o, "docids_bytes", where);
        g.reorder_seconds = field<double>(o, "reorder_seconds", where);
        if (m.approx) {
            g.approx_bytes = field<std::uint64_t>(o, "approx_bytes", where);
            g.approx_seconds = field<double>(o, "approx_seconds", where);
            if (g.approx_bytes == 0) throw CorruptIndex(where + ": segment '" + g.name + "' has no approximate structures");
        }
        m.segments.push_back(std::move(g));
    }
    return m;
}

void Manifest::save(const std::string& path) const {
    const std::string json = to_json();
    ContainerWriter w(path, kinds::kManifest);
    w.add(sections::kManifestJson, std::span<const char>(json.data(), json.size()));
    w.finish();
}

void Manifest::replace(const std::string& path) const {
    if (approx_defaults && !approx) throw InvalidArgument(path + ": approx defaults without approximate structures");
    if (approx_defaults) approx_defaults->validate();
    const std::string json = to_json();
    const std::string tmp = path + ".tmp-" + std::to_string(::getpid());
    std::error_code ec;
    std::filesystem::remove(tmp, ec);
    try {
        ContainerWriter w(tmp, kinds::kManifest);
        w.add(sections::kManifestJson, std::span<const char>(json.data(), json.size()));
        w.finish();
        if (std::rename(tmp.c_str(), path.c_str()) != 0) throw IoError("cannot rename " + tmp + " to " + path);
    } catch (...) {
        std::filesystem::remove(tmp, ec);
        throw;
    }
    const auto parent = std::filesystem::path(path).parent_path();
    fsync_directory(parent.empty() ? std::string(".") : parent.string());
}

Manifest Manifest::load(const std::string& path) {
    Container c(path, kinds::kManifest);
    auto json = c.section<char>(sections::kManifestJson);
    return from_json(std::string_view(json.data(), json.size()), path);
}

}  // namespace spindle
