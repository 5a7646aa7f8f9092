#!/usr/bin/env bash
# The worked example of hybrid search on real text (docs/hybrid.md): BM25
# from spindle's text path and an LSI (truncated SVD of TF-IDF) dense vector
# in one collection, searched alone and fused (RRF, DBSF, convex) by
# spindle search, evaluated by spindle eval, on BEIR SciFact and MED.
# Needs a Release build (spindle_cli and the Python module):
#   cmake --build build --target spindle_cli spindle_python
# WORK (default ./hybrid-example) holds the derived files; SPINDLE_DATA
# (default ../shared/data) the collections. Without the shared data it
# says so and exits 0. Extra arguments go to bench/hybrid_example.py
# (--dims N, --only scifact|med).
set -euo pipefail
cd "$(dirname "$0")/.."
BUILD="${BUILD:-build}"
if [ ! -x "$BUILD/tools/spindle" ] || ! ls "$BUILD"/python/spindle/_spindle*.so >/dev/null 2>&1; then
  echo "hybrid_example: build the CLI and the Python module first:" >&2
  echo "  cmake --build $BUILD --target spindle_cli spindle_python" >&2
  exit 1
fi
export SPINDLE_DATA="${SPINDLE_DATA:-../shared/data}"
PYTHONPATH="$BUILD/python${PYTHONPATH:+:$PYTHONPATH}" SPINDLE="$BUILD/tools/spindle" \
  exec /usr/bin/python3 bench/hybrid_example.py --work "${WORK:-hybrid-example}" "$@"
