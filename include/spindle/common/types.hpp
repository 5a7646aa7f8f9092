#pragma once
// Basic vocabulary types shared by every layer.
#include <cstdint>
#include <string>
#include <string_view>

namespace spindle {

using docid_t = std::uint32_t;  ///< Segment-local document number, dense from 0.
using termid_t = std::uint32_t;  ///< Term number in the index vocabulary.
using score_t = std::uint64_t;  ///< Exact fixed-point score (see query/scorer.hpp).

/// How document weights are stored.
enum class WeightType : std::uint32_t { f32 = 0, u16 = 1, u8 = 2 };

/// "f32", "u16" or "u8".
std::string_view to_string(WeightType t);
/// Parses "f32", "u16" or "u8"; throws InvalidArgument naming the valid values.
WeightType parse_weight_type(std::string_view name);

}  // namespace spindle
