#include "crash_points.hpp"

#include <csignal>
#include <cstdlib>
#include <mutex>
#include <string>

namespace spindle::detail {
namespace {

struct Armed {
    std::string point;
    long remaining = 0;
};

Armed* armed() {
    static Armed* a = [] {
        const char* env = std::getenv("SPINDLE_TEST_CRASH_AT");
        if (env == nullptr) return static_cast<Armed*>(nullptr);
        const std::string s(env);
        const auto colon = s.rfind(':');
        auto* r = new Armed{s.substr(0, colon), colon == std::string::npos ? 1 : std::atol(s.c_str() + colon + 1)};
        return r;
    }();
    return a;
}

std::mutex mu;

}  // namespace

void crash_point(std::string_view name) {
    Armed* a = armed();
    if (a == nullptr || a->point != name) return;
    std::lock_guard g(mu);
    if (--a->remaining <= 0) std::raise(SIGKILL);
}

}  // namespace spindle::detail
