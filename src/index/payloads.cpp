#include "spindle/index/payloads.hpp"

#include "offsets_check.hpp"
#include "spindle/index/file_kinds.hpp"

namespace spindle {

PayloadStore::PayloadStore(Container c, std::uint64_t num_docs) : file_(std::move(c)) {
    offsets_ = file_.section<std::uint64_t>(sections::kPayloadOffsets, num_docs + 1);
    chars_ = file_.section<char>(sections::kPayloadChars);
    check_offsets(offsets_, chars_.size(), file_.path(), "payload offsets");
}

void PayloadWriter::add(std::string_view json) {
    chars_.append(json);
    offsets_.push_back(chars_.size());
    any_ = any_ || !json.empty();
}

std::uint64_t PayloadWriter::write(const std::string& path) const {
    ContainerWriter w(path, kinds::kPayloads);
    w.add(sections::kPayloadOffsets, offsets_);
    w.add(sections::kPayloadChars, std::span<const char>(chars_.data(), chars_.size()));
    return w.finish();
}

PayloadStore PayloadWriter::in_memory(const std::string& name) const {
    ContainerWriter w(name, kinds::kPayloads);
    w.add(sections::kPayloadOffsets, offsets_);
    w.add(sections::kPayloadChars, std::span<const char>(chars_.data(), chars_.size()));
    return {Container(w.finish_in_memory(), kinds::kPayloads), offsets_.size() - 1};
}

}  // namespace spindle
