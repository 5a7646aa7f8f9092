#!/usr/bin/env bash
# Sets everything up and runs the test suite: a Debug build (clang) with
# AddressSanitizer and UBSan that also builds the libFuzzer targets (the
# library instrumented for coverage), then ctest; then the collection
# concurrency test once more under ThreadSanitizer (only that target is
# built in that variant). The JavaScript tests (tests/js) run Qdrant's client
# against spindle serve and drive the web console in headless Chromium. Last,
# bounded libFuzzer runs of the server's request handling and of the filter
# language. One sanitizer build serves the suite and the fuzzers, so CI
# compiles the library three times (Debug, Release, TSan), not four.
set -euo pipefail
cd "$(dirname "$0")/.."
SPINDLE_CMAKE_ARGS="-DCMAKE_C_COMPILER=clang -DCMAKE_CXX_COMPILER=clang++ -DSPINDLE_FUZZ=ON" scripts/setup.sh Debug build-debug
# The Release build must compile too (benchmarks, main job): the CLI and the
# Python module only, since the tests run from the Debug build (the test
# executables are most of the Release build's time; the micro-benchmarks are
# built and smoke-run in the Debug build).
# The Python module is built here (Release, no sanitizers: an ASan extension
# cannot be loaded by Debian's uninstrumented python3) and its tests run on it.
SPINDLE_BUILD_TARGETS="spindle_cli spindle_python" scripts/setup.sh Release build
(cd build-debug && ctest --output-on-failure -j "$(nproc)" --timeout 900)
PY="${PYTHON:-/usr/bin/python3}"
PYTHONPATH=build/python SPINDLE_CLI=build/tools/spindle "$PY" -m pytest -q -p no:cacheprovider python/tests \
  --doctest-modules build/python/spindle
# Qdrant's own JavaScript client against the Release `spindle serve`
# (tests/js: package-lock.json pins @qdrant/js-client-rest 1.18.0).
(cd tests/js && npm ci --no-audit --no-fund)
SPINDLE_BIN=build/tools/spindle node --test tests/js/
# The server under wrk on loopback (20k documents, 4 s phases, ~30 s): no
# failed request, every acknowledged concurrent upsert present, exit 0 on
# SIGTERM. It measures nothing (docs/BENCHMARKS.md has the 1M run).
load_dir="$(mktemp -d)"
WORK="$load_dir" scripts/load_test.sh --smoke >/dev/null
rm -rf "$load_dir"
cmake --preset tsan >/dev/null
cmake --build --preset tsan -j "$(nproc)"
TSAN_OPTIONS="halt_on_error=1 second_deadlock_stack=1" build-tsan/tests/collection_concurrency_test
# libFuzzer on spindle serve's request parsing and dispatch (built above in
# build-debug: clang, ASan + UBSan), bounded to 40 s. New inputs go to a
# temporary directory; tests/fuzz/corpus is the seed.
fuzz_dir="$(mktemp -d)"
trap 'rm -rf "$fuzz_dir"' EXIT
# A failing input is kept as build-debug/crash-* (replay: server_fuzz FILE).
if ! build-debug/tests/fuzz/server_fuzz -max_total_time=40 -runs=5000000 -max_len=4096 -timeout=10 -rss_limit_mb=2048 \
     -artifact_prefix=build-debug/ -print_final_stats=1 "$fuzz_dir" tests/fuzz/corpus >"$fuzz_dir/log" 2>&1; then
  tail -n 120 "$fuzz_dir/log"
  exit 1
fi
tail -n 6 "$fuzz_dir/log"
# The filter language: parse, then count on an indexed and an unindexed
# collection against brute force (20 s; seeds in tests/fuzz/filter_corpus).
mkdir "$fuzz_dir/filter"
if ! build-debug/tests/fuzz/filter_fuzz -max_total_time=20 -runs=5000000 -max_len=2048 -timeout=10 -rss_limit_mb=2048 \
     -artifact_prefix=build-debug/ -print_final_stats=1 "$fuzz_dir/filter" tests/fuzz/filter_corpus >"$fuzz_dir/filter.log" 2>&1; then
  tail -n 120 "$fuzz_dir/filter.log"
  exit 1
fi
tail -n 6 "$fuzz_dir/filter.log"
