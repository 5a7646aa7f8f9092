#include "query_loading.hpp"

#include "spindle/common/error.hpp"
#include "spindle/text/text_query.hpp"

namespace spindle::cli {

std::vector<TextQuery> load_queries(const QueryFileOptions& q, const Index& index) {
    const auto& text = index.manifest().text;
    if (!text && !q.text) return read_queries(q.path, parse_input_format(q.format));
    if (!text) {
        throw InvalidArgument("--text: index " + index.path() + " was not built from text (spindle index --text)");
    }
    text::QueryReadOptions opts;
    opts.number_in_file_order = q.number_queries;
    return text::read_analyzed_queries(q.path, text::parse_query_format(q.format), opts, text->analyzer);
}

}  // namespace spindle::cli
