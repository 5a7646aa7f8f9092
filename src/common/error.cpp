#include "spindle/common/error.hpp"

#include <cerrno>
#include <cstring>

namespace spindle {

void throw_errno(const std::string& what) {
    const int err = errno;
    throw IoError(what + ": " + std::strerror(err));
}

}  // namespace spindle
