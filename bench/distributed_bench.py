#!/usr/bin/env python3
"""Sharded collections on Dask (docs/BENCHMARKS.md, "Sharded collections on Dask").

    build/tools/spindle generate --docs 200000 --queries 500 --format jsonl -o corpus/
    PYTHONPATH=build/python /usr/bin/python3 bench/distributed_bench.py --corpus corpus/ --work bench-dist/ \
        --shards 1 2 4

For each shard count S: a LocalCluster of S worker processes (one thread
each), a sharded collection of u16 token vectors, bulk_load of
corpus/docs.jsonl cut into --partitions files (timed: routing tasks, shard
loads with their flush), optimize to one segment per shard (timed apart);
then searches with corpus/queries.tsv (bmp, k=10): one query at a time
(latency, and the scatter-gather's own cost: wall time minus the slowest
shard's library time), a pipelined batch (throughput), and an empty round
trip to every shard (the Dask floor). The same queries on one in-process
Collection holding everything give the no-Dask reference.
"""
import argparse
import collections
import json
import os
import shutil
import statistics
import sys
import time

import spindle
from spindle.distributed import ShardedCollection


def read_impact_tsv(path, limit):
    vecs = []
    with open(path, encoding="utf-8") as f:
        for line in f:
            _, _, toks = line.rstrip("\n").partition("\t")
            vecs.append({t: float(c) for t, c in collections.Counter(toks.split()).items()})
            if len(vecs) == limit:
                break
    return vecs


def split_input(src, out_dir, parts):
    os.makedirs(out_dir, exist_ok=True)
    paths = [os.path.join(out_dir, f"part-{i:03d}.jsonl") for i in range(parts)]
    if all(os.path.exists(p) for p in paths):
        return paths
    outs = [open(p, "w", encoding="utf-8") for p in paths]
    with open(src, encoding="utf-8") as f:
        for n, line in enumerate(f):
            outs[n % parts].write(line)
    for o in outs:
        o.close()
    return paths


def pct(xs, p):
    xs = sorted(xs)
    return xs[min(len(xs) - 1, int(round(p / 100 * (len(xs) - 1))))]


class Echo:
    """A trivial actor: the cost of a Dask actor call and nothing else."""

    async def ping(self):
        return 1


def dask_floor(shards, report, rounds=300):
    """Round trips of an empty actor call to every one of `shards` workers,
    with the client talking to the workers directly and through the scheduler."""
    from distributed import Client, LocalCluster
    cluster = LocalCluster(n_workers=shards, threads_per_worker=1, processes=True, dashboard_address=None,
                           silence_logs=50, memory_limit=0)
    row = {"floor_workers": shards}
    for direct in (True, False):
        client = Client(cluster, direct_to_workers=direct)
        ws = sorted(client.scheduler_info()["workers"])
        actors = [client.submit(Echo, actor=True, workers=[w], pure=False).result() for w in ws]
        for _ in range(20):
            [f.result() for f in [a.ping() for a in actors]]
        times = []
        for _ in range(rounds):
            t0 = time.perf_counter()
            [f.result() for f in [a.ping() for a in actors]]
            times.append(time.perf_counter() - t0)
        t0 = time.perf_counter()
        [f.result() for f in [a.ping() for _ in range(rounds) for a in actors]]
        pipelined = (time.perf_counter() - t0) / rounds
        key = "direct" if direct else "via_scheduler"
        row[f"{key}_ms_mean"] = 1e3 * statistics.mean(times)
        row[f"{key}_ms_p99"] = 1e3 * pct(times, 99)
        row[f"{key}_pipelined_ms_per_round"] = 1e3 * pipelined
        client.close()
    cluster.close()
    report.append(row)
    print(json.dumps(row), flush=True)


def run_shards(shards, args, parts, queries, report):
    from distributed import Client, LocalCluster
    cluster = LocalCluster(n_workers=shards, threads_per_worker=1, processes=True, dashboard_address=None,
                           silence_logs=50, memory_limit=0)
    client = Client(cluster, direct_to_workers=True)
    root = os.path.join(args.work, f"sharded-{shards}")
    if args.reuse and os.path.exists(os.path.join(root, "sharding.json")):
        sc = ShardedCollection.open(client, root)
        row = {"shards": shards, "reused": True}
    else:
        shutil.rmtree(root, ignore_errors=True)
        vec = {"v": spindle.SparseVectorConfig(keys="tokens", weights="u16")}
        sc = ShardedCollection.create(client, root, shards=shards, vectors=vec)
        t0 = time.perf_counter()
        n = sc.bulk_load(files=parts)
        t_load = time.perf_counter() - t0
        t0 = time.perf_counter()
        sc.optimize(1)
        t_opt = time.perf_counter() - t0
        row = {"shards": shards, "docs": n, "bulk_load_s": t_load, "optimize_s": t_opt}
    info = sc.info()
    row.update({"bytes": info["bytes"], "per_shard_points": [s["points"] for s in info["shards"]]})

    for q in queries[:20]:  # warm up
        sc.search(q, k=10)
    # Empty round trip to every shard: Dask's floor for one scatter-gather.
    pings = []
    for _ in range(200):
        t0 = time.perf_counter()
        sc._fan({i: (i, "ping", ()) for i in range(shards)}, "ping")
        pings.append(time.perf_counter() - t0)
    lat, shard_max, overhead = [], [], []
    cpu0 = time.process_time()
    for q in queries:
        t0 = time.perf_counter()
        h = sc.search(q, k=10)
        wall = time.perf_counter() - t0
        lat.append(wall)
        shard_max.append(max(h.shard_seconds.values()))
        overhead.append(wall - shard_max[-1])
    cpu_seq = time.process_time() - cpu0
    t0 = time.perf_counter()
    cpu0 = time.process_time()
    res = sc.search_batch(queries, k=10, batch_size=args.batch_size)
    t_batch = time.perf_counter() - t0
    cpu_batch = time.process_time() - cpu0
    row.update({
        "ping_ms_mean": 1e3 * statistics.mean(pings), "ping_ms_p99": 1e3 * pct(pings, 99),
        "search_ms_mean": 1e3 * statistics.mean(lat), "search_ms_p50": 1e3 * pct(lat, 50),
        "search_ms_p99": 1e3 * pct(lat, 99), "slowest_shard_ms_mean": 1e3 * statistics.mean(shard_max),
        "scatter_gather_ms_mean": 1e3 * statistics.mean(overhead), "sequential_qps": len(lat) / sum(lat),
        "batch_qps": len(queries) / t_batch,
        "coordinator_cpu_ms_per_query_sequential": 1e3 * cpu_seq / len(queries),
        "coordinator_cpu_ms_per_query_batch": 1e3 * cpu_batch / len(queries),
        "batch_shard_busy_s": {str(k): v for k, v in res.shard_seconds.items()},
    })
    report.append(row)
    print(json.dumps(row), flush=True)
    sc.close()
    client.close()
    cluster.close()
    return root


def reference(args, parts, queries, report):
    """One in-process Collection (no Dask): bulk upsert + optimize, then the same searches."""
    root = os.path.join(args.work, "single")
    shutil.rmtree(root, ignore_errors=True)
    c = spindle.Collection.create(root, {"v": spindle.SparseVectorConfig(keys="tokens", weights="u16")})
    t0 = time.perf_counter()
    for p in parts:
        with open(p, encoding="utf-8") as f:
            batch = []
            for line in f:
                batch.append(json.loads(line))
                if len(batch) == 10_000:
                    c.upsert([r["id"] for r in batch], [r["vector"] for r in batch], wait=False)
                    batch = []
            if batch:
                c.upsert([r["id"] for r in batch], [r["vector"] for r in batch], wait=False)
    c.flush()
    t_load = time.perf_counter() - t0
    t0 = time.perf_counter()
    c.optimize(1)
    t_opt = time.perf_counter() - t0
    for q in queries[:20]:
        c.search(q, k=10)
    lat, lib = [], []
    for q in queries:
        t0 = time.perf_counter()
        h = c.search(q, k=10)
        lat.append(time.perf_counter() - t0)
        lib.append(h.seconds)
    t0 = time.perf_counter()
    c.search_batch(queries, k=10, threads=1)
    t_batch = time.perf_counter() - t0
    row = {"shards": "in-process", "load_s": t_load, "optimize_s": t_opt,
           "search_ms_mean": 1e3 * statistics.mean(lat), "search_ms_p99": 1e3 * pct(lat, 99),
           "library_ms_mean": 1e3 * statistics.mean(lib), "batch_qps_1thread": len(queries) / t_batch}
    report.append(row)
    print(json.dumps(row), flush=True)
    c.close()


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--corpus", help="directory of spindle generate (docs.jsonl, queries.tsv)")
    ap.add_argument("--work", required=True, help="scratch directory (collections are written here)")
    ap.add_argument("--shards", type=int, nargs="+", default=[1, 2, 4])
    ap.add_argument("--partitions", type=int, default=8, help="input files for bulk_load")
    ap.add_argument("--queries", type=int, default=500)
    ap.add_argument("--batch-size", type=int, default=64, help="queries per shard call in search_batch")
    ap.add_argument("--no-reference", action="store_true")
    ap.add_argument("--reuse", action="store_true", help="open collections a previous run built (searches only)")
    ap.add_argument("--floor-only", action="store_true", help="only the empty round trips (no corpus needed)")
    ap.add_argument("--json", help="write the report here")
    args = ap.parse_args()
    os.makedirs(args.work, exist_ok=True)
    report = []
    if args.floor_only:
        for s in args.shards:
            dask_floor(s, report)
        if args.json:
            with open(args.json, "w", encoding="utf-8") as f:
                json.dump(report, f, indent=2)
        return 0
    parts = split_input(os.path.join(args.corpus, "docs.jsonl"), os.path.join(args.work, "parts"), args.partitions)
    queries = read_impact_tsv(os.path.join(args.corpus, "queries.tsv"), args.queries)
    if not args.no_reference:
        reference(args, parts, queries, report)
    for s in args.shards:
        run_shards(s, args, parts, queries, report)
    if args.json:
        with open(args.json, "w", encoding="utf-8") as f:
            json.dump(report, f, indent=2)


if __name__ == "__main__":
    sys.exit(main())
