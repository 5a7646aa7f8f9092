#include "spindle/index/approx_update.hpp"

#include <unistd.h>

#include <atomic>
#include <cstdio>
#include <exception>
#include <filesystem>
#include <mutex>
#include <thread>
#include <vector>

#include "spindle/common/error.hpp"
#include "spindle/index/index.hpp"
#include "spindle/io/file_util.hpp"

namespace spindle {
namespace fs = std::filesystem;

namespace {

/// The hidden per-segment directories holding the new approx.bin files until
/// they are renamed into place; removed on destruction.
class PendingApprox {
public:
    PendingApprox(const std::string& dir, const Manifest& m) {
        const std::string tmp = ".approx-tmp-" + std::to_string(::getpid());
        for (const auto& s : m.segments) {
            seg_dirs_.push_back(dir + "/" + s.name);
            tmp_dirs_.push_back(seg_dirs_.back() + "/" + tmp);
        }
        for (const auto& t : tmp_dirs_) {
            std::error_code ec;
            fs::remove_all(t, ec);
            fs::create_directory(t, ec);
            if (ec) throw IoError("cannot create " + t + ": " + ec.message());
        }
    }
    ~PendingApprox() {
        for (const auto& t : tmp_dirs_) {
            std::error_code ec;
            fs::remove_all(t, ec);
        }
    }
    PendingApprox(const PendingApprox&) = delete;
    PendingApprox& operator=(const PendingApprox&) = delete;

    [[nodiscard]] const std::string& tmp_dir(std::size_t i) const { return tmp_dirs_[i]; }

    /// Renames every new approx.bin over its segment's (replacing an old one).
    void install() {
        for (std::size_t i = 0; i < tmp_dirs_.size(); ++i) {
            const std::string from = tmp_dirs_[i] + "/approx.bin";
            const std::string to = seg_dirs_[i] + "/approx.bin";
            if (std::rename(from.c_str(), to.c_str()) != 0) throw IoError("cannot rename " + from + " to " + to);
            fsync_directory(seg_dirs_[i]);
        }
    }

private:
    std::vector<std::string> seg_dirs_;
    std::vector<std::string> tmp_dirs_;
};

}  // namespace

Manifest add_approx(const std::string& dir, const AddApproxOptions& opts) {
    opts.approx.validate();
    const Index index(dir);  // verifies every file before anything is written
    Manifest m = index.manifest();
    if (m.approx && !opts.overwrite) {
        throw InvalidArgument("index " + dir + " already has approximate structures (lambda " +
                              std::to_string(m.approx->lambda) + ", block size " + std::to_string(m.approx->block_size) +
                              "); pass --overwrite to replace them");
    }
    const std::size_t n = index.num_segments();
    if (opts.on_start) opts.on_start(n);
    PendingApprox pending(dir, m);
    std::vector<ApproxBuildInfo> built(n);
    std::atomic<std::size_t> next{0};
    std::atomic<bool> failed{false};
    std::exception_ptr error;
    std::mutex mu;
    auto worker = [&] {
        for (std::size_t i; !failed && (i = next.fetch_add(1)) < n;) {
            try {
                built[i] = build_approx(pending.tmp_dir(i), index.segment(i), opts.approx);
                const std::lock_guard lock(mu);
                if (opts.on_segment) opts.on_segment(i, m.segments[i].name, built[i]);
            } catch (...) {
                const std::lock_guard lock(mu);
                if (!error) error = std::current_exception();
                failed = true;
            }
        }
    };
    const unsigned threads = std::max(1U, std::min<unsigned>(opts.threads, static_cast<unsigned>(std::max<std::size_t>(n, 1))));
    std::vector<std::thread> pool;
    for (unsigned t = 1; t < threads; ++t) pool.emplace_back(worker);
    worker();
    for (auto& th : pool) th.join();
    if (error) std::rethrow_exception(error);

    const std::string manifest_path = dir + "/MANIFEST";
    if (m.approx) {
        // Replacing: step through a valid exact-only index, so that no reader
        // ever pairs the old manifest with a new approx.bin.
        Manifest plain = m;
        plain.approx.reset();
        plain.approx_defaults.reset();
        for (auto& s : plain.segments) {
            s.approx_bytes = 0;
            s.approx_seconds = 0.0;
        }
        plain.replace(manifest_path);
    }
    pending.install();
    m.approx = opts.approx;
    m.approx_defaults.reset();
    for (std::size_t i = 0; i < n; ++i) {
        m.segments[i].approx_bytes = built[i].bytes;
        m.segments[i].approx_seconds = built[i].seconds;
    }
    m.replace(manifest_path);
    return m;
}

}  // namespace spindle
