#include "spindle/formats/raw_record.hpp"

#include <cmath>
#include <limits>

#include "spindle/common/error.hpp"

namespace spindle {

std::string RawRecord::where() const {
    return std::string(file) + (numeric ? ":row " : ":") + std::to_string(line);
}

float checked_weight(double w, std::string_view token, const RawRecord& rec) {
    if (std::isnan(w)) throw ParseError(rec.where() + ": weight of '" + std::string(token) + "' is NaN");
    if (std::isinf(w) || std::fabs(w) > static_cast<double>(std::numeric_limits<float>::max())) {
        throw ParseError(rec.where() + ": weight of '" + std::string(token) + "' is infinite or too large (" +
                         std::to_string(w) + ")");
    }
    if (w < 0) {
        throw ParseError(rec.where() + ": weight of '" + std::string(token) + "' is negative (" + std::to_string(w) +
                         "); spindle indexes non-negative weights only");
    }
    return static_cast<float>(w);
}

}  // namespace spindle
