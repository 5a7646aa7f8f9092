// Searches on several threads while a writer upserts, deletes, flushes and
// merges (in the background and by optimize). Readers must never block on the
// writer or see a broken state: on any snapshot, bmp equals exhaustive, and
// results are sorted with distinct ids. Every other search runs under one of
// three repeated filters (the filter cache, shared by the readers, serves
// and replaces their allow-sets while the segments change): every result
// satisfies its filter. Built with ThreadSanitizer too
// (CMake preset "tsan", run by scripts/test.sh for this test only).
#include <gtest/gtest.h>

#include <atomic>
#include <random>
#include <set>
#include <thread>

#include <nlohmann/json.hpp>

#include "spindle/collection/collection.hpp"
#include "spindle/collection/filter.hpp"
#include "spindle/io/file_util.hpp"
#include "test_util.hpp"

namespace spindle {
namespace {

using test::TempDir;

Point make_point(std::mt19937_64& rng, std::uint64_t universe) {
    Point p;
    const std::uint64_t n = rng() % universe;
    p.id = n % 2 == 0 ? PointId(n) : PointId::key("k" + std::to_string(n));
    SparseVector v;
    std::set<std::string> used;
    const std::size_t len = 1 + rng() % 8;
    for (std::size_t i = 0; i < len; ++i) {
        const std::string tok = "t" + std::to_string(rng() % 60);
        if (!used.insert(tok).second) continue;
        v.tokens.push_back(tok);
        v.values.push_back(static_cast<float>(1 + rng() % 6) * 0.5F);
    }
    p.vectors.emplace("v", std::move(v));
    p.payload = "{\"r\":" + std::to_string(rng() % 1000) + "}";
    return p;
}

SearchRequest make_query(std::mt19937_64& rng) {
    SearchRequest r;
    for (int i = 0; i < 4; ++i) {
        r.query.tokens.push_back("t" + std::to_string(rng() % 60));
        r.query.values.push_back(1.0F + static_cast<float>(i));
    }
    r.k = 1 + rng() % 15;
    r.with_payload = rng() % 2 == 0;
    return r;
}

void searches_while_writing(OpenOptions opts) {
    skip_fsync_for_tests();
    TempDir tmp;
    CollectionConfig cfg;
    SparseVectorConfig v;
    v.weight_type = WeightType::f32;
    cfg.vectors.emplace("v", v);
    cfg.segments.flush_docs = 60;
    cfg.segments.memory_merge_factor = 3;
    cfg.segments.merge_factor = 3;
    cfg.segments.tier_floor_docs = 30;
    auto coll = Collection::create(tmp / "c", cfg, opts);
    const Collection& c = *coll;
    std::atomic<bool> stop{false};
    std::atomic<std::uint64_t> searches{0};
    std::atomic<std::uint64_t> failures{0};
    std::vector<std::shared_ptr<const Filter>> filters;
    for (const int bound : {10, 300, 900}) {
        filters.push_back(std::make_shared<const Filter>(
            parse_filter(R"({"must":[{"key":"r","range":{"lt":)" + std::to_string(bound) + "}}]}")));
    }
    const int bounds[] = {10, 300, 900};
    std::vector<std::thread> readers;
    for (int t = 0; t < 3; ++t) {
        readers.emplace_back([&, t] {
            std::mt19937_64 rng(static_cast<std::uint64_t>(t) + 5);
            SearchScratch scratch;
            while (!stop.load()) {
                SearchRequest r = make_query(rng);
                const std::size_t fi = rng() % 6;
                if (fi < 3) {
                    r.filter = filters[fi];
                    r.with_payload = true;
                }
                const SearchResult res = c.search(r);
                if (fi < 3) {
                    for (const auto& p : res.points) {
                        if (nlohmann::json::parse(p.payload).at("r").get<int>() >= bounds[fi]) ++failures;
                    }
                }
                std::set<PointId> ids;
                for (std::size_t i = 0; i < res.points.size(); ++i) {
                    if (!ids.insert(res.points[i].id).second) ++failures;
                    if (i > 0 && res.points[i - 1].score < res.points[i].score) ++failures;
                }
                // On one snapshot, bmp and exhaustive agree exactly.
                const auto snap = c.snapshot();
                const auto idx = snap->index();
                TextQuery tq;
                for (std::size_t i = 0; i < r.query.tokens.size(); ++i) tq.terms.emplace_back(r.query.tokens[i], r.query.values[i]);
                const QueryPlan plan = plan_query(*idx, tq);
                SearchStats st;
                for (std::size_t s = 0; s < idx->num_segments(); ++s) {
                    SearchOptions a;
                    a.k = r.k;
                    a.algorithm = Algorithm::exhaustive;
                    SearchOptions b = a;
                    b.algorithm = Algorithm::bmp;
                    const auto x = search_one_segment(*idx, s, plan, a, scratch, st, true);
                    const auto y = search_one_segment(*idx, s, plan, b, scratch, st, true);
                    if (x.size() != y.size()) {
                        ++failures;
                        continue;
                    }
                    for (std::size_t i = 0; i < x.size(); ++i) {
                        if (x[i].score != y[i].score || x[i].doc != y[i].doc) ++failures;
                    }
                }
                (void)c.count();
                (void)c.info();
                ++searches;
            }
        });
    }
    std::mt19937_64 rng(77);
    const std::uint64_t universe = 400;
    for (int step = 0; step < 300; ++step) {
        const auto op = rng() % 20;
        if (op < 14) {
            std::vector<Point> batch;
            for (int i = 0; i < 8; ++i) batch.push_back(make_point(rng, universe));
            coll->upsert(batch, {.wait = false});
            // Searchable (here: gettable) as soon as upsert returns.
            const std::vector<PointId> last{batch.back().id};
            if (!coll->get(last)[0]) ++failures;
        } else if (op < 18) {
            std::vector<PointId> ids;
            for (int i = 0; i < 5; ++i) ids.push_back(make_point(rng, universe).id);
            coll->remove(ids, {.wait = false});
        } else if (op == 18) {
            coll->flush();
        } else if (step % 60 == 19) {
            coll->optimize(2);
        }
        if (step % 50 == 0) {
            std::vector<PointId> ids{PointId(2), PointId::key("k3")};
            (void)coll->get(ids);
            (void)coll->scroll(std::nullopt, 20);
        }
    }
    coll->optimize(1);
    stop = true;
    for (auto& t : readers) t.join();
    EXPECT_EQ(failures.load(), 0U);
    EXPECT_GT(searches.load(), 10U);
    EXPECT_NO_THROW(coll->check());
}

TEST(CollectionConcurrency, SearchesRunWhileTheWriterFlushesAndMerges) { searches_while_writing({.background_merges = true}); }

// The background thread combines and flushes in-memory segments while the
// writer upserts and deletes and readers search (TSan runs this suite).
TEST(CollectionConcurrency, SearchesRunWhileTheBackgroundThreadFlushes) {
    searches_while_writing({.background_merges = true, .background_flush = true});
}

TEST(CollectionConcurrency, BackgroundFlushWithInlineMerges) { searches_while_writing({.background_flush = true}); }

}  // namespace
}  // namespace spindle
