#!/usr/bin/env bash
# Sets everything up and runs the test suite: a Debug build with
# AddressSanitizer and UndefinedBehaviorSanitizer, then ctest.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh Debug build-debug
# The Release build must compile too (benchmarks, main job).
scripts/setup.sh Release build
cd build-debug
ctest --output-on-failure -j "$(nproc)" --timeout 900
