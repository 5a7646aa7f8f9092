#!/usr/bin/env python3
"""Python binding overhead (docs/BENCHMARKS.md, "Python").

    PYTHONPATH=build/python /usr/bin/python3 bench/python_bench.py --corpus corpus/ --work bench-py/

Builds (once) an index of corpus/docs.jsonl with `spindle index`, then for
threads 1 and 2 compares `search_batch` throughput with `spindle search
--threads N` (its own QPS line) on corpus/queries.tsv, and measures a single
`search()` call's wall time above the library's own time (Hits.seconds).
"""
import argparse
import collections
import os
import re
import subprocess
import sys
import time

import spindle


def read_impact_tsv(path):
    ids, vecs = [], []
    with open(path, encoding="utf-8") as f:
        for line in f:
            qid, _, toks = line.rstrip("\n").partition("\t")
            ids.append(qid)
            vecs.append({t: float(c) for t, c in collections.Counter(toks.split()).items()})
    return ids, vecs


def cli_qps(exe, index, queries, threads, k):
    p = subprocess.run([exe, "search", "--index", index, "--queries", queries, "--k", str(k), "-q", "--threads",
                        str(threads), "--output", os.devnull], check=True, capture_output=True, text=True)
    return float(re.search(r"QPS ([0-9.]+)", p.stdout + p.stderr).group(1))


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--corpus", required=True)
    ap.add_argument("--work", required=True)
    ap.add_argument("--cli", default="build/tools/spindle")
    ap.add_argument("--k", type=int, default=10)
    ap.add_argument("--runs", type=int, default=3)
    a = ap.parse_args()
    os.makedirs(a.work, exist_ok=True)
    index = os.path.join(a.work, "idx")
    if not os.path.exists(index):
        subprocess.run([a.cli, "index", "--input", os.path.join(a.corpus, "docs.jsonl"), "--output", index, "-q"],
                       check=True, capture_output=True)
    queries = os.path.join(a.corpus, "queries.tsv")
    qids, qvecs = read_impact_tsv(queries)
    idx = spindle.Index(index)
    idx.search_batch(qvecs[:100], k=a.k, threads=1)  # warm the page cache
    for threads in (1, 2):
        cli, best = 0.0, 0.0
        for _ in range(a.runs):  # alternating, so that a change of machine load hits both
            cli = max(cli, cli_qps(a.cli, index, queries, threads, a.k))
            t0 = time.perf_counter()
            idx.search_batch(qvecs, k=a.k, threads=threads)
            best = max(best, len(qvecs) / (time.perf_counter() - t0))
        print(f"threads={threads}: search_batch {best:.1f} QPS (dicts -> results, incl. conversion), "
              f"spindle search {cli:.1f} QPS, ratio {best / cli:.3f}")
    # The same queries as a CSR matrix (columns named by corpus/vocab.txt):
    # converted to requests in C++ without the GIL.
    vocab_path = os.path.join(a.corpus, "vocab.txt")
    if os.path.exists(vocab_path):
        import numpy as np
        import scipy.sparse as sp
        vocab = [line.rstrip("\n") for line in open(vocab_path, encoding="utf-8")]
        col = {t: j for j, t in enumerate(vocab)}
        indptr, indices, data = [0], [], []
        for q in qvecs:
            for t, w in sorted(q.items(), key=lambda tw: col[tw[0]]):
                indices.append(col[t])
                data.append(w)
            indptr.append(len(indices))
        qcsr = sp.csr_matrix((np.array(data, np.float32), np.array(indices, np.int32), np.array(indptr, np.int64)),
                             shape=(len(qvecs), len(vocab)))
        cidx = spindle.Index(index, vocab=vocab)
        for threads in (1, 2):
            cli, best = 0.0, 0.0
            for _ in range(a.runs):
                cli = max(cli, cli_qps(a.cli, index, queries, threads, a.k))
                t0 = time.perf_counter()
                cidx.search_batch(qcsr, k=a.k, threads=threads)
                best = max(best, len(qvecs) / (time.perf_counter() - t0))
            print(f"threads={threads}: search_batch(CSR) {best:.1f} QPS, spindle search {cli:.1f} QPS, "
                  f"ratio {best / cli:.3f}")
    # Single-call overhead: wall time of search() minus the library's own time.
    # Twice: with the query dicts read at start-up (long out of cache after
    # the searches in between: reading a cold dict of ~44 entries costs
    # ~10 us of memory latency) and with a fresh dict made just before each
    # call, as an encoder hands its output over.
    for label, fresh in (("stored dicts", False), ("fresh dicts", True)):
        over, lib = [], []
        for _ in range(a.runs):
            for q in qvecs:
                if fresh:
                    q = {t: w for t, w in q.items()}
                t0 = time.perf_counter()
                h = idx.search(q, k=a.k)
                wall = time.perf_counter() - t0
                over.append(wall - h.seconds)
                lib.append(h.seconds)
        over.sort()
        print(f"search() ({label}): {len(over)} calls, library time mean {sum(lib) / len(lib) * 1e6:.1f} us; "
              f"overhead above it median {over[len(over) // 2] * 1e6:.1f} us, p90 {over[int(len(over) * 0.9)] * 1e6:.1f} us, "
              f"mean {sum(over) / len(over) * 1e6:.1f} us")
    # Decomposition: the same call with an empty query (dispatch, result
    # objects) and with the queries' tokens renamed so none is known
    # (conversion of ~44 tokens, almost no library work).
    for label, qs in (("empty query", [{}] * len(qvecs)),
                      ("unknown tokens", [{"zz" + t: w for t, w in q.items()} for q in qvecs])):
        over = []
        for q in qs:
            t0 = time.perf_counter()
            h = idx.search(q, k=a.k)
            over.append(time.perf_counter() - t0 - h.seconds)
        over.sort()
        print(f"search() with {label}: overhead median {over[len(over) // 2] * 1e6:.1f} us")


if __name__ == "__main__":
    sys.exit(main())
