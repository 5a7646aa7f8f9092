#include "spindle/eval/run.hpp"

#include <algorithm>
#include <cstdint>

#include "fields.hpp"
#include "spindle/common/error.hpp"
#include "spindle/io/line_reader.hpp"

namespace spindle::eval {
namespace {

/// trec_eval refuses a document retrieved twice for one query; so do we, naming both lines.
void check_duplicates(const std::string& path, const std::string& qid, const std::vector<ScoredDoc>& docs,
                      const std::vector<std::uint64_t>& lines) {
    std::vector<std::size_t> order(docs.size());
    for (std::size_t i = 0; i < order.size(); ++i) order[i] = i;
    std::stable_sort(order.begin(), order.end(),
                     [&](std::size_t a, std::size_t b) { return docs[a].docno < docs[b].docno; });
    for (std::size_t i = 1; i < order.size(); ++i) {
        if (docs[order[i]].docno == docs[order[i - 1]].docno) {
            throw ParseError(path + ":" + std::to_string(lines[order[i]]) + ": document '" + docs[order[i]].docno +
                             "' retrieved twice for query '" + qid + "' (first at line " +
                             std::to_string(lines[order[i - 1]]) + ")");
        }
    }
}

}  // namespace

Run read_run(const std::string& path) {
    LineReader in(path);
    Run run;
    std::map<std::string, std::vector<std::uint64_t>> lines;
    std::vector<std::string_view> f;
    std::string_view line;
    bool first = true;
    std::string current;
    std::vector<ScoredDoc>* docs = nullptr;
    std::vector<std::uint64_t>* at = nullptr;
    while (in.next(line)) {
        if (detail::skippable(line)) continue;
        detail::split_fields(line, f);
        // trec_eval ignores anything after the sixth column (its test runs carry comments there).
        if (f.size() < 6) {
            detail::fail(in, "expected 6 columns (qid iter docno rank score runid), found " + std::to_string(f.size()) + ":",
                         line);
        }
        (void)detail::parse_long(in, f[3], "rank");
        const double score = detail::parse_double(in, f[4], "score");
        if (first) {
            run.runid = std::string(f[5]);
            first = false;
        }
        // Runs come grouped by query: look the map up only when the query changes.
        if (docs == nullptr || f[0] != current) {
            current.assign(f[0]);
            docs = &run.queries[current];
            at = &lines[current];
        }
        docs->push_back({std::string(f[2]), score});
        at->push_back(in.line_number());
    }
    if (run.queries.empty()) throw ParseError(path + ": no results (empty run file)");
    for (const auto& [qid, results] : run.queries) check_duplicates(path, qid, results, lines[qid]);
    return run;
}

}  // namespace spindle::eval
