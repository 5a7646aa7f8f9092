// End-to-end tests of the spindle command line.
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>
#include <sys/wait.h>

#include <cstdlib>
#include <fstream>
#include <sstream>

#include "cli_util.hpp"

namespace spindle::test {
namespace {

TEST(Cli, SpladeToyAllAlgorithmsAgreeWithExhaustive) {
    const std::string toy = shared_data() + "/msmarco/splade_toy";
    if (!std::filesystem::exists(toy + "/documents.jsonl")) GTEST_SKIP() << "shared data absent: " << toy;
    TempDir dir;
    for (const char* w : {"f32", "u16", "u8"}) {
        const std::string idx = dir / (std::string("idx-") + w);
        auto r = spindle(dir, "index --input " + toy + "/documents.jsonl --output " + idx + " --weights " + w + " -q");
        ASSERT_EQ(r.code, 0) << r.err;
        EXPECT_NE(r.out.find("indexed 20 documents"), std::string::npos) << r.out;
        r = spindle(dir, "info " + idx);
        ASSERT_EQ(r.code, 0) << r.err;
        EXPECT_NE(r.out.find("format version 3"), std::string::npos);
        EXPECT_NE(r.out.find(std::string("weights        ") + w), std::string::npos);
        std::string reference;
        for (const char* a : {"exhaustive", "maxscore", "bmw", "bmp"}) {
            const std::string run = dir / (std::string("run-") + a);
            r = spindle(dir, "search --index " + idx + " --queries " + toy + "/queries.jsonl -k 10 -a " + a +
                                 " --output " + run + " --threads 2 -q");
            ASSERT_EQ(r.code, 0) << r.err;
            EXPECT_NE(r.out.find("searched 5 queries"), std::string::npos) << r.out;
            EXPECT_NE(r.out.find("unknown query tokens dropped"), std::string::npos) << r.out;
            std::string text = slurp(run);
            // Compare everything but the tag column.
            std::string stripped;
            std::istringstream lines(text);
            std::size_t n = 0;
            for (std::string line; std::getline(lines, line); ++n) stripped += line.substr(0, line.rfind(' ')) + "\n";
            EXPECT_GE(n, 40U) << a;  // 5 queries, up to 10 hits each (some match fewer docs)
            if (reference.empty()) {
                reference = stripped;
            } else {
                EXPECT_EQ(stripped, reference) << a << " differs from exhaustive (" << w << ")";
            }
        }
    }
}

TEST(Cli, BadInputGetsClearErrorsAndNonZeroExit) {
    TempDir dir;
    write_text(dir / "bad.jsonl", "{\"id\": \"a\", \"vector\": {\"x\": 1}}\n{\"id\": \"b\", \"vector\": {\"x\": -2}}\n");
    auto r = spindle(dir, "index --input " + (dir / "bad.jsonl") + " --output " + (dir / "idx") + " -q");
    EXPECT_EQ(r.code, 1);
    EXPECT_NE(r.err.find("bad.jsonl:2"), std::string::npos) << r.err;
    EXPECT_NE(r.err.find("negative"), std::string::npos) << r.err;
    EXPECT_FALSE(std::filesystem::exists(dir / "idx"));

    r = spindle(dir, "index --input x.jsonl --output y --frobnicate");
    EXPECT_NE(r.code, 0);
    EXPECT_NE(r.err.find("frobnicate"), std::string::npos) << r.err;

    r = spindle(dir, "index --input x.jsonl --output y --weights u4");
    EXPECT_EQ(r.code, 1);
    EXPECT_NE(r.err.find("u4"), std::string::npos) << r.err;

    write_text(dir / "ok.jsonl", "{\"id\": \"a\", \"vector\": {\"x\": 1}}\n");
    ASSERT_EQ(spindle(dir, "index --input " + (dir / "ok.jsonl") + " --output " + (dir / "ok") + " -q").code, 0);
    r = spindle(dir, "index --input " + (dir / "ok.jsonl") + " --output " + (dir / "ok") + " -q");
    EXPECT_EQ(r.code, 1);
    EXPECT_NE(r.err.find("--overwrite"), std::string::npos) << r.err;

    write_text(dir / "q.tsv", "1\tx x y\n");
    r = spindle(dir, "search --index " + (dir / "ok") + " --queries " + (dir / "q.tsv") + " -a wand9");
    EXPECT_EQ(r.code, 1);
    EXPECT_NE(r.err.find("wand9"), std::string::npos) << r.err;
    EXPECT_NE(r.err.find("maxscore"), std::string::npos) << "valid names listed: " << r.err;

    r = spindle(dir, "search --index " + (dir / "ok") + " --queries " + (dir / "q.tsv") + " -q");
    EXPECT_EQ(r.code, 0) << r.err;
    EXPECT_NE(r.out.find("1 Q0 a 1 2.0"), std::string::npos) << r.out;
    EXPECT_NE(r.err.find("unknown query tokens dropped: 1"), std::string::npos) << r.err;

    // Corrupt the index: search and info name the damaged file.
    {
        std::fstream f(dir / "ok/seg-000000/default/forward.bin", std::ios::in | std::ios::out | std::ios::binary);
        f.seekp(100);
        f.put('\x7f');
    }
    r = spindle(dir, "info " + (dir / "ok"));
    EXPECT_EQ(r.code, 1);
    EXPECT_NE(r.err.find("forward.bin"), std::string::npos) << r.err;
}

TEST(Cli, EvalRunsTrecEvalQuicktestCommandsVerbatim) {
    const std::string d = shared_data() + "/trec_eval";
    if (!std::filesystem::exists(d + "/quicktest_commands.txt")) GTEST_SKIP() << "shared data absent: " << d;
    TempDir dir;
    // Each "./trec_eval ARGS | diff - test/OUT" line of trec_eval's Makefile runs as
    // "spindle eval ARGS" and must print OUT byte for byte. -R (preference and
    // qrels_jg inputs) and -Z (z-scores) are input formats spindle does not read.
    std::istringstream lines(read_file(d + "/quicktest_commands.txt"));
    std::size_t run = 0;
    std::size_t skipped = 0;
    for (std::string line; std::getline(lines, line);) {
        const std::string prefix = "./trec_eval ";
        const auto pipe = line.find(" | diff - ");
        if (line.rfind(prefix, 0) != 0 || pipe == std::string::npos) continue;
        std::string args = line.substr(prefix.size(), pipe - prefix.size());
        std::string expected = line.substr(pipe + 10);
        if (args.find(" -R ") != std::string::npos || args.find("-Z ") != std::string::npos) {
            ++skipped;
            continue;
        }
        for (auto* s : {&args, &expected}) {
            for (std::size_t at; (at = s->find("test/")) != std::string::npos;) s->replace(at, 5, d + "/");
        }
        const auto r = spindle(dir, "eval " + args);
        EXPECT_EQ(r.code, 0) << line << "\n" << r.err;
        EXPECT_EQ(r.out, read_file(expected)) << line;
        ++run;
    }
    EXPECT_EQ(run, 9U);
    EXPECT_EQ(skipped, 6U);
}

TEST(Cli, EvalWarnsAboutRunQueriesWithoutJudgmentsAndRejectsBadInput) {
    TempDir dir;
    write_text(dir / "qrels", "1 0 a 1\n1 0 b 0\n2 0 c 1\n");
    write_text(dir / "run", "1 Q0 a 1 2.0 r\n1 Q0 b 2 1.0 r\n7 Q0 a 1 1.0 r\n8 Q0 a 1 1.0 r\n");
    auto r = spindle(dir, "eval --qrels " + (dir / "qrels") + " --run " + (dir / "run") + " -m map -m num_q");
    ASSERT_EQ(r.code, 0) << r.err;
    EXPECT_EQ(r.out, "num_q                 \tall\t1\nmap                   \tall\t1.0000\n");
    EXPECT_NE(r.err.find("warning: 2 of 3 queries"), std::string::npos) << r.err;
    r = spindle(dir, "eval --qrels " + (dir / "qrels") + " --run " + (dir / "run") + " -m map -c -q");
    ASSERT_EQ(r.code, 0) << r.err;
    EXPECT_EQ(r.out, "map                   \t1\t1.0000\nmap                   \t2\t0.0000\nmap                   \tall\t0.5000\n");
    r = spindle(dir, "eval -m map -q -n " + (dir / "qrels") + " " + (dir / "run"));  // trec_eval's argument order
    ASSERT_EQ(r.code, 0) << r.err;
    EXPECT_EQ(r.out, "map                   \t1\t1.0000\n");
    r = spindle(dir, "eval --qrels " + (dir / "qrels") + " " + (dir / "qrels") + " " + (dir / "run"));
    EXPECT_EQ(r.code, 1);
    EXPECT_NE(r.err.find("not both"), std::string::npos) << r.err;

    r = spindle(dir, "eval --qrels " + (dir / "qrels") + " --run " + (dir / "run") + " -m ndcg_cutt.10");
    EXPECT_EQ(r.code, 1);
    EXPECT_NE(r.err.find("unknown measure 'ndcg_cutt.10'"), std::string::npos) << r.err;
    EXPECT_NE(r.err.find("ndcg_cut"), std::string::npos) << r.err;

    write_text(dir / "bad", "1 Q0 a 1 2.0 r\n1 Q0 b 2 high r\n");
    r = spindle(dir, "eval --qrels " + (dir / "qrels") + " --run " + (dir / "bad"));
    EXPECT_EQ(r.code, 1);
    EXPECT_NE(r.err.find("bad:2"), std::string::npos) << r.err;
    EXPECT_NE(r.err.find("'high'"), std::string::npos) << r.err;

    write_text(dir / "other", "9 Q0 a 1 2.0 r\n");
    r = spindle(dir, "eval --qrels " + (dir / "qrels") + " --run " + (dir / "other"));
    EXPECT_EQ(r.code, 1);
    EXPECT_NE(r.err.find("no query"), std::string::npos) << r.err;
}

TEST(Cli, SearchWithQrelsPrintsTrecEvalMetrics) {
    TempDir dir;
    write_text(dir / "docs.jsonl",
               "{\"id\": \"a\", \"vector\": {\"x\": 1}}\n{\"id\": \"b\", \"vector\": {\"x\": 2, \"y\": 1}}\n"
               "{\"id\": \"c\", \"vector\": {\"y\": 3}}\n{\"id\": \"d\", \"vector\": {\"z\": 1}}\n");
    ASSERT_EQ(spindle(dir, "index --input " + (dir / "docs.jsonl") + " --output " + (dir / "idx") +
                               " --weights f32 -q").code,
              0);
    write_text(dir / "q.tsv", "1\tx y\n2\tz\n3\tx\n");
    // Query 1 scores b and c 3.0 each: trec_eval ranks c first (ties by decreasing docno), so b is
    // at rank 2; query 2 finds d first; query 3 has no judgments; query 9 is not in the run.
    write_text(dir / "qrels", "1 0 b 1\n1 0 a 0\n2 0 d 2\n9 0 a 1\n");
    const std::string search = "search --index " + (dir / "idx") + " --queries " + (dir / "q.tsv") + " -q";
    auto r = spindle(dir, search + " --output " + (dir / "run") + " --qrels " + (dir / "qrels") +
                              " --metrics recip_rank P.1");
    ASSERT_EQ(r.code, 0) << r.err;
    EXPECT_NE(r.out.find("2 queries judged, 1 without judgments ignored"), std::string::npos) << r.out;
    EXPECT_NE(r.out.find("    recip_rank            \tall\t0.7500\n"), std::string::npos) << r.out;
    EXPECT_NE(r.out.find("    P_1                   \tall\t0.5000\n"), std::string::npos) << r.out;
    // Same numbers from the written run file.
    r = spindle(dir, "eval --qrels " + (dir / "qrels") + " --run " + (dir / "run") + " -m recip_rank -m P.1");
    ASSERT_EQ(r.code, 0) << r.err;
    EXPECT_EQ(r.out, "recip_rank            \tall\t0.7500\nP_1                   \tall\t0.5000\n");

    // Default metrics; a bad metric fails before searching.
    r = spindle(dir, search + " --output " + (dir / "run2") + " --qrels " + (dir / "qrels"));
    ASSERT_EQ(r.code, 0) << r.err;
    for (const char* m : {"map ", "ndcg_cut_10 ", "recip_rank ", "P_10 ", "recall_100 ", "recall_1000 "}) {
        EXPECT_NE(r.out.find(std::string("    ") + m), std::string::npos) << m << "\n" << r.out;
    }
    r = spindle(dir, search + " --qrels " + (dir / "qrels") + " --metrics mrr");
    EXPECT_EQ(r.code, 1);
    EXPECT_NE(r.err.find("unknown measure 'mrr'"), std::string::npos) << r.err;
}

TEST(Cli, TextIndexAndSearchWithBm25) {
    TempDir dir;
    write_text(dir / "docs.tsv",
               "d1\tThe quick brown fox jumps over the lazy dog\n"
               "d2\tFoxes' dens: a fox's den is dug by foxes\n"
               "d3\tNothing relevant here at all\n");
    auto r = spindle(dir, "index --text --input " + (dir / "docs.tsv") + " --output " + (dir / "idx") +
                              " --k1 1.2 --b 0.75 -q");
    ASSERT_EQ(r.code, 0) << r.err;
    EXPECT_NE(r.out.find("indexed 3 documents"), std::string::npos) << r.out;
    EXPECT_NE(r.out.find("weights f32"), std::string::npos) << r.out;
    r = spindle(dir, "info " + (dir / "idx"));
    EXPECT_NE(r.out.find("analyzer english, BM25 k1=1.2 b=0.75"), std::string::npos) << r.out;

    write_text(dir / "q.jsonl", "{\"_id\": \"q1\", \"text\": \"Where do FOXES live?\"}\n");
    r = spindle(dir, "search --index " + (dir / "idx") + " --queries " + (dir / "q.jsonl") + " -q -k 5");
    ASSERT_EQ(r.code, 0) << r.err;
    EXPECT_EQ(r.out.rfind("q1 Q0 d2 1 ", 0), 0U) << r.out;  // "fox" three times beats once
    EXPECT_NE(r.out.find("q1 Q0 d1 2 "), std::string::npos) << r.out;
    EXPECT_EQ(r.out.find("d3"), std::string::npos) << r.out;

    // Raw text against a vector index is refused with a clear message.
    write_text(dir / "v.jsonl", "{\"id\": \"a\", \"vector\": {\"x\": 1}}\n");
    ASSERT_EQ(spindle(dir, "index --input " + (dir / "v.jsonl") + " --output " + (dir / "vidx") + " -q").code, 0);
    r = spindle(dir, "search --text --index " + (dir / "vidx") + " --queries " + (dir / "q.jsonl") + " -q");
    EXPECT_EQ(r.code, 1);
    EXPECT_NE(r.err.find("not built from text"), std::string::npos) << r.err;

    write_text(dir / "bad.jsonl", "{\"_id\": \"1\", \"text\": \"ok\"}\n{\"_id\": \"2\"}\n");
    r = spindle(dir, "index --text --collection-format beir --input " + (dir / "bad.jsonl") + " --output " +
                         (dir / "bad") + " -q");
    EXPECT_EQ(r.code, 1);
    EXPECT_NE(r.err.find("bad.jsonl:2"), std::string::npos) << r.err;
    EXPECT_FALSE(std::filesystem::exists(dir / "bad"));
}

// generate -> index (bp) -> info -> bench: the table, the JSON report and
// its provenance, and clear errors for bad algorithm specs.
TEST(Cli, BenchReportsEveryAlgorithmWithProvenance) {
    TempDir dir;
    auto r = spindle(dir, "generate --docs 3000 --queries 20 --seed 5 --format csr --real-queries none -q --output-dir " +
                              (dir / "c"));
    ASSERT_EQ(r.code, 0) << r.err;
    r = spindle(dir, "index --input " + (dir / "c/docs.csr") + " --vocab " + (dir / "c/vocab.txt") + " --output " +
                         (dir / "idx") + " --weights u8 --reorder bp -q");
    ASSERT_EQ(r.code, 0) << r.err;
    EXPECT_NE(r.out.find("documents reordered by bp"), std::string::npos) << r.out;
    EXPECT_NE(r.out.find("peak memory"), std::string::npos) << r.out;
    r = spindle(dir, "info " + (dir / "idx"));
    EXPECT_NE(r.out.find("doc order      bp"), std::string::npos) << r.out;
    const std::string bench = "bench --index " + (dir / "idx") + " --queries " + (dir / "c/queries.tsv") + " -q";
    r = spindle(dir, bench + " --runs 2 -a exhaustive,maxscore,bmw,bmp,bmp@0.5 --json " + (dir / "b.json"));
    ASSERT_EQ(r.code, 0) << r.err;
    for (const char* row : {"\nexhaustive ", "\nmaxscore ", "\nbmw ", "\nbmp ", "\nbmp@0.5 "}) {
        EXPECT_NE(r.out.find(row), std::string::npos) << row << "\n" << r.out;
    }
    EXPECT_NE(r.out.find("(approximate)"), std::string::npos) << r.out;  // alpha 0.5 loses some top-10 documents
    const std::string json = read_file(dir / "b.json");
    for (const char* key : {"\"commit\"", "\"cpu\"", "\"bytes_per_posting\"", "\"peak_rss_bytes\"",
                            "\"reorder\": \"bp\"", "\"identical_to_exhaustive\": true", "\"p99_ms\""}) {
        EXPECT_NE(json.find(key), std::string::npos) << key;
    }
    r = spindle(dir, bench + " -a bmw@0.9");
    EXPECT_EQ(r.code, 1);
    EXPECT_NE(r.err.find("only bmp takes a bound factor"), std::string::npos) << r.err;
    r = spindle(dir, bench + " -a bmp@x");
    EXPECT_EQ(r.code, 1);
    EXPECT_NE(r.err.find("(0, 1]"), std::string::npos) << r.err;
    r = spindle(dir, bench + " -a wand");
    EXPECT_EQ(r.code, 1);
    EXPECT_NE(r.err.find("wand"), std::string::npos) << r.err;
}

TEST(Cli, ApproxIndexSearchBenchAndInfo) {
    TempDir dir;
    auto r = spindle(dir, "generate --docs 2000 --queries 20 --seed 7 --format csr --real-queries none -q --output-dir " +
                              (dir / "c"));
    ASSERT_EQ(r.code, 0) << r.err;
    const std::string input = "index --input " + (dir / "c/docs.csr") + " --vocab " + (dir / "c/vocab.txt") + " -q";
    r = spindle(dir, input + " --output " + (dir / "plain"));
    ASSERT_EQ(r.code, 0) << r.err;
    r = spindle(dir, input + " --output " + (dir / "idx") + " --approx --approx-lambda 200 --approx-block-size 8 --approx-alpha 0.6");
    ASSERT_EQ(r.code, 0) << r.err;
    EXPECT_NE(r.out.find("approximate structures:"), std::string::npos) << r.out;
    r = spindle(dir, "info " + (dir / "idx"));
    EXPECT_NE(r.out.find("  approx "), std::string::npos) << r.out;
    EXPECT_NE(r.out.find("lambda 200, block size 8, alpha 0.6"), std::string::npos) << r.out;
    const std::string q = " --queries " + (dir / "c/queries.tsv");
    r = spindle(dir, "search --index " + (dir / "idx") + q + " -a approx --query-cut 5 --heap-factor 0.8 -q --output " +
                         (dir / "run"));
    ASSERT_EQ(r.code, 0) << r.err;
    EXPECT_FALSE(read_file(dir / "run").empty());
    EXPECT_NE(read_file(dir / "run").find(" 1 "), std::string::npos);
    // With the graph (the default: 10 neighbours) and the index read into memory.
    r = spindle(dir, "search --index " + (dir / "idx") + q +
                         " -a approx --query-cut 5 --heap-factor 0.8 --knn 10 --in-memory -q --output " + (dir / "run-mem"));
    ASSERT_EQ(r.code, 0) << r.err;
    r = spindle(dir, "search --index " + (dir / "idx") + q + " -a approx --query-cut 5 --heap-factor 0.8 --knn 10 -q --output " +
                         (dir / "run-map"));
    ASSERT_EQ(r.code, 0) << r.err;
    EXPECT_EQ(read_file(dir / "run-mem"), read_file(dir / "run-map"));
    EXPECT_NE(read_file(dir / "run-mem"), read_file(dir / "run"));  // refinement found other documents
    r = spindle(dir, "search --index " + (dir / "plain") + q + " -a approx --knn 5");
    EXPECT_EQ(r.code, 1);
    r = spindle(dir, "bench --index " + (dir / "idx") + q + " -q --runs 1 -a exhaustive,approx@5,0.9,approx@1000,1");
    ASSERT_EQ(r.code, 0) << r.err;
    EXPECT_NE(r.out.find("\napprox@5,0.9 "), std::string::npos) << r.out;
    EXPECT_NE(r.out.find("\napprox         "), std::string::npos) << r.out;
    // approx@sweep next to exact and bmp@ variants, plotted: every variant is named in the SVG.
    r = spindle(dir, "bench --index " + (dir / "idx") + q + " -q --runs 1 --limit 5 -a exhaustive,maxscore,bmp,bmp@0.8,approx@sweep,approx@5,0.9 --svg " +
                         (dir / "plot.svg") + " --json " + (dir / "plot.json"));
    ASSERT_EQ(r.code, 0) << r.err;
    EXPECT_NE(r.out.find("wrote " + (dir / "plot.svg")), std::string::npos) << r.out;
    EXPECT_NE(r.out.find("recall/latency curve"), std::string::npos) << r.out;
    const std::string svg = read_file(dir / "plot.svg");
    ASSERT_EQ(svg.rfind("<?xml", 0), 0U);
    EXPECT_NE(svg.find("</svg>"), std::string::npos);
    std::vector<std::string> names{"exhaustive", "maxscore", "bmp", "bmp@0.8"};
    for (const auto cut : {"1", "2", "3", "5", "8", "12", "20"}) {
        for (const auto hf : {"0.7", "0.9", "1"}) {
            names.push_back(std::string("approx@") + cut + "," + hf + ",0");
            if (std::stoi(cut) <= 8) names.push_back(std::string("approx@") + cut + "," + hf + ",10");  // the index has a graph
        }
    }
    for (const auto& name : names) {
        EXPECT_NE(svg.find(">" + name), std::string::npos) << name;     // a label or a tooltip starts with it
        EXPECT_NE(r.out.find("\n" + name + " "), std::string::npos) << name;  // a row of the table
    }
    std::size_t rows = 0;
    for (auto p = r.out.find("\napprox@5,0.9 "); p != std::string::npos; p = r.out.find("\napprox@5,0.9 ", p + 1)) ++rows;
    EXPECT_EQ(rows, 2U) << "named twice, run once: one row in the table, one in the curve";
    {
        const auto plot = nlohmann::json::parse(read_file(dir / "plot.json"));
        EXPECT_TRUE(plot["curve"]["best_exact"].is_string()) << plot.dump(2);
        EXPECT_FALSE(plot["curve"]["points"].empty()) << plot.dump(2);
    }
    // Bad values: clear errors, exit 1.
    const std::pair<std::string, std::string> bad[] = {
        {"search --index " + (dir / "plain") + q + " -a approx", "has no approximate structures"},
        {"search --index " + (dir / "idx") + q + " -a approx --query-cut 0", "query cut"},
        {"search --index " + (dir / "idx") + q + " -a approx --heap-factor 4.5", "heap factor"},
        {"bench --index " + (dir / "idx") + q + " -a approx@10,0", "heap factor"},
        {"bench --index " + (dir / "idx") + q + " -a approx@x", "approx@QUERY_CUT,HEAP_FACTOR"},
        {"bench --index " + (dir / "plain") + q + " -a approx@10,0.9", "no approximate structures"},
        {"bench --index " + (dir / "idx") + q + " -a bmp --svg " + (dir / "no/such/plot.svg"), "does not exist"},
        {input + " --output " + (dir / "x") + " --approx --approx-lambda 0", "--approx-lambda"},
        {input + " --output " + (dir / "x") + " --approx --approx-block-size 0", "--approx-block-size"},
        {input + " --output " + (dir / "x") + " --approx --approx-alpha 1.5", "--approx-alpha"},
        {input + " --output " + (dir / "x") + " --approx --approx-alpha 0", "--approx-alpha"},
    };
    for (const auto& [args, part] : bad) {
        r = spindle(dir, args);
        EXPECT_EQ(r.code, 1) << args;
        EXPECT_NE(r.err.find(part), std::string::npos) << args << ": " << r.err;
    }
    EXPECT_FALSE(std::filesystem::exists(dir / "x"));
}

// Without --approx-lambda the per-term budget follows the scaled rule (400
// for small segments), and info, index and build-approx say so; an explicit
// --approx-lambda fixes it.
TEST(Cli, ApproxLambdaDefaultIsTheScaledRule) {
    TempDir dir;
    auto r = spindle(dir, "generate --docs 300 --queries 0 --seed 5 --format csr --real-queries none -q --output-dir " +
                              (dir / "c"));
    ASSERT_EQ(r.code, 0) << r.err;
    r = spindle(dir, "index --input " + (dir / "c/docs.csr") + " --vocab " + (dir / "c/vocab.txt") + " -q --output " +
                         (dir / "idx") + " --approx --approx-knn 0");
    ASSERT_EQ(r.code, 0) << r.err;
    const std::string rule = "lambda 400 (max(400, 0.0004 x docs) capped at 20000)";
    EXPECT_NE(r.out.find(rule), std::string::npos) << r.out;
    r = spindle(dir, "info " + (dir / "idx"));
    EXPECT_NE(r.out.find(rule), std::string::npos) << r.out;
    r = spindle(dir, "build-approx --overwrite -q --index " + (dir / "idx") + " --approx-lambda 7 --approx-knn 0");
    ASSERT_EQ(r.code, 0) << r.err;
    r = spindle(dir, "info " + (dir / "idx"));
    EXPECT_NE(r.out.find("lambda 7, block size"), std::string::npos) << r.out;
}

// build-approx, tune and the stored defaults end to end. That build-approx
// gives the same approx.bin (and results) as index --approx is tested in
// approx_tuning_test; each approx build here costs ~20 s under ASan, so there
// are two.
TEST(Cli, BuildApproxTuneAndStoredDefaults) {
    TempDir dir;
    auto r = spindle(dir, "generate --docs 600 --queries 60 --seed 11 --format csr --real-queries none -q --output-dir " +
                              (dir / "c"));
    ASSERT_EQ(r.code, 0) << r.err;
    r = spindle(dir, "index --input " + (dir / "c/docs.csr") + " --vocab " + (dir / "c/vocab.txt") + " -q --output " +
                         (dir / "idx") + " --segment-docs 250");
    ASSERT_EQ(r.code, 0) << r.err;
    const std::string q = " --queries " + (dir / "c/queries.tsv");
    // Tuning needs approximate structures.
    r = spindle(dir, "tune --index " + (dir / "idx") + q);
    EXPECT_EQ(r.code, 1);
    EXPECT_NE(r.err.find("spindle build-approx --index"), std::string::npos) << r.err;
    r = spindle(dir, "build-approx --index " + (dir / "idx") + " --approx-lambda 60 --approx-block-size 8 --approx-alpha 0.6 --threads 2");
    ASSERT_EQ(r.code, 0) << r.err;
    EXPECT_NE(r.err.find("seg-000002: approx.bin"), std::string::npos) << r.err;  // a line per segment
    EXPECT_NE(r.out.find("3 segments"), std::string::npos) << r.out;
    r = spindle(dir, "info " + (dir / "idx"));
    EXPECT_NE(r.out.find("lambda 60, block size 8, alpha 0.6"), std::string::npos) << r.out;
    EXPECT_NE(r.out.find("approx query defaults none"), std::string::npos) << r.out;
    r = spindle(dir, "search --index " + (dir / "idx") + q + " -a approx --query-cut 3 --heap-factor 0.8 -q --output " +
                         (dir / "explicit.run"));
    ASSERT_EQ(r.code, 0) << r.err;
    EXPECT_NE(r.out.find("approx (query_cut 3, heap_factor 0.8, knn 0) k=10"), std::string::npos) << r.out;
    r = spindle(dir, "build-approx --index " + (dir / "idx"));
    EXPECT_EQ(r.code, 1);
    EXPECT_NE(r.err.find("already has approximate structures"), std::string::npos) << r.err;
    EXPECT_NE(r.err.find("--overwrite"), std::string::npos) << r.err;
    r = spindle(dir, "build-approx --index " + (dir / "idx") + " --overwrite --approx-alpha 2");
    EXPECT_EQ(r.code, 1);
    EXPECT_NE(r.err.find("--approx-alpha"), std::string::npos) << r.err;

    // Bad tune arguments.
    const std::string tune = "tune --index " + (dir / "idx") + " --runs 1";
    for (const char* bad : {"0", "1.5", "-0.2"}) {
        r = spindle(dir, tune + q + " --target-recall " + bad);
        EXPECT_EQ(r.code, 1) << bad;
        EXPECT_NE(r.err.find("--target-recall must be in (0, 1]"), std::string::npos) << r.err;
    }
    const std::string queries = read_file(dir / "c/queries.tsv");
    write_text(dir / "one.tsv", queries.substr(0, queries.find('\n') + 1));
    r = spindle(dir, tune + " --queries " + (dir / "one.tsv"));
    EXPECT_EQ(r.code, 1);
    EXPECT_NE(r.err.find("at least 2 queries"), std::string::npos) << r.err;

    // --dry-run chooses without storing.
    const std::string before = read_file(dir / ("idx/" + read_current(dir / "idx")));
    r = spindle(dir, tune + q + " --target-recall 0.9 --dry-run -q --json " + (dir / "t.json") + " --svg " + (dir / "t.svg"));
    ASSERT_EQ(r.code, 0) << r.err;
    EXPECT_NE(r.out.find("dry run"), std::string::npos) << r.out;
    EXPECT_EQ(read_file(dir / ("idx/" + read_current(dir / "idx"))), before);
    EXPECT_TRUE(nlohmann::json::parse(read_file(dir / "t.json"))["chosen"].contains("heldout_recall"));
    const std::string svg = read_file(dir / "t.svg");
    EXPECT_NE(svg.find("<svg"), std::string::npos);
    EXPECT_NE(svg.find("chosen (held-out recall"), std::string::npos) << svg.substr(0, 400);
    EXPECT_NE(svg.find("query_cut"), std::string::npos);
    // Tune and store.
    r = spindle(dir, tune + q + " --target-recall 0.9");
    ASSERT_EQ(r.code, 0) << r.err;
    EXPECT_NE(r.out.find("Pareto"), std::string::npos) << r.out;
    EXPECT_NE(r.out.find("stored as the query defaults"), std::string::npos) << r.out;
    EXPECT_NE(r.err.find("sweep (staircase"), std::string::npos) << r.err;
    const auto at = r.out.find("on the tuning queries, ", r.out.find("chosen "));
    ASSERT_NE(at, std::string::npos) << r.out;
    // Which setting is fastest depends on timing, so the held-out recall
    // (30 queries) is checked with some slack here; approx_tuning_test checks
    // it exactly.
    EXPECT_GE(std::stod(r.out.substr(at + std::string("on the tuning queries, ").size())), 0.85) << r.out;
    const auto from = r.out.find("chosen ") + 7;
    const std::string chosen = r.out.substr(from, r.out.find(':', from) - from);
    r = spindle(dir, "info " + (dir / "idx"));
    EXPECT_NE(r.out.find("approx query defaults " + chosen), std::string::npos) << chosen << "\n" << r.out;
    // search and bench use the stored defaults unless told otherwise.
    r = spindle(dir, "search --index " + (dir / "idx") + q + " -a approx -q --output " + (dir / "d.run"));
    ASSERT_EQ(r.code, 0) << r.err;
    EXPECT_NE(r.out.find("approx (" + chosen + "; index defaults tuned for recall@10 0.9)"), std::string::npos)
        << chosen << "\n" << r.out;
    r = spindle(dir, "search --index " + (dir / "idx") + q + " -a approx --query-cut 3 --heap-factor 0.8 --knn 0 -q --output " +
                         (dir / "e.run"));
    EXPECT_NE(r.out.find("approx (query_cut 3, heap_factor 0.8, knn 0;"), std::string::npos) << r.out;
    EXPECT_EQ(read_file(dir / "e.run"), read_file(dir / "explicit.run"));
    r = spindle(dir, "bench --index " + (dir / "idx") + q + " -q --runs 1 -a approx,approx@3,0.8 --json " + (dir / "b.json"));
    ASSERT_EQ(r.code, 0) << r.err;
    EXPECT_NE(r.out.find("approx default " + chosen), std::string::npos) << r.out;
    {
        const auto b = nlohmann::json::parse(read_file(dir / "b.json"));
        ASSERT_EQ(b["results"].size(), 2U) << b.dump(2);
        EXPECT_EQ(b["results"][1]["query_cut"], 3) << b.dump(2);
        EXPECT_EQ(b["results"][1]["heap_factor"], 0.8) << b.dump(2);
    }
    // Replacing the structures drops the defaults; an unreachable target
    // reports the best recall, stores nothing and exits 1.
    r = spindle(dir, "build-approx --overwrite --index " + (dir / "idx") + " --approx-lambda 1 --approx-alpha 0.05");
    ASSERT_EQ(r.code, 0) << r.err;
    r = spindle(dir, "info " + (dir / "idx"));
    EXPECT_NE(r.out.find("approx query defaults none"), std::string::npos) << r.out;
    const std::string stored = read_file(dir / ("idx/" + read_current(dir / "idx")));
    r = spindle(dir, tune + " -q --target-recall 1" + q);
    EXPECT_EQ(r.code, 1);
    EXPECT_NE(r.err.find("not reached"), std::string::npos) << r.err;
    EXPECT_NE(r.err.find("best "), std::string::npos) << r.err;
    // One posting per term: the missed documents were pruned statically, so
    // the message names the budget to rebuild with (twice the current one).
    EXPECT_NE(r.err.find("--approx-lambda 2"), std::string::npos) << r.err;
    EXPECT_EQ(read_file(dir / ("idx/" + read_current(dir / "idx"))), stored);
}

// generate --topics: the topical model, recorded in the statistics; its knobs
// need --topics; the same seed gives the same files.
TEST(Cli, GenerateTopicalMode) {
    TempDir dir;
    const std::string gen = "generate --docs 400 --queries 10 --seed 3 --format csr --real-queries none -q ";
    auto r = spindle(dir, gen + "--topics 20 --topic-share 0.8 --stats-json " + (dir / "s.json") + " --output-dir " + (dir / "a"));
    ASSERT_EQ(r.code, 0) << r.err;
    EXPECT_NE(r.out.find("topical model: 20 topics of 300 terms, 80 % of document terms"), std::string::npos) << r.out;
    const std::string stats = read_file(dir / "s.json");
    EXPECT_NE(stats.find("\"model\": \"topical\""), std::string::npos) << stats;
    EXPECT_NE(stats.find("\"topics\": 20"), std::string::npos) << stats;
    r = spindle(dir, gen + "--topics 20 --topic-share 0.8 --output-dir " + (dir / "b"));
    ASSERT_EQ(r.code, 0) << r.err;
    EXPECT_EQ(read_file(dir / "a/docs.csr"), read_file(dir / "b/docs.csr"));
    EXPECT_EQ(read_file(dir / "a/queries.tsv"), read_file(dir / "b/queries.tsv"));
    r = spindle(dir, gen + "--topic-share 0.8 --output-dir " + (dir / "c"));
    EXPECT_NE(r.code, 0);
    EXPECT_NE(r.err.find("--topics"), std::string::npos) << r.err;
    r = spindle(dir, gen + "--topics 20 --topic-terms 20000 --output-dir " + (dir / "c"));
    EXPECT_NE(r.code, 0);
}

TEST(Cli, HelpExplainsCommands) {
    TempDir dir;
    auto r = spindle(dir, "--help");
    EXPECT_EQ(r.code, 0);
    for (const char* cmd : {"index", "search", "info", "eval", "bench", "generate", "build-approx", "tune"}) {
        EXPECT_NE(r.out.find(cmd), std::string::npos) << r.out;
    }
    r = spindle(dir, "search --help");
    EXPECT_NE(r.out.find("bmp"), std::string::npos) << r.out;
    r = spindle(dir, "");
    EXPECT_NE(r.code, 0);
}

// The committed fixture of the last released format (2, a static index made
// by the previous release) still opens, read-only, and gives the run it gave
// then; writing to it is refused with a message saying how to convert it.
TEST(Cli, ReleasedFormatTwoFixtureStillOpensAndSearchesTheSame) {
    const std::string fx = std::string(SPINDLE_SOURCE_DIR) + "/tests/fixtures";
    TempDir dir;
    auto r = spindle(dir, "search --index " + fx + "/format-v2 --queries " + fx + "/v2_queries.tsv -a exhaustive -k 5 --output " +
                              (dir / "run.trec") + " -q");
    ASSERT_EQ(r.code, 0) << r.err;
    EXPECT_EQ(slurp(dir / "run.trec"), slurp(fx + "/format-v2.expected.trec"));
    r = spindle(dir, "info " + fx + "/format-v2");
    ASSERT_EQ(r.code, 0) << r.err;
    EXPECT_NE(r.out.find("format version 2"), std::string::npos) << r.out;
    std::filesystem::copy(fx + "/format-v2", dir / "v2", std::filesystem::copy_options::recursive);
    r = spindle(dir, "delete --collection " + (dir / "v2") + " --id d2");
    EXPECT_NE(r.code, 0);
    EXPECT_NE(r.err.find("format 2: it opens read-only"), std::string::npos) << r.err;
}

}  // namespace
}  // namespace spindle::test
