#include "spindle/common/types.hpp"

#include "spindle/common/error.hpp"

namespace spindle {

std::string_view to_string(WeightType t) {
    switch (t) {
        case WeightType::f32: return "f32";
        case WeightType::u16: return "u16";
        case WeightType::u8: return "u8";
    }
    return "unknown";
}

WeightType parse_weight_type(std::string_view name) {
    if (name == "f32") return WeightType::f32;
    if (name == "u16") return WeightType::u16;
    if (name == "u8") return WeightType::u8;
    throw InvalidArgument("unknown weight type '" + std::string(name) + "' (valid: f32, u16, u8)");
}

}  // namespace spindle
