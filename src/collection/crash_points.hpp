#pragma once
// Test hook: named points in the write path where a test's child process can
// ask to be killed (SIGKILL, as by kill -9), to prove that a crash at that
// exact moment loses no acknowledged write. Armed only by the environment
// variable SPINDLE_TEST_CRASH_AT=<point>:<n> (killed at the n-th pass);
// otherwise a relaxed atomic load.
#include <string_view>

namespace spindle::detail {

void crash_point(std::string_view name);

}  // namespace spindle::detail
