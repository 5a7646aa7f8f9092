// libFuzzer target for the filter language (issue "Filtered search"): the
// input is filter JSON. parse_filter must either throw InvalidArgument or
// return a filter; a parsed filter is then evaluated on two collections
// holding the same points, one with payload indexes on every field and one
// without, and each collection's count(filter) must equal the brute-force
// count of filter_matches over the points' payloads under that
// collection's schema (index paths and the stored-payload scan agree with
// the definition). Any other exception, or a disagreement, aborts.
// Built only with clang: cmake --preset fuzz (see CMakePresets.json).
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "spindle/collection/collection.hpp"
#include "spindle/collection/filter.hpp"
#include "spindle/common/error.hpp"

namespace {

namespace fs = std::filesystem;
using namespace spindle;

// Payloads covering every type and shape a condition may meet: strings,
// integers, floats, bools, RFC 3339 datetimes, arrays (empty too), null,
// nested objects, missing fields.
const char* const kPayloads[] = {
    R"({"cat": "a", "n": 1, "x": 0.5, "flag": true, "ts": "2024-01-02T03:04:05Z", "tags": ["red", "blue"], "o": {"k": "v", "m": 3}})",
    R"({"cat": "b", "n": 2, "x": -1.25, "flag": false, "ts": "2023-06-30T23:59:59+02:00", "tags": []})",
    R"({"cat": ["a", "c"], "n": [3, 4], "x": 2, "flag": [true, false], "tags": ["red"], "o": {"k": "w"}})",
    R"({"cat": null, "n": null, "x": null, "flag": null, "ts": null, "tags": null})",
    R"({"cat": "c", "n": -7, "x": 1e10, "ts": "1970-01-01T00:00:00Z", "o": {"m": [1, 2]}})",
    R"({"cat": "", "n": 9007199254740993, "x": 3.5, "tags": ["", "blue", "green"]})",
    R"({"cat": 5, "n": "7", "x": "1.5", "flag": "true", "ts": 1700000000})",
    R"({})",
    "",
    R"({"cat": "a", "n": 0, "x": 0, "flag": true, "ts": "2024-01-02T03:04:05.123456Z", "o": null})",
    R"({"cat": "d", "n": 100, "x": -0.0, "tags": ["red", "red"], "o": {"k": ["v", "u"]}})",
    R"({"other": {"cat": "a"}, "n": 1.5})",
};

const PayloadSchema kSchema = {{"cat", PayloadType::keyword}, {"n", PayloadType::integer},      {"x", PayloadType::floating},
                               {"flag", PayloadType::boolean}, {"ts", PayloadType::datetime},   {"tags", PayloadType::keyword},
                               {"o.k", PayloadType::keyword},  {"o.m", PayloadType::integer}};

struct Side {
    std::unique_ptr<Collection> c;
    PayloadSchema schema;
};

struct State {
    fs::path dir;
    Side indexed, scanned;
    std::vector<PointId> ids;
    std::vector<nlohmann::json> payloads;

    State() {
        std::string tmpl = (fs::temp_directory_path() / "spindle-filter-fuzz-XXXXXX").string();
        if (mkdtemp(tmpl.data()) == nullptr) std::abort();
        dir = tmpl;
        std::vector<Point> pts;
        for (std::size_t i = 0; i < std::size(kPayloads); ++i) {
            Point p;
            p.id = i % 3 == 2 ? PointId::key("k" + std::to_string(i)) : PointId(i * 10);
            SparseVector v;
            v.indices = {static_cast<std::uint32_t>(i % 4)};
            v.values = {1.0F};
            p.vectors.emplace("v", v);
            p.payload = kPayloads[i];
            ids.push_back(p.id);
            payloads.push_back(p.payload.empty() ? nlohmann::json() : nlohmann::json::parse(p.payload));
            pts.push_back(std::move(p));
        }
        for (Side* s : {&indexed, &scanned}) {
            CollectionConfig cfg;
            SparseVectorConfig v;
            v.keys = VectorKeys::indices;
            v.weight_type = WeightType::f32;
            cfg.vectors.emplace("v", v);
            if (s == &indexed) cfg.payload_indexes = kSchema;
            s->schema = cfg.payload_indexes;
            s->c = Collection::create((dir / (s == &indexed ? "indexed" : "scanned")).string(), cfg);
            // Half on disk (a flushed segment), half in memory.
            const std::size_t half = pts.size() / 2;
            s->c->upsert(std::span<const Point>(pts.data(), half));
            s->c->flush();
            s->c->upsert(std::span<const Point>(pts.data() + half, pts.size() - half));
        }
    }
    ~State() {
        indexed.c.reset();
        scanned.c.reset();
        std::error_code ec;
        fs::remove_all(dir, ec);
    }
};

State& state() {
    static State s;
    return s;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    State& st = state();
    const std::string_view text(reinterpret_cast<const char*>(data), size);
    Filter f;
    try {
        f = parse_filter(text);
    } catch (const InvalidArgument&) {
        return 0;  // a malformed filter: an error with a message, as it should be
    }
    for (const Side* s : {&st.indexed, &st.scanned}) {
        std::uint64_t want = 0;
        for (std::size_t i = 0; i < st.ids.size(); ++i) want += filter_matches(f, st.ids[i], st.payloads[i], s->schema) ? 1 : 0;
        const std::uint64_t got = s->c->count(f);
        if (got != want) {
            std::fprintf(stderr, "filter_fuzz: %s collection counts %llu, brute force %llu for %.*s\n",
                         s == &st.indexed ? "indexed" : "unindexed", static_cast<unsigned long long>(got),
                         static_cast<unsigned long long>(want), static_cast<int>(size), text.data());
            std::abort();
        }
    }
    return 0;
}
