#!/usr/bin/env python3
"""Turns an impact-format query TSV (Anserini's: qid<TAB>tokens, each token
repeated as many times as its weight; .gz read directly) into one JSON
request body per line for bench/load/query.lua, and writes the same queries
as a plain TSV for `spindle search` (the CLI baseline of the load test).

  make_bodies.py --queries topics.tsv.gz --count 1000 --vector splade \
      --limit 10 --bodies bodies.jsonl --tsv queries.tsv [--params '{"algorithm": "bmp"}']
"""
import argparse
import collections
import gzip
import json
import sys


def read_impact_tsv(path, count):
    opener = gzip.open if path.endswith(".gz") else open
    out = []
    with opener(path, "rt", encoding="utf-8-sig") as f:
        for lineno, line in enumerate(f, 1):
            line = line.rstrip("\n")
            if not line:
                continue
            if "\t" not in line:
                sys.exit(f"{path}:{lineno}: expected qid<TAB>tokens")
            qid, text = line.split("\t", 1)
            weights = collections.Counter(text.split())
            if not weights:
                continue
            out.append((qid, text, dict(weights)))
            if len(out) == count:
                break
    if not out:
        sys.exit(f"{path}: no queries")
    return out


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--queries", required=True, help="impact-format TSV (optionally .gz)")
    ap.add_argument("--count", type=int, default=1000, help="first N queries (default 1000)")
    ap.add_argument("--vector", default=None, help="the collection's vector name (`using`); default: its only vector")
    ap.add_argument("--limit", type=int, default=10, help="results per query (default 10)")
    ap.add_argument("--params", default=None, help="JSON object sent as `params` (spindle's search knobs)")
    ap.add_argument("--bodies", required=True, help="output: one JSON body per line")
    ap.add_argument("--tsv", default=None, help="output: the same queries as impact TSV")
    a = ap.parse_args()
    params = json.loads(a.params) if a.params else None
    qs = read_impact_tsv(a.queries, a.count)
    with open(a.bodies, "w", encoding="utf-8") as b:
        for _, _, w in qs:
            body = {"query": w, "limit": a.limit}
            if a.vector:
                body["using"] = a.vector
            if params:
                body["params"] = params
            b.write(json.dumps(body, separators=(",", ":")) + "\n")
    if a.tsv:
        with open(a.tsv, "w", encoding="utf-8") as t:
            for qid, text, _ in qs:
                t.write(f"{qid}\t{text}\n")
    print(f"make_bodies: {len(qs)} queries -> {a.bodies}", file=sys.stderr)


if __name__ == "__main__":
    main()
