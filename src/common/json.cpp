#include "spindle/common/json.hpp"

#include <nlohmann/json.hpp>

#include "spindle/common/error.hpp"

namespace spindle {

std::string json_quote(std::string_view s) {
    try {
        return nlohmann::json(std::string(s)).dump();
    } catch (const nlohmann::json::type_error&) {
        throw InvalidArgument("string is not valid UTF-8, cannot be written as JSON: '" + std::string(s) + "'");
    }
}

}  // namespace spindle
