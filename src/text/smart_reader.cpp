// SMART (Cornell) format: ".I <id>" starts a record; a line that is "." plus
// one capital letter (optionally followed by text) starts a field.
#include <string>

#include "spindle/common/error.hpp"
#include "spindle/io/line_reader.hpp"
#include "spindle/text/collection_reader.hpp"

namespace spindle::text {
namespace {

// Returns the field letter of a marker line (".T", ".I 12"), or 0.
char marker(std::string_view line) {
    if (line.size() < 2 || line[0] != '.' || line[1] < 'A' || line[1] > 'Z') return 0;
    if (line.size() > 2 && line[2] != ' ' && line[2] != '\t') return 0;
    return line[1];
}

std::string_view trim(std::string_view s) {
    const auto b = s.find_first_not_of(" \t\r");
    if (b == std::string_view::npos) return {};
    return s.substr(b, s.find_last_not_of(" \t\r") - b + 1);
}

}  // namespace

void read_smart(const std::string& path, const TextCallback& on_record, const ProgressCallback& progress) {
    LineReader reader(path);
    std::string id;
    std::string title;
    std::string body;
    std::string joined;
    char field = 0;
    std::uint64_t start_line = 0;
    bool open = false;
    auto flush = [&] {
        if (!open) return;
        joined = title;
        if (!joined.empty() && !body.empty()) joined += ' ';
        joined += body;
        on_record(TextRecord{id, joined, reader.path(), start_line});
    };
    std::string_view line;
    std::uint64_t next_report = 0;
    while (reader.next(line)) {
        const char m = marker(line);
        if (m == 'I') {
            flush();
            id = std::string(trim(line.substr(2)));
            if (id.empty()) throw ParseError(reader.where() + ": .I without a record id");
            title.clear();
            body.clear();
            field = 0;
            start_line = reader.line_number();
            open = true;
        } else if (m != 0) {
            if (!open) throw ParseError(reader.where() + ": field ." + std::string(1, m) + " before the first .I");
            field = m;
        } else if (!open) {
            if (!trim(line).empty()) throw ParseError(reader.where() + ": text before the first .I record");
        } else if (field == 'T' || field == 'W') {
            std::string& dst = field == 'T' ? title : body;
            const std::string_view t = trim(line);
            if (t.empty()) continue;
            if (!dst.empty()) dst += ' ';
            dst.append(t);
        } else if (field == 0 && !trim(line).empty()) {
            throw ParseError(reader.where() + ": text after .I " + id + " outside any field");
        }
        if (progress && reader.bytes_consumed() >= next_report) {
            progress(reader.bytes_consumed(), reader.file_bytes());
            next_report = reader.bytes_consumed() + (std::uint64_t{1} << 22);
        }
    }
    flush();
    if (progress) progress(reader.file_bytes(), reader.file_bytes());
}

}  // namespace spindle::text
