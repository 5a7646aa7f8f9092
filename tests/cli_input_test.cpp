// Bad input and inconsistent options through the CLI (issue 10, items 5-11):
// each case gets one error style ("error: ...", exit 1 for bad input, 2 for
// usage), never a silent wrong result. docs/errors.md lists them.
#include <gtest/gtest.h>

#include <filesystem>
#include <set>

#include "cli_util.hpp"

namespace spindle::test {
namespace {

namespace fs = std::filesystem;

const char* kDocs =
    "{\"id\": \"a\", \"vector\": {\"x\": 1, \"y\": 0.5}}\n"
    "{\"id\": \"b\", \"vector\": {\"x\": 0.25}}\n"
    "{\"id\": \"c\", \"vector\": {\"y\": 2}}\n";

struct Fixture {
    TempDir dir;
    std::string idx = dir / "idx";
    Fixture() {
        write_text(dir / "docs.jsonl", kDocs);
        write_text(dir / "q.tsv", "1\tx y\n2\ty\n");
        const auto r = spindle(dir, "index --input " + (dir / "docs.jsonl") + " --output " + idx + " -q");
        EXPECT_EQ(r.code, 0) << r.err;
    }
    Result search(const std::string& extra) const {
        return spindle(dir, "search --index " + idx + " --queries " + (dir / "q.tsv") + " -q " + extra);
    }
};

std::size_t lines(const std::string& text) {
    std::size_t n = 0;
    for (char c : text) n += c == '\n' ? 1 : 0;
    return n;
}

TEST(CliInput, IdsThatWouldBreakTrecRunsAreRejected) {  // item 5
    TempDir dir;
    for (const auto& [id, what] : std::vector<std::pair<std::string, std::string>>{
             {"has space", "a space"}, {"tab\\there", "a tab"}, {"", "empty document id"}}) {
        write_text(dir / "d.jsonl", "{\"id\": \"ok\", \"vector\": {\"x\": 1}}\n{\"id\": \"" + id + "\", \"vector\": {\"x\": 1}}\n");
        const auto r = spindle(dir, "index --input " + (dir / "d.jsonl") + " --output " + (dir / "i") + " -q");
        EXPECT_EQ(r.code, 1) << id;
        EXPECT_NE(r.err.find("d.jsonl:2"), std::string::npos) << r.err;
        EXPECT_NE(r.err.find(what), std::string::npos) << r.err;
        EXPECT_FALSE(fs::exists(dir / "i"));
    }
    Fixture f;
    write_text(f.dir / "q.tsv", "q 1\tx\n");
    const auto r = f.search("");
    EXPECT_EQ(r.code, 1);
    EXPECT_NE(r.err.find("query id 'q 1'"), std::string::npos) << r.err;
}

TEST(CliInput, ByteOrderMarkIsSkippedEverywhere) {  // item 6
    const std::string bom = "\xEF\xBB\xBF";
    TempDir dir;
    write_text(dir / "d.jsonl", bom + kDocs);
    auto r = spindle(dir, "index --input " + (dir / "d.jsonl") + " --output " + (dir / "i") + " -q");
    ASSERT_EQ(r.code, 0) << r.err;
    EXPECT_NE(r.out.find("byte order marks skipped: 1 (" + (dir / "d.jsonl") + ")"), std::string::npos) << r.out;
    write_text(dir / "q.tsv", bom + "1\tx\n");
    r = spindle(dir, "search --index " + (dir / "i") + " --queries " + (dir / "q.tsv") + " -q --output " + (dir / "run"));
    ASSERT_EQ(r.code, 0) << r.err;
    EXPECT_EQ(slurp(dir / "run").substr(0, 7), "1 Q0 a ") << slurp(dir / "run");
    EXPECT_NE(r.out.find("byte order marks skipped: 1 (" + (dir / "q.tsv") + ")"), std::string::npos) << r.out;
    // BEIR qrels with a header line.
    write_text(dir / "qrels.tsv", bom + "query-id\tcorpus-id\tscore\n1\ta\t1\n");
    r = spindle(dir, "eval --qrels " + (dir / "qrels.tsv") + " --run " + (dir / "run") + " -m P.1");
    EXPECT_EQ(r.code, 0) << r.err;
    EXPECT_NE(r.out.find("P_1"), std::string::npos) << r.out;
    EXPECT_NE(r.err.find("note: byte order marks skipped: 1 (" + (dir / "qrels.tsv") + ")"), std::string::npos) << r.err;
    // No BOM, no note.
    write_text(dir / "plain.jsonl", kDocs);
    r = spindle(dir, "index --input " + (dir / "plain.jsonl") + " --output " + (dir / "j") + " -q");
    ASSERT_EQ(r.code, 0) << r.err;
    EXPECT_EQ(r.out.find("byte order"), std::string::npos) << r.out;
}

TEST(CliInput, MismatchedInputsAreErrorsNotEmptyRuns) {  // item 7
    Fixture f;
    // Raw text (or qrels) given as vector queries: no query has a known term.
    write_text(f.dir / "text.tsv", "1\twhat is paula deen's brother\n2\tandrogen receptor define\n");
    auto r = spindle(f.dir, "search --index " + f.idx + " --queries " + (f.dir / "text.tsv") + " -q");
    EXPECT_EQ(r.code, 1);
    EXPECT_NE(r.err.find("none of the 2 queries"), std::string::npos) << r.err;
    r = spindle(f.dir, "search --index " + f.idx + " --queries " + (f.dir / "text.tsv") + " -q --allow-empty");
    EXPECT_EQ(r.code, 0) << r.err;
    // An empty query file, an empty corpus.
    write_text(f.dir / "empty.tsv", "");
    r = spindle(f.dir, "search --index " + f.idx + " --queries " + (f.dir / "empty.tsv") + " -q");
    EXPECT_EQ(r.code, 1);
    EXPECT_NE(r.err.find("no query"), std::string::npos) << r.err;
    write_text(f.dir / "empty.jsonl", "");
    r = spindle(f.dir, "index --input " + (f.dir / "empty.jsonl") + " --output " + (f.dir / "e") + " -q");
    EXPECT_EQ(r.code, 1);
    EXPECT_NE(r.err.find("no document"), std::string::npos) << r.err;
    r = spindle(f.dir, "index --input " + (f.dir / "empty.jsonl") + " --output " + (f.dir / "e") + " -q --allow-empty");
    EXPECT_EQ(r.code, 0) << r.err;
    // search --qrels sharing no query with the queries: an error, as in eval.
    write_text(f.dir / "qrels.txt", "99 0 a 1\n");
    r = f.search("--qrels " + (f.dir / "qrels.txt"));
    EXPECT_EQ(r.code, 1);
    EXPECT_NE(r.err.find("has judgments in"), std::string::npos) << r.err;
}

TEST(CliInput, ApproxReturnsKWhenKDocumentsShareAKeptPosting) {  // item 8
    TempDir dir;
    CorpusParams p;
    p.docs = 40;
    p.vocab = 60;
    p.discrete_weights = false;
    write_jsonl(dir / "d.jsonl", random_corpus(5, p));
    std::string qs;
    for (const auto& q : random_queries(5, 20, p.vocab, true)) {
        qs += q.id + "\t";
        for (const auto& [t, w] : q.terms) {
            for (int i = 0; i < static_cast<int>(w); ++i) qs += t + " ";
        }
        qs += "\n";
    }
    write_text(dir / "q.tsv", qs);
    auto r = spindle(dir, "index --input " + (dir / "d.jsonl") + " --output " + (dir / "i") + " --approx --approx-knn 0 -q");
    ASSERT_EQ(r.code, 0) << r.err;
    const std::string base = "search --index " + (dir / "i") + " --queries " + (dir / "q.tsv") + " -k 10 -q --output ";
    ASSERT_EQ(spindle(dir, base + (dir / "exact") + " -a exhaustive").code, 0);
    r = spindle(dir, base + (dir / "approx") + " -a approx --query-cut 1000 --heap-factor 1 --knn 0");
    ASSERT_EQ(r.code, 0) << r.err;
    auto per_query = [](const std::string& run) {
        std::map<std::string, std::size_t> n;
        std::istringstream in(run);
        for (std::string line; std::getline(in, line);) ++n[line.substr(0, line.find(' '))];
        return n;
    };
    EXPECT_EQ(per_query(slurp(dir / "approx")), per_query(slurp(dir / "exact")));
}

TEST(CliInput, KIsValidatedAndClamped) {  // item 9
    Fixture f;
    for (const char* k : {"0", "abc", "1.5"}) {
        const auto r = f.search(std::string("-k ") + k);
        EXPECT_EQ(r.code, 2) << k;
        EXPECT_NE(r.err.find(std::string("k must be a positive integer (got '") + k + "')"), std::string::npos) << r.err;
    }
    const auto neg = f.search("--k=-1");
    EXPECT_EQ(neg.code, 2);
    EXPECT_NE(neg.err.find("k must be a positive integer (got '-1')"), std::string::npos) << neg.err;
    for (const char* k : {"3000000000", "18446744073709551614"}) {
        const auto r = f.search(std::string("-k ") + k);
        EXPECT_EQ(r.code, 0) << k << ": " << r.err;
        EXPECT_EQ(lines(r.out), 3U + 2U) << r.out;  // query 1 matches a, b, c; query 2 matches a, c
    }
}

TEST(CliInput, ParserErrorsHaveOneStyleAndExitCode2) {  // item 10
    Fixture f;
    auto r = f.search("--topk 5");
    EXPECT_EQ(r.code, 2);
    EXPECT_NE(r.err.find("error: unknown option --topk (did you mean --k?)"), std::string::npos) << r.err;
    r = spindle(f.dir, "index --input x.jsonl");
    EXPECT_EQ(r.code, 2);
    EXPECT_EQ(r.err.rfind("error: ", 0), 0U) << r.err;
    r = spindle(f.dir, "--help");
    EXPECT_EQ(r.code, 0);
    EXPECT_NE(r.out.find("Exit codes: 0 success, 1 bad input"), std::string::npos) << r.out;
}

TEST(CliInput, OptionsAreConsistentAcrossCommands) {  // item 11
    Fixture f;
    auto r = spindle(f.dir, "--version");
    EXPECT_EQ(r.code, 0);
    EXPECT_NE(r.out.find("format 3"), std::string::npos) << r.out;
    r = spindle(f.dir, "build-approx --help");
    EXPECT_NE(r.out.find("default 400"), std::string::npos) << r.out;
    r = spindle(f.dir, "info --index " + f.idx);
    EXPECT_EQ(r.code, 0) << r.err;
    r = f.search("--threads 0");
    EXPECT_EQ(r.code, 0) << r.err;
    write_text(f.dir / "qrels.txt", "1 0 a 1\n");
    r = f.search("--qrels " + (f.dir / "qrels.txt") + " -m map -m P.1,2");
    EXPECT_EQ(r.code, 0) << r.err;
    EXPECT_NE(r.err.find("P_2"), std::string::npos) << r.err;
    r = f.search("--knn 5 -a bmp");
    EXPECT_EQ(r.code, 1);
    EXPECT_NE(r.err.find("--knn applies to approximate search only"), std::string::npos) << r.err;
    r = spindle(f.dir, "bench --index " + f.idx + " --queries " + (f.dir / "q.tsv") + " --json no/such/b.json -q");
    EXPECT_EQ(r.code, 1);
    EXPECT_NE(r.err.find("no/such"), std::string::npos) << r.err;
    EXPECT_EQ(r.out.find("latency"), std::string::npos) << "checked before the benchmark ran";
}

}  // namespace
}  // namespace spindle::test
