#!/usr/bin/env bash
# Installs spindle's Debian 12 build dependencies and builds it.
# Usage: [SPINDLE_BUILD_TARGETS="t1 t2"] scripts/setup.sh [Release|Debug] [build-dir]
set -euo pipefail
cd "$(dirname "$0")/.."

BUILD_TYPE="${1:-Release}"
BUILD_DIR="${2:-build}"
PACKAGES=(build-essential cmake ninja-build pkg-config
          libstreamvbyte-dev libsimdjson-dev libcli11-dev libfmt-dev libxxhash-dev zlib1g-dev
          libgtest-dev libgmock-dev libbenchmark-dev libicu-dev libstemmer-dev
          libroaring-dev nlohmann-json3-dev libcpp-httplib-dev libhnswlib-dev
          pybind11-dev python3-dev python3-numpy python3-scipy python3-pytest python3-distributed python3-dask
          clang libclang-rt-14-dev wrk chromium)

# The JavaScript tests (tests/js) need Node.js >= 18 and npm: Debian's when
# the machine has none of its own.
if ! command -v node >/dev/null 2>&1 || ! command -v npm >/dev/null 2>&1; then PACKAGES+=(nodejs npm); fi

missing=()
for p in "${PACKAGES[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  echo "setup: installing ${missing[*]}" >&2
  SUDO=""
  if [ "$(id -u)" -ne 0 ]; then SUDO="sudo"; fi
  export DEBIAN_FRONTEND=noninteractive
  $SUDO apt-get update -qq
  $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

cmake -S . -B "$BUILD_DIR" -G Ninja -DCMAKE_BUILD_TYPE="$BUILD_TYPE" >/dev/null
# SPINDLE_BUILD_TARGETS (space-separated) builds only those targets (scripts/test.sh uses it).
# shellcheck disable=SC2086
cmake --build "$BUILD_DIR" -j "$(nproc)" ${SPINDLE_BUILD_TARGETS:+--target $SPINDLE_BUILD_TARGETS}
