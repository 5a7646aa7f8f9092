#!/usr/bin/env bash
# Sets everything up and runs the test suite: a Debug build with
# AddressSanitizer and UndefinedBehaviorSanitizer, then ctest. About 13 minutes
# on 2 cores before the Release build was cut to the CLI and benchmarks (see README).
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh Debug build-debug
# The Release build must compile too (benchmarks, main job): the CLI and the
# micro-benchmarks only, since the tests run from the Debug build (the test
# executables are most of the Release build's time).
SPINDLE_BUILD_TARGETS="spindle_cli spindle_micro" scripts/setup.sh Release build
cd build-debug
ctest --output-on-failure -j "$(nproc)" --timeout 900
