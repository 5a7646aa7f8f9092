#!/usr/bin/env bash
# Reproduces one row of docs/BENCHMARKS.md:  scripts/reproduce.sh ROW
# (no argument: list the rows). Builds spindle (Release) if needed; corpora and
# indexes go to $WORK (default ./bench-work) and are reused by later rows.
# The shared data folder (../shared/data, or $SPINDLE_SHARED_DATA) calibrates
# the generator and provides the real query sets; rows that need it say so.
set -euo pipefail
cd "$(dirname "$0")/.."

ROW="${1:-}"
WORK="${WORK:-bench-work}"
S=build/tools/spindle
DATA="${SPINDLE_SHARED_DATA:-../shared/data}"
REAL="$DATA/msmarco/topics.msmarco-passage.dev-subset.splade-pp-ed.tsv.gz"

rows() {
  cat <<'EOF'
calibration      generator statistics of 1M docs next to the real SPLADE++ ED queries
build-csr-u8     spindle index, 1M generated docs from CSR, u8 weights (default settings)
build-csr-u8-bp  the same with --reorder bp (graph bisection)
build-csr-u16    the same as build-csr-u8 with u16 weights
build-jsonl-u8   the same as build-csr-u8 from JSONL
exact-u8         spindle bench on the u8 index: exhaustive, bmp, bmp@0.9, bmp@0.8, 1000 generated queries
exact-u8-seq     exhaustive and bmp on the u8 index, each algorithm's passes run back to back (--sequential)
exact-u8-bp      the same as exact-u8 on the bp-reordered u8 index
exact-u16        spindle bench on the u16 index: exhaustive, bmp, bmp@0.9
real-queries-u8  spindle bench on the u8 index with the first 1000 real MS MARCO SPLADE++ ED queries (needs the shared data)
all-exact-u8     spindle bench on the u8 index: exhaustive, maxscore, bmw, bmp, first 100 generated queries
exact-300k       300k generated docs (calibrated model) indexed in input order and with bp; spindle bench exhaustive, bmp, maxscore, bmw (200 queries), then exhaustive, bmp on the bp index
topical          the same on 300k docs of the topical model (spindle generate --topics 200)
approx-build     spindle index --approx (default settings: lambda 400, blocks of 8, alpha 0.35, kNN graph 10) on the 1M docs
approx-tune      spindle tune on generated queries 1-500 for recall@10 0.90, 0.95 (stored), 0.97, 0.99 (JSON + SVG each)
approx-curve     spindle bench on generated queries 501-1000: exhaustive, bmp, approx@sweep, the tuned default, plotted (SVG)
approx-real      the same curve with the first 1000 real MS MARCO SPLADE++ ED queries (needs the shared data)
approx-099       recall 0.99 (issue 17): the approx-build structures, first 500 real queries: bench exhaustive, bmp and settings up to heap factor 1.5; tune for 0.99 on real queries 501-1000 (needs the shared data)
approx-100k      100k generated docs indexed with --approx (default settings); bench exhaustive, bmp, approx@3/5/10,0.9, plotted (SVG)
filter-sweep     1M generated docs with payloads (JSONL), index --approx --approx-knn 0 --payload-index bucket:integer; bench --filter at 0.1/1/10/50/100 % and none: bmp, approx at 3 settings, postfilter at the same (JSON + SVG)
ingest           spindle bench-ingest on the 1M generated docs: ingest rate, search latency while writing, optimize vs bulk-built
ingest-approx    the same on 200k docs with approximate structures built by flushes and merges
micro            Google Benchmark kernels (spindle_micro)
text-effectiveness  BM25 MAP / nDCG@10 / P@10 / R@100 on SciFact, CACM, Cranfield, CISI, MED (needs the shared data)
text-latency     spindle bench on the SciFact BM25 index, every exact algorithm, k=10 then k=1000 (needs the shared data)
EOF
}

if [ -z "$ROW" ]; then
  echo "usage: scripts/reproduce.sh ROW   (WORK=$WORK)"
  rows
  exit 0
fi
rows | awk '{print $1}' | grep -qx "$ROW" || { echo "unknown row '$ROW'; rows:" >&2; rows >&2; exit 2; }

[ -x "$S" ] || scripts/setup.sh Release build
mkdir -p "$WORK"
if [ -d "$DATA/msmarco" ]; then export SPINDLE_SHARED_DATA="$(cd "$DATA" && pwd)"; fi

corpus() {  # 1M generated documents (CSR), 1000 generated queries, seed 42
  [ -f "$WORK/corpus/docs.csr" ] ||
    $S generate --docs 1000000 --queries 1000 --seed 42 --format csr --output-dir "$WORK/corpus"
}
corpus_jsonl() {  # the same documents as JSONL
  [ -f "$WORK/corpus-jsonl/docs.jsonl" ] ||
    $S generate --docs 1000000 --queries 0 --seed 42 --format jsonl --output-dir "$WORK/corpus-jsonl"
}
built() {  # DIR: an index or collection is there (collections write CURRENT; indexes of before issue 11, MANIFEST)
  [ -f "$1/CURRENT" ] || [ -f "$1/MANIFEST" ]
}
index_csr() {  # NAME WEIGHTS REORDER [force]; default settings otherwise
  if ! built "$WORK/$1" || [ "${4:-}" = force ]; then
    corpus
    $S index --input "$WORK/corpus/docs.csr" --vocab "$WORK/corpus/vocab.txt" --output "$WORK/$1" \
      --weights "$2" --reorder "$3" --overwrite
  fi
}
exact_300k() {  # NAME [generate options...]: the exact-search rows on 300k documents
  local name="$1"; shift
  [ -f "$WORK/$name/docs.csr" ] ||
    $S generate --docs 300000 --queries 200 --seed 42 --format csr --output-dir "$WORK/$name" "$@"
  for reorder in none bp; do
    built "$WORK/idx-$name-$reorder" ||
      $S index --input "$WORK/$name/docs.csr" --vocab "$WORK/$name/vocab.txt" --output "$WORK/idx-$name-$reorder" \
        --weights u8 --reorder "$reorder" --overwrite
  done
  $S bench --index "$WORK/idx-$name-none" --queries "$WORK/$name/queries.tsv" -a exhaustive,bmp,maxscore,bmw \
    --json "$WORK/$name.json"
  $S bench --index "$WORK/idx-$name-bp" --queries "$WORK/$name/queries.tsv" -a exhaustive,bmp --json "$WORK/$name-bp.json"
}
real_queries() {
  [ -f "$REAL" ] || { echo "row $ROW needs the real queries: $REAL not found" >&2; exit 1; }
  [ -f "$WORK/real1000.tsv" ] || zcat "$REAL" | head -1000 >"$WORK/real1000.tsv"
}

case "$ROW" in
  calibration)
    $S generate --docs 1000000 --queries 1000 --seed 42 --format csr --output-dir "$WORK/corpus" --overwrite \
      --stats-json "$WORK/corpus/stats.json" ;;
  build-csr-u8) index_csr idx-u8 u8 none force ;;
  build-csr-u8-bp) index_csr idx-u8-bp u8 bp force ;;
  build-csr-u16) index_csr idx-u16 u16 none force ;;
  build-jsonl-u8)
    corpus_jsonl
    $S index --input "$WORK/corpus-jsonl/docs.jsonl" --output "$WORK/idx-jsonl-u8" --weights u8 --overwrite ;;
  exact-u8)
    index_csr idx-u8 u8 none
    $S bench --index "$WORK/idx-u8" --queries "$WORK/corpus/queries.tsv" -a exhaustive,bmp,bmp@0.9,bmp@0.8 \
      --json "$WORK/exact-u8.json" ;;
  exact-u8-seq)
    index_csr idx-u8 u8 none
    $S bench --index "$WORK/idx-u8" --queries "$WORK/corpus/queries.tsv" -a exhaustive,bmp --sequential \
      --json "$WORK/exact-u8-seq.json" ;;
  exact-u8-bp)
    index_csr idx-u8-bp u8 bp
    $S bench --index "$WORK/idx-u8-bp" --queries "$WORK/corpus/queries.tsv" -a exhaustive,bmp,bmp@0.9,bmp@0.8 \
      --json "$WORK/exact-u8-bp.json" ;;
  exact-u16)
    index_csr idx-u16 u16 none
    $S bench --index "$WORK/idx-u16" --queries "$WORK/corpus/queries.tsv" -a exhaustive,bmp,bmp@0.9 \
      --json "$WORK/exact-u16.json" ;;
  real-queries-u8)
    index_csr idx-u8 u8 none
    real_queries
    $S bench --index "$WORK/idx-u8" --queries "$WORK/real1000.tsv" -a exhaustive,bmp --json "$WORK/real-queries-u8.json" ;;
  all-exact-u8)
    index_csr idx-u8 u8 none
    $S bench --index "$WORK/idx-u8" --queries "$WORK/corpus/queries.tsv" --limit 100 \
      -a exhaustive,maxscore,bmw,bmp --json "$WORK/all-exact-u8.json" ;;
  exact-300k) exact_300k corpus-300k ;;
  topical) exact_300k topical-300k --topics 200 ;;
  approx-build)
    corpus
    $S index --input "$WORK/corpus/docs.csr" --vocab "$WORK/corpus/vocab.txt" --output "$WORK/idx-approx" \
      --weights u8 --approx --overwrite ;;
  approx-tune)
    built "$WORK/idx-approx" || "$0" approx-build
    head -500 "$WORK/corpus/queries.tsv" >"$WORK/q-tune.tsv"
    for t in 0.90 0.97 0.99 0.95; do  # 0.95 last: the stored default
      dry=--dry-run; [ "$t" = 0.95 ] && dry=
      $S tune --index "$WORK/idx-approx" --queries "$WORK/q-tune.tsv" --target-recall "$t" $dry \
        --json "$WORK/tune-$t.json" --svg "$WORK/tune-$t.svg" || true
    done ;;
  approx-curve)
    built "$WORK/idx-approx" || "$0" approx-build
    tail -n +501 "$WORK/corpus/queries.tsv" >"$WORK/q-eval.tsv"
    $S bench --index "$WORK/idx-approx" --queries "$WORK/q-eval.tsv" -a exhaustive,bmp,approx,approx@sweep \
      --json "$WORK/approx-curve.json" --svg "$WORK/approx-curve.svg" ;;
  approx-real)
    built "$WORK/idx-approx" || "$0" approx-build
    real_queries
    $S bench --index "$WORK/idx-approx" --queries "$WORK/real1000.tsv" -a exhaustive,bmp,approx,approx@sweep \
      --json "$WORK/approx-real.json" --svg "$WORK/approx-real.svg" ;;
  approx-099)
    built "$WORK/idx-approx" || "$0" approx-build
    real_queries
    head -500 "$WORK/real1000.tsv" >"$WORK/real-first500.tsv"
    tail -n +501 "$WORK/real1000.tsv" >"$WORK/real-tune500.tsv"
    v=exhaustive,bmp,approx@2,0.7,10,approx@3,0.7,10,approx@8,0.7,10,approx@5,0.9,10,approx@8,0.9,10,approx@5,1,10
    v=$v,approx@8,1,10,approx@12,1,10,approx@30,1,10,approx@8,1.25,10,approx@12,1.25,10,approx@8,1.5,10,approx@12,1.5,10
    v=$v,approx@20,1.5,10,approx@30,1.5,10
    $S bench --index "$WORK/idx-approx" --queries "$WORK/real-first500.tsv" -a "$v" --json "$WORK/approx-099.json"
    $S tune --index "$WORK/idx-approx" --queries "$WORK/real-tune500.tsv" --target-recall 0.99 --dry-run \
      --json "$WORK/tune-real-0.99.json" || true ;;
  approx-100k)
    [ -f "$WORK/corpus-100k/docs.csr" ] ||
      $S generate --docs 100000 --queries 200 --seed 42 --format csr --output-dir "$WORK/corpus-100k"
    $S index --input "$WORK/corpus-100k/docs.csr" --vocab "$WORK/corpus-100k/vocab.txt" --output "$WORK/idx-approx-100k" \
      --weights u8 --approx --overwrite
    $S bench --index "$WORK/idx-approx-100k" --queries "$WORK/corpus-100k/queries.tsv" --sequential \
      -a exhaustive,bmp,approx@3,0.9,approx@5,0.9,approx@10,0.9 --json "$WORK/approx-100k.json" \
      --svg "$WORK/approx-100k.svg" ;;
  filter-sweep)
    # bucket is uniform in 0..9999: bucket < n selects n / 100 % of the points.
    [ -f "$WORK/corpus-payload/docs.jsonl" ] ||
      $S generate --docs 1000000 --queries 1000 --seed 42 --format jsonl --payload --output-dir "$WORK/corpus-payload"
    built "$WORK/idx-filter" ||
      $S index --input "$WORK/corpus-payload/docs.jsonl" --output "$WORK/idx-filter" --weights u8 --approx --approx-knn 0 \
        --payload-index bucket:integer --overwrite
    below() { echo "{\"must\":[{\"key\":\"bucket\",\"range\":{\"lt\":$1}}]}"; }
    $S bench --index "$WORK/idx-filter" --queries "$WORK/corpus-payload/queries.tsv" --limit 200 --runs 2 \
      -a bmp,approx,approx@5,0.9,approx@20,1,postfilter,postfilter@5,0.9,postfilter@20,1 \
      --filter "$(below 10)" --filter "$(below 100)" --filter "$(below 1000)" --filter "$(below 5000)" \
      --filter "$(below 10000)" --filter none --json "$WORK/filter-sweep.json" --svg "$WORK/filter-sweep.svg" ;;
  ingest)
    corpus
    rm -rf "$WORK/ingest"  # bench-ingest's own output from an earlier run
    $S bench-ingest --input "$WORK/corpus/docs.csr" --vocab "$WORK/corpus/vocab.txt" --queries "$WORK/corpus/queries.tsv" \
      --output "$WORK/ingest" --json "$WORK/ingest.json" ;;
  ingest-approx)
    corpus
    rm -rf "$WORK/ingest-approx"
    $S bench-ingest --input "$WORK/corpus/docs.csr" --vocab "$WORK/corpus/vocab.txt" --queries "$WORK/corpus/queries.tsv" \
      --output "$WORK/ingest-approx" --limit 200000 --approx --json "$WORK/ingest-approx.json" ;;
  micro)
    [ -x build/bench/spindle_micro ] || cmake --build build --target spindle_micro
    build/bench/spindle_micro ;;
  text-effectiveness)
    [ -d "$DATA/beir/scifact" ] || { echo "row $ROW needs $DATA" >&2; exit 1; }
    [ -x build/tests/text_effectiveness_test ] || cmake --build build --target text_effectiveness_test
    build/tests/text_effectiveness_test ;;
  text-latency)
    [ -d "$DATA/beir/scifact" ] || { echo "row $ROW needs $DATA" >&2; exit 1; }
    $S index --text --input "$DATA/beir/scifact/corpus.jsonl" --output "$WORK/scifact" --overwrite
    for k in 10 1000; do
      $S bench --index "$WORK/scifact" --queries "$DATA/beir/scifact/queries.test.jsonl" -k "$k" --runs 5 \
        -a exhaustive,maxscore,bmw,bmp --json "$WORK/text-latency-k$k.json"
    done ;;
esac
