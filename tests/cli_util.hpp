#pragma once
// Running the spindle binary from tests: one call, its exit code and output.
#include <sys/wait.h>

#include <cstdlib>
#include <fstream>
#include <sstream>
#include <string>

#include "test_util.hpp"

namespace spindle::test {

struct Result {
    int code;
    std::string out;
    std::string err;
};

inline std::string slurp(const std::string& p) {
    std::ifstream in(p);
    std::stringstream ss;
    ss << in.rdbuf();
    return ss.str();
}

/// Runs `spindle ARGS` (a shell command line) with stdout and stderr captured in `dir`.
inline Result spindle(const TempDir& dir, const std::string& args) {
    const std::string cmd =
        std::string(SPINDLE_CLI) + " " + args + " >" + (dir / "stdout") + " 2>" + (dir / "stderr") + " </dev/null";
    const int status = std::system(cmd.c_str());
    return {WIFEXITED(status) ? WEXITSTATUS(status) : -1, slurp(dir / "stdout"), slurp(dir / "stderr")};
}

}  // namespace spindle::test
