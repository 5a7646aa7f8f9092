#!/usr/bin/env bash
# The main job on a built-in default: set everything up, generate a
# SPLADE-like corpus, index it,
# benchmark every exact algorithm (latency table), search with each and check
# they return identical runs, and print the first results. DOCS, QUERIES,
# WEIGHTS and WORK override the defaults (100,000 documents, 200 queries, u8
# weights, ./demo).
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh Release build

DOCS="${DOCS:-100000}"
QUERIES="${QUERIES:-200}"
WEIGHTS="${WEIGHTS:-u8}"
WORK="${WORK:-demo}"
S=build/tools/spindle
# Calibrate the generator from the real SPLADE++ ED queries when the shared data is beside the checkout.
if [ -z "${SPINDLE_SHARED_DATA:-}" ] && [ -d ../shared/data/msmarco ]; then
  export SPINDLE_SHARED_DATA="$(cd ../shared/data && pwd)"
fi

echo "== generate: $DOCS documents, $QUERIES queries (seed 42)"
$S generate --docs "$DOCS" --queries "$QUERIES" --seed 42 --format csr --output-dir "$WORK/corpus" -q
echo "== index ($WEIGHTS weights)"
$S index --input "$WORK/corpus/docs.csr" --vocab "$WORK/corpus/vocab.txt" --output "$WORK/index" \
  --weights "$WEIGHTS" --overwrite -q
$S info "$WORK/index"
echo "== bench: latency of every exact algorithm (1 warm-up + 2 timed passes, 1 thread)"
$S bench --index "$WORK/index" --queries "$WORK/corpus/queries.tsv" -k 10 --runs 2 \
  --algorithms exhaustive,maxscore,bmw,bmp --json "$WORK/bench.json" -q
for algo in exhaustive maxscore bmw bmp; do
  echo "== search: $algo"
  $S search --index "$WORK/index" --queries "$WORK/corpus/queries.tsv" -k 10 --algorithm "$algo" \
    --output "$WORK/run.$algo.trec" -q
done
echo "== top 5 of the first query (bmp)"
head -5 "$WORK/run.bmp.trec"
for algo in maxscore bmw bmp; do
  if cmp -s "$WORK/run.exhaustive.trec" "$WORK/run.$algo.trec"; then
    echo "$algo: identical to exhaustive"
  else
    echo "$algo: DIFFERS from exhaustive" >&2
    exit 1
  fi
done
