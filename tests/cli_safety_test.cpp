// What the CLI must never do to a user's files (issue 10, items 2-4):
// --overwrite replaces only a spindle index or a generated corpus, an
// interrupted build leaves no staging folder (SIGINT/SIGTERM clean up, the
// next build removes those of killed ones), and two builds of one target
// cannot both run.
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <thread>

#include "cli_util.hpp"
#include "spindle/io/file_util.hpp"

namespace spindle::test {
namespace {

namespace fs = std::filesystem;

std::vector<std::string> staging_left(const std::string& dir) {
    std::vector<std::string> out;
    for (const auto& e : fs::directory_iterator(dir)) {
        const std::string n = e.path().filename().string();
        if (n.find(".tmp-") != std::string::npos) out.push_back(n);
    }
    return out;
}

/// A build blocked reading a FIFO (so it is mid-build, its staging directory
/// created, for as long as the test wants). Returns the child's pid.
pid_t start_blocked_build(const TempDir& dir, const std::string& fifo, const std::string& output) {
    if (!fs::exists(fifo)) EXPECT_EQ(::mkfifo(fifo.c_str(), 0644), 0);
    const pid_t pid = ::fork();
    if (pid == 0) {
        const std::string out = dir / "child.out";
        const std::string err = dir / "child.err";
        (void)!std::freopen(out.c_str(), "w", stdout);
        (void)!std::freopen(err.c_str(), "w", stderr);
        ::execl(SPINDLE_CLI, SPINDLE_CLI, "index", "--input", fifo.c_str(), "--format", "jsonl", "--output",
                output.c_str(), "--overwrite", "-q", static_cast<char*>(nullptr));
        ::_exit(127);
    }
    // Wait until its staging directory exists.
    const std::string parent = fs::path(output).parent_path().string();
    for (int i = 0; i < 400 && staging_left(parent).empty(); ++i) std::this_thread::sleep_for(std::chrono::milliseconds(25));
    EXPECT_FALSE(staging_left(parent).empty()) << "the child build never created its staging directory";
    return pid;
}

int wait_child(pid_t pid, bool& signaled) {
    int status = 0;
    EXPECT_EQ(::waitpid(pid, &status, 0), pid);
    signaled = WIFSIGNALED(status);
    return WIFEXITED(status) ? WEXITSTATUS(status) : WTERMSIG(status);
}

TEST(CliSafety, OverwriteRefusesWhatIsNotAnIndex) {
    TempDir dir;
    write_text(dir / "docs.jsonl", "{\"id\": \"a\", \"vector\": {\"x\": 1}}\n");
    const std::string index = "index --input " + (dir / "docs.jsonl") + " -q --overwrite --output ";
    // A user's directory.
    fs::create_directory(dir / "notidx");
    write_text(dir / "notidx/keep.txt", "x\n");
    auto r = spindle(dir, index + (dir / "notidx"));
    EXPECT_EQ(r.code, 1);
    EXPECT_NE(r.err.find("refusing to replace " + (dir / "notidx")), std::string::npos) << r.err;
    EXPECT_NE(r.err.find("keep.txt"), std::string::npos) << r.err;
    EXPECT_TRUE(fs::exists(dir / "notidx/keep.txt"));
    // A regular file.
    write_text(dir / "file", "precious\n");
    r = spindle(dir, index + (dir / "file"));
    EXPECT_EQ(r.code, 1);
    EXPECT_NE(r.err.find("regular file"), std::string::npos) << r.err;
    EXPECT_EQ(read_file(dir / "file"), "precious\n");
    // Something that claims to be an index but whose manifest does not parse.
    fs::create_directory(dir / "fake");
    write_text(dir / "fake/CURRENT", "MANIFEST-000001\n");
    write_text(dir / "fake/MANIFEST-000001", "not json\n");
    r = spindle(dir, index + (dir / "fake"));
    EXPECT_EQ(r.code, 1);
    EXPECT_NE(r.err.find("not a readable spindle collection"), std::string::npos) << r.err;
    EXPECT_TRUE(fs::exists(dir / "fake/CURRENT"));
    // An index is replaced; so is an empty directory (nothing to lose, no flag needed).
    ASSERT_EQ(spindle(dir, index + (dir / "idx")).code, 0);
    r = spindle(dir, index + (dir / "idx"));
    EXPECT_EQ(r.code, 0) << r.err;
    fs::create_directory(dir / "empty");
    r = spindle(dir, "index --input " + (dir / "docs.jsonl") + " -q --output " + (dir / "empty"));
    EXPECT_EQ(r.code, 0) << r.err;
    // A format-2 index (legacy MANIFEST) is recognised too.
    fs::copy(std::string(SPINDLE_SOURCE_DIR) + "/tests/fixtures/format-v2", dir / "v2", fs::copy_options::recursive);
    r = spindle(dir, index + (dir / "v2"));
    EXPECT_EQ(r.code, 0) << r.err;
    EXPECT_TRUE(fs::exists(dir / "v2/CURRENT"));
    EXPECT_TRUE(staging_left(dir.path()).empty());
}

TEST(CliSafety, GenerateNeedsOverwriteAndReplacesOnlyACorpus) {
    TempDir dir;
    const std::string gen = "generate --docs 50 --queries 5 --real-queries none -q --output-dir ";
    ASSERT_EQ(spindle(dir, gen + (dir / "corpus")).code, 0);
    auto r = spindle(dir, gen + (dir / "corpus"));
    EXPECT_EQ(r.code, 1);
    EXPECT_NE(r.err.find("--overwrite"), std::string::npos) << r.err;
    r = spindle(dir, gen + (dir / "corpus") + " --overwrite");
    EXPECT_EQ(r.code, 0) << r.err;
    fs::create_directory(dir / "mine");
    write_text(dir / "mine/keep.txt", "x\n");
    r = spindle(dir, gen + (dir / "mine") + " --overwrite");
    EXPECT_EQ(r.code, 1);
    EXPECT_NE(r.err.find("keep.txt"), std::string::npos) << r.err;
    EXPECT_FALSE(fs::exists(dir / "mine/vocab.txt"));
}

TEST(CliSafety, SigtermAndSigintRemoveTheStagingFolder) {
    for (int sig : {SIGTERM, SIGINT}) {
        TempDir dir;
        const pid_t pid = start_blocked_build(dir, dir / "in.jsonl", dir / "idx");
        ASSERT_EQ(::kill(pid, sig), 0);
        bool signaled = false;
        const int code = wait_child(pid, signaled);
        EXPECT_FALSE(signaled);
        EXPECT_EQ(code, 128 + sig);
        EXPECT_NE(slurp(dir / "child.err").find("interrupted"), std::string::npos) << slurp(dir / "child.err");
        EXPECT_TRUE(staging_left(dir.path()).empty()) << staging_left(dir.path())[0];
        EXPECT_FALSE(fs::exists(dir / "idx"));
    }
}

TEST(CliSafety, NextBuildRemovesTheStagingFolderOfAKilledOne) {
    TempDir dir;
    write_text(dir / "docs.jsonl", "{\"id\": \"a\", \"vector\": {\"x\": 1}}\n");
    // Killed building "idx", then "other" is built into the same parent.
    const pid_t pid = start_blocked_build(dir, dir / "in.jsonl", dir / "idx");
    ASSERT_EQ(::kill(pid, SIGKILL), 0);
    bool signaled = false;
    (void)wait_child(pid, signaled);
    EXPECT_TRUE(signaled);
    ASSERT_FALSE(staging_left(dir.path()).empty()) << "kill -9 leaves the folder (nothing can run)";
    auto r = spindle(dir, "index --input " + (dir / "docs.jsonl") + " -q --output " + (dir / "other"));
    ASSERT_EQ(r.code, 0) << r.err;
    EXPECT_TRUE(staging_left(dir.path()).empty()) << staging_left(dir.path())[0];
    // A directory that merely looks like one is left alone.
    fs::create_directory(dir / ".user.tmp-1-0");
    write_text(dir / ".user.tmp-1-0/mine", "x\n");
    ASSERT_EQ(spindle(dir, "index --input " + (dir / "docs.jsonl") + " -q --overwrite --output " + (dir / "other")).code, 0);
    EXPECT_TRUE(fs::exists(dir / ".user.tmp-1-0/mine"));
}

TEST(CliSafety, SecondBuildOfOneTargetFailsNamingTheHolder) {
    TempDir dir;
    write_text(dir / "docs.jsonl", "{\"id\": \"a\", \"vector\": {\"x\": 1}}\n");
    const pid_t pid = start_blocked_build(dir, dir / "in.jsonl", dir / "conc");
    auto r = spindle(dir, "index --input " + (dir / "docs.jsonl") + " -q --overwrite --output " + (dir / "conc"));
    EXPECT_EQ(r.code, 1);
    EXPECT_NE(r.err.find("pid " + std::to_string(pid)), std::string::npos) << r.err;
    EXPECT_EQ(r.out.find("indexed"), std::string::npos) << r.out;
    ASSERT_EQ(::kill(pid, SIGTERM), 0);
    bool signaled = false;
    (void)wait_child(pid, signaled);
    // Once the holder is gone the target can be built.
    r = spindle(dir, "index --input " + (dir / "docs.jsonl") + " -q --overwrite --output " + (dir / "conc"));
    EXPECT_EQ(r.code, 0) << r.err;
    EXPECT_FALSE(fs::exists(dir / ".conc.lock")) << "the lock file goes with its holder";
}

// The library side: stale staging folders are judged by pid and marker.
TEST(CliSafety, RemoveStaleStagingKeepsLiveAndForeignFolders) {
    TempDir dir;
    const std::string mine = dir / (".a.tmp-" + std::to_string(::getpid()) + "-0");
    fs::create_directory(mine);
    write_text(mine + "/" + kStagingMarker, "x");
    // pid 2^22+1 is above Linux's default pid_max: never alive.
    const std::string dead = dir / ".b.tmp-4194305-3";
    fs::create_directory(dead);
    write_text(dead + "/" + kStagingMarker, "x");
    const std::string foreign = dir / ".c.tmp-4194305-0";
    fs::create_directory(foreign);
    write_text(foreign + "/data", "x");
    const auto removed = remove_stale_staging(dir.path());
    ASSERT_EQ(removed.size(), 1U);
    EXPECT_EQ(removed[0], dead);
    EXPECT_TRUE(fs::exists(mine));
    EXPECT_TRUE(fs::exists(foreign));
}

}  // namespace
}  // namespace spindle::test
