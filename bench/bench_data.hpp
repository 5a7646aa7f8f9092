#pragma once
// Deterministic inputs shared by the micro-benchmarks: seeds, a temporary
// directory removed at exit, and the two indexes that are built on first use
// (so a filtered run builds only what it measures).
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "spindle/index/index.hpp"
#include "spindle/query/scoring.hpp"

namespace spindle::bench {

/// Every random stream in bench/ derives from this seed.
inline constexpr std::uint64_t kSeed = 42;

/// A fresh directory under the system temp dir, removed on destruction.
class TempDir {
public:
    TempDir();
    ~TempDir();
    TempDir(const TempDir&) = delete;
    TempDir& operator=(const TempDir&) = delete;
    [[nodiscard]] const std::string& path() const { return path_; }

private:
    std::string path_;
};

/// A small SPLADE-like index (the calibrated generator model, u8 weights) and
/// generated queries mapped to it.
struct SpladeWorkload {
    std::uint64_t docs = 0;
    std::uint64_t postings = 0;
    std::unique_ptr<Index> index;
    std::vector<QueryPlan> queries;
};

inline constexpr std::uint64_t kSpladeDocs = 20'000;
inline constexpr std::uint64_t kSpladeQueries = 16;

/// Built on first call into the shared temporary directory; lives until exit.
const SpladeWorkload& splade_workload();

/// An index whose term 0 ("0") has one long posting list with skew in both
/// density (regions of 8,192 docids that are dense, medium or sparse) and
/// weights (a lognormal scale per region), u8 weights. Built on first call.
const Index& skip_index();

inline constexpr docid_t kSkipDocs = 1'000'000;

}  // namespace spindle::bench
