#include "spindle/eval/qrels.hpp"

#include <algorithm>

#include "fields.hpp"
#include "spindle/common/error.hpp"
#include "spindle/io/line_reader.hpp"

namespace spindle::eval {

const Judgment* QueryJudgments::find(const std::string& docno) const {
    const auto it = std::lower_bound(docs.begin(), docs.end(), docno,
                                     [](const Judgment& j, const std::string& d) { return j.docno < d; });
    return it != docs.end() && it->docno == docno ? &*it : nullptr;
}

Qrels read_qrels(const std::string& path) {
    LineReader in(path);
    Qrels out;
    // Line of each judgment, to name both lines of a duplicate.
    std::map<std::string, std::vector<std::uint64_t>> lines;
    std::vector<std::string_view> f;
    std::string_view line;
    // The first line decides the layout: 4 columns (TREC) or 3 (BEIR's
    // "query-id corpus-id score", whose header line is skipped).
    std::size_t columns = 0;
    while (in.next(line)) {
        if (detail::skippable(line)) continue;
        detail::split_fields(line, f);
        if (columns == 0) {
            columns = f.size() == 3 ? 3 : 4;
            if (columns == 3 && f[0] == "query-id") continue;
        }
        if (f.size() != columns) {
            detail::fail(in,
                         columns == 4 ? "expected 4 columns (qid iter docno rel), found " + std::to_string(f.size()) + ":"
                                      : "expected 3 columns (query-id corpus-id score, as the first line), found " +
                                            std::to_string(f.size()) + ":",
                         line);
        }
        const long rel = detail::parse_long(in, f[columns - 1], "relevance");
        auto& q = out.queries[std::string(f[0])];
        q.docs.push_back({std::string(f[columns - 2]), rel});
        lines[std::string(f[0])].push_back(in.line_number());
    }
    if (out.queries.empty()) throw ParseError(path + ": no judgments (empty qrels file)");
    for (auto& [qid, q] : out.queries) {
        const auto& at = lines[qid];
        std::vector<std::size_t> order(q.docs.size());
        for (std::size_t i = 0; i < order.size(); ++i) order[i] = i;
        std::stable_sort(order.begin(), order.end(),
                         [&docs = q.docs](std::size_t a, std::size_t b) { return docs[a].docno < docs[b].docno; });
        std::vector<Judgment> sorted;
        sorted.reserve(order.size());
        for (std::size_t i = 0; i < order.size(); ++i) {
            if (i > 0 && q.docs[order[i]].docno == sorted.back().docno) {
                throw ParseError(path + ":" + std::to_string(at[order[i]]) + ": document '" + q.docs[order[i]].docno +
                                 "' judged twice for query '" + qid + "' (first at line " +
                                 std::to_string(at[order[i - 1]]) + ")");
            }
            sorted.push_back(std::move(q.docs[order[i]]));
        }
        q.docs = std::move(sorted);
    }
    return out;
}

}  // namespace spindle::eval
