#!/usr/bin/env python3
"""Latency of a hybrid query against the sum of its parts (issue 16, "Measured").

    PYTHONPATH=build/python /usr/bin/python3 bench/hybrid_bench.py --work bench-hybrid/ [--points 200000]

Builds (once) a collection of generated points with two named sparse vectors
("lexical": short, Zipf-skewed, like BM25 term weights; "learned": longer,
like SPLADE) and, with --dense-dim D (default 384; 0: none), a dense Cosine
vector "emb" (clustered Gaussian rows: 100 centres plus noise, an HNSW graph
per segment), then for each query measures, single-threaded, with the
library's own clock (Hits.seconds): each search alone (k = depth) and the
prefetch (lists of `depth` candidates) + fusion (rrf, dbsf, convex) of the
two sparse lists, of lexical + dense (rrf), and the re-scoring queries
(lexical candidates, learned or dense scores). Prints mean and p50/p99 in ms
and each fusion's overhead over the sum of its searches.
"""
import argparse
import os
import statistics

import numpy as np

import spindle


def zipf_rows(rng, n, dims, lo, hi):
    p = 1.0 / np.arange(1, dims + 1) ** 1.05
    p /= p.sum()
    rows = []
    for _ in range(n):
        k = int(rng.integers(lo, hi + 1))
        cols = np.unique(rng.choice(dims, size=k, p=p))
        rows.append({int(c): float(w) for c, w in zip(cols, rng.integers(1, 64, size=len(cols)) / 16)})
    return rows


def clustered(rng, centres, n):
    """Rows near random centres (unit-variance centres, noise sd 0.3), float32."""
    pick = rng.integers(0, len(centres), size=n)
    return (centres[pick] + 0.3 * rng.standard_normal((n, centres.shape[1]))).astype(np.float32)


def build(path, points, seed, dense_dim):
    rng = np.random.default_rng(seed)
    cfg = {"lexical": spindle.SparseVectorConfig(keys="indices"), "learned": spindle.SparseVectorConfig(keys="indices")}
    if dense_dim:
        cfg["emb"] = spindle.DenseVectorConfig(dense_dim)
        centres = np.random.default_rng(seed + 1).standard_normal((100, dense_dim))
    c = spindle.Collection.create(path, cfg)
    batch = 10_000
    for at in range(0, points, batch):
        n = min(batch, points - at)
        vecs = {"lexical": zipf_rows(rng, n, 30_000, 5, 40), "learned": zipf_rows(rng, n, 30_522, 60, 160)}
        if dense_dim:
            vecs["emb"] = clustered(rng, centres, n)
        c.upsert(list(range(at, at + n)), vecs, wait=False)
    c.optimize()
    return c


def ms(xs):
    xs = sorted(xs)
    return (statistics.mean(xs) * 1e3, xs[len(xs) // 2] * 1e3, xs[min(len(xs) - 1, int(len(xs) * 0.99))] * 1e3)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--work", required=True)
    ap.add_argument("--points", type=int, default=200_000)
    ap.add_argument("--queries", type=int, default=300)
    ap.add_argument("--depth", type=int, default=100, help="candidates per prefetch list")
    ap.add_argument("-k", type=int, default=10)
    ap.add_argument("--dense-dim", type=int, default=384, help="dimension of the dense vector 'emb' (0: none)")
    a = ap.parse_args()
    path = os.path.join(a.work, f"coll-{a.points}" + (f"-d{a.dense_dim}" if a.dense_dim else ""))
    c = spindle.Collection.open(path, read_only=True) if os.path.exists(path) else build(path, a.points, 1, a.dense_dim)
    rng = np.random.default_rng(2)
    qs = list(zip(zipf_rows(rng, a.queries, 30_000, 2, 6), zipf_rows(rng, a.queries, 30_522, 20, 60)))
    if a.dense_dim:
        # The build's centres (seed 1 + 1), so queries fall near the points.
        qe = clustered(rng, np.random.default_rng(2).standard_normal((100, a.dense_dim)), a.queries)
    for ql, qd in qs[:20]:  # warm-up
        c.search(ql, vector="lexical", k=a.depth)
        c.search(qd, vector="learned", k=a.depth)
    names = ["lexical", "learned", "rrf", "dbsf", "convex", "rescore"]
    if a.dense_dim:
        names += ["dense", "rrf lex+dense", "rescore lex->dense"]
        for i in range(20):
            c.search(qe[i], vector="emb", k=a.depth)
    t = {name: [] for name in names}
    for i, (ql, qd) in enumerate(qs):
        t["lexical"].append(c.search(ql, vector="lexical", k=a.depth).seconds)
        t["learned"].append(c.search(qd, vector="learned", k=a.depth).seconds)
        pre = [{"query": ql, "vector": "lexical", "limit": a.depth}, {"query": qd, "vector": "learned", "limit": a.depth}]
        t["rrf"].append(c.query(prefetch=pre, fusion="rrf", k=a.k).seconds)
        t["dbsf"].append(c.query(prefetch=pre, fusion="dbsf", k=a.k).seconds)
        t["convex"].append(c.query(prefetch=pre, fusion=("convex", 0.5), k=a.k).seconds)
        t["rescore"].append(c.query(qd, vector="learned", prefetch=pre[:1], k=a.k).seconds)
        if a.dense_dim:
            t["dense"].append(c.search(qe[i], vector="emb", k=a.depth).seconds)
            pre_d = [pre[0], {"query": qe[i], "vector": "emb", "limit": a.depth}]
            t["rrf lex+dense"].append(c.query(prefetch=pre_d, fusion="rrf", k=a.k).seconds)
            t["rescore lex->dense"].append(c.query(qe[i], vector="emb", prefetch=pre[:1], k=a.k).seconds)
    parts = [x + y for x, y in zip(t["lexical"], t["learned"])]
    rows = [("lexical alone", t["lexical"]), ("learned alone", t["learned"]), ("sum of the two", parts)] + \
        [(f"prefetch x2 + {n}", t[n]) for n in ("rrf", "dbsf", "convex")] + [("rescore (lex -> learned)", t["rescore"])]
    if a.dense_dim:
        parts_d = [x + y for x, y in zip(t["lexical"], t["dense"])]
        rows += [("dense alone (HNSW)", t["dense"]), ("lexical + dense", parts_d),
                 ("prefetch lex+dense rrf", t["rrf lex+dense"]), ("rescore (lex -> dense)", t["rescore lex->dense"])]
    print(f"{a.points} points, {a.queries} queries, depth {a.depth}, k {a.k}, dense dim {a.dense_dim}, one thread (library time)")
    print(f"{'query':<26} {'mean ms':>8} {'p50':>8} {'p99':>8}")
    for name, xs in rows:
        m, p50, p99 = ms(xs)
        print(f"{name:<26} {m:8.3f} {p50:8.3f} {p99:8.3f}")
    base = statistics.mean(parts)
    for n in ("rrf", "dbsf", "convex"):
        print(f"{n}: {100 * (statistics.mean(t[n]) / base - 1):+.1f} % over the sum of its parts")
    if a.dense_dim:
        print(f"rrf lex+dense: {100 * (statistics.mean(t['rrf lex+dense']) / statistics.mean(parts_d) - 1):+.1f} % over the sum of its parts")


if __name__ == "__main__":
    main()
