// Crash safety of live collections. A child process writes deterministic
// batches (upserts and deletes, each acknowledged with wait=true and then
// reported on a pipe); the parent kills it with SIGKILL at random moments, or
// the child kills itself at a named point of the write path (flush, merge,
// manifest switch). After each kill the collection must open, hold every
// acknowledged batch (and the in-flight one entirely or not at all), never
// resurrect a deleted point, and pass its own consistency check. Also: a
// torn log tail, a flipped byte in the log, a missing segment file.
#include <fcntl.h>
#include <gtest/gtest.h>
#include <poll.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cmath>
#include <cstring>
#include <fstream>
#include <map>
#include <random>
#include <span>
#include <thread>

#include "spindle/collection/collection.hpp"
#include "spindle/common/error.hpp"
#include "spindle/io/wal.hpp"
#include "test_util.hpp"

namespace spindle {
namespace {

using test::TempDir;

constexpr std::uint64_t kUniverse = 150;

struct Batch {
    bool remove = false;
    std::vector<Point> points;
    std::vector<PointId> ids;
};

PointId id_of(std::uint64_t n) { return n % 4 == 0 ? PointId::key("p" + std::to_string(n)) : PointId(n); }

SparseVector vector_of(std::uint64_t value) {
    SparseVector v;
    const std::size_t n = 1 + value % 5;
    for (std::size_t i = 0; i < n; ++i) {
        v.tokens.push_back("t" + std::to_string((value * 7 + i * 13) % 40));
        v.values.push_back(static_cast<float>(1 + (value + i) % 9) * 0.25F);
    }
    return v;
}

/// The dense vector "d" a value writes (cosine: stored normalized).
std::vector<float> dense_of(std::uint64_t value) {
    return {static_cast<float>(1 + value % 7), static_cast<float>(value % 3), 2.0F, static_cast<float>(value % 5) - 2.0F};
}

/// Batch b of the workload of `seed`: the same on every call.
Batch make_batch(std::uint64_t seed, std::uint64_t b) {
    std::mt19937_64 rng(seed * 1000003 + b);
    Batch out;
    out.remove = rng() % 5 == 0;
    const std::size_t n = 1 + rng() % 24;
    for (std::size_t i = 0; i < n; ++i) {
        const PointId id = id_of(rng() % kUniverse);
        if (out.remove) {
            out.ids.push_back(id);
        } else {
            const std::uint64_t value = b * 100 + i;
            Point p;
            p.id = id;
            p.vectors.emplace("a", vector_of(value));
            if (value % 3 != 0) p.dense.emplace("d", dense_of(value));  // some points leave it out
            p.payload = "{\"v\":" + std::to_string(value) + "}";
            out.points.push_back(std::move(p));
        }
    }
    return out;
}

using Model = std::map<PointId, std::uint64_t>;  // id -> value of its last upsert

void apply_batch(Model& m, const Batch& b) {
    if (b.remove) {
        for (const auto& id : b.ids) m.erase(id);
    } else {
        for (const auto& p : b.points) m[p.id] = std::stoull(p.payload.substr(5));
    }
}

Model model_after(std::uint64_t seed, std::uint64_t batches) {
    Model m;
    for (std::uint64_t b = 0; b < batches; ++b) apply_batch(m, make_batch(seed, b));
    return m;
}

/// The collection's state as a model (every id of the universe looked up).
Model read_state(const Collection& c) {
    std::vector<PointId> ids;
    for (std::uint64_t n = 0; n < kUniverse; ++n) ids.push_back(id_of(n));
    const auto got = c.get(ids);
    Model m;
    for (std::size_t i = 0; i < ids.size(); ++i) {
        if (!got[i]) continue;
        const std::uint64_t value = std::stoull(got[i]->payload.substr(5));
        m[ids[i]] = value;
        // The stored vector is the one that value wrote.
        const SparseVector want = vector_of(value);
        const auto& v = got[i]->vectors.at("a");
        std::map<std::string, float> a, b;
        for (std::size_t k = 0; k < v.values.size(); ++k) a[v.tokens[k]] = v.values[k];
        for (std::size_t k = 0; k < want.values.size(); ++k) b[want.tokens[k]] += want.values[k];
        // Stored weights: exact for f32, within u16 quantization otherwise.
        EXPECT_EQ(a.size(), b.size()) << "point " << ids[i].text() << " value " << value;
        for (const auto& [tok, w] : b) {
            if (!a.contains(tok)) {
                ADD_FAILURE() << "missing " << tok;
                continue;
            }
            EXPECT_NEAR(a.at(tok), w, 2e-3F * std::max(1.0F, w)) << "point " << ids[i].text() << " value " << value;
        }
        // The dense vector too (normalized; f16 within its rounding).
        if (value % 3 == 0) {
            EXPECT_FALSE(got[i]->dense.contains("d")) << "point " << ids[i].text();
        } else if (!got[i]->dense.contains("d")) {
            ADD_FAILURE() << "point " << ids[i].text() << " lost its dense vector";
        } else {
            std::vector<float> d = dense_of(value);
            double norm = 0;
            for (const float x : d) norm += static_cast<double>(x) * static_cast<double>(x);
            const auto& g = got[i]->dense.at("d");
            EXPECT_EQ(g.size(), d.size()) << "point " << ids[i].text();
            for (std::size_t k = 0; k < std::min(d.size(), g.size()); ++k) {
                EXPECT_NEAR(g[k], static_cast<double>(d[k]) / std::sqrt(norm), 1e-3) << "point " << ids[i].text() << " value " << value;
            }
        }
    }
    return m;
}

CollectionConfig crash_config(std::uint64_t variant) {
    CollectionConfig c;
    SparseVectorConfig a;
    a.weight_type = variant % 2 == 0 ? WeightType::f32 : WeightType::u16;
    c.vectors.emplace("a", a);
    DenseVectorConfig d;
    d.dim = 4;
    d.storage = variant % 2 == 0 ? DenseStorage::f16 : DenseStorage::f32;
    d.hnsw.min_docs = 30;  // some merged segments get a graph
    c.dense.emplace("d", d);
    c.segments.flush_docs = 20 + 15 * (variant % 3);
    c.segments.memory_merge_factor = 3;
    c.segments.merge_factor = 2 + static_cast<std::uint32_t>(variant % 2);
    c.segments.tier_floor_docs = 20;
    return c;
}

/// Runs batches from `start` in a child until killed; returns (acknowledged
/// batches in all, how the child ended). `crash_at` arms a crash point.
struct ChildEnd {
    std::uint64_t acknowledged;
    bool killed;
};

ChildEnd run_child(const std::string& dir, std::uint64_t seed, std::uint64_t start, OpenOptions opts,
                   const std::string& crash_at, int max_ms) {
    int fds[2];
    if (::pipe(fds) != 0) throw std::runtime_error("pipe");
    const pid_t pid = ::fork();
    if (pid == 0) {
        ::close(fds[0]);
        if (!crash_at.empty()) ::setenv("SPINDLE_TEST_CRASH_AT", crash_at.c_str(), 1);
        try {
            auto c = Collection::open(dir, opts);
            for (std::uint64_t b = start; b < start + 400; ++b) {
                const Batch batch = make_batch(seed, b);
                if (batch.remove) {
                    c->remove(batch.ids, {.wait = true});
                } else {
                    c->upsert(batch.points, {.wait = true});
                }
                const std::uint64_t done = b + 1;  // acknowledged: report it
                if (::write(fds[1], &done, sizeof(done)) != static_cast<ssize_t>(sizeof(done))) ::_exit(3);
            }
            c->maintain();
        } catch (const std::exception& e) {
            std::fprintf(stderr, "child: %s\n", e.what());
            ::_exit(2);
        }
        ::_exit(0);
    }
    ::close(fds[1]);
    std::uint64_t ack = start;
    std::uint64_t v = 0;
    if (crash_at.empty()) {
        // Most kills land while batches are being written: the timer starts
        // at the child's first acknowledgement, so a loaded machine (ASan,
        // parallel tests) slows the children without starving them. About one
        // in five (by the batch it starts from) starts at the fork, and so
        // often lands in open and replay.
        if (start % 5 != 0) {
            pollfd p{fds[0], POLLIN, 0};
            if (::poll(&p, 1, 30'000) > 0 && ::read(fds[0], &v, sizeof(v)) == static_cast<ssize_t>(sizeof(v))) ack = v;
        }
        std::this_thread::sleep_for(std::chrono::milliseconds(max_ms));
        ::kill(pid, SIGKILL);
    }
    // A child armed with a crash point kills itself; give it time to get there.
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(60);
    int status = 0;
    while (::waitpid(pid, &status, WNOHANG) == 0) {
        if (std::chrono::steady_clock::now() > deadline) ::kill(pid, SIGKILL);
        std::this_thread::sleep_for(std::chrono::milliseconds(2));
    }
    while (::read(fds[0], &v, sizeof(v)) == static_cast<ssize_t>(sizeof(v))) ack = v;
    ::close(fds[0]);
    EXPECT_FALSE(WIFEXITED(status) && WEXITSTATUS(status) != 0) << "child failed with status " << WEXITSTATUS(status);
    return {ack, WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL};
}

/// Reopens after a kill and checks the state; returns the batches it holds.
std::uint64_t verify(const std::string& dir, std::uint64_t seed, std::uint64_t acknowledged, const std::string& where) {
    auto c = Collection::open(dir);
    EXPECT_NO_THROW(c->check()) << where;
    const Model got = read_state(*c);
    EXPECT_EQ(c->count(), got.size()) << where;
    if (got == model_after(seed, acknowledged)) return acknowledged;
    // The batch in flight when the process died may have become durable
    // before its acknowledgement was reported: entirely, never in part.
    EXPECT_EQ(got, model_after(seed, acknowledged + 1)) << where << ": neither " << acknowledged << " nor "
                                                       << acknowledged + 1 << " batches";
    return acknowledged + 1;
}

class CrashKills : public ::testing::TestWithParam<int> {};

TEST_P(CrashKills, AcknowledgedWritesSurviveSigkill) {
    const auto variant = static_cast<std::uint64_t>(GetParam());
    TempDir tmp;
    const std::string dir = tmp / "coll";
    Collection::create(dir, crash_config(variant)).reset();
    std::mt19937_64 rng(variant + 99);
    std::uint64_t done = 0;
    for (int kill = 0; kill < 55; ++kill) {
        // Background merges in a third of the children, the background
        // flush in half (independently).
        const auto k = static_cast<std::uint64_t>(kill);
        const OpenOptions opts{.background_merges = (variant + k) % 3 == 0, .background_flush = (variant + k) % 2 == 1};
        const ChildEnd end = run_child(dir, variant, done, opts, "", 2 + static_cast<int>(rng() % 60));
        done = verify(dir, variant, end.acknowledged, "variant " + std::to_string(variant) + " kill " + std::to_string(kill));
        if (HasFailure()) return;
    }
    // No staging leftovers after the last open.
    for (const auto& e : std::filesystem::directory_iterator(dir)) {
        EXPECT_EQ(e.path().filename().string().find(".tmp-"), std::string::npos) << e.path();
    }
    EXPECT_GT(done, 50U) << "the children wrote too little to exercise flushes and merges";
}

INSTANTIATE_TEST_SUITE_P(Variants, CrashKills, ::testing::Range(0, 4));

// The child kills itself at named points of flushes, merges and manifest
// switches: each leaves a collection that opens with every acknowledged write.
/// Runs a child armed at each of `points` (its 1st, 2nd, 4th... time, per
/// `nths`), verifies, writes more, verifies; returns how many children
/// reached their point.
int crash_at_points(std::span<const char* const> points, std::initializer_list<int> nths, OpenOptions opts,
                    std::uint64_t seed) {
    int reached = 0;
    for (const char* point : points) {
        for (int n : nths) {
            TempDir tmp;
            const std::string dir = tmp / "coll";
            Collection::create(dir, crash_config(seed)).reset();
            const std::string arm = std::string(point) + ":" + std::to_string(n);
            const ChildEnd end = run_child(dir, seed, 0, opts, arm, 0);
            reached += end.killed ? 1 : 0;
            verify(dir, seed, end.acknowledged, arm);
            // And it keeps working after recovery.
            const ChildEnd more = run_child(dir, seed, verify(dir, seed, end.acknowledged, arm), opts, "", 30);
            verify(dir, seed, more.acknowledged, arm + " then more");
            ++seed;
            if (::testing::Test::HasFailure()) return reached;
        }
    }
    return reached;
}

TEST(CrashPoints, EveryPointOfTheWritePathIsSafe) {
    const char* points[] = {"log:appended",    "segment:staged",   "flush:segment",  "merge:segment",
                            "manifest:saved",  "manifest:current", "flush:published"};
    const int reached = crash_at_points(points, {1, 2, 4}, {}, 1000);
    EXPECT_GE(reached, 18) << "most crash points must be reached by the workload";
}

// The same points reached on the background flush thread (the flush's
// segment, its manifest switch, its publication) and in the writer meanwhile.
TEST(CrashPoints, EveryPointOfTheBackgroundFlushIsSafe) {
    const char* points[] = {"log:appended", "segment:staged", "flush:segment", "manifest:saved", "manifest:current",
                            "flush:published"};
    const int reached = crash_at_points(points, {1, 3}, {.background_flush = true}, 2000);
    EXPECT_GE(reached, 10) << "most crash points must be reached by the workload";
}

std::string last_log(const std::string& dir) {
    std::string last;
    for (const auto& e : std::filesystem::directory_iterator(dir)) {
        const std::string n = e.path().filename().string();
        if (n.rfind("wal-", 0) == 0 && n > last) last = n;
    }
    return dir + "/" + last;
}

void write_batches(const std::string& dir, std::uint64_t seed, std::uint64_t from, std::uint64_t to) {
    auto c = Collection::open(dir);
    for (std::uint64_t b = from; b < to; ++b) {
        const Batch batch = make_batch(seed, b);
        if (batch.remove) {
            c->remove(batch.ids);
        } else {
            c->upsert(batch.points);
        }
    }
}

TEST(CollectionLog, TornTailIsDroppedAndWritingGoesOn) {
    TempDir tmp;
    const std::string dir = tmp / "coll";
    CollectionConfig cfg = crash_config(0);
    cfg.segments.flush_docs = 100000;  // everything stays in the log
    Collection::create(dir, cfg).reset();
    write_batches(dir, 7, 0, 6);
    const std::string log = last_log(dir);
    const auto good_size = std::filesystem::file_size(log);
    for (const std::string& tail : {std::string("\x53"), std::string(10, '\0'), std::string("SLDR\x40\x00\x00\x00garbage", 15)}) {
        {
            std::ofstream f(log, std::ios::app | std::ios::binary);
            f << tail;
        }
        auto c = Collection::open(dir);
        EXPECT_EQ(read_state(*c), model_after(7, 6));
        c.reset();
        EXPECT_EQ(std::filesystem::file_size(log), good_size) << "a writer truncates the torn tail";
    }
    write_batches(dir, 7, 6, 9);
    EXPECT_EQ(read_state(*Collection::open(dir)), model_after(7, 9));
}

TEST(CollectionLog, FlippedByteInTheMiddleIsCorruption) {
    TempDir tmp;
    const std::string dir = tmp / "coll";
    CollectionConfig cfg = crash_config(0);
    cfg.segments.flush_docs = 100000;
    Collection::create(dir, cfg).reset();
    write_batches(dir, 8, 0, 5);
    const std::string log = last_log(dir);
    std::string bytes = test::read_file(log);
    bytes[kWalHeaderBytes + kWalRecordHeaderBytes + 3] ^= 0x10;  // inside the first record's payload
    std::filesystem::remove(log);
    test::write_text(log, bytes);
    for (bool ro : {false, true}) {
        try {
            (void)Collection::open(dir, {.read_only = ro});
            ADD_FAILURE() << "a damaged record followed by valid ones was accepted";
        } catch (const CorruptIndex& e) {
            EXPECT_NE(std::string(e.what()).find(log), std::string::npos) << e.what();
            EXPECT_NE(std::string(e.what()).find("followed by valid records"), std::string::npos) << e.what();
        }
    }
}

TEST(CollectionLog, MissingSegmentFileIsNamed) {
    TempDir tmp;
    const std::string dir = tmp / "coll";
    Collection::create(dir, crash_config(0)).reset();
    write_batches(dir, 9, 0, 20);
    Collection::open(dir)->flush();
    std::string victim;
    for (const auto& e : std::filesystem::recursive_directory_iterator(dir)) {
        if (e.path().filename() == "forward.bin") victim = e.path().string();
    }
    ASSERT_FALSE(victim.empty());
    std::filesystem::remove(victim);
    try {
        (void)Collection::open(dir);
        ADD_FAILURE() << "missing " << victim << " was not detected";
    } catch (const IoError& e) {
        EXPECT_NE(std::string(e.what()).find(victim), std::string::npos) << e.what();
    }
}

TEST(CollectionLog, SecondWriterIsRefusedNamingTheHolder) {
    TempDir tmp;
    const std::string dir = tmp / "coll";
    auto first = Collection::create(dir, crash_config(0));
    try {
        (void)Collection::open(dir);
        ADD_FAILURE() << "two writers";
    } catch (const IoError& e) {
        EXPECT_NE(std::string(e.what()).find("pid " + std::to_string(::getpid())), std::string::npos) << e.what();
    }
    // Readers never wait for the writer.
    EXPECT_NO_THROW((void)Collection::open(dir, {.read_only = true}));
}

TEST(WalFile, RecordsRoundTripAndTornTailsAreReported) {
    TempDir tmp;
    const std::string path = tmp / "w.log";
    {
        auto w = WalWriter::create(path, 4);
        for (std::uint64_t i = 1; i <= 5; ++i) {
            std::string p(static_cast<std::size_t>(i * 10), static_cast<char>('a' + i));
            w.append(i + 99, std::as_bytes(std::span(p)));
        }
        w.sync();
    }
    WalScan s = read_wal(path, 100);
    EXPECT_EQ(s.file_number, 4U);
    ASSERT_EQ(s.records.size(), 5U);
    EXPECT_EQ(s.records[4].lsn, 104U);
    EXPECT_EQ(s.records[4].payload.size(), 50U);
    EXPECT_FALSE(s.torn_tail);
    EXPECT_THROW((void)read_wal(path, 101), CorruptIndex);  // a gap before the first record
    // Cut the last record anywhere: a torn tail, never an error.
    const std::string bytes = test::read_file(path);
    for (std::size_t cut = 1; cut < kWalRecordHeaderBytes + 50; cut += 7) {
        std::filesystem::remove(path);
        test::write_text(path, bytes.substr(0, bytes.size() - cut));
        s = read_wal(path, 100);
        EXPECT_EQ(s.records.size(), 4U) << cut;
        EXPECT_TRUE(s.torn_tail) << cut;
    }
}

}  // namespace
}  // namespace spindle
