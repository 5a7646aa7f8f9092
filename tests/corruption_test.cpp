// A damaged index directory is refused with an error naming the bad file:
// every container file truncated, flipped, removed, or from another format
// version; CURRENT damaged. (The write-ahead log's torn tails and damage are
// covered by collection_crash_test.)
#include <gtest/gtest.h>
#include <xxhash.h>

#include <cstring>

#include "spindle/common/error.hpp"
#include "spindle/index/index.hpp"
#include "test_util.hpp"

namespace spindle::test {
namespace {

class Corruption : public ::testing::Test {
protected:
    void SetUp() override {
        CorpusParams p;
        p.docs = 400;
        build_index(dir_ / "good", random_corpus(4, p), {});
        for (const auto& e : std::filesystem::recursive_directory_iterator(dir_ / "good")) {
            if (!e.is_regular_file()) continue;
            const std::string f = std::filesystem::relative(e.path(), dir_ / "good").string();
            all_.push_back(f);
            if (f != "CURRENT" && f != "LOCK" && f.rfind("wal-", 0) != 0) files_.push_back(f);
        }
        std::sort(files_.begin(), files_.end());
        std::sort(all_.begin(), all_.end());
    }
    // A copy of the good index with `file` replaced by `bytes`.
    std::string damaged(const std::string& file, const std::string& bytes) {
        const std::string d = dir_ / ("bad" + std::to_string(n_++));
        std::filesystem::copy(dir_ / "good", d, std::filesystem::copy_options::recursive);
        std::filesystem::remove(d + "/" + file);
        write_text(d + "/" + file, bytes);
        return d;
    }
    template <class E>
    void expect_refused(const std::string& d, const std::string& file, const std::string& what) {
        try {
            Index idx(d);
            ADD_FAILURE() << what << " of " << file << " was not detected";
        } catch (const E& e) {
            EXPECT_NE(std::string(e.what()).find(file), std::string::npos) << what << ": message must name " << file
                                                                          << ": " << e.what();
        } catch (const std::exception& e) {
            ADD_FAILURE() << what << " of " << file << ": unexpected exception type: " << e.what();
        }
    }
    TempDir dir_;
    std::vector<std::string> all_;
    std::vector<std::string> files_;  // the containers
    int n_ = 0;
};

TEST_F(Corruption, IndexHasTheDocumentedFiles) {
    const std::vector<std::string> want{"CURRENT",
                                        "LOCK",
                                        "MANIFEST-000001",
                                        "seg-000000/default/forward.bin",
                                        "seg-000000/default/inverted.bin",
                                        "seg-000000/docids.bin",
                                        "vocab-default-000001.bin",
                                        "wal-000001.log"};
    EXPECT_EQ(all_, want);
    EXPECT_NO_THROW(Index(dir_ / "good"));
}

TEST_F(Corruption, DamagedCurrentIsNamed) {
    for (const std::string bad : {"", "MANIFEST-\n", "garbage\n", "MANIFEST-000009\n", "../MANIFEST-000001\n"}) {
        const std::string d = damaged("CURRENT", bad);
        try {
            Index idx(d);
            ADD_FAILURE() << "CURRENT '" << bad << "' was not detected";
        } catch (const Error& e) {
            const std::string m = e.what();
            EXPECT_TRUE(m.find("CURRENT") != std::string::npos || m.find("MANIFEST-000009") != std::string::npos) << m;
        }
    }
}

TEST_F(Corruption, TruncatedFilesAreRefused) {
    for (const auto& f : files_) {
        const std::string bytes = read_file(dir_ / "good/" + f);
        for (std::size_t len : {std::size_t{0}, std::size_t{40}, bytes.size() / 3, bytes.size() - 1}) {
            expect_refused<CorruptIndex>(damaged(f, bytes.substr(0, len)), f, "truncation to " + std::to_string(len));
        }
    }
}

TEST_F(Corruption, FlippedBytesAreRefused) {
    for (const auto& f : files_) {
        const std::string bytes = read_file(dir_ / "good/" + f);
        for (std::size_t at : {std::size_t{5}, std::size_t{20}, std::size_t{70}, bytes.size() / 2, bytes.size() - 1}) {
            std::string bad = bytes;
            bad[at] = static_cast<char>(bad[at] ^ 0x40);
            expect_refused<Error>(damaged(f, bad), f, "flipped byte " + std::to_string(at));
        }
    }
}

TEST_F(Corruption, OtherFormatVersionIsRefusedAsSuch) {
    for (const auto& f : files_) {
        std::string bytes = read_file(dir_ / "good/" + f);
        const std::uint32_t v = 99;
        std::memcpy(bytes.data() + 12, &v, 4);
        const std::uint64_t h = XXH3_64bits(bytes.data(), 40);
        std::memcpy(bytes.data() + 40, &h, 8);
        expect_refused<IncompatibleVersion>(damaged(f, bytes), f, "version 99");
    }
}

TEST_F(Corruption, MissingFilesAreNamed) {
    for (const auto& f : files_) {
        const std::string d = dir_ / ("missing" + std::to_string(n_++));
        std::filesystem::copy(dir_ / "good", d, std::filesystem::copy_options::recursive);
        std::filesystem::remove(d + "/" + f);
        expect_refused<IoError>(d, f, "removal");
    }
    EXPECT_THROW(Index(dir_ / "nowhere"), IoError);
}

TEST_F(Corruption, SwappedFilesAreRefused) {
    // A structurally valid file of the wrong kind in the wrong place.
    const std::string fwd = read_file(dir_ / "good/seg-000000/default/forward.bin");
    expect_refused<CorruptIndex>(damaged("seg-000000/default/inverted.bin", fwd), "seg-000000/default/inverted.bin", "swap");
}

}  // namespace
}  // namespace spindle::test
