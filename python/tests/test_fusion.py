"""Hybrid queries from Python (Collection.query, search(prefetch=, fusion=)) on a
collection with two named sparse vectors, against RRF / DBSF / convex fusion
and re-scoring computed here from brute-force per-list rankings.
PYTHONPATH=build/python /usr/bin/python3 -m pytest -q python/tests/test_fusion.py"""
import math
import random

import pytest

import spindle

N = 600
DIMS = 60


def rand_vec(rng, lo, hi):
    dims = rng.sample(range(DIMS), rng.randint(lo, hi))
    # k / 8: exact in float32, so the library's scores equal the ones here.
    return {int(d): rng.randint(1, 24) / 8 for d in sorted(dims)}


@pytest.fixture(scope="module")
def hybrid(tmp_path_factory):
    rng = random.Random(11)
    cfg = {name: spindle.SparseVectorConfig(keys="indices", weights="f32") for name in ("a", "b")}
    c = spindle.Collection.create(str(tmp_path_factory.mktemp("fusion") / "c"), cfg)
    vecs = {}
    ids = list(range(1, N + 1))
    va = [rand_vec(rng, 2, 6) for _ in ids]
    vb = [rand_vec(rng, 2, 8) for _ in ids]
    c.upsert(ids, {"a": va, "b": vb}, payloads=[{"odd": i % 2 == 1} for i in ids])
    for i, x, y in zip(ids, va, vb):
        vecs[i] = {"a": x, "b": y}
    yield c, vecs, rng
    c.close()


def ranking(vecs, name, q, limit, pred=lambda i: True):
    scored = []
    for i, v in vecs.items():
        if not pred(i):
            continue
        s = sum(w * v[name].get(d, 0.0) for d, w in q.items())
        if s > 0:
            scored.append((i, s))
    scored.sort(key=lambda e: (-e[1], e[0]))
    return scored[:limit]


def ordered(m):
    return sorted(m.items(), key=lambda e: (-e[1], e[0]))


def rrf(lists, k=2, weights=None):
    weights = weights or [1.0] * len(lists)
    m = {}
    for l, w in zip(lists, weights):
        for r, (i, _) in enumerate(l):
            m[i] = m.get(i, 0.0) + 1.0 / ((r + 1) / w + k - 1)
    return ordered(m)


def dbsf(lists):
    m = {}
    for l in lists:
        n = len(l)
        mean = sum(s for _, s in l) / n if n else 0.0
        sd = math.sqrt(sum((s - mean) ** 2 for _, s in l) / (n - 1)) if n > 1 else 0.0
        for i, s in l:
            m[i] = m.get(i, 0.0) + (0.5 if sd == 0 else (s - mean + 3 * sd) / (6 * sd))
    return ordered(m)


def convex(lists, alpha):
    m = {}
    for l, w in zip(lists, (alpha, 1 - alpha)):
        for i, _ in l:
            m.setdefault(i, 0.0)
        if not l:
            continue
        hi, lo = l[0][1], l[-1][1]
        for i, s in l:
            m[i] += w * (1.0 if hi == lo else (s - lo) / (hi - lo))
    return ordered(m)


def check(hits, want, k, what):
    want = want[:k]
    assert hits.ids == [i for i, _ in want], what
    assert hits.scores == pytest.approx([s for _, s in want], rel=1e-9, abs=1e-12), what


def test_fusions_equal_the_formulas(hybrid):
    c, vecs, rng = hybrid
    for _ in range(10):
        qa, qb = rand_vec(rng, 2, 5), rand_vec(rng, 3, 6)
        la, lb = rng.randint(5, 40), rng.randint(5, 40)
        lists = [ranking(vecs, "a", qa, la), ranking(vecs, "b", qb, lb)]
        pre = [{"query": qa, "vector": "a", "limit": la}, {"query": qb, "vector": "b", "k": lb}]
        check(c.query(prefetch=pre, fusion="rrf", k=12), rrf(lists), 12, "rrf")
        check(c.search(None, prefetch=pre, fusion="rrf", k=12), rrf(lists), 12, "search rrf")
        check(c.query(prefetch=pre, fusion={"method": "rrf", "k": 7, "weights": [2, 1]}), rrf(lists, 7, [2.0, 1.0]), 10,
              "weighted rrf")
        check(c.query(prefetch=pre, fusion="dbsf"), dbsf(lists), 10, "dbsf")
        hits = c.query(prefetch=pre, fusion=("convex", 0.25), k=8, offset=2)
        check(hits, convex(lists, 0.25)[2:], 8, "convex")
        assert hits.algorithm == "convex"


def test_rescoring_filters_and_nesting(hybrid):
    c, vecs, rng = hybrid
    odd = {"must": [{"key": "odd", "match": {"value": True}}]}
    for _ in range(6):
        qa, qb = rand_vec(rng, 2, 5), rand_vec(rng, 3, 6)
        cands = {i for i, _ in ranking(vecs, "a", qa, 30)}
        want = [e for e in ranking(vecs, "b", qb, N) if e[0] in cands]
        hits = c.search(qb, vector="b", k=10, prefetch={"query": qa, "vector": "a", "limit": 30}, with_payload=True)
        check(hits, want, 10, "rescore")
        assert hits.algorithm == "rescore"
        assert all(p == {"odd": i % 2 == 1} for i, p in zip(hits.ids, hits.payloads))
        # The filter reaches every prefetch.
        lists = [ranking(vecs, "a", qa, 15, lambda i: i % 2 == 1), ranking(vecs, "b", qb, 15, lambda i: i % 2 == 1)]
        pre = [{"query": qa, "vector": "a", "limit": 15}, {"query": qb, "vector": "b", "limit": 15}]
        check(c.query(prefetch=pre, fusion="rrf", filter=odd), rrf(lists), 10, "filtered")
        # dbsf over (rrf of a and b) and b.
        inner = rrf([ranking(vecs, "a", qa, 15), ranking(vecs, "b", qb, 15)])[:12]
        nested = [{"prefetch": pre, "fusion": "rrf", "limit": 12}, {"query": qb, "vector": "b", "limit": 10}]
        check(c.query(prefetch=nested, fusion="dbsf"), dbsf([inner, ranking(vecs, "b", qb, 10)]), 10, "nested")


def test_bad_hybrid_requests(hybrid):
    c, _, _ = hybrid
    q = {1: 1.0}
    with pytest.raises(spindle.InvalidArgument, match="fusion rrf needs prefetches to fuse"):
        c.query(fusion="rrf")
    with pytest.raises(spindle.InvalidArgument, match=r"prefetch\[1\]: .*nope"):
        c.query(prefetch=[{"query": q, "vector": "a"}, {"query": q, "vector": "nope"}], fusion="rrf")
    with pytest.raises(spindle.InvalidArgument, match="rrf: 1 weights for 2 prefetch lists"):
        c.query(prefetch=[{"query": q, "vector": "a"}, {"query": q, "vector": "b"}], fusion={"method": "rrf", "weights": [1]})
    with pytest.raises(spindle.InvalidArgument, match="unknown fusion `rff`"):
        c.query(prefetch=[{"query": q, "vector": "a"}], fusion="rff")
    with pytest.raises(spindle.InvalidArgument, match="either query"):
        c.search(q, vector="a", prefetch=[{"query": q, "vector": "a"}], fusion="rrf")
    with pytest.raises(TypeError, match=r"prefetch\[0\]: unknown keys using"):
        c.query(prefetch=[{"query": q, "using": "a"}], fusion="rrf")


def test_cli_fusion_equals_query(hybrid, tmp_path):
    """spindle search --fusion over two query files writes the run Collection.query computes."""
    import os
    import pathlib
    import subprocess
    cli = pathlib.Path(os.environ.get("SPINDLE_CLI", pathlib.Path(__file__).resolve().parents[2] / "build" / "tools" / "spindle"))
    if not cli.exists():
        pytest.skip(f"the spindle CLI is not built at {cli} (set SPINDLE_CLI)")
    c, vecs, rng = hybrid
    qs = [(f"q{i}", rand_vec(rng, 2, 5), rand_vec(rng, 3, 6)) for i in range(8)]
    # JSONL queries keyed by index (as decimal tokens); q7 is absent from the second file.
    import json as _json
    (tmp_path / "a.jsonl").write_text("".join(_json.dumps({"id": q, "vector": {str(d): w for d, w in a.items()}}) + "\n"
                                              for q, a, _ in qs))
    (tmp_path / "b.jsonl").write_text("".join(_json.dumps({"id": q, "vector": {str(d): w for d, w in b.items()}}) + "\n"
                                              for q, _, b in qs[:-1]))
    for fusion, py_fusion in (("rrf", "rrf"), ("dbsf", "dbsf"), ("convex:0.3", ("convex", 0.3))):
        run = tmp_path / "run.trec"
        subprocess.run([str(cli), "search", "--index", c.path, "--queries", str(tmp_path / "a.jsonl"), "--vector", "a",
                        "--fuse-queries", str(tmp_path / "b.jsonl"), "--fuse-vector", "b", "--fusion", fusion,
                        "--fuse-depth", "20", "-k", "5", "-q", "-o", str(run)], check=True, capture_output=True)
        got = {}
        for line in run.read_text().splitlines():
            qid, _, doc, rank, score, _ = line.split()
            got.setdefault(qid, []).append((int(doc), float(score)))
        for q, a, b in qs:
            pre = [{"query": a, "vector": "a", "limit": 20}]
            pre.append({"query": b if q != "q7" else {}, "vector": "b", "limit": 20})
            hits = c.query(prefetch=pre, fusion=py_fusion, k=5)
            assert [d for d, _ in got.get(q, [])] == hits.ids, (fusion, q)
            assert [s for _, s in got.get(q, [])] == pytest.approx(hits.scores, abs=1e-6), (fusion, q)


def test_search_knobs_reach_the_prefetches(hybrid):
    c, vecs, rng = hybrid
    qa, qb = rand_vec(rng, 2, 5), rand_vec(rng, 3, 6)
    lists = [ranking(vecs, "a", qa, 10), ranking(vecs, "b", qb, 10)]
    pre = [{"query": qa, "vector": "a", "limit": 10, "algorithm": "maxscore"},
           {"query": qb, "vector": "b", "limit": 10, "exact": True}]
    check(c.query(prefetch=pre, fusion="rrf"), rrf(lists), 10, "knobs")
    # Knobs are checked as search checks them.
    with pytest.raises(spindle.InvalidArgument, match=r"prefetch\[0\]: .*approx"):
        c.query(prefetch=[{"query": qa, "vector": "a", "query_cut": 3, "algorithm": "bmp"}], fusion="rrf")
    with pytest.raises(spindle.InvalidArgument, match="target_recall"):
        c.search(None, prefetch=[{"query": qa, "vector": "a", "target_recall": 0.9}], fusion="rrf")
