#!/usr/bin/env bash
# Installs spindle's Debian 12 build dependencies and builds it.
# Usage: [SPINDLE_BUILD_TARGETS="t1 t2"] [SPINDLE_CMAKE_ARGS="-DX=Y ..."] scripts/setup.sh [Release|Debug] [build-dir]
set -euo pipefail
cd "$(dirname "$0")/.."

BUILD_TYPE="${1:-Release}"
BUILD_DIR="${2:-build}"
PACKAGES=(build-essential cmake ninja-build pkg-config
          libstreamvbyte-dev libsimdjson-dev libcli11-dev libfmt-dev libxxhash-dev zlib1g-dev
          libgtest-dev libgmock-dev libbenchmark-dev libicu-dev libstemmer-dev
          libroaring-dev nlohmann-json3-dev libcpp-httplib-dev libhnswlib-dev
          pybind11-dev python3-dev python3-pip python3-setuptools python3-numpy python3-scipy python3-pytest python3-distributed python3-dask
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

# The Python module is built for Debian's /usr/bin/python3 (or $PYTHON).
PYTHON="${PYTHON:-/usr/bin/python3}"
# SPINDLE_CMAKE_ARGS (space-separated) adds configure options (scripts/test.sh: clang and the fuzz targets).
# shellcheck disable=SC2086
cmake -S . -B "$BUILD_DIR" -G Ninja -DCMAKE_BUILD_TYPE="$BUILD_TYPE" -DPython_EXECUTABLE="$PYTHON" ${SPINDLE_CMAKE_ARGS:-} >/dev/null
# SPINDLE_BUILD_TARGETS (space-separated) builds only those targets (scripts/test.sh uses it).
# shellcheck disable=SC2086
cmake --build "$BUILD_DIR" -j "$(nproc)" ${SPINDLE_BUILD_TARGETS:+--target $SPINDLE_BUILD_TARGETS}

# `import spindle` from any directory: a .pth file in the interpreter's
# site-packages naming <repo>/<build>/python (only for a build that has the
# module; Debug builds with sanitizers do not).
if [ -f "$BUILD_DIR/python/spindle/__init__.py" ] && ls "$BUILD_DIR"/python/spindle/_spindle*.so >/dev/null 2>&1; then
  SITE="$("$PYTHON" -c 'import site; print(site.getsitepackages()[0])')"
  PTH="$SITE/spindle.pth"
  WANT="$(cd "$BUILD_DIR/python" && pwd)"
  if [ "$(cat "$PTH" 2>/dev/null)" != "$WANT" ]; then
    SUDO=""
    if [ "$(id -u)" -ne 0 ] && [ ! -w "$SITE" ]; then SUDO="sudo"; fi
    if { $SUDO mkdir -p "$SITE" && echo "$WANT" | $SUDO tee "$PTH" >/dev/null; } 2>/dev/null; then
      echo "setup: $PTH -> $WANT (import spindle from $PYTHON)" >&2
    else  # not fatal: PYTHONPATH=$WANT works too
      echo "setup: warning: could not write $PTH; use PYTHONPATH=$WANT" >&2
    fi
  fi
fi
