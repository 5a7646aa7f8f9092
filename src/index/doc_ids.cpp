#include "spindle/index/doc_ids.hpp"

#include <algorithm>
#include <numeric>

#include "offsets_check.hpp"
#include "spindle/index/file_kinds.hpp"

namespace spindle {

DocIds::DocIds(Container c, std::uint64_t num_docs) : file_(std::move(c)) {
    offsets_ = file_.section<std::uint64_t>(sections::kDocIdOffsets, num_docs + 1);
    chars_ = file_.section<char>(sections::kDocIdChars);
    check_offsets(offsets_, chars_.size(), file_.path(), "document id offsets");
    if (file_.has(sections::kDocIdKinds)) {
        kinds_ = file_.section<std::uint8_t>(sections::kDocIdKinds, num_docs);
        for (std::uint64_t d = 0; d < num_docs; ++d) {
            if (kinds_[d] > 1) throw CorruptIndex(file_.path() + ": document " + std::to_string(d) + " has id kind " +
                                                  std::to_string(kinds_[d]) + " (0 string, 1 number)");
            if (kinds_[d] == 1) {
                const auto k = key(static_cast<docid_t>(d));
                if (k.empty() || k.size() > 20 || k.find_first_not_of("0123456789") != std::string_view::npos) {
                    throw CorruptIndex(file_.path() + ": numeric id of document " + std::to_string(d) + " is not a number");
                }
            }
        }
    }
    auto less = [&](docid_t a, docid_t b) { return compare_ids(is_number(a), key(a), is_number(b), key(b)) < 0; };
    if (file_.has(sections::kDocIdSorted)) {
        sorted_ = file_.section<docid_t>(sections::kDocIdSorted, num_docs);
        for (std::uint64_t i = 0; i < num_docs; ++i) {
            if (sorted_[i] >= num_docs || (i > 0 && !less(sorted_[i - 1], sorted_[i]))) {
                throw CorruptIndex(file_.path() + ": the id order is not a strictly increasing permutation at entry " +
                                   std::to_string(i));
            }
        }
    } else {
        // Format 2 files: ids were unique (the builder refused duplicates).
        sorted_owned_.resize(num_docs);
        std::iota(sorted_owned_.begin(), sorted_owned_.end(), docid_t{0});
        std::sort(sorted_owned_.begin(), sorted_owned_.end(), less);
        sorted_ = sorted_owned_;
    }
}

std::uint64_t DocIds::rank_lower_bound(bool number, std::string_view k) const {
    const auto it = std::lower_bound(sorted_.begin(), sorted_.end(), 0, [&](docid_t d, int) {
        return compare_ids(is_number(d), key(d), number, k) < 0;
    });
    return static_cast<std::uint64_t>(it - sorted_.begin());
}

std::optional<docid_t> DocIds::find(bool number, std::string_view k) const {
    if (sorted_.empty()) return std::nullopt;
    // Outside [smallest, largest]: not here, without a binary search (every
    // segment is asked for every upserted point; ids that arrive in
    // increasing order are past all of them).
    const docid_t last = sorted_.back();
    const int past = compare_ids(number, k, is_number(last), key(last));
    if (past > 0) return std::nullopt;
    if (past == 0) return last;
    const docid_t first = sorted_.front();
    const int before = compare_ids(number, k, is_number(first), key(first));
    if (before < 0) return std::nullopt;
    if (before == 0) return first;
    const auto it = sorted_.begin() + static_cast<std::ptrdiff_t>(rank_lower_bound(number, k));
    if (it != sorted_.end() && compare_ids(is_number(*it), key(*it), number, k) == 0) return *it;
    return std::nullopt;
}

void DocIdsWriter::add(std::string_view key, bool is_number) {
    chars_.append(key);
    offsets_.push_back(chars_.size());
    kinds_.push_back(is_number ? 1 : 0);
    any_number_ = any_number_ || is_number;
}

namespace {
ContainerWriter make_writer(const std::string& path, const std::vector<std::uint64_t>& offsets, const std::string& chars,
                            const std::vector<std::uint8_t>& kinds, bool any_number, const std::vector<docid_t>& sorted) {
    ContainerWriter w(path, kinds::kDocIds);
    w.add(sections::kDocIdOffsets, offsets);
    w.add(sections::kDocIdChars, std::span<const char>(chars.data(), chars.size()));
    if (any_number) w.add(sections::kDocIdKinds, kinds);
    w.add(sections::kDocIdSorted, sorted);
    return w;
}

std::vector<docid_t> sorted_order(const std::vector<std::uint64_t>& offsets, const std::string& chars,
                                  const std::vector<std::uint8_t>& kinds) {
    std::vector<docid_t> order(offsets.size() - 1);
    std::iota(order.begin(), order.end(), docid_t{0});
    auto key = [&](docid_t d) { return std::string_view(chars).substr(offsets[d], offsets[d + 1] - offsets[d]); };
    std::sort(order.begin(), order.end(), [&](docid_t a, docid_t b) {
        return compare_ids(kinds[a] == 1, key(a), kinds[b] == 1, key(b)) < 0;
    });
    for (std::size_t i = 1; i < order.size(); ++i) {
        if (compare_ids(kinds[order[i - 1]] == 1, key(order[i - 1]), kinds[order[i]] == 1, key(order[i])) == 0) {
            throw InvalidArgument("document id '" + std::string(key(order[i])) + "' appears twice in one segment");
        }
    }
    return order;
}
}  // namespace

std::uint64_t DocIdsWriter::write(const std::string& path) const {
    const auto sorted = sorted_order(offsets_, chars_, kinds_);
    return make_writer(path, offsets_, chars_, kinds_, any_number_, sorted).finish();
}

DocIds DocIdsWriter::in_memory(const std::string& name) const {
    const auto sorted = sorted_order(offsets_, chars_, kinds_);
    auto w = make_writer(name, offsets_, chars_, kinds_, any_number_, sorted);
    return {Container(w.finish_in_memory(), kinds::kDocIds), size()};
}

}  // namespace spindle
