// Raw-text collection, query and judgment readers, including malformed input.
#include <gtest/gtest.h>

#include <cmath>

#include "spindle/common/error.hpp"
#include "spindle/index/file_kinds.hpp"
#include "spindle/index/index.hpp"
#include "spindle/query/searcher.hpp"
#include "spindle/text/text_query.hpp"
#include "spindle/text/collection_reader.hpp"
#include "spindle/text/judgments.hpp"
#include "spindle/text/query_reader.hpp"
#include "spindle/text/text_index_builder.hpp"
#include "test_util.hpp"

namespace spindle::test {
namespace {

using Docs = std::vector<std::pair<std::string, std::string>>;

Docs read_all(const std::string& path, text::CollectionFormat fmt = text::CollectionFormat::automatic) {
    Docs out;
    text::read_collection(path, fmt, [&](const text::TextRecord& r) { out.emplace_back(r.id, r.text); });
    return out;
}

// The ParseError message of reading `path`, or "" when it parses.
std::string error_of(const std::string& path, text::CollectionFormat fmt = text::CollectionFormat::automatic) {
    try {
        (void)read_all(path, fmt);
    } catch (const ParseError& e) {
        return e.what();
    }
    return "";
}

TEST(TextReaders, BeirJoinsTitleAndText) {
    TempDir dir;
    write_text(dir / "corpus.jsonl",
               "{\"_id\": \"d1\", \"title\": \"Title One\", \"text\": \"Body one.\"}\n\n"
               "{\"_id\": 42, \"title\": \"\", \"text\": \"No title\"}\n");
    EXPECT_EQ(text::detect_collection_format(dir / "corpus.jsonl"), text::CollectionFormat::beir);
    EXPECT_EQ(read_all(dir / "corpus.jsonl"), (Docs{{"d1", "Title One Body one."}, {"42", " No title"}}));
}

TEST(TextReaders, AnseriniAndTsv) {
    TempDir dir;
    write_text(dir / "a.jsonl", "{\"id\": \"CACM-0001\", \"contents\": \"Preliminary Report\"}\n");
    EXPECT_EQ(read_all(dir / "a.jsonl"), (Docs{{"CACM-0001", "Preliminary Report"}}));
    write_text(dir / "c.tsv", "7\tfirst doc\n8\tsecond\tdoc\n");
    EXPECT_EQ(read_all(dir / "c.tsv"), (Docs{{"7", "first doc"}, {"8", "second\tdoc"}}));
}

TEST(TextReaders, SmartKeepsTitleAndAbstractOnly) {
    TempDir dir;
    write_text(dir / "c.all",
               ".I 1\n.T\nA title\n.A\nSomeone\n.B\nJ. 1958\n.W\nThe abstract\nsecond line .\n"
               ".I 2\n.W\n only body\n.X\n1\t5\t1\n");
    EXPECT_EQ(text::detect_collection_format(dir / "c.all"), text::CollectionFormat::smart);
    EXPECT_EQ(read_all(dir / "c.all"), (Docs{{"1", "A title The abstract second line ."}, {"2", "only body"}}));
}

TEST(TextReaders, TrecDocuments) {
    TempDir dir;
    write_text(dir / "d.trec", "<DOC>\n<DOCNO> X-1 </DOCNO>\n<TEXT>\nHello <b>bold</b> world\n</TEXT>\n</DOC>\n");
    const Docs d = read_all(dir / "d.trec");
    ASSERT_EQ(d.size(), 1U);
    EXPECT_EQ(d[0].first, "X-1");
    EXPECT_NE(d[0].second.find("Hello"), std::string::npos);
    EXPECT_EQ(d[0].second.find('<'), std::string::npos);
}

TEST(TextReaders, MalformedInputNamesFileAndLine) {
    TempDir dir;
    write_text(dir / "bad.jsonl", "{\"_id\": \"a\", \"text\": \"x\"}\n{\"_id\": \"b\", \"text\": \n");
    EXPECT_NE(error_of(dir / "bad.jsonl").find("bad.jsonl:2"), std::string::npos);
    write_text(dir / "noid.jsonl", "{\"title\": \"x\", \"text\": \"y\"}\n");
    EXPECT_NE(error_of(dir / "noid.jsonl", text::CollectionFormat::beir).find("noid.jsonl:1"), std::string::npos);
    write_text(dir / "nocontents.jsonl", "{\"id\": \"a\", \"text\": \"y\"}\n");
    EXPECT_NE(error_of(dir / "nocontents.jsonl", text::CollectionFormat::anserini).find("contents"), std::string::npos);
    write_text(dir / "bad.tsv", "1\tok\nno tab here\n");
    EXPECT_NE(error_of(dir / "bad.tsv", text::CollectionFormat::tsv).find("bad.tsv:2"), std::string::npos);
    write_text(dir / "bad.smart", "junk\n.I 1\n.W\nx\n");
    EXPECT_NE(error_of(dir / "bad.smart", text::CollectionFormat::smart).find("bad.smart:1"), std::string::npos);
    write_text(dir / "noid.smart", ".I 1\n.W\nx\n.I\n.W\ny\n");
    EXPECT_NE(error_of(dir / "noid.smart").find("noid.smart:4"), std::string::npos);
    write_text(dir / "open.trec", "<DOC>\n<DOCNO> 1 </DOCNO>\ntext\n");
    EXPECT_NE(error_of(dir / "open.trec").find("not closed"), std::string::npos);
    write_text(dir / "what.txt", "just words\n");
    EXPECT_NE(error_of(dir / "what.txt").find("cannot detect"), std::string::npos);
    EXPECT_THROW((void)text::parse_collection_format("xml"), InvalidArgument);
}

TEST(TextReaders, DuplicateIdsNameBothPlaces) {
    TempDir dir;
    write_text(dir / "dup.tsv", "1\tfirst\n2\tsecond\n1\tagain\n");
    text::TextIndexBuilder b(dir / "idx", BuildOptions{}, "english", {});
    text::read_collection(dir / "dup.tsv", text::CollectionFormat::tsv,
                          [&](const text::TextRecord& r) { b.add(r.id, r.text, r.file, r.line); });
    try {
        (void)b.finish();
        FAIL() << "duplicate id accepted";
    } catch (const ParseError& e) {
        EXPECT_NE(std::string(e.what()).find("dup.tsv:3"), std::string::npos) << e.what();
    }
    EXPECT_FALSE(std::filesystem::exists(dir / "idx"));
}

TEST(TextQueries, AllFormats) {
    TempDir dir;
    write_text(dir / "q.jsonl", "{\"_id\": \"1\", \"text\": \"what is x\"}\n{\"_id\": 3, \"text\": \"y\"}\n");
    auto q = text::read_text_queries(dir / "q.jsonl");
    ASSERT_EQ(q.size(), 2U);
    EXPECT_EQ(q[1].id, "3");
    EXPECT_EQ(q[0].text, "what is x");

    write_text(dir / "t.txt",
               "<top>\n<num> Number: 301\n<title> International Organized Crime\n\n<desc> Description:\nignored\n"
               "</top>\n\n<top>\n<num> Number: 302 </num>\n<title> Topic: Poliomyelitis\nand Post-Polio\n<narr>x\n</top>\n");
    q = text::read_text_queries(dir / "t.txt");
    ASSERT_EQ(q.size(), 2U);
    EXPECT_EQ(q[0].id, "301");
    EXPECT_EQ(q[0].text, "International Organized Crime");
    EXPECT_EQ(q[1].id, "302");
    EXPECT_EQ(q[1].text, "Poliomyelitis and Post-Polio");

    write_text(dir / "cacm.txt", "<DOC>\n<DOCNO> 1 </DOCNO>\n\n What articles exist\n</DOC>\n");
    q = text::read_text_queries(dir / "cacm.txt", text::QueryFormat::trec);
    ASSERT_EQ(q.size(), 1U);
    EXPECT_EQ(q[0].id, "1");
    EXPECT_EQ(q[0].text, "What articles exist");

    // CISI-style title + text; Cranfield-style gaps renumbered in file order.
    write_text(dir / "q.smart", ".I 001\n.T\nA title\n.W\nthe text\n.I 004\n.W\nsecond\n");
    q = text::read_text_queries(dir / "q.smart");
    ASSERT_EQ(q.size(), 2U);
    EXPECT_EQ(q[0].id, "001");
    EXPECT_EQ(q[0].text, "A title the text");
    text::QueryReadOptions renumber;
    renumber.number_in_file_order = true;
    q = text::read_text_queries(dir / "q.smart", text::QueryFormat::smart, renumber);
    EXPECT_EQ(q[1].id, "2");

    write_text(dir / "q.tsv", "5\tfive\n");
    EXPECT_EQ(text::read_text_queries(dir / "q.tsv")[0].text, "five");
    write_text(dir / "bad.tsv", "5 five\n");
    EXPECT_THROW((void)text::read_text_queries(dir / "bad.tsv", text::QueryFormat::tsv), ParseError);
    write_text(dir / "bad.top", "<top>\n<title> no number\n</top>\n");
    EXPECT_THROW((void)text::read_text_queries(dir / "bad.top"), ParseError);
}

TEST(Judgments, AllFormats) {
    TempDir dir;
    write_text(dir / "beir.tsv", "query-id\tcorpus-id\tscore\n1\td1\t1\n1\td2\t2\n");
    auto j = text::read_judgments(dir / "beir.tsv");
    ASSERT_EQ(j.size(), 2U);
    EXPECT_EQ(j[1].doc, "d2");
    EXPECT_EQ(j[1].level, 2);
    write_text(dir / "trec.txt", "1 0 CACM-1410 1\n");
    j = text::read_judgments(dir / "trec.txt");
    EXPECT_EQ(j[0].doc, "CACM-1410");
    write_text(dir / "cisi.rel", "     1     28\t0\t0.000000\n");
    j = text::read_judgments(dir / "cisi.rel");
    EXPECT_EQ(j[0].doc, "28");
    EXPECT_EQ(j[0].level, 1);
    write_text(dir / "qrels.text", "01 1410  0 0\n10 7 0 0\n");
    j = text::read_judgments(dir / "qrels.text");
    EXPECT_EQ(j[0].query, "1");
    EXPECT_EQ(j[0].doc, "1410");
    EXPECT_EQ(j[1].query, "10");
    write_text(dir / "med.rel", "1 0 13 1\n");
    EXPECT_EQ(text::read_judgments(dir / "med.rel")[0].doc, "13");
    write_text(dir / "cranqrel", "1 184 2 \n1 29 -1\n");
    j = text::read_judgments(dir / "cranqrel");
    EXPECT_EQ(j[1].level, -1);
    write_text(dir / "bad.txt", "1 0 d x\n");
    try {
        (void)text::read_judgments(dir / "bad.txt", text::JudgmentFormat::trec);
        FAIL();
    } catch (const ParseError& e) {
        EXPECT_NE(std::string(e.what()).find("bad.txt:1"), std::string::npos);
    }
}

TEST(TextIndex, ManifestTextObjectIsValidated) {
    Manifest m;
    m.format_version = kLegacyIndexVersion;
    m.text = TextSettings{"english", 0.9, 0.4, 10, 12.5};
    const Manifest back = Manifest::from_json(m.to_json(), "MANIFEST");
    ASSERT_TRUE(back.text.has_value());
    EXPECT_EQ(back.text->analyzer, "english");
    EXPECT_EQ(back.text->docs_with_terms, 10U);
    EXPECT_DOUBLE_EQ(back.text->avgdl, 12.5);
    std::string json = m.to_json();
    json.replace(json.find("bm25"), 4, "tfidf");
    EXPECT_THROW((void)Manifest::from_json(json, "MANIFEST"), CorruptIndex);
    json = m.to_json();
    json.replace(json.find("\"k1\""), 4, "\"k9\"");
    EXPECT_THROW((void)Manifest::from_json(json, "MANIFEST"), CorruptIndex);
    m.text.reset();
    EXPECT_EQ(m.to_json().find("\"text\""), std::string::npos);  // vector indexes unchanged
    EXPECT_FALSE(Manifest::from_json(m.to_json(), "MANIFEST").text.has_value());
}

TEST(TextIndex, ManifestRecordsAnalyzerAndBm25) {
    TempDir dir;
    write_text(dir / "c.tsv", "a\tapple banana apple\nb\tbanana cherry\nc\tcherry\nd\tthe of\n");
    text::TextIndexBuilder b(dir / "idx", with_weights(WeightType::f32), "english", {1.2F, 0.75F});
    text::read_collection(dir / "c.tsv", text::CollectionFormat::tsv,
                          [&](const text::TextRecord& r) { b.add(r.id, r.text, r.file, r.line); });
    EXPECT_EQ(b.stats().empty_docs, 1U);
    (void)b.finish();
    const Index index(dir / "idx");
    ASSERT_TRUE(index.manifest().text.has_value());
    const TextSettings& t = *index.manifest().text;
    EXPECT_EQ(t.analyzer, "english");
    EXPECT_NEAR(t.k1, 1.2, 1e-6);
    EXPECT_NEAR(t.b, 0.75, 1e-6);
    EXPECT_EQ(t.docs_with_terms, 3U);  // the all-stopword document does not count
    EXPECT_NEAR(t.avgdl, 2.0, 1e-9);
    EXPECT_EQ(index.manifest().num_docs, 4U);
    EXPECT_EQ(index.manifest().num_terms, 3U);  // appl, banana, cherri

    // Scores are the hand-computed Lucene BM25 sums; "apples apple" counts twice.
    auto analyzer = text::make_analyzer("english");
    const TextQuery q = text::analyze_query(*analyzer, {"q", "apples APPLE banana"});
    SearchScratch scratch;
    SearchStats stats;
    const auto hits = search(index, plan_query(index, q), SearchOptions{}, scratch, stats);
    ASSERT_EQ(hits.size(), 2U);
    auto bm25 = [](double df, double tf, double dl) {
        const double idf = std::log(1 + (3 - df + 0.5) / (df + 0.5));
        return idf * tf / (tf + 1.2 * (1 - 0.75 + 0.75 * dl / 2.0));
    };
    EXPECT_EQ(index.segment(hits[0].segment).doc_id(hits[0].doc), "a");
    EXPECT_NEAR(hits[0].score, 2 * bm25(1, 2, 3) + bm25(2, 1, 3), 1e-5);
    EXPECT_EQ(index.segment(hits[1].segment).doc_id(hits[1].doc), "b");
    EXPECT_NEAR(hits[1].score, bm25(2, 1, 2), 1e-5);
}

}  // namespace
}  // namespace spindle::test
