#pragma once
// Relevance judgments (qrels) of the text collections, as (query, doc, level).
//   trec       qid iter docid rel                (MED.REL, CACM, TREC)
//   beir       query-id<TAB>corpus-id<TAB>score  (header line first)
//   smart      qid docid 0 0(.0)                 (CISI.REL, CACM qrels.text: every listed pair is
//                                                relevant, level 1; leading zeros of a numeric qid dropped)
//   cranfield  qid docid code                    (code 1..4 kept as the level, -1 = not relevant)
// A level > 0 means relevant (trec_eval's default). Malformed lines throw
// ParseError naming file:line.
#include <string>
#include <string_view>
#include <vector>

namespace spindle::text {

enum class JudgmentFormat { automatic, trec, beir, smart, cranfield };

struct Judgment {
    std::string query;
    std::string doc;
    int level = 0;
};

/// "auto", "trec", "beir", "smart" (alias "cisi") or "cranfield"; InvalidArgument lists them otherwise.
JudgmentFormat parse_judgment_format(std::string_view name);
/// Auto: a "query-id" header -> beir; 3 columns -> cranfield; 4 columns whose
/// third is "0" while the second is neither "0" nor "Q0" -> smart; otherwise trec.
std::vector<Judgment> read_judgments(const std::string& path, JudgmentFormat fmt = JudgmentFormat::automatic);

}  // namespace spindle::text
