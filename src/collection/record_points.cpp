#include "spindle/collection/record_points.hpp"

#include <fmt/format.h>

#include "spindle/common/error.hpp"

namespace spindle {

SparseVector record_vector(const RawRecord& rec, VectorKeys keys, std::span<const std::string> columns) {
    SparseVector v;
    if (!rec.numeric) {
        v.tokens.reserve(rec.tokens.size());
        v.values.reserve(rec.tokens.size());
        for (const auto& [tok, w] : rec.tokens) {
            v.tokens.emplace_back(tok);
            v.values.push_back(w);
        }
        return v;
    }
    v.values.reserve(rec.ids.size());
    if (keys == VectorKeys::indices) {
        v.indices.reserve(rec.ids.size());
        for (const auto& [id, w] : rec.ids) {
            v.indices.push_back(id);
            v.values.push_back(w);
        }
        return v;
    }
    v.tokens.reserve(rec.ids.size());
    for (const auto& [id, w] : rec.ids) {
        if (columns.empty()) {
            v.tokens.push_back(std::to_string(id));
        } else if (id < columns.size()) {
            v.tokens.push_back(columns[id]);
        } else {
            throw InvalidArgument(fmt::format("{}: column {} but the vocabulary has {} tokens", rec.where(), id, columns.size()));
        }
        v.values.push_back(w);
    }
    return v;
}

}  // namespace spindle
