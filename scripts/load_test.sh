#!/usr/bin/env bash
# Load test of `spindle serve` with wrk (loopback only, bounded in time):
# queries alone, then queries while a client upserts at a fixed rate; then
# every acknowledged upsert is checked to be present, and the same queries
# are run by `spindle search --threads 2` for the CLI baseline.
#
#   scripts/load_test.sh                 # 1M generated docs, real SPLADE++ queries, 30 s phases
#   scripts/load_test.sh --smoke         # CI: 20k docs, 4 s phases; checks, measures nothing
#
# Environment: DOCS (1000000), PHASE_SECONDS (30), RATE (upserts/s, 1000),
# CONNECTIONS (wrk connections, 4), SERVER_THREADS (8: wrk's connections
# plus the writer's, since a kept-alive connection holds a worker), QUERIES (1000),
# ALGORITHM (params.algorithm, default: the server's auto = bmp), WORK
# (bench-work), SPINDLE (build/tools/spindle), PYTHON (/usr/bin/python3).
# The real queries come from ../shared/data (or $SPINDLE_SHARED_DATA);
# without it the generator's own queries are used, and the report says so.
# Output: a summary on stdout and $WORK/load/report.json.
# Exit status: non-zero if any request failed or an acknowledged point is missing.
set -euo pipefail
cd "$(dirname "$0")/.."

SMOKE=0
if [ "${1:-}" = "-h" ] || [ "${1:-}" = "--help" ]; then
  sed -n '2,/^set -euo/p' "$0" | sed '$d' | sed 's/^# \{0,1\}//'
  exit 0
fi
if [ "${1:-}" = "--smoke" ]; then SMOKE=1; shift; fi
if [ $# -gt 0 ]; then echo "usage: scripts/load_test.sh [--smoke]" >&2; exit 2; fi
if [ "$SMOKE" = 1 ]; then
  : "${DOCS:=20000}" "${PHASE_SECONDS:=4}" "${RATE:=500}" "${QUERIES:=200}"
fi
DOCS="${DOCS:-1000000}"
PHASE_SECONDS="${PHASE_SECONDS:-30}"
RATE="${RATE:-1000}"
CONNECTIONS="${CONNECTIONS:-4}"
SERVER_THREADS="${SERVER_THREADS:-8}"
QUERIES="${QUERIES:-1000}"
WORK="${WORK:-bench-work}"
S="${SPINDLE:-build/tools/spindle}"
PY="${PYTHON:-/usr/bin/python3}"
DATA="${SPINDLE_SHARED_DATA:-../shared/data}"
REAL="$DATA/msmarco/topics.msmarco-passage.dev-subset.splade-pp-ed.tsv.gz"

command -v wrk >/dev/null || { echo "load_test: wrk is not installed (scripts/setup.sh installs it)" >&2; exit 1; }
[ -x "$S" ] || { echo "load_test: $S not found: build first (scripts/setup.sh)" >&2; exit 1; }

L="$WORK/load"
mkdir -p "$L"
# With the real queries at hand the generator is calibrated on them and
# names its terms by their WordPiece tokens (else tok<N>, and the
# generator's own queries are used).
if [ -f "$REAL" ]; then
  calib=(--real-queries "$REAL"); kind=real
else
  calib=(--real-queries none); kind=synthetic
fi
corpus="$L/corpus-$DOCS-$kind"
stream_docs="$L/stream-docs-$kind"
if [ ! -f "$corpus/docs.csr" ]; then
  echo "load_test: generating $DOCS documents" >&2
  "$S" generate --docs "$DOCS" --queries 1000 --seed 42 --format csr --output-dir "$corpus" --overwrite -q "${calib[@]}" >/dev/null
fi
need_stream=$(( ${RATE%.*} * PHASE_SECONDS + 1000 ))
if [ ! -f "$stream_docs/docs.jsonl" ] || [ "$(wc -l <"$stream_docs/docs.jsonl")" -lt "$need_stream" ]; then
  "$S" generate --docs "$need_stream" --queries 0 --seed 7 --format jsonl --output-dir "$stream_docs" --overwrite -q \
    "${calib[@]}" >/dev/null
fi

if [ "$kind" = real ]; then
  qsrc="$REAL"; qkind="real MS MARCO SPLADE++ ED dev queries"
else
  qsrc="$corpus/queries.tsv"; qkind="generated queries (shared data absent: $REAL)"
fi
params=()
[ -n "${ALGORITHM:-}" ] && params=(--params "{\"algorithm\": \"$ALGORITHM\"}")
"$PY" bench/load/make_bodies.py --queries "$qsrc" --count "$QUERIES" --limit 10 \
  --bodies "$L/bodies.jsonl" --tsv "$L/queries.tsv" "${params[@]}"

# A fresh served collection: the bulk-built index of the corpus, under a
# data directory this script owns (removed and rebuilt each run).
srv="$L/serve-data"
rm -rf "$srv"
mkdir -p "$srv"
"$S" index --input "$corpus/docs.csr" --vocab "$corpus/vocab.txt" --output "$srv/docs" -q >/dev/null

log="$L/server.log"
"$S" serve --data "$srv" --port 0 --threads "$SERVER_THREADS" --quiet 2>"$log" &
server=$!
cleanup() { kill "$server" 2>/dev/null || true; wait "$server" 2>/dev/null || true; }
trap cleanup EXIT
port=""
for _ in $(seq 1 300); do
  port="$(sed -n 's/.*listening on http:\/\/127\.0\.0\.1:\([0-9]*\).*/\1/p' "$log" | head -n1)"
  [ -n "$port" ] && break
  kill -0 "$server" 2>/dev/null || { cat "$log" >&2; echo "load_test: spindle serve exited" >&2; exit 1; }
  sleep 0.1
done
[ -n "$port" ] || { cat "$log" >&2; echo "load_test: spindle serve did not start" >&2; exit 1; }
url="http://127.0.0.1:$port"
before="$("$PY" bench/load/upsert_stream.py count --url "$url" --collection docs)"

run_wrk() {  # $1: label -> prints the wrk-json line
  SPINDLE_BODIES="$L/bodies.jsonl" SPINDLE_PATH=/collections/docs/points/query \
    wrk -t2 -c"$CONNECTIONS" -d"${PHASE_SECONDS}s" --timeout 10s -s bench/load/query.lua "$url" >"$L/wrk-$1.txt"
  grep '^wrk-json ' "$L/wrk-$1.txt" | sed 's/^wrk-json //'
}

echo "load_test: $DOCS docs, $QUERIES $qkind, wrk -t2 -c$CONNECTIONS, ${PHASE_SECONDS}s per phase, server --threads $SERVER_THREADS" >&2
# Warm-up (page cache, first-touch), not reported.
SPINDLE_BODIES="$L/bodies.jsonl" SPINDLE_PATH=/collections/docs/points/query \
  wrk -t2 -c"$CONNECTIONS" -d"$(( PHASE_SECONDS < 5 ? PHASE_SECONDS : 5 ))s" -s bench/load/query.lua "$url" >/dev/null
alone="$(run_wrk alone)"
echo "  queries alone:        $alone" >&2

"$PY" bench/load/upsert_stream.py stream --url "$url" --collection docs --docs "$stream_docs/docs.jsonl" \
  --rate "$RATE" --batch 100 --seconds "$PHASE_SECONDS" --acked "$L/acked.txt" >"$L/upsert.txt" &
streamer=$!
sleep 0.5
with="$(run_wrk with-upserts)"
wait "$streamer"
ups="$(sed -n 's/^upsert-json //p' "$L/upsert.txt")"
echo "  queries with upserts: $with" >&2
echo "  upserts:              $ups" >&2
ver="$("$PY" bench/load/upsert_stream.py verify --url "$url" --collection docs --acked "$L/acked.txt" | sed 's/^verify-json //')"
echo "  verify:               $ver" >&2
after="$("$PY" bench/load/upsert_stream.py count --url "$url" --collection docs)"

# SIGTERM: the server must finish in flight, flush and exit 0.
kill -TERM "$server"
rc=0; wait "$server" || rc=$?
trap - EXIT
[ "$rc" = 0 ] || { tail -n 20 "$log" >&2; echo "load_test: spindle serve exited $rc on SIGTERM" >&2; exit 1; }

# The CLI baseline on the same queries (the collection now also holds the upserts).
# --in-memory: the files are read before the clock starts, so the fresh
# process does not pay the page faults of a first pass that the warm server
# no longer pays (a stricter baseline: it also has fewer TLB misses).
cli="$("$S" search --index "$srv/docs" --queries "$L/queries.tsv" --threads 2 -k 10 --in-memory ${ALGORITHM:+-a "$ALGORITHM"} \
       --output /dev/null 2>&1 | grep -E 'QPS' | tail -n 1)"
echo "  spindle search --threads 2: $cli" >&2

commit="$(git rev-parse --short HEAD 2>/dev/null || echo unknown)$(git diff --quiet HEAD 2>/dev/null || echo +dirty)"
cpu="$(lscpu 2>/dev/null | sed -n 's/^Model name: *//p' | head -n1)"
LOAD_COMMIT="$commit" LOAD_CPU="$cpu" LOAD_AVG="$(cut -d' ' -f1-3 /proc/loadavg)" LOAD_PARAMS="wrk -t2 -c$CONNECTIONS, ${PHASE_SECONDS}s phases, serve --threads $SERVER_THREADS, upserts $RATE/s in batches of 100" \
"$PY" - "$alone" "$with" "$ups" "$ver" "$before" "$after" "$cli" "$L/report.json" "$DOCS" "$qkind" <<'PYEOF'
import json, os, re, sys
alone, with_, ups, ver = (json.loads(x) for x in sys.argv[1:5])
before, after, cli, out, docs, qkind = int(sys.argv[5]), int(sys.argv[6]), sys.argv[7], sys.argv[8], int(sys.argv[9]), sys.argv[10]
m = re.search(r"QPS ([0-9.]+)", cli)
cli_qps = float(m.group(1)) if m else None
rep = {"commit": os.environ["LOAD_COMMIT"], "cpu": os.environ["LOAD_CPU"], "load_average_at_end": os.environ["LOAD_AVG"],
       "parameters": os.environ["LOAD_PARAMS"], "docs": docs, "queries": qkind, "alone": alone, "with_upserts": with_, "upserts": ups, "verify": ver,
       "count_before": before, "count_after": after, "cli_qps": cli_qps,
       "p99_ratio": round(with_["p99_ms"] / alone["p99_ms"], 3) if alone["p99_ms"] else None,
       "qps_vs_cli": round(alone["qps"] / cli_qps, 3) if cli_qps else None}
json.dump(rep, open(out, "w"), indent=2)
print(json.dumps(rep, indent=2))
errors = alone["non_2xx"] + alone["socket_errors"] + with_["non_2xx"] + with_["socket_errors"]
problems = []
if errors: problems.append(f"{errors} failed requests")
if ver["missing"]: problems.append(f"{ver['missing']} acknowledged points missing")
if after != before + ups["acked_points"]: problems.append(f"count {after} != {before} + {ups['acked_points']} acknowledged")
if alone["requests"] == 0 or with_["requests"] == 0: problems.append("a phase completed no request")
if problems:
    sys.exit("load_test: " + "; ".join(problems))
PYEOF
