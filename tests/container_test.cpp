// The container format: round trip, and clear errors for truncation, flipped
// bytes, wrong kind and wrong version.
#include <gtest/gtest.h>

#include <cstring>

#include <xxhash.h>

#include "spindle/common/error.hpp"
#include "spindle/io/container.hpp"
#include "spindle/io/file_util.hpp"
#include "test_util.hpp"

namespace spindle::test {
namespace {

constexpr std::uint32_t kKind = fourcc("TEST");

std::string write_sample(const TempDir& dir) {
    const std::string path = dir / "sample.bin";
    std::vector<std::uint64_t> a{1, 2, 3, 5, 8};
    std::vector<std::uint8_t> b(1000);
    for (std::size_t i = 0; i < b.size(); ++i) b[i] = static_cast<std::uint8_t>(i * 31);
    std::vector<float> empty;
    ContainerWriter w(path, kKind);
    w.add(1, a);
    w.add(2, b);
    w.add(3, empty);
    w.finish();
    return path;
}

template <class E>
void expect_error(const std::string& path, std::uint32_t kind, const std::string& needle) {
    try {
        Container c(path, kind);
        FAIL() << "expected an error mentioning '" << needle << "'";
    } catch (const E& e) {
        EXPECT_NE(std::string(e.what()).find(needle), std::string::npos) << e.what();
        EXPECT_NE(std::string(e.what()).find(path), std::string::npos) << "message must name the file: " << e.what();
    }
}

TEST(Container, RoundTrip) {
    TempDir dir;
    const auto path = write_sample(dir);
    Container c(path, kKind);
    auto a = c.section<std::uint64_t>(1);
    ASSERT_EQ(a.size(), 5U);
    EXPECT_EQ(a[4], 8U);
    auto b = c.section<std::uint8_t>(2, 1000);
    EXPECT_EQ(b[999], static_cast<std::uint8_t>(999 * 31));
    EXPECT_TRUE(c.section<float>(3).empty());
    EXPECT_EQ(reinterpret_cast<std::uintptr_t>(a.data()) % kSectionAlign, 0U);
    EXPECT_THROW((void)c.section<std::uint32_t>(1), CorruptIndex);  // element size mismatch
    EXPECT_THROW((void)c.section<std::uint8_t>(2, 999), CorruptIndex);
    EXPECT_THROW((void)c.raw(9), CorruptIndex);
}

TEST(Container, EveryTruncationIsDetected) {
    TempDir dir;
    const auto path = write_sample(dir);
    const std::string bytes = read_file(path);
    for (std::size_t len : {std::size_t{0}, std::size_t{10}, std::size_t{63}, std::size_t{64}, std::size_t{100},
                            bytes.size() / 2, bytes.size() - 1}) {
        const std::string cut = dir / ("cut" + std::to_string(len));
        write_text(cut, bytes.substr(0, len));
        EXPECT_THROW(Container(cut, kKind), CorruptIndex) << "length " << len;
    }
}

TEST(Container, EveryFlippedByteIsDetected) {
    TempDir dir;
    const auto path = write_sample(dir);
    const std::string bytes = read_file(path);
    for (std::size_t at = 0; at < bytes.size(); at += 7) {
        std::string bad = bytes;
        bad[at] = static_cast<char>(bad[at] ^ 0x10);
        const std::string p = dir / "flip";
        std::filesystem::remove(p);
        write_text(p, bad);
        EXPECT_THROW(Container(p, kKind), Error) << "flipped byte " << at;
    }
    std::string bad = bytes;
    bad[bytes.size() - 1] = static_cast<char>(bad[bytes.size() - 1] ^ 1);
    write_text(dir / "flip-last", bad);
    expect_error<CorruptIndex>(dir / "flip-last", kKind, "checksum mismatch");
}

TEST(Container, WrongKindAndVersionAreNamed) {
    TempDir dir;
    const auto path = write_sample(dir);
    expect_error<CorruptIndex>(path, fourcc("OTHR"), "file kind 'TEST'");
    // Rewrite the version field and re-seal the header checksum: a file from
    // a future format version must be refused as such, not as corruption.
    std::string bytes = read_file(path);
    const std::uint32_t v = kFormatVersion + 1;
    std::memcpy(bytes.data() + 12, &v, 4);
    const std::string p = dir / "future.bin";
    write_text(p, bytes);
    expect_error<CorruptIndex>(p, kKind, "header checksum");
    const std::uint64_t h = XXH3_64bits(bytes.data(), 40);
    std::memcpy(bytes.data() + 40, &h, 8);
    const std::string resealed = dir / "future-sealed.bin";
    write_text(resealed, bytes);
    expect_error<IncompatibleVersion>(resealed, kKind, "format version " + std::to_string(kFormatVersion + 1));
}

TEST(Container, MissingFileIsAnIoError) {
    EXPECT_THROW(Container("/nonexistent/spindle/file.bin", kKind), IoError);
}

TEST(Container, WriterNeverOverwrites) {
    TempDir dir;
    const auto path = write_sample(dir);
    ContainerWriter w(path, kKind);
    EXPECT_THROW(w.finish(), IoError);
}

}  // namespace
}  // namespace spindle::test
