#include "spindle/formats/trec_run.hpp"

#include <fmt/format.h>
#include <unistd.h>

#include <cstdio>
#include <filesystem>

#include "spindle/common/error.hpp"
#include "spindle/io/file_util.hpp"

namespace spindle {

void check_trec_id(std::string_view id, const std::string& where, const char* what) {
    if (id.empty()) throw ParseError(where + ": empty " + what + " id (TREC runs need one without whitespace)");
    for (unsigned char c : id) {
        if (c > 0x20 && c != 0x7f) continue;
        std::string shown;
        for (unsigned char x : id) {
            if (x == '\t') {
                shown += "\\t";
            } else if (x == '\n') {
                shown += "\\n";
            } else if (x == '\r') {
                shown += "\\r";
            } else if (x < 0x20 || x == 0x7f) {
                shown += fmt::format("\\x{:02x}", x);
            } else {
                shown += static_cast<char>(x);
            }
        }
        throw ParseError(where + ": " + what + " id '" + shown + "' holds " +
                         (c == ' ' ? "a space" : c == '\t' ? "a tab" : "a control character") +
                         "; ids must be free of whitespace and control characters (TREC runs split on whitespace)");
    }
}

TrecRunWriter::TrecRunWriter(std::string path, std::string tag)
    : path_(std::move(path)), tmp_(path_ + ".tmp-" + std::to_string(::getpid())), tag_(std::move(tag)) {
    f_ = std::fopen(tmp_.c_str(), "wb");
    if (f_ == nullptr) throw_errno("cannot create " + tmp_);
}

TrecRunWriter::~TrecRunWriter() {
    if (f_ != nullptr) {
        std::fclose(f_);
        std::error_code ec;
        std::filesystem::remove(tmp_, ec);
    }
}

void TrecRunWriter::add(std::string_view qid, std::string_view docid, std::size_t rank, double score) {
    fmt::print(f_, "{} Q0 {} {} {:.6f} {}\n", qid, docid, rank, score, tag_);
}

void TrecRunWriter::close() {
    if (f_ == nullptr) return;
    const bool ok = std::fflush(f_) == 0 && ::fsync(::fileno(f_)) == 0;
    std::fclose(f_);
    f_ = nullptr;
    if (!ok) throw_errno("cannot write " + tmp_);
    std::error_code ec;
    std::filesystem::rename(tmp_, path_, ec);
    if (ec) throw IoError("cannot rename " + tmp_ + " to " + path_ + ": " + ec.message());
    auto parent = std::filesystem::path(path_).parent_path();
    fsync_directory(parent.empty() ? "." : parent.string());
}

}  // namespace spindle
