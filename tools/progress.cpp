#include "progress.hpp"

#include <fmt/format.h>
#include <unistd.h>

#include <algorithm>
#include <cstdio>

namespace spindle::cli {

Progress::Progress(std::string label, std::uint64_t total, bool quiet)
    : label_(std::move(label)),
      total_(total),
      quiet_(quiet),
      tty_(::isatty(STDERR_FILENO) != 0),
      start_(std::chrono::steady_clock::now()),
      last_draw_(start_) {}

void Progress::update(std::uint64_t done, std::uint64_t total) {
    done_ = done;
    if (total > 0) total_ = total;
    if (quiet_) return;
    const auto now = std::chrono::steady_clock::now();
    if (tty_) {
        if (now - last_draw_ < std::chrono::milliseconds(100)) return;
        last_draw_ = now;
        draw(false, "");
    } else if (total_ > 0) {
        const int decile = static_cast<int>(10 * std::min(done_, total_) / total_);
        if (decile > last_decile_ && decile < 10) {
            last_decile_ = decile;
            draw(false, "");
        }
    }
}

void Progress::finish(const std::string& note) {
    if (total_ > 0) done_ = std::max(done_, total_);
    if (!quiet_) draw(true, note);
}

void Progress::draw(bool final_draw, const std::string& note) {
    const double secs = seconds_since(start_);
    const double frac = total_ > 0 ? std::min(1.0, static_cast<double>(done_) / static_cast<double>(total_)) : 0.0;
    constexpr int kWidth = 30;
    const int filled = static_cast<int>(frac * kWidth);
    std::string bar(static_cast<std::size_t>(filled), '#');
    bar.resize(kWidth, '.');
    const std::string eta =
        (frac > 0.01 && !final_draw) ? fmt::format(", eta {:.0f}s", secs / frac - secs) : std::string();
    const std::string line =
        fmt::format("{:<10} [{}] {:5.1f}% {:.1f}s{}{}", label_, bar, frac * 100.0, secs, eta, note.empty() ? "" : "  " + note);
    if (tty_) {
        fmt::print(stderr, "\r{}\x1b[K{}", line, final_draw ? "\n" : "");
    } else {
        fmt::print(stderr, "{}\n", line);
    }
    std::fflush(stderr);
}

double seconds_since(std::chrono::steady_clock::time_point t) {
    return std::chrono::duration<double>(std::chrono::steady_clock::now() - t).count();
}

std::string human_bytes(std::uint64_t bytes) {
    const char* units[] = {"B", "KiB", "MiB", "GiB", "TiB"};
    double v = static_cast<double>(bytes);
    int u = 0;
    while (v >= 1024 && u < 4) {
        v /= 1024;
        ++u;
    }
    return u == 0 ? fmt::format("{} B", bytes) : fmt::format("{:.1f} {}", v, units[u]);
}

void PhaseProgress::update(std::string_view phase, std::uint64_t done, std::uint64_t total) {
    if (bar_ && phase_ != phase) finish();
    if (!bar_) {
        phase_ = std::string(phase);
        bar_ = std::make_unique<Progress>(prefix_ + phase_, total, quiet_);
    }
    bar_->update(done);
    if (done == total) finish();
}

void PhaseProgress::finish() {
    if (!bar_) return;
    bar_->finish();
    bar_.reset();
}

}  // namespace spindle::cli
