// Adding or replacing the approximate structures of a collection's vector.
#include <fmt/format.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cstdio>
#include <exception>
#include <filesystem>
#include <thread>

#include "live_collection.hpp"
#include "spindle/common/error.hpp"
#include "spindle/io/file_util.hpp"

namespace fs = std::filesystem;

namespace spindle::detail {

void LiveCollection::build_approx(const std::string& vector, const AddApproxOptions& opts) {
    check_writable();
    opts.approx.validate();
    std::lock_guard mg(merge_mu_);  // no merge changes the segment list meanwhile
    std::lock_guard g(write_mu_);
    const auto it = config_->vectors.find(vector);
    if (it == config_->vectors.end()) throw InvalidArgument("collection " + dir_ + " has no vector '" + vector + "'");
    if (it->second.approx && !opts.overwrite) {
        throw InvalidArgument("vector '" + vector + "' of " + dir_ + " already has approximate structures (lambda " +
                              std::to_string(it->second.approx->lambda) + ", block size " +
                              std::to_string(it->second.approx->block_size) + "); pass --overwrite to replace them");
    }
    std::vector<std::size_t> disk;
    for (std::size_t s = 0; s < segs_.size(); ++s) {
        if (!segs_[s].in_memory) disk.push_back(s);
    }
    if (opts.on_start) opts.on_start(disk.size());
    const std::string tmp_name = ".approx-tmp-" + std::to_string(::getpid());
    std::vector<std::string> tmp_dirs;
    std::vector<std::string> vec_dirs;
    for (std::size_t s : disk) {
        vec_dirs.push_back(dir_ + "/" + segs_[s].entry.name + "/" + vector);
        tmp_dirs.push_back(vec_dirs.back() + "/" + tmp_name);
        std::error_code ec;
        fs::remove_all(tmp_dirs.back(), ec);
        fs::create_directory(tmp_dirs.back(), ec);
        if (ec) throw IoError("cannot create " + tmp_dirs.back() + ": " + ec.message());
    }
    std::vector<std::unique_ptr<InterruptCleanup>> on_interrupt;  // removed by the CLI on SIGINT/SIGTERM
    for (const auto& d : tmp_dirs) on_interrupt.push_back(std::make_unique<InterruptCleanup>(d));
    struct Cleanup {
        std::vector<std::string>& dirs;
        ~Cleanup() {
            std::error_code ec;
            for (const auto& d : dirs) fs::remove_all(d, ec);
        }
    } cleanup{tmp_dirs};
    std::vector<ApproxBuildInfo> built(disk.size());
    std::atomic<std::size_t> next{0};
    std::exception_ptr error;
    std::mutex mu;
    auto worker = [&] {
        for (std::size_t i; !error && (i = next.fetch_add(1)) < disk.size();) {
            try {
                built[i] = spindle::build_approx(tmp_dirs[i], *segs_[disk[i]].data->vectors.at(vector), opts.approx);
                const std::lock_guard lock(mu);
                if (opts.on_segment) opts.on_segment(i, segs_[disk[i]].entry.name, built[i]);
            } catch (...) {
                const std::lock_guard lock(mu);
                if (!error) error = std::current_exception();
            }
        }
    };
    const unsigned threads = std::max(1U, std::min<unsigned>(opts.threads, static_cast<unsigned>(std::max<std::size_t>(disk.size(), 1))));
    std::vector<std::thread> pool;
    for (unsigned t = 1; t < threads; ++t) pool.emplace_back(worker);
    worker();
    for (auto& th : pool) th.join();
    if (error) std::rethrow_exception(error);

    auto set_config = [&](std::optional<ApproxOptions> a) {
        auto cfg = std::make_shared<CollectionConfig>(*config_);
        cfg->vectors.at(vector).approx = std::move(a);
        install_config_locked(cfg);
    };
    if (it->second.approx) {
        // Replacing: step through a valid exact-only generation, so that no
        // reader pairs the old manifest with a new approx.bin.
        set_config(std::nullopt);
        CollectionManifest plain = next_manifest_locked();
        plain.config = *config_;
        plain.vectors.at(vector).approx_defaults.reset();
        for (auto& seg : plain.segments) {
            seg.vectors.at(vector).approx_bytes = 0;
            seg.vectors.at(vector).approx_seconds = 0.0;
        }
        save_manifest_locked(std::move(plain));
    }
    for (std::size_t i = 0; i < disk.size(); ++i) {
        const std::string from = tmp_dirs[i] + "/approx.bin";
        const std::string to = vec_dirs[i] + "/approx.bin";
        if (std::rename(from.c_str(), to.c_str()) != 0) throw IoError("cannot rename " + from + " to " + to);
        fsync_directory(vec_dirs[i]);
    }
    set_config(opts.approx);
    CollectionManifest m = next_manifest_locked();
    m.config = *config_;
    m.vectors.at(vector).approx_defaults.reset();
    for (std::size_t i = 0; i < disk.size(); ++i) {
        auto& info = m.segments[i].vectors.at(vector);
        info.approx_bytes = built[i].bytes;
        info.approx_seconds = built[i].seconds;
    }
    save_manifest_locked(std::move(m));
    // Reopen the disk segments with their new files (snapshots holding the
    // old ones keep them until they are released).
    const auto mode = opts_.in_memory ? MappedFile::Mode::memory : MappedFile::Mode::map;
    for (std::size_t i = 0; i < disk.size(); ++i) {
        SegState& st = segs_[disk[i]];
        st.entry = manifest_.segments[i];
        st.data = open_collection_segment(dir_, manifest_, st.entry, mode);
    }
    publish_locked();
    remove_obsolete_files_locked();
}

}  // namespace spindle::detail

namespace spindle {

Manifest add_approx(const std::string& dir, const AddApproxOptions& opts, const std::string& vector) {
    const auto coll = Collection::open(dir);
    const std::string v = coll->snapshot()->index(vector)->vector();
    coll->build_approx(v, opts);
    return coll->snapshot()->index(v)->manifest();
}

}  // namespace spindle
