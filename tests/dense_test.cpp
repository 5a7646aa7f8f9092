// Dense vectors of live collections: the SIMD kernels against the portable
// ones, f16 conversion against the hardware's, exact dense search against a
// brute-force oracle (three distances, f32 and f16, deletions, filters,
// ties) through in-memory segments, flushes, merges and reopening; HNSW
// recall against exact; validation; manifest round trip; a corrupted
// dense file; log replay.
#include <gtest/gtest.h>

#if defined(__x86_64__)
#include <immintrin.h>
#endif

#include <algorithm>
#include <cmath>
#include <fstream>
#include <map>
#include <random>
#include <set>

#include "spindle/codec/half.hpp"
#include "spindle/collection/collection.hpp"
#include "spindle/common/error.hpp"
#include "spindle/index/collection_manifest.hpp"
#include "spindle/index/dense_segment.hpp"
#include "spindle/index/file_kinds.hpp"
#include "spindle/query/dense_kernels.hpp"
#include "test_util.hpp"

namespace spindle {
namespace {

using test::TempDir;

// --- kernels -------------------------------------------------------------------

TEST(DenseKernels, SimdMatchesPortable) {
    std::mt19937 rng(7);
    std::normal_distribution<float> g;
    for (std::size_t n : {1U, 3U, 8U, 15U, 16U, 17U, 100U, 384U}) {
        std::vector<float> a(n), b(n);
        std::vector<std::uint16_t> h(n);
        for (std::size_t i = 0; i < n; ++i) {
            a[i] = g(rng);
            b[i] = g(rng);
        }
        codec::to_half(b.data(), h.data(), n);
        const float tol = 1e-4F * static_cast<float>(n);
        EXPECT_NEAR(dense::dot(a.data(), b.data(), n), dense::portable::dot(a.data(), b.data(), n), tol) << n;
        EXPECT_NEAR(dense::l2sq(a.data(), b.data(), n), dense::portable::l2sq(a.data(), b.data(), n), tol) << n;
        EXPECT_NEAR(dense::dot(a.data(), h.data(), n), dense::portable::dot(a.data(), h.data(), n), tol) << n;
        EXPECT_NEAR(dense::l2sq(a.data(), h.data(), n), dense::portable::l2sq(a.data(), h.data(), n), tol) << n;
        double ref = 0;
        for (std::size_t i = 0; i < n; ++i) ref += static_cast<double>(a[i]) * static_cast<double>(b[i]);
        EXPECT_NEAR(dense::dot(a.data(), b.data(), n), ref, tol) << n;
    }
}

#if defined(__x86_64__) && defined(__GNUC__)
#include <cpuid.h>
__attribute__((target("f16c"))) std::uint16_t hw_half(float f) {
    return static_cast<std::uint16_t>(_cvtss_sh(f, _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC));
}
__attribute__((target("f16c"))) float hw_float(std::uint16_t h) { return _cvtsh_ss(h); }

TEST(DenseKernels, HalfConversionMatchesF16c) {
    unsigned eax = 0, ebx = 0, ecx = 0, edx = 0;  // CPUID leaf 1, ECX bit 29 (clang 14's builtin lacks "f16c")
    if (__get_cpuid(1, &eax, &ebx, &ecx, &edx) == 0 || (ecx & (1U << 29U)) == 0) GTEST_SKIP() << "no F16C on this CPU";
    std::mt19937 rng(3);
    std::vector<float> xs = {0.0F, -0.0F, 1.0F, 65504.0F, 65519.0F, 65520.0F, 1e9F, -1e9F, 6.1e-5F, 5.96e-8F,
                             2.98e-8F, 2.99e-8F, 1e-10F, std::numeric_limits<float>::infinity()};
    for (int i = 0; i < 200000; ++i) {
        const auto bits = static_cast<std::uint32_t>(rng());
        const float f = std::bit_cast<float>(bits);
        if (!std::isnan(f)) xs.push_back(f);
    }
    for (int e = -30; e < 17; ++e) xs.push_back(std::ldexp(1.0F + static_cast<float>(rng() % 1024) / 1024.0F, e));
    for (const float f : xs) ASSERT_EQ(codec::to_half(f), hw_half(f)) << f;
    for (std::uint32_t h = 0; h < 65536; ++h) {
        const float a = codec::from_half(static_cast<std::uint16_t>(h));
        const float b = hw_float(static_cast<std::uint16_t>(h));
        if (std::isnan(b)) {
            ASSERT_TRUE(std::isnan(a)) << h;
        } else {
            ASSERT_EQ(std::bit_cast<std::uint32_t>(a), std::bit_cast<std::uint32_t>(b)) << h;
        }
    }
}
#endif

// --- exact search against an oracle ------------------------------------------------

constexpr std::uint32_t kDim = 12;

struct Model {
    DenseVectorConfig cfg;
    std::map<PointId, std::pair<std::vector<float>, int>> points;  // id -> (stored vector, group); empty vector: none
};

std::vector<float> stored_form(const DenseVectorConfig& cfg, std::vector<float> v) {
    if (cfg.distance == DenseDistance::cosine) {
        double ss = 0;
        for (const float x : v) ss += static_cast<double>(x) * static_cast<double>(x);
        if (ss > 0) {
            const double inv = 1.0 / std::sqrt(ss);  // as the collection normalizes
            for (float& x : v) x = static_cast<float>(static_cast<double>(x) * inv);
        }
    }
    if (cfg.storage == DenseStorage::f16) {
        for (float& x : v) x = codec::from_half(codec::to_half(x));
    }
    return v;
}

/// (score, id) of every point with a vector allowed by `group` (-1: all),
/// in the order the collection must return them.
std::vector<std::pair<double, PointId>> oracle(const Model& m, std::vector<float> q, int group) {
    const bool euclid = m.cfg.distance == DenseDistance::euclid;
    if (m.cfg.distance == DenseDistance::cosine) {
        double ss = 0;
        for (const float x : q) ss += static_cast<double>(x) * static_cast<double>(x);
        for (float& x : q) x = static_cast<float>(static_cast<double>(x) / std::sqrt(ss));
    }
    std::vector<std::pair<double, PointId>> out;
    for (const auto& [id, e] : m.points) {
        if (e.first.empty() || (group >= 0 && e.second != group)) continue;
        double s = 0;
        for (std::size_t i = 0; i < q.size(); ++i) {
            const double a = q[i];
            const double b = e.first[i];
            s += euclid ? (a - b) * (a - b) : a * b;
        }
        out.emplace_back(euclid ? std::sqrt(s) : s, id);
    }
    std::sort(out.begin(), out.end(), [&](const auto& a, const auto& b) {
        if (a.first != b.first) return euclid ? a.first < b.first : a.first > b.first;
        return a.second < b.second;
    });
    return out;
}

std::shared_ptr<const Filter> group_filter(int g) {
    return std::make_shared<const Filter>(parse_filter("{\"must\": [{\"key\": \"g\", \"match\": {\"value\": " + std::to_string(g) + "}}]}"));
}

void check_search(const Collection& c, const Model& m, std::mt19937& rng, const std::string& stage, bool exact) {
    std::normal_distribution<float> g;
    for (int t = 0; t < 12; ++t) {
        std::vector<float> q(kDim);
        for (float& x : q) x = g(rng);
        const int group = t % 3 == 0 ? static_cast<int>(rng() % 4) : -1;
        SearchRequest r;
        r.vector = "d";
        r.dense_query = q;
        r.k = 1 + rng() % 15;
        r.offset = t % 4 == 0 ? 2 : 0;
        r.exact = exact;
        if (group >= 0) r.filter = group_filter(group);
        const SearchResult res = c.search(r);
        const auto want = oracle(m, q, group);
        const std::size_t expect_n = std::min(r.k, want.size() > r.offset ? want.size() - r.offset : 0);
        ASSERT_EQ(res.points.size(), expect_n) << stage << " query " << t;
        EXPECT_EQ(res.ascending, m.cfg.distance == DenseDistance::euclid);
        std::map<PointId, double> truth;
        for (const auto& [s, id] : want) truth[id] = s;
        const double tol = 2e-4 * (1 + std::abs(want.empty() ? 0.0 : want.front().first));
        for (std::size_t i = 0; i < res.points.size(); ++i) {
            const auto& p = res.points[i];
            ASSERT_TRUE(truth.contains(p.id)) << stage << ": returned a point without the vector or outside the filter: " << p.id.text();
            EXPECT_NEAR(p.score, truth.at(p.id), tol) << stage << " query " << t << " rank " << i;
            EXPECT_NEAR(p.score, want[r.offset + i].first, tol) << stage << " query " << t << " rank " << i;
            if (i > 0 && p.score == res.points[i - 1].score) {
                EXPECT_LT(res.points[i - 1].id, p.id) << stage << ": ties by id";
            }
        }
    }
}

CollectionConfig dense_config(DenseDistance d, DenseStorage s, bool with_sparse) {
    CollectionConfig c;
    if (with_sparse) c.vectors.emplace("s", SparseVectorConfig{});
    DenseVectorConfig v;
    v.dim = kDim;
    v.distance = d;
    v.storage = s;
    v.hnsw.min_docs = 100000;  // exact only here; the graph has its own test
    c.dense.emplace("d", v);
    c.segments.flush_docs = 60;
    c.segments.memory_merge_factor = 3;
    c.segments.merge_factor = 3;
    c.segments.tier_floor_docs = 50;
    c.payload_indexes.emplace("g", PayloadType::integer);
    return c;
}

class DenseExact : public ::testing::TestWithParam<std::tuple<DenseDistance, DenseStorage>> {};

TEST_P(DenseExact, MatchesOracleThroughFlushMergeAndReopen) {
    const auto [dist, storage] = GetParam();
    TempDir tmp;
    const std::string dir = tmp / "coll";
    Model m;
    const CollectionConfig cfg = dense_config(dist, storage, storage == DenseStorage::f32);
    m.cfg = cfg.dense.at("d");
    auto c = Collection::create(dir, cfg);
    std::mt19937 rng(11 + static_cast<unsigned>(dist) * 3 + static_cast<unsigned>(storage));
    std::normal_distribution<float> g;
    std::vector<std::vector<float>> pool;  // repeated vectors: ties
    for (int round = 0; round < 6; ++round) {
        std::vector<Point> batch;
        for (int i = 0; i < 45; ++i) {
            Point p;
            const std::uint64_t n = rng() % 400;
            p.id = n % 5 == 0 ? PointId::key("k" + std::to_string(n)) : PointId(n);
            const int group = static_cast<int>(rng() % 4);
            p.payload = "{\"g\": " + std::to_string(group) + "}";
            std::vector<float> v(kDim);
            if (!pool.empty() && rng() % 6 == 0) {
                v = pool[rng() % pool.size()];
            } else {
                for (float& x : v) x = g(rng);
                pool.push_back(v);
            }
            if (rng() % 10 != 0) p.dense.emplace("d", v);
            if (cfg.vectors.contains("s")) {
                SparseVector sv;
                sv.tokens = {"a"};
                sv.values = {1.0F};
                p.vectors.emplace("s", sv);
            }
            m.points[p.id] = {p.dense.contains("d") ? stored_form(m.cfg, v) : std::vector<float>(), group};
            // the last copy of a repeated id wins
            batch.push_back(std::move(p));
        }
        // Recompute the model from the batch's last copies (a repeated id keeps its last).
        c->upsert(batch);
        std::vector<PointId> gone;
        for (int i = 0; i < 10; ++i) {
            const std::uint64_t n = rng() % 400;
            gone.push_back(n % 5 == 0 ? PointId::key("k" + std::to_string(n)) : PointId(n));
        }
        c->remove(gone);
        for (const auto& id : gone) m.points.erase(id);
        check_search(*c, m, rng, "round " + std::to_string(round), false);
        if (HasFatalFailure()) return;
    }
    EXPECT_GE(c->info().writes.flushes, 2U);  // searched across disk and in-memory segments, and merges
    // Stored vectors read back as stored.
    for (const auto& p : c->scroll(std::nullopt, 1000, true)) {
        const auto& e = m.points.at(p.id);
        ASSERT_EQ(p.dense.contains("d"), !e.first.empty()) << p.id.text();
        if (!e.first.empty()) {
            for (std::size_t i = 0; i < kDim; ++i) EXPECT_NEAR(p.dense.at("d")[i], e.first[i], 1e-6) << p.id.text();
        }
    }
    c->optimize(1);
    check_search(*c, m, rng, "optimized", false);
    c.reset();
    auto r = Collection::open(dir, {.read_only = true});
    check_search(*r, m, rng, "reopened", true);
    r->check();
}

INSTANTIATE_TEST_SUITE_P(All, DenseExact,
                         ::testing::Combine(::testing::Values(DenseDistance::cosine, DenseDistance::dot, DenseDistance::euclid),
                                            ::testing::Values(DenseStorage::f32, DenseStorage::f16)));

// --- HNSW --------------------------------------------------------------------------

/// Synthetic set: 4000 vectors of dimension 32 around 40 Gaussian cluster
/// centres (sd 1 centres, sd 0.35 within), 40 queries drawn the same way.
TEST(DenseHnsw, RecallAt10AgainstExact) {
    TempDir tmp;
    const std::string dir = tmp / "coll";
    for (const DenseDistance dist : {DenseDistance::cosine, DenseDistance::euclid}) {
        CollectionConfig cfg;
        DenseVectorConfig v;
        v.dim = 32;
        v.distance = dist;
        v.storage = DenseStorage::f16;
        v.hnsw.min_docs = 1000;
        v.hnsw.ef = 64;
        cfg.dense.emplace("d", v);
        cfg.segments.flush_docs = 1'000'000;
        cfg.payload_indexes.emplace("g", PayloadType::integer);
        const std::string cdir = dir + std::string(to_string(dist));
        auto c = Collection::create(cdir, cfg);
        std::mt19937 rng(5);
        std::normal_distribution<float> g;
        std::vector<std::vector<float>> centres(40, std::vector<float>(32));
        for (auto& ce : centres) {
            for (float& x : ce) x = g(rng);
        }
        auto draw = [&] {
            std::vector<float> x = centres[rng() % centres.size()];
            for (float& e : x) e += 0.35F * g(rng);
            return x;
        };
        std::vector<Point> pts;
        for (std::uint64_t i = 0; i < 4000; ++i) {
            Point p;
            p.id = i;
            p.dense.emplace("d", draw());
            p.payload = "{\"g\": " + std::to_string(i % 2) + "}";
            pts.push_back(std::move(p));
        }
        c->upsert(pts);
        c->flush();
        ASSERT_TRUE(c->info().segments.at(0).hnsw);
        std::vector<PointId> gone;
        for (std::uint64_t i = 0; i < 4000; i += 7) gone.push_back(i);
        c->remove(gone);
        c.reset();
        c = Collection::open(cdir);  // the graph is read back from disk
        ASSERT_TRUE(c->info().segments.at(0).hnsw);
        for (const bool filtered : {false, true}) {
            double hits = 0;
            double total = 0;
            for (int t = 0; t < 40; ++t) {
                SearchRequest r;
                r.dense_query = draw();
                r.k = 10;
                if (filtered) r.filter = group_filter(1);
                r.exact = true;
                const auto truth = c->search(r);
                r.exact = false;
                const auto approx = c->search(r);
                std::set<PointId> want;
                for (const auto& p : truth.points) want.insert(p.id);
                for (const auto& p : approx.points) {
                    hits += want.contains(p.id) ? 1 : 0;
                    const auto n = p.id.number();
                    EXPECT_NE(n % 7, 0U) << "a deleted point was returned";
                    if (filtered) {
                        EXPECT_EQ(n % 2, 1U) << "a point outside the filter was returned";
                    }
                }
                total += static_cast<double>(truth.points.size());
                // The graph scores far fewer documents than the exact scan.
                if (!filtered) {
                    EXPECT_LT(approx.stats.docs_evaluated, truth.stats.docs_evaluated);
                }
            }
            EXPECT_GE(hits / total, 0.95) << to_string(dist) << (filtered ? " filtered" : "") << " recall@10 at ef 64";
        }
    }
}

// --- validation, manifests, corruption, replay ----------------------------------

TEST(DenseConfig, ValidationNamesTheProblem) {
    CollectionConfig c = dense_config(DenseDistance::dot, DenseStorage::f32, true);
    DenseVectorConfig four;
    four.dim = 4;
    c.dense.emplace("s", four);
    try {
        c.validate();
        FAIL();
    } catch (const InvalidArgument& e) {
        EXPECT_NE(std::string(e.what()).find("'s' is used by a sparse and a dense vector"), std::string::npos) << e.what();
    }
    CollectionConfig z;
    z.dense.emplace("z", DenseVectorConfig{});
    EXPECT_THROW(z.validate(), InvalidArgument);
    EXPECT_THROW((void)parse_dense_distance("Manhattan"), InvalidArgument);
    EXPECT_EQ(parse_dense_distance("Cosine"), DenseDistance::cosine);
    EXPECT_EQ(parse_dense_distance("Euclid"), DenseDistance::euclid);
}

TEST(DenseConfig, BadPointsAndQueriesAreRefused) {
    TempDir tmp;
    auto c = Collection::create(tmp / "c", dense_config(DenseDistance::cosine, DenseStorage::f32, true));
    auto expect_error = [&](Point p, const std::string& needle) {
        std::vector<Point> b{std::move(p)};
        try {
            c->upsert(b);
            ADD_FAILURE() << "accepted: " << needle;
        } catch (const InvalidArgument& e) {
            EXPECT_NE(std::string(e.what()).find(needle), std::string::npos) << e.what();
        }
    };
    Point p;
    p.id = 7;
    p.dense["d"] = std::vector<float>(3, 1.0F);
    expect_error(p, "point 0 (id 7): dense vector 'd' has 3 values, its dimension is 12");
    p.dense["d"] = std::vector<float>(kDim, 1.0F);
    p.dense["d"][4] = std::nanf("");
    expect_error(p, "dense vector 'd': value nan at position 4 is not finite");
    p.dense.clear();
    p.dense["nope"] = std::vector<float>(kDim, 1.0F);
    expect_error(p, "unknown vector 'nope' (the collection has: s, d (dense))");
    p.dense.clear();
    p.dense["s"] = std::vector<float>(kDim, 1.0F);
    expect_error(p, "vector 's' is a sparse vector");
    SearchRequest r;
    r.vector = "d";
    r.dense_query = std::vector<float>(5, 1.0F);
    EXPECT_THROW((void)c->search(r), InvalidArgument);
    r.dense_query = std::vector<float>(kDim, 1.0F);
    r.algorithm = Algorithm::bmp;
    EXPECT_THROW((void)c->search(r), InvalidArgument);
    r.algorithm.reset();
    r.ef = 0;
    EXPECT_THROW((void)c->search(r), InvalidArgument);
}

TEST(DenseManifest, RoundTripsAndSparseOnlyManifestsAreUnchanged) {
    CollectionManifest m;
    m.generation = 3;
    m.config = dense_config(DenseDistance::euclid, DenseStorage::f16, true);
    m.config.dense.at("d").hnsw = {.m = 8, .ef_construct = 50, .min_docs = 77, .ef = 33};
    m.vectors["s"] = VectorState{"vocab-s-000001.bin", 0, 10, std::nullopt};
    const CollectionManifest back = CollectionManifest::from_json(m.to_json(), "test");
    const DenseVectorConfig& d = back.config.dense.at("d");
    EXPECT_EQ(d.dim, kDim);
    EXPECT_EQ(d.distance, DenseDistance::euclid);
    EXPECT_EQ(d.storage, DenseStorage::f16);
    EXPECT_EQ(d.hnsw.m, 8U);
    EXPECT_EQ(d.hnsw.ef_construct, 50U);
    EXPECT_EQ(d.hnsw.min_docs, 77U);
    EXPECT_EQ(d.hnsw.ef, 33U);
    EXPECT_EQ(back.to_json(), m.to_json());
    // Without dense vectors the manifest has no "dense" member (what older builds wrote and read).
    m.config.dense.clear();
    EXPECT_EQ(m.to_json().find("\"dense\""), std::string::npos);
    EXPECT_TRUE(CollectionManifest::from_json(m.to_json(), "test").config.dense.empty());
}

TEST(DenseFile, FlippedByteIsCorruptionNamingTheFile) {
    TempDir tmp;
    const std::string dir = tmp / "c";
    {
        auto c = Collection::create(dir, dense_config(DenseDistance::dot, DenseStorage::f32, false));
        std::vector<Point> pts;
        for (std::uint64_t i = 0; i < 30; ++i) {
            Point p;
            p.id = i;
            p.dense["d"] = std::vector<float>(kDim, static_cast<float>(i));
            pts.push_back(p);
        }
        c->upsert(pts);
        c->flush();
    }
    std::string file;
    for (const auto& e : std::filesystem::recursive_directory_iterator(dir)) {
        if (e.path().filename() == "dense.bin") file = e.path().string();
    }
    ASSERT_FALSE(file.empty());
    {
        std::fstream f(file, std::ios::in | std::ios::out | std::ios::binary);
        f.seekp(static_cast<std::streamoff>(std::filesystem::file_size(file) - 9));
        f.put('\x5a');
    }
    try {
        (void)Collection::open(dir, {.read_only = true});
        FAIL() << "opened a corrupted dense file";
    } catch (const CorruptIndex& e) {
        EXPECT_NE(std::string(e.what()).find("dense.bin"), std::string::npos) << e.what();
    }
}

// A graph whose checksum is right but whose links are not (a writer bug, or
// a crafted file) is refused on open, naming the file and the document.
TEST(DenseFile, BadGraphLinksAreRefusedEvenWithAValidChecksum) {
    TempDir tmp;
    DenseVectorConfig cfg;
    cfg.dim = 4;
    DenseColumn col;
    col.dim = 4;
    std::mt19937 rng(2);
    std::normal_distribution<float> g;
    for (int i = 0; i < 60; ++i) {
        std::vector<float> v(4);
        for (float& x : v) x = g(rng);
        float n = 0;
        for (const float x : v) n += x * x;
        for (float& x : v) x /= std::sqrt(n);
        col.add(v);
    }
    const std::string good = tmp / "good.bin";
    ASSERT_TRUE(DenseSegment::write(good, cfg, col, true).graph);
    const DenseSegment seg(Container(good, kinds::kDense), cfg, 60);
    ASSERT_TRUE(seg.has_graph());
    const Container c(good, kinds::kDense);
    // Copy every section, with one level-0 link pointing past the documents.
    std::vector<std::uint32_t> links0(c.section<std::uint32_t>(sections::kDenseLinks0).begin(),
                                      c.section<std::uint32_t>(sections::kDenseLinks0).end());
    ASSERT_GT(links0[0], 0U);
    links0[1] = 60;
    const std::string bad = tmp / "bad.bin";
    ContainerWriter w(bad, kinds::kDense);
    w.add(sections::kDenseHeader, c.section<DenseHeader>(sections::kDenseHeader));
    w.add(sections::kDensePresent, c.section<std::uint8_t>(sections::kDensePresent));
    w.add(sections::kDenseValues, c.section<float>(sections::kDenseValues));
    w.add(sections::kDenseLevels, c.section<std::uint8_t>(sections::kDenseLevels));
    w.add(sections::kDenseLinks0, std::span<const std::uint32_t>(links0));
    w.add(sections::kDenseUpperBegin, c.section<std::uint64_t>(sections::kDenseUpperBegin));
    w.add(sections::kDenseUpper, c.section<std::uint32_t>(sections::kDenseUpper));
    w.finish();
    try {
        const DenseSegment s(Container(bad, kinds::kDense), cfg, 60);
        FAIL() << "opened a graph with a link past the end";
    } catch (const CorruptIndex& e) {
        EXPECT_NE(std::string(e.what()).find("bad.bin: graph link of document 0"), std::string::npos) << e.what();
    }
    // A header that disagrees with the configuration is refused too.
    DenseVectorConfig other = cfg;
    other.dim = 8;
    EXPECT_THROW(DenseSegment(Container(good, kinds::kDense), other, 60), CorruptIndex);
    EXPECT_THROW(DenseSegment(Container(good, kinds::kDense), cfg, 61), CorruptIndex);
}

TEST(DenseLog, UnflushedVectorsAreReplayed) {
    TempDir tmp;
    const std::string dir = tmp / "c";
    std::vector<float> v(kDim);
    for (std::size_t i = 0; i < kDim; ++i) v[i] = static_cast<float>(i) - 3.5F;
    {
        auto c = Collection::create(dir, dense_config(DenseDistance::euclid, DenseStorage::f32, true));
        Point p;
        p.id = PointId::key("x");
        p.dense["d"] = v;
        Point q;
        q.id = 2;  // no dense vector
        SparseVector sv;
        sv.tokens = {"a"};
        sv.values = {2.0F};
        q.vectors["s"] = sv;
        std::vector<Point> b{p, q};
        c->upsert(b);
    }  // closed without a flush: only the log holds them
    auto c = Collection::open(dir);
    const std::vector<PointId> ids{PointId::key("x"), PointId(2)};
    const auto got = c->get(ids);
    ASSERT_TRUE(got[0] && got[1]);
    EXPECT_EQ(got[0]->dense.at("d"), v);
    EXPECT_TRUE(got[1]->dense.empty());
    SearchRequest r;
    r.dense_query = v;
    const auto res = c->search(r);
    ASSERT_EQ(res.points.size(), 1U);
    EXPECT_EQ(res.points[0].id, PointId::key("x"));
    EXPECT_EQ(res.points[0].score, 0.0);
}

}  // namespace
}  // namespace spindle
