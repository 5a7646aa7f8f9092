#!/usr/bin/env python3
"""The write side of the server load test: upserts points at a fixed rate
while wrk sends queries, records every acknowledged point, and afterwards
checks that each acknowledged point is in the collection.

  upsert_stream.py stream --url http://127.0.0.1:6333 --collection c --vector v \
      --docs docs.jsonl --rate 1000 --batch 100 --seconds 30 --id-base 1000000000 --acked acked.txt
  upsert_stream.py verify --url ... --collection c --acked acked.txt
  upsert_stream.py count --url ... --collection c

`docs.jsonl` is spindle generate's JSONL ({"id": ..., "vector": {token: w}});
its vectors are sent as new points with integer ids id-base, id-base+1, ...
(wait=true, so an acknowledged batch is durable). Only the standard library
is used (urllib, json), so Debian's /usr/bin/python3 runs it as it is.
"""
import argparse
import concurrent.futures
import json
import sys
import time
import urllib.error
import urllib.request


def call(url, method, path, body, key=None, timeout=60):
    data = None if body is None else json.dumps(body, separators=(",", ":")).encode()
    req = urllib.request.Request(url + path, data=data, method=method, headers={"Content-Type": "application/json"})
    if key:
        req.add_header("api-key", key)
    try:
        with urllib.request.urlopen(req, timeout=timeout) as r:
            return json.loads(r.read())
    except urllib.error.HTTPError as e:
        raise RuntimeError(f"{method} {path}: HTTP {e.code}: {e.read()[:300]!r}") from None


def read_vectors(path, need):
    out = []
    with open(path, encoding="utf-8") as f:
        for lineno, line in enumerate(f, 1):
            if not line.strip():
                continue
            try:
                out.append(json.loads(line)["vector"])
            except (ValueError, KeyError) as e:
                sys.exit(f"{path}:{lineno}: not a spindle JSONL document ({e})")
            if len(out) == need:
                break
    if not out:
        sys.exit(f"{path}: no documents")
    return out


def only_vector(a):
    r = call(a.url, "GET", f"/collections/{a.collection}", None, a.api_key)
    names = list(r["result"]["config"]["params"]["sparse_vectors"])
    if len(names) != 1:
        sys.exit(f"collection {a.collection} has vectors {names}: name one with --vector")
    return names[0]


def count(a):
    r = call(a.url, "POST", f"/collections/{a.collection}/points/count", {"exact": True}, a.api_key)
    print(r["result"]["count"])


def stream(a):
    """Sends a batch every batch/rate seconds (up to --in-flight at once, so a
    slow batch does not lower the rate) and records each batch's ids once
    its response has come back (wait=true: durable)."""
    if not a.vector:
        a.vector = only_vector(a)
    total = int(a.rate * a.seconds)
    vectors = read_vectors(a.docs, total)
    interval = a.batch / a.rate

    def send(first, n):
        pts = [{"id": a.id_base + i, "vector": {a.vector: vectors[i % len(vectors)]}} for i in range(first, first + n)]
        t0 = time.monotonic()
        r = call(a.url, "PUT", f"/collections/{a.collection}/points?wait=true", {"points": pts}, a.api_key)
        if r.get("status") != "ok":
            raise RuntimeError(f"upsert: unexpected response {r!r}")
        return first, n, time.monotonic() - t0

    acked, sent, lat = 0, 0, []
    start = time.monotonic()
    next_at = start
    with open(a.acked, "w", encoding="utf-8") as out, \
            concurrent.futures.ThreadPoolExecutor(max_workers=a.in_flight) as pool:
        pending = set()

        def collect(done):
            nonlocal acked
            for f in done:
                first, n, secs = f.result()  # a failed batch raises here: the run fails
                lat.append(secs)
                out.write("".join(f"{a.id_base + i}\n" for i in range(first, first + n)))
                acked += n
            out.flush()

        while sent < total and time.monotonic() - start < a.seconds:
            now = time.monotonic()
            if now < next_at:
                time.sleep(next_at - now)
            next_at += interval
            while len(pending) >= a.in_flight:  # at the limit: wait for one
                done, pending = concurrent.futures.wait(pending, return_when=concurrent.futures.FIRST_COMPLETED)
                collect(done)
            n = min(a.batch, total - sent)
            pending.add(pool.submit(send, sent, n))
            sent += n
            done = {f for f in pending if f.done()}
            pending -= done
            collect(done)
        done, _ = concurrent.futures.wait(pending)
        collect(done)
    secs = time.monotonic() - start
    lat.sort()
    rep = {"acked_points": acked, "seconds": round(secs, 3), "points_per_s": round(acked / secs, 1),
           "batches": len(lat), "batch_p50_ms": round(1000 * lat[len(lat) // 2], 2) if lat else None,
           "batch_p99_ms": round(1000 * lat[min(len(lat) - 1, int(0.99 * len(lat)))], 2) if lat else None}
    print("upsert-json " + json.dumps(rep))


def verify(a):
    with open(a.acked, encoding="utf-8") as f:
        ids = [int(x) for x in f if x.strip()]
    missing = []
    for i in range(0, len(ids), 1000):
        chunk = ids[i:i + 1000]
        r = call(a.url, "POST", f"/collections/{a.collection}/points", {"ids": chunk, "with_payload": False,
                                                                        "with_vector": True}, a.api_key)
        got = {p["id"]: p for p in r["result"]}
        for x in chunk:
            p = got.get(x)
            if p is None or not p.get("vector"):
                missing.append(x)
    print("verify-json " + json.dumps({"acked": len(ids), "missing": len(missing), "first_missing": missing[:5]}))
    if missing:
        sys.exit(f"verify: {len(missing)} of {len(ids)} acknowledged points are missing (first {missing[:5]})")


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = ap.add_subparsers(dest="cmd", required=True)
    for name in ("stream", "verify", "count"):
        p = sub.add_parser(name)
        p.add_argument("--url", default="http://127.0.0.1:6333")
        p.add_argument("--collection", required=True)
        if name != "count":
            p.add_argument("--acked", required=True, help="file of acknowledged ids (written by stream, read by verify)")
        p.add_argument("--api-key", default=None)
        if name == "stream":
            p.add_argument("--vector", default=None, help="vector name (default: the collection's only vector)")
            p.add_argument("--docs", required=True)
            p.add_argument("--rate", type=float, default=1000, help="points per second (default 1000)")
            p.add_argument("--batch", type=int, default=100, help="points per request (default 100)")
            p.add_argument("--seconds", type=float, default=30)
            p.add_argument("--id-base", type=int, default=1_000_000_000)
            p.add_argument("--in-flight", type=int, default=4, help="batches sent at once at most (default 4)")
    a = ap.parse_args()
    {"stream": stream, "verify": verify, "count": count}[a.cmd](a)


if __name__ == "__main__":
    main()
