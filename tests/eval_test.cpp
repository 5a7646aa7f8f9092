// The eval layer against trec_eval's own test suite (shared data folder): its
// expected outputs must be reproduced line for line. Plus
// semantics (ranking, ties, -M, -c, levels) and bad-input tests.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <iostream>
#include <limits>
#include <random>
#include <sstream>

#include "spindle/common/error.hpp"
#include "spindle/eval/evaluate.hpp"
#include "spindle/eval/qrels.hpp"
#include "spindle/eval/run.hpp"
#include "spindle/eval/trec_eval_format.hpp"
#include "test_util.hpp"

namespace spindle::test {
namespace {

using eval::EvalOptions;
using eval::FormatOptions;

std::string trec_dir() { return shared_data() + "/trec_eval"; }

std::vector<std::string> lines_of(const std::string& text) {
    std::vector<std::string> out;
    std::istringstream in(text);
    for (std::string line; std::getline(in, line);) out.push_back(line);
    return out;
}

/// One command of trec_eval's quicktest, mapped to spindle's options.
struct QuickTest {
    std::string expected;
    std::string qrels;
    std::string run;
    std::vector<std::string> measures;
    bool per_query = false;
    bool complete = false;
    long level = 1;
    std::size_t max_results = std::numeric_limits<std::size_t>::max();
};

std::vector<QuickTest> quicktests() {
    const std::vector<std::string> params = {"iprec_at_recall..10,.20,.25,.75,.50", "P.5,7,3", "recall.20,2000",
                                             "Rprec_mult.5.0,0.2,0.35", "utility.2,-1,0,0", "11pt_avg..25,.5,.75",
                                             "ndcg.1=3,2=9,4=4.5", "ndcg_cut.10,20,23.4", "success.2,5,20"};
    return {
        {"out.test", "qrels.test", "results.test", {}},
        {"out.test", "qrels.test.with-comments", "results.test", {}},
        {"out.comment.test", "qrels.comment.test", "results.comment.test", {}},
        {"out.test.a", "qrels.test", "results.test", {"all_trec"}},
        {"out.test.aq", "qrels.test", "results.test", {"all_trec"}, true},
        {"out.test.aqc", "qrels.test", "results.trunc", {"all_trec"}, true, true},
        {"out.test.aqcM", "qrels.test", "results.trunc", {"all_trec"}, true, true, 1, 100},
        {"out.test.aql", "qrels.rel_level", "results.test", {"all_trec", "relstring.20"}, true, false, 2},
        {"out.test.meas_params", "qrels.test", "results.test", params, true},
    };
}

void expect_same_lines(const std::string& ours, const std::string& expected, const std::string& label) {
    const auto a = lines_of(ours);
    const auto b = lines_of(expected);
    ASSERT_EQ(a.size(), b.size()) << label << ": line counts differ\nours:\n" << ours;
    for (std::size_t i = 0; i < a.size(); ++i) EXPECT_EQ(a[i], b[i]) << label << " line " << i + 1;
}

TEST(EvalTrecEvalSuite, ReproducesExpectedOutputs) {
    if (!std::filesystem::exists(trec_dir() + "/qrels.test")) GTEST_SKIP() << "shared data absent: " << trec_dir();
    for (const auto& t : quicktests()) {
        SCOPED_TRACE(t.expected + " (" + t.qrels + ", " + t.run + ")");
        EvalOptions opts;
        opts.relevance_level = t.level;
        opts.max_results = t.max_results;
        opts.average_complete = t.complete;
        const auto e = eval::evaluate(eval::read_qrels(trec_dir() + "/" + t.qrels),
                                      eval::read_run(trec_dir() + "/" + t.run), t.measures, opts);
        const auto ours = eval::format_trec_eval(e, FormatOptions{t.per_query, true});
        // Every line, value strings included: all measures of these outputs are implemented.
        const auto expected = read_file(trec_dir() + "/" + t.expected);
        expect_same_lines(ours, expected, t.expected);
        std::cout << "[ trec_eval ] " << t.expected << " with " << t.qrels << ": " << lines_of(expected).size()
                  << " lines equal\n";
    }
}

// --- semantics on small in-memory data -------------------------------------

eval::Qrels small_qrels() {
    eval::Qrels q;
    q.queries["q1"].docs = {{"a", 1}, {"b", 0}, {"c", 2}, {"d", -1}};
    q.queries["q2"].docs = {{"x", 1}};
    return q;
}

double value(const eval::Evaluation& e, const std::string& qid, const std::string& name) {
    for (std::size_t v = 0; v < e.values.size(); ++v) {
        if (e.values[v].name != name) continue;
        if (qid == "all") return e.summary[v];
        for (const auto& q : e.queries) {
            if (q.qid == qid) return q.values[v];
        }
    }
    ADD_FAILURE() << "no value " << name << " for " << qid;
    return -1;
}

TEST(EvalSemantics, TiesBrokenByDecreasingDocno) {
    eval::Run run;
    run.runid = "r";
    // All scores equal: trec_eval ranks c, b, a (docno decreasing), whatever the file order.
    run.queries["q1"] = {{"a", 1.0}, {"b", 1.0}, {"c", 1.0}};
    const auto e = eval::evaluate(small_qrels(), run, {"recip_rank", "P.1", "num_ret"});
    EXPECT_DOUBLE_EQ(value(e, "q1", "recip_rank"), 1.0);  // c (rel 2) first
    EXPECT_DOUBLE_EQ(value(e, "q1", "P_1"), 1.0);
    run.queries["q1"] = {{"a", 1.0}, {"b", 2.0}, {"c", 1.0}};
    const auto e2 = eval::evaluate(small_qrels(), run, {"recip_rank"});
    EXPECT_DOUBLE_EQ(value(e2, "q1", "recip_rank"), 0.5);  // b, c, a
}

TEST(EvalSemantics, MaxResultsLevelAndUnjudged) {
    eval::Run run;
    run.queries["q1"] = {{"d", 4.0}, {"b", 3.0}, {"a", 2.0}, {"c", 1.0}};
    EvalOptions opts;
    opts.max_results = 3;
    auto e = eval::evaluate(small_qrels(), run, {"num_ret", "num_rel", "num_rel_ret", "bpref", "map"}, opts);
    EXPECT_EQ(value(e, "q1", "num_ret"), 3);
    EXPECT_EQ(value(e, "q1", "num_rel"), 2);
    EXPECT_EQ(value(e, "q1", "num_rel_ret"), 1);
    // bpref: d unjudged (skipped), b nonrel, a rel with 1 nonrel above: (1 - 1/1) / 2.
    EXPECT_DOUBLE_EQ(value(e, "q1", "bpref"), 0.0);
    EXPECT_DOUBLE_EQ(value(e, "q1", "map"), (1.0 / 3.0) / 2.0);
    opts = {};
    opts.relevance_level = 2;
    e = eval::evaluate(small_qrels(), run, {"num_rel", "map", "ndcg_cut.1"}, opts);
    EXPECT_EQ(value(e, "q1", "num_rel"), 1);
    EXPECT_DOUBLE_EQ(value(e, "q1", "map"), 0.25);
    EXPECT_DOUBLE_EQ(value(e, "q1", "ndcg_cut_1"), 0.0);  // gains ignore -l: ideal first is c (2)
}

TEST(EvalSemantics, RunQueriesWithoutQrelsIgnoredAndCompleteAverages) {
    eval::Run run;
    run.queries["q1"] = {{"c", 2.0}};
    run.queries["zz"] = {{"c", 2.0}};
    auto e = eval::evaluate(small_qrels(), run, {"num_q", "P.1", "num_rel"});
    EXPECT_EQ(e.ignored_run_queries, 1U);
    EXPECT_EQ(e.missing_run_queries, 1U);
    EXPECT_EQ(e.num_q, 1U);
    EXPECT_DOUBLE_EQ(value(e, "all", "P_1"), 1.0);
    EXPECT_DOUBLE_EQ(value(e, "all", "num_rel"), 2.0);
    EvalOptions opts;
    opts.average_complete = true;
    e = eval::evaluate(small_qrels(), run, {"num_q", "P.1", "num_rel"}, opts);
    EXPECT_EQ(e.num_q, 2U);
    EXPECT_DOUBLE_EQ(value(e, "all", "P_1"), 0.5);
    EXPECT_DOUBLE_EQ(value(e, "q2", "P_1"), 0.0);
    EXPECT_DOUBLE_EQ(value(e, "all", "num_rel"), 3.0);
    const auto text = eval::format_trec_eval(e, {true, true});
    EXPECT_NE(text.find("num_q                 \tall\t2\n"), std::string::npos) << text;
    EXPECT_NE(text.find("P_1                   \tq2\t0.0000\n"), std::string::npos) << text;
}

TEST(EvalSemantics, DefaultCutoffsAndParameterOrder) {
    const auto set = eval::MeasureSet::parse({"success", "P.20,5", "recip_rank"});
    std::vector<std::string> names;
    for (const auto& v : set.values()) names.push_back(v.name);
    // Table order (recip_rank before P before success), parameters ascending.
    EXPECT_EQ(names, (std::vector<std::string>{"recip_rank", "P_5", "P_20", "success_1", "success_5", "success_10"}));
    const auto official = eval::MeasureSet::parse({});
    EXPECT_TRUE(official.prints_runid());
    EXPECT_EQ(official.values().back().name, "P_1000");
}

TEST(EvalSemantics, DuplicateInMemoryDocIsRejected) {
    eval::Run run;
    run.queries["q1"] = {{"a", 1.0}, {"a", 0.5}};
    EXPECT_THROW(eval::evaluate(small_qrels(), run, {"map"}), InvalidArgument);
}

// Seeded random qrels and runs (graded levels, unjudged entries, score ties):
// identities between measures that must hold whatever the data, and
// independence from the order of the run's lines.
TEST(EvalSemantics, SeededPropertiesHold) {
    for (std::uint64_t seed = 1; seed <= 30; ++seed) {
        SCOPED_TRACE("seed " + std::to_string(seed));
        std::mt19937_64 rng(seed);
        eval::Qrels qrels;
        eval::Run run;
        for (int q = 0; q < 5; ++q) {
            const std::string qid = "q" + std::to_string(q);
            auto& judged = qrels.queries[qid].docs;
            for (int d = 0; d < 60; ++d) {
                if (rng() % 3 == 0) judged.push_back({"d" + std::to_string(d), static_cast<long>(rng() % 5) - 1});
            }
            if (judged.empty()) judged.push_back({"d0", 1});
            auto& docs = run.queries[qid];
            const int n = static_cast<int>(rng() % 40);
            for (int d = 0; d < n; ++d) {
                docs.push_back({"d" + std::to_string((d * 7 + q) % 60), static_cast<double>(rng() % 6)});  // many ties
            }
        }
        const std::vector<std::string> measures = {"all_trec", "map_cut.1000", "ndcg_cut.1000", "recall.1000",
                                                   "P.1,3,1000"};
        const auto e = eval::evaluate(qrels, run, measures);
        for (const auto& q : e.queries) {
            SCOPED_TRACE(q.qid);
            auto v = [&](const char* name) { return value(e, q.qid, name); };
            EXPECT_DOUBLE_EQ(v("map_cut_1000"), v("map"));
            EXPECT_DOUBLE_EQ(v("ndcg_cut_1000"), v("ndcg"));
            EXPECT_DOUBLE_EQ(v("recall_1000"), v("set_recall"));
            EXPECT_DOUBLE_EQ(v("P_1"), v("success_1"));
            EXPECT_LE(v("P_3") * 3, v("num_rel_ret") + 1e-9);
            for (const auto& info : e.values) {
                const double x = v(info.name.c_str());
                EXPECT_FALSE(std::isnan(x)) << info.name;
                if (!info.integer() && info.name.rfind("utility", 0) != 0) {
                    EXPECT_GE(x, 0.0) << info.name;
                    EXPECT_LE(x, 1.0 + 1e-12) << info.name;
                }
            }
        }
        // trec_eval re-ranks by score: the order of the run's lines does not matter.
        eval::Run shuffled = run;
        for (auto& [qid, docs] : shuffled.queries) std::shuffle(docs.begin(), docs.end(), rng);
        const auto e2 = eval::evaluate(qrels, shuffled, measures);
        EXPECT_EQ(eval::format_trec_eval(e2, {true, true}), eval::format_trec_eval(e, {true, true}));
    }
}

// --- bad input ---------------------------------------------------------------

template <typename F>
std::string error_of(F&& f) {
    try {
        f();
    } catch (const Error& e) {
        return e.what();
    }
    return "<no error>";
}

TEST(EvalBadInput, QrelsErrorsNameFileLineAndValue) {
    TempDir dir;
    const auto p = dir / "qrels.txt";
    write_text(p, "1 0 a 1\n1 0 b\n");
    auto msg = error_of([&] { eval::read_qrels(p); });
    EXPECT_NE(msg.find("qrels.txt:2"), std::string::npos) << msg;
    EXPECT_NE(msg.find("4 columns"), std::string::npos) << msg;
    write_text(p, "# comment\n1 0 a 1\n1 0 b high\n");
    msg = error_of([&] { eval::read_qrels(p); });
    EXPECT_NE(msg.find("qrels.txt:3"), std::string::npos) << msg;
    EXPECT_NE(msg.find("'high'"), std::string::npos) << msg;
    write_text(p, "1 0 a 1\n1 0 a 0\n");
    msg = error_of([&] { eval::read_qrels(p); });
    EXPECT_NE(msg.find("qrels.txt:2"), std::string::npos) << msg;
    EXPECT_NE(msg.find("twice"), std::string::npos) << msg;
    write_text(p, "");
    EXPECT_THROW(eval::read_qrels(p), ParseError);
    write_text(p, "# only a comment\n\n");
    EXPECT_THROW(eval::read_qrels(p), ParseError);
    EXPECT_THROW(eval::read_qrels(dir / "missing"), IoError);
}

// BEIR's qrels (three columns, header) read as the same judgments as TREC's.
TEST(EvalQrels, BeirThreeColumnLayoutWithHeader) {
    TempDir dir;
    write_text(dir / "trec", "q1 0 d1 1\nq1 0 d2 0\nq2 0 d3 2\n");
    write_text(dir / "beir", "query-id\tcorpus-id\tscore\nq1\td1\t1\nq1\td2\t0\nq2\td3\t2\n");
    const auto a = eval::read_qrels(dir / "trec");
    const auto b = eval::read_qrels(dir / "beir");
    ASSERT_EQ(a.queries.size(), b.queries.size());
    for (const auto& [qid, q] : a.queries) {
        const auto& other = b.queries.at(qid).docs;
        ASSERT_EQ(q.docs.size(), other.size()) << qid;
        for (std::size_t i = 0; i < q.docs.size(); ++i) {
            EXPECT_EQ(q.docs[i].docno, other[i].docno);
            EXPECT_EQ(q.docs[i].rel, other[i].rel);
        }
    }
    write_text(dir / "mixed", "query-id\tcorpus-id\tscore\nq1\td1\t1\nq1 0 d2 0\n");
    const auto msg = error_of([&] { eval::read_qrels(dir / "mixed"); });
    EXPECT_NE(msg.find("mixed:3"), std::string::npos) << msg;
    EXPECT_NE(msg.find("3 columns"), std::string::npos) << msg;
}

TEST(EvalBadInput, RunErrorsNameFileLineAndValue) {
    TempDir dir;
    const auto p = dir / "run.trec";
    write_text(p, "1 Q0 a 1 2.5 tag\n1 Q0 b 2 2.0\n");
    auto msg = error_of([&] { eval::read_run(p); });
    EXPECT_NE(msg.find("run.trec:2"), std::string::npos) << msg;
    EXPECT_NE(msg.find("6 columns"), std::string::npos) << msg;
    write_text(p, "1 Q0 a 1 2.5x tag\n");
    msg = error_of([&] { eval::read_run(p); });
    EXPECT_NE(msg.find("run.trec:1"), std::string::npos) << msg;
    EXPECT_NE(msg.find("score"), std::string::npos) << msg;
    EXPECT_NE(msg.find("'2.5x'"), std::string::npos) << msg;
    write_text(p, "1 Q0 a one 2.5 tag\n");
    msg = error_of([&] { eval::read_run(p); });
    EXPECT_NE(msg.find("rank"), std::string::npos) << msg;
    EXPECT_NE(msg.find("'one'"), std::string::npos) << msg;
    write_text(p, "1 Q0 a 1 nan tag\n");
    EXPECT_THROW(eval::read_run(p), ParseError);
    write_text(p, "1 Q0 a 1 2 tag\n2 Q0 a 1 2 tag\n1 Q0 a 2 1 tag\n");
    msg = error_of([&] { eval::read_run(p); });
    EXPECT_NE(msg.find("run.trec:3"), std::string::npos) << msg;
    EXPECT_NE(msg.find("first at line 1"), std::string::npos) << msg;
    write_text(p, "");
    msg = error_of([&] { eval::read_run(p); });
    EXPECT_NE(msg.find("empty"), std::string::npos) << msg;
}

TEST(EvalBadInput, UnknownMeasureListsValidOnes) {
    auto msg = error_of([] { eval::MeasureSet::parse({"mapp"}); });
    EXPECT_NE(msg.find("unknown measure 'mapp'"), std::string::npos) << msg;
    EXPECT_NE(msg.find("ndcg_cut"), std::string::npos) << msg;
    EXPECT_NE(msg.find("recip_rank"), std::string::npos) << msg;
    EXPECT_THROW(eval::MeasureSet::parse({"P.five"}), InvalidArgument);
    EXPECT_THROW(eval::MeasureSet::parse({"P.0"}), InvalidArgument);
    EXPECT_THROW(eval::MeasureSet::parse({"map.5"}), InvalidArgument);
    EXPECT_THROW(eval::MeasureSet::parse({"P."}), InvalidArgument);
    EXPECT_THROW(eval::MeasureSet::parse({"utility.1,2"}), InvalidArgument);
    EXPECT_THROW(eval::MeasureSet::parse({"ndcg.1:3"}), InvalidArgument);
    EvalOptions bad;
    bad.relevance_level = -1;
    EXPECT_THROW(bad.validate(), InvalidArgument);
}

}  // namespace
}  // namespace spindle::test
