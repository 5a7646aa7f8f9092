#pragma once
// A progress bar on stderr: redrawn in place on a terminal, a line per 10% otherwise.
#include <chrono>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <utility>

namespace spindle::cli {

class Progress {
public:
    Progress(std::string label, std::uint64_t total, bool quiet = false);
    /// Reports `done` out of the total (cheap; redraws at most ~10 times a second).
    void update(std::uint64_t done, std::uint64_t total = 0);
    /// Draws the final state and ends the line.
    void finish(const std::string& note = "");

private:
    void draw(bool final_draw, const std::string& note);
    std::string label_;
    std::uint64_t total_;
    std::uint64_t done_ = 0;
    bool quiet_;
    bool tty_;
    int last_decile_ = -1;
    std::chrono::steady_clock::time_point start_;
    std::chrono::steady_clock::time_point last_draw_;
};

/// Work reported in phases as (phase, done, total): one bar per phase,
/// labelled `prefix` + phase, opened at its first report and finished when
/// done reaches total or another phase starts.
class PhaseProgress {
public:
    PhaseProgress(std::string prefix, bool quiet) : prefix_(std::move(prefix)), quiet_(quiet) {}
    void update(std::string_view phase, std::uint64_t done, std::uint64_t total);
    /// Finishes the open bar, if any.
    void finish();

private:
    std::string prefix_;
    bool quiet_;
    std::string phase_;
    std::unique_ptr<Progress> bar_;
};

/// Elapsed seconds since `t`.
double seconds_since(std::chrono::steady_clock::time_point t);

/// Human-readable byte count ("12.3 MiB").
std::string human_bytes(std::uint64_t bytes);

}  // namespace spindle::cli
