// spindle upsert | delete | optimize | get | payload-index: live writes and reads of a
// collection through the library (the log, in-memory segments, merges).
#include <fmt/format.h>

#include <charconv>
#include <chrono>
#include <memory>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "commands.hpp"
#include "progress.hpp"
#include "spindle/collection/collection.hpp"
#include "spindle/collection/record_points.hpp"
#include "spindle/common/error.hpp"
#include "spindle/formats/input_format.hpp"
#include "spindle/index/payload_index.hpp"
#include "spindle/io/line_reader.hpp"

namespace spindle::cli {
namespace {

/// An id read from a file or the command line: a u64 with --numeric-ids when
/// it is a decimal number, else a string key.
PointId parse_id(std::string_view text, bool numeric, const std::string& where) {
    if (numeric) {
        std::uint64_t n = 0;
        const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), n);
        if (ec == std::errc() && end == text.data() + text.size() && !text.empty()) return PointId(n);
    }
    try {
        return PointId::key(std::string(text));
    } catch (const InvalidArgument& e) {
        throw ParseError(where + ": " + e.what());
    }
}

std::string pick(const Collection& c, const std::string& vector) { return c.snapshot()->index(vector)->vector(); }

struct UpsertArgs {
    std::string collection;
    std::vector<std::string> inputs;
    std::string format = "auto";
    std::string vector;
    std::size_t batch = 1000;
    bool wait = true;
    bool numeric_ids = false;
    bool quiet = false;
};

void run_upsert(const UpsertArgs& a) {
    const auto start = std::chrono::steady_clock::now();
    const auto coll = Collection::open(a.collection);
    const std::string vector = pick(*coll, a.vector);
    const VectorKeys keys = coll->config().vectors.at(vector).keys;
    std::vector<Point> batch;
    std::uint64_t points = 0;
    std::uint64_t batches = 0;
    auto send = [&] {
        if (batch.empty()) return;
        coll->upsert(batch, {.wait = a.wait});
        points += batch.size();
        ++batches;
        batch.clear();
    };
    for (const auto& input : a.inputs) {
        Progress bar("upsert", 0, a.quiet);
        read_records(
            input, parse_input_format(a.format),
            [&](const RawRecord& rec) {
                Point p;
                p.id = parse_id(rec.id, a.numeric_ids, rec.where());
                SparseVector v = record_vector(rec, keys);
                p.vectors.emplace(vector, std::move(v));
                p.payload = rec.payload;
                batch.push_back(std::move(p));
                if (batch.size() >= a.batch) send();
            },
            [&](std::uint64_t done, std::uint64_t total) { bar.update(done, total); });
        send();
        bar.finish(fmt::format("{} points upserted from {}", points, input));
    }
    coll->maintain();
    const auto info = coll->info();
    fmt::print("upserted {} points in {} batches ({}) into {} in {:.2f} s; {} live points, {} segments ({} in memory, in "
               "the log until flushed)\n",
               points, batches, a.wait ? "each durable when acknowledged" : "without waiting for the disk", a.collection,
               seconds_since(start), info.points, info.segments.size(), info.memory_docs);
}

struct IdArgs {
    std::string collection;
    std::string ids_file;
    std::vector<std::string> ids;
    bool numeric_ids = false;
    bool wait = true;
    bool with_vectors = true;
};

std::vector<PointId> read_ids(const IdArgs& a) {
    std::vector<PointId> out;
    for (const auto& s : a.ids) out.push_back(parse_id(s, a.numeric_ids, "--id"));
    if (!a.ids_file.empty()) {
        LineReader r(a.ids_file);
        std::string_view line;
        while (r.next(line)) {
            while (!line.empty() && (line.back() == '\r' || line.back() == ' ')) line.remove_suffix(1);
            if (line.empty() || line.front() == '#') continue;
            out.push_back(parse_id(line, a.numeric_ids, r.where()));
        }
    }
    if (out.empty()) throw InvalidArgument("no ids given (--ids FILE or --id ID)");
    return out;
}

void run_delete(const IdArgs& a) {
    const auto coll = Collection::open(a.collection);
    const auto ids = read_ids(a);
    std::uint64_t deleted = 0;
    constexpr std::size_t kBatch = 10000;
    for (std::size_t at = 0; at < ids.size(); at += kBatch) {
        const auto part = std::span(ids).subspan(at, std::min(kBatch, ids.size() - at));
        deleted += coll->remove(part, {.wait = a.wait}).applied;
    }
    coll->maintain();
    fmt::print("deleted {} of {} ids from {} ({} were not present); {} live points\n", deleted, ids.size(), a.collection,
               ids.size() - deleted, coll->count());
}

void run_get(const IdArgs& a) {
    const auto coll = Collection::open(a.collection, {.read_only = true});
    const auto ids = read_ids(a);
    const auto points = coll->get(ids, a.with_vectors);
    std::size_t missing = 0;
    for (std::size_t i = 0; i < ids.size(); ++i) {
        nlohmann::json j;
        if (ids[i].is_number()) {
            j["id"] = ids[i].number();
        } else {
            j["id"] = ids[i].str();
        }
        if (!points[i]) {
            j["found"] = false;
            ++missing;
        } else {
            const Point& p = *points[i];
            j["payload"] = p.payload.empty() ? nlohmann::json(nullptr) : nlohmann::json::parse(p.payload);
            if (a.with_vectors) {
                nlohmann::json vecs = nlohmann::json::object();
                for (const auto& [name, v] : p.vectors) {
                    if (!v.tokens.empty()) {
                        nlohmann::json o = nlohmann::json::object();
                        for (std::size_t k = 0; k < v.tokens.size(); ++k) o[v.tokens[k]] = v.values[k];
                        vecs[name] = std::move(o);
                    } else {
                        vecs[name] = {{"indices", v.indices}, {"values", v.values}};
                    }
                }
                j["vectors"] = std::move(vecs);
            }
        }
        fmt::print("{}\n", j.dump());
    }
    if (missing > 0) fmt::print(stderr, "{} of {} ids not found\n", missing, ids.size());
}

struct OptimizeArgs {
    std::string collection;
    std::size_t segments = 1;
};

void run_optimize(const OptimizeArgs& a) {
    const auto start = std::chrono::steady_clock::now();
    const auto coll = Collection::open(a.collection);
    const auto before = coll->info();
    coll->optimize(a.segments);
    const auto after = coll->info();
    std::uint64_t deleted = 0;
    for (const auto& s : before.segments) deleted += s.deleted;
    fmt::print("optimized {}: {} segments ({} in memory) -> {}, {} deleted documents dropped, {} live points, {:.2f} s\n",
               a.collection, before.segments.size(), before.memory_docs > 0 ? "some" : "none", after.segments.size(),
               deleted, after.points, seconds_since(start));
}

struct PayloadIndexArgs {
    std::string collection;
    std::vector<std::string> fields;  ///< KEY:TYPE
};

void run_payload_index(const PayloadIndexArgs& a) {
    std::vector<std::pair<std::string, PayloadType>> want;
    for (const auto& spec : a.fields) {
        const auto colon = spec.rfind(':');
        if (colon == std::string::npos) throw InvalidArgument("--field '" + spec + "': expected KEY:TYPE (e.g. lang:keyword)");
        const std::string key = spec.substr(0, colon);
        check_payload_key(key);
        want.emplace_back(key, parse_payload_type(spec.substr(colon + 1)));
    }
    const auto coll = Collection::open(a.collection);
    for (const auto& [key, type] : want) {
        const auto start = std::chrono::steady_clock::now();
        const bool had = coll->config().payload_indexes.contains(key);
        coll->add_payload_index(key, type);
        const auto info = coll->info();
        fmt::print("{} {}: payload field `{}` indexed as {}{}; {} segments, {} live points, {:.2f} s\n", a.collection,
                   had ? "unchanged" : "updated", key, to_string(type), had ? " already" : " (existing segments rewritten)",
                   info.segments.size(), info.points, seconds_since(start));
    }
}

void add_id_options(CLI::App* cmd, IdArgs& a) {
    cmd->add_option("--collection,--index", a.collection, "Collection directory")->required();
    cmd->add_option("--ids", a.ids_file, "File of ids, one per line (# comments)");
    cmd->add_option("--id", a.ids, "An id (repeatable)");
    cmd->add_flag("--numeric-ids", a.numeric_ids, "Ids that are decimal numbers are unsigned integers (else: strings)");
}

}  // namespace

void register_collection_commands(CLI::App& app) {
    {
        auto a = std::make_shared<UpsertArgs>();
        auto* cmd = app.add_subcommand("upsert", "Add or replace points of a collection (durable through its log)");
        cmd->footer(
            "Same input formats as spindle index. Each batch is one log record: applied whole or not at all;\n"
            "searchable as soon as it is acknowledged. Segments are flushed and merged as the collection's\n"
            "policy asks before the command exits.\n\n"
            "Example: spindle upsert --collection idx/ --input new_docs.jsonl --batch 1000");
        cmd->add_option("--collection,--index", a->collection, "Collection directory")->required();
        cmd->add_option("-i,--input", a->inputs, "Point file(s): JSONL vectors or CSR")->required();
        cmd->add_option("--format", a->format, "Input format: auto (by extension), jsonl or csr")->capture_default_str();
        cmd->add_option("--vector", a->vector, "Vector the input fills (default: the collection's only vector)");
        cmd->add_option("--batch", a->batch, "Points per write batch")->capture_default_str()->check(CLI::Range(std::size_t{1}, std::size_t{1} << 24));
        cmd->add_flag("--wait,!--no-wait", a->wait,
                      "Acknowledge a batch only once it is on disk (fsync; default). --no-wait: survives a crash of "
                      "this process, not of the machine");
        cmd->add_flag("--numeric-ids", a->numeric_ids, "Ids that are decimal numbers are unsigned integers (else: strings)");
        cmd->add_flag("-q,--quiet", a->quiet, "No progress bar");
        cmd->callback([a] { run_upsert(*a); });
    }
    {
        auto a = std::make_shared<IdArgs>();
        auto* cmd = app.add_subcommand("delete", "Delete points of a collection by id");
        add_id_options(cmd, *a);
        cmd->add_flag("--wait,!--no-wait", a->wait, "Acknowledge only once durable (default)");
        cmd->callback([a] { run_delete(*a); });
    }
    {
        auto a = std::make_shared<IdArgs>();
        auto* cmd = app.add_subcommand("get", "Print points by id as JSON lines (stored weights and payload)");
        add_id_options(cmd, *a);
        cmd->add_flag("--vectors,!--no-vectors", a->with_vectors, "Include the stored vectors (default)");
        cmd->callback([a] { run_get(*a); });
    }
    {
        auto a = std::make_shared<OptimizeArgs>();
        auto* cmd = app.add_subcommand("optimize", "Flush and merge a collection down to N segments without deletions");
        cmd->add_option("--collection,--index", a->collection, "Collection directory")->required();
        cmd->add_option("--segments", a->segments, "Segments to keep at most")->capture_default_str()->check(CLI::Range(std::size_t{1}, std::size_t{1} << 20));
        cmd->callback([a] { run_optimize(*a); });
    }
    {
        auto a = std::make_shared<PayloadIndexArgs>();
        auto* cmd = app.add_subcommand("payload-index", "Index payload fields of a collection that may already hold points");
        cmd->footer(
            "Filters on an indexed field read a bitmap or sorted column per segment instead of parsing stored\n"
            "payloads. Existing segments are rewritten with the new index before the command returns (through\n"
            "the merge path, one segment at a time: this takes about as long as merging the collection once).\n"
            "Types: keyword, integer, float, bool, datetime (RFC 3339). A field already indexed with the same\n"
            "type is left as it is; with another type it is an error.\n\n"
            "Example: spindle payload-index --collection coll/ --field lang:keyword --field year:integer");
        cmd->add_option("--collection,--index", a->collection, "Collection directory")->required();
        cmd->add_option("--field", a->fields, "KEY:TYPE to index (repeatable)")->required();
        cmd->callback([a] { run_payload_index(*a); });
    }
}

}  // namespace spindle::cli
