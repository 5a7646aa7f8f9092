#include "live_collection.hpp"

#include <fcntl.h>
#include <fmt/format.h>
#include <sys/file.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <nlohmann/json.hpp>
#include <regex>

#include "spindle/common/error.hpp"
#include "spindle/index/deletions.hpp"
#include "spindle/io/file_util.hpp"
#include "wal_codec.hpp"

namespace fs = std::filesystem;

namespace spindle {
namespace detail {
namespace {


/// Number in a name of the form <prefix>NNNNNN<suffix>, or nullopt.
std::optional<std::uint64_t> numbered(const std::string& name, const std::string& prefix, const std::string& suffix) {
    if (name.size() <= prefix.size() + suffix.size() || name.rfind(prefix, 0) != 0 ||
        name.compare(name.size() - suffix.size(), suffix.size(), suffix) != 0) {
        return std::nullopt;
    }
    const std::string digits = name.substr(prefix.size(), name.size() - prefix.size() - suffix.size());
    if (digits.empty() || digits.size() > 18 || digits.find_first_not_of("0123456789") != std::string::npos) return std::nullopt;
    return std::stoull(digits);
}

/// The log files of `dir` by number.
std::map<std::uint64_t, std::string> log_files(const std::string& dir) {
    std::map<std::uint64_t, std::string> out;
    for (const auto& e : fs::directory_iterator(dir)) {
        const std::string n = e.path().filename().string();
        if (auto k = numbered(n, "wal-", ".log")) out.emplace(*k, dir + "/" + n);
    }
    return out;
}

}  // namespace

// --- snapshot ------------------------------------------------------------------

std::string Snapshot::vector_name(const std::string& requested) const {
    std::vector<std::string> names;
    for (const auto& [n, v] : config->vectors) names.push_back(n);
    return pick_vector(names, requested, "collection " + path);
}

std::shared_ptr<const Index> Snapshot::index(const std::string& vector) const { return indexes.at(vector_name(vector)); }

std::optional<std::pair<std::size_t, docid_t>> Snapshot::locate(const PointId& id) const {
    const std::string key = id.text();
    for (std::size_t s = segs.size(); s-- > 0;) {
        const auto d = segs[s].data->ids->find(id.is_number(), key);
        if (d && !segs[s].deleted->contains(*d)) return std::make_pair(s, *d);
    }
    return std::nullopt;
}

// --- opening -------------------------------------------------------------------

LiveCollection::LiveCollection(std::string dir, OpenOptions opts)
    : dir_(std::move(dir)), opts_(opts), filter_cache_(std::make_shared<FilterCache>(opts.filter_cache_bytes)) {
    while (dir_.size() > 1 && dir_.back() == '/') dir_.pop_back();
}

LiveCollection::~LiveCollection() {
    stop_compactor();
    {
        std::lock_guard g(cv_mu_);
        stop_ = true;
    }
    cv_.notify_all();
    if (merge_thread_.joinable()) merge_thread_.join();
    if (wal_.is_open()) {
        try {
            wal_.sync();
        } catch (const Error&) {  // nothing to report to from a destructor; the log is replayed
        }
    }
    lock_.reset();
}

void LiveCollection::take_lock() {
    std::string holder;
    lock_ = FileLock::try_lock(dir_ + "/LOCK", false, &holder);
    if (!lock_) {
        throw IoError("collection " + dir_ + " is open for writing by another process" +
                      (holder.empty() ? std::string() : " (pid " + holder + ")") +
                      "; one writer at a time (open it read-only to search)");
    }
}

void LiveCollection::open_legacy() {
    legacy_ = true;
    auto index = std::make_shared<const Index>(dir_, opts_.in_memory);
    const Manifest& m = index->manifest();
    auto cfg = std::make_shared<CollectionConfig>();
    SparseVectorConfig v;
    v.weight_type = m.weight_type;
    v.range_block = m.range_block;
    v.approx = m.approx;
    v.text = m.text;
    cfg->vectors.emplace("default", v);
    install_config_locked(cfg);
    auto snap = std::make_shared<Snapshot>();
    snap->path = dir_;
    snap->config = config_;
    snap->filter_cache = filter_cache_;
    for (std::size_t s = 0; s < index->num_segments(); ++s) {
        auto data = std::make_shared<SegmentData>();
        const Segment& seg = index->segment(s);
        data->name = seg.info().name;
        data->docs = seg.num_docs();
        data->ids = seg.shared_ids();
        data->payloads = std::make_shared<const PayloadStore>();
        // The Index owns the segment; share it without a second open.
        data->vectors.emplace("default", std::shared_ptr<const Segment>(index, &seg));
        SegState st{std::move(data), std::make_shared<const Bitmap>(), false, nullptr, {}};
        st.entry.name = seg.info().name;
        st.entry.docs = seg.num_docs();
        st.entry.origin = "bulk";
        st.entry.vectors.emplace("default", seg.info());
        snap->segs.push_back(std::move(st));
    }
    snap->live = index->live_docs();
    snap->indexes.emplace("default", index);
    manifest_.config = *config_;
    manifest_.vectors["default"] = VectorState{"vocab.bin", m.num_terms, m.vocab_bytes, m.approx_defaults};
    manifest_.build_seconds = m.build_seconds;
    manifest_.build_peak_rss = m.build_peak_rss;
    manifest_.reorder = m.reorder;
    for (const auto& st : snap->segs) manifest_.segments.push_back(st.entry);
    segs_ = snap->segs;
    snap_ = std::move(snap);
}

void LiveCollection::open_existing() {
    load();
    if (!opts_.read_only && opts_.background_merges) {
        merge_thread_ = std::thread([this] { merge_loop(); });
    }
    if (!opts_.read_only && opts_.background_flush) {
        std::lock_guard g(write_mu_);
        compactor_on_ = true;
        compact_thread_ = std::thread([this] { compact_loop(); });
    }
}

void LiveCollection::load() {
    if (!opts_.read_only) take_lock();
    manifest_ = load_current_manifest(dir_);
    install_config_locked(std::make_shared<const CollectionConfig>(manifest_.config));
    for (const auto& [name, st] : manifest_.vectors) {
        Vocabulary v = Vocabulary::load(dir_ + "/" + st.vocabulary);
        if (v.size() != st.num_terms) {
            throw CorruptIndex(dir_ + "/" + st.vocabulary + ": " + std::to_string(v.size()) + " terms, the manifest says " +
                               std::to_string(st.num_terms));
        }
        vocab_pub_[name] = std::make_shared<const Vocabulary>(v);
        vocab_.emplace(name, std::move(v));
    }
    const auto mode = opts_.in_memory ? MappedFile::Mode::memory : MappedFile::Mode::map;
    segs_.clear();
    for (const auto& g : manifest_.segments) {
        SegState st;
        st.data = open_collection_segment(dir_, manifest_, g, mode);
        st.deleted = load_segment_deletions(dir_, g);
        st.entry = g;
        segs_.push_back(std::move(st));
    }
    next_lsn_ = manifest_.next_lsn;
    if (!opts_.read_only) remove_leftovers();
    replay_log();
    publish_locked();
}

void LiveCollection::remove_leftovers() {
    // Only names spindle writes: unreferenced segment directories (an
    // interrupted flush or merge), staging directories, older manifests and
    // logs, deletion bitmaps and vocabularies of older generations.
    std::set<std::string> keep;
    for (const auto& g : manifest_.segments) {
        keep.insert(g.name);
        if (!g.deletions.empty()) keep.insert(g.deletions);
    }
    for (const auto& [n, st] : manifest_.vectors) keep.insert(st.vocabulary);
    const std::string current = manifest_file_name(manifest_.generation);
    std::error_code ec;
    for (const auto& e : fs::directory_iterator(dir_)) {
        const std::string n = e.path().filename().string();
        const bool dir = e.is_directory(ec);
        bool drop = false;
        if (dir && numbered(n, "seg-", "")) drop = !keep.contains(n);
        if (dir && n.rfind(".tmp-seg-", 0) == 0) drop = true;
        if (!dir && numbered(n, "MANIFEST-", "")) drop = n != current;
        if (!dir && n.rfind("CURRENT.tmp-", 0) == 0) drop = true;
        if (!dir && n.rfind("vocab-", 0) == 0 && n.size() > 4 && n.compare(n.size() - 4, 4, ".bin") == 0) drop = !keep.contains(n);
        if (!dir) {
            if (auto k = numbered(n, "wal-", ".log")) drop = *k < manifest_.wal_first;
        }
        if (drop) fs::remove_all(e.path(), ec);
    }
    for (const auto& g : manifest_.segments) {
        for (const auto& e : fs::directory_iterator(dir_ + "/" + g.name)) {
            const std::string n = e.path().filename().string();
            if (n.rfind("deleted-", 0) == 0 && !keep.contains(g.name + "/" + n)) fs::remove(e.path(), ec);
        }
        // Approximate structures an interrupted build-approx was writing
        // (we hold LOCK: no one is writing them now).
        for (const auto& [vname, info] : g.vectors) {
            const std::string vdir = dir_ + "/" + g.name + "/" + vname;
            for (fs::directory_iterator it(vdir, ec), end; !ec && it != end; it.increment(ec)) {
                if (it->path().filename().string().rfind(".approx-tmp-", 0) == 0) {
                    std::error_code rm;
                    fs::remove_all(it->path(), rm);
                }
            }
            ec.clear();
        }
    }
}

void LiveCollection::replay_log() {
    const auto files = log_files(dir_);
    std::uint64_t expect = manifest_.wal_first;
    std::vector<std::pair<std::uint64_t, std::string>> todo;
    for (const auto& [n, path] : files) {
        if (n < manifest_.wal_first) continue;  // left by a flush interrupted after its manifest (read-only opens)
        if (n != expect) throw CorruptIndex(dir_ + "/" + wal_name(expect) + ": log file missing (found " + wal_name(n) + ")");
        todo.emplace_back(n, path);
        ++expect;
    }
    if (todo.empty()) {
        if (opts_.read_only) return;
        wal_number_ = manifest_.wal_first;
        wal_ = WalWriter::create(dir_ + "/" + wal_name(wal_number_), wal_number_);
        return;
    }
    for (std::size_t i = 0; i < todo.size(); ++i) {
        const bool last = i + 1 == todo.size();
        const std::string& path = todo[i].second;
        WalScan scan;
        std::error_code ec;
        const auto size = fs::file_size(path, ec);
        if (last && !ec && size < kWalHeaderBytes) {
            // A crash while the file was being created: it holds no record.
            if (opts_.read_only) return;
            fs::remove(path, ec);
            wal_number_ = todo[i].first;
            wal_ = WalWriter::create(path, wal_number_);
            return;
        }
        scan = read_wal(path, next_lsn_);
        if (scan.torn_tail && !last) {
            throw CorruptIndex(path + ": " + scan.torn_reason + " in a log file that is not the last one");
        }
        for (const WalRecord& r : scan.records) {
            const wal::Operation op = wal::decode(r.payload, path);
            if (op.op == wal::Op::upsert) {
                validate_points(op.points);
                apply_upsert(op.points);
            } else {
                apply_remove(op.ids);
            }
            next_lsn_ = r.lsn + 1;
        }
        if (last && !opts_.read_only) {
            wal_number_ = todo[i].first;
            wal_ = WalWriter::open_append(path, scan.valid_bytes);
        }
    }
}

std::unique_ptr<Collection> open_collection(const std::string& dir, OpenOptions options) {
    std::error_code ec;
    if (!fs::is_directory(dir, ec)) throw IoError("collection " + dir + " does not exist or is not a directory");
    if (!is_collection_dir(dir)) {
        if (fs::exists(dir + "/MANIFEST", ec)) {
            if (!options.read_only) {
                throw InvalidArgument(dir + " is an index of format 2: it opens read-only (rebuild it with spindle index "
                                            "to update it)");
            }
            auto c = std::make_unique<LiveCollection>(dir, options);
            c->open_legacy();
            return c;
        }
        throw InvalidArgument(dir + " is not a spindle collection (no CURRENT file)");
    }
    // A read-only open may race a writer replacing files: retry on what a
    // concurrent flush or merge removes.
    for (int attempt = 0;; ++attempt) {
        const std::string before = options.read_only ? read_current(dir) : std::string();
        try {
            auto c = std::make_unique<LiveCollection>(dir, options);
            c->open_existing();
            return c;
        } catch (const IoError&) {
            if (!options.read_only || attempt >= 20 || read_current(dir) == before) throw;
        } catch (const CorruptIndex&) {
            if (!options.read_only || attempt >= 20 || read_current(dir) == before) throw;
        }
    }
}

}  // namespace detail
}  // namespace spindle
