"""Hybrid queries with a dense vector: prefetch lists on a sparse and a dense
vector fused (and dense re-scoring) against numpy brute force; the CLI's
--dense-queries (alone and fused) against Collection.search / Collection.query;
BM25 weights of a text index in a token vector scoring as text search
(the route of docs/hybrid.md).
PYTHONPATH=build/python /usr/bin/python3 -m pytest -q python/tests/test_hybrid_dense.py"""
import os
import pathlib
import random
import subprocess

import numpy as np
import pytest

import spindle

N = 300
DIM = 8
SPARSE_DIMS = 40


def rand_sparse(rng, lo, hi):
    dims = rng.sample(range(SPARSE_DIMS), rng.randint(lo, hi))
    return {int(d): rng.randint(1, 24) / 8 for d in sorted(dims)}


@pytest.fixture(scope="module")
def hybrid(tmp_path_factory):
    rng = random.Random(16)
    nrng = np.random.default_rng(16)
    cfg = {"s": spindle.SparseVectorConfig(keys="indices", weights="f32"),
           "d": spindle.DenseVectorConfig(DIM, distance="cosine", min_docs=100)}
    c = spindle.Collection.create(str(tmp_path_factory.mktemp("hybrid") / "c"), cfg)
    ids = list(range(1, N + 1))
    sparse = [rand_sparse(rng, 2, 6) for _ in ids]
    dense = nrng.standard_normal((N, DIM)).astype(np.float32)
    c.upsert(ids[:200], {"s": sparse[:200], "d": dense[:200]})
    c.flush()  # one disk segment (with an HNSW graph: 200 >= min_docs) and one in memory
    c.upsert(ids[200:], {"s": sparse[200:], "d": dense[200:]})
    unit = dense / np.linalg.norm(dense, axis=1, keepdims=True)
    yield c, ids, sparse, unit, rng, nrng
    c.close()


def sparse_ranking(ids, sparse, q, limit):
    scored = [(sum(w * v.get(d, 0.0) for d, w in q.items()), i) for i, v in zip(ids, sparse)]
    scored = [(s, i) for s, i in scored if s > 0]
    scored.sort(key=lambda t: (-t[0], t[1]))
    return scored[:limit]


def dense_ranking(ids, unit, q, limit, among=None):
    qn = q / np.linalg.norm(q)
    scores = unit.astype(np.float64) @ qn.astype(np.float64)
    scored = [(float(s), i) for s, i in zip(scores, ids) if among is None or i in among]
    scored.sort(key=lambda t: (-t[0], t[1]))
    return scored[:limit]


def rrf(lists, k=2):
    fused = {}
    for lst in lists:
        for rank, (_, i) in enumerate(lst):
            fused[i] = fused.get(i, 0.0) + 1.0 / (k + rank)
    return sorted(fused.items(), key=lambda t: (-t[1], t[0]))


def test_sparse_and_dense_prefetches_fused(hybrid):
    c, ids, sparse, unit, rng, nrng = hybrid
    for _ in range(10):
        qs, qd = rand_sparse(rng, 2, 5), nrng.standard_normal(DIM).astype(np.float32)
        lists = [sparse_ranking(ids, sparse, qs, 30), dense_ranking(ids, unit, qd, 30)]
        want = rrf(lists)[:10]
        hits = c.query(prefetch=[{"query": qs, "vector": "s", "limit": 30},
                                 {"query": qd, "vector": "d", "limit": 30, "exact": True}], fusion="rrf")
        assert hits.ids == [i for i, _ in want]
        assert hits.scores == pytest.approx([s for _, s in want], abs=1e-12)
        # The same through search(prefetch=, fusion=), with the graph (ef) instead of exact.
        hits = c.search(None, prefetch=[{"query": qs, "vector": "s", "limit": 30},
                                        {"query": qd, "vector": "d", "limit": 30, "ef": 300}], fusion="rrf")
        assert hits.ids == [i for i, _ in want]


def test_dense_rescoring_of_sparse_candidates(hybrid):
    c, ids, sparse, unit, rng, nrng = hybrid
    qs, qd = rand_sparse(rng, 2, 5), nrng.standard_normal(DIM).astype(np.float32)
    cand = {i for _, i in sparse_ranking(ids, sparse, qs, 25)}
    want = dense_ranking(ids, unit, qd, 10, among=cand)
    hits = c.query(qd, vector="d", prefetch=[{"query": qs, "vector": "s", "limit": 25}], k=10)
    assert hits.ids == [i for _, i in want]
    assert hits.scores == pytest.approx([s for s, _ in want], abs=1e-5)


def test_dense_prefetch_knobs_checked(hybrid):
    c, ids, sparse, unit, rng, nrng = hybrid
    qd = nrng.standard_normal(DIM).astype(np.float32)
    with pytest.raises(spindle.InvalidArgument, match=r"prefetch\[0\]: algorithm.*sparse search"):
        c.query(prefetch=[{"query": qd, "vector": "d", "algorithm": "bmp"}], fusion="rrf")
    with pytest.raises(spindle.InvalidArgument, match=r"prefetch\[0\]\.ef: a setting of dense search"):
        c.query(prefetch=[{"query": {1: 1.0}, "vector": "s", "ef": 10}], fusion="rrf")
    with pytest.raises(spindle.InvalidArgument, match=r"prefetch\[0\].*dimension"):
        c.query(prefetch=[{"query": qd[:3], "vector": "d"}], fusion="rrf")


def cli_path():
    cli = pathlib.Path(os.environ.get("SPINDLE_CLI", pathlib.Path(__file__).resolve().parents[2] / "build" / "tools" / "spindle"))
    if not cli.exists():
        pytest.skip(f"the spindle CLI is not built at {cli} (set SPINDLE_CLI)")
    return str(cli)


def read_run(path):
    got = {}
    for line in pathlib.Path(path).read_text().splitlines():
        qid, _, doc, _, score, _ = line.split()
        got.setdefault(qid, []).append((int(doc), float(score)))
    return got


def write_queries(tmp_path, qs):
    """s.tsv: impact TSV (index d repeated 8 x its weight times); d.tsv: dense TSV."""
    (tmp_path / "s.tsv").write_text("".join(f"{q}\t{' '.join(str(d) for d, w in s.items() for _ in range(int(w * 8)))}\n"
                                            for q, s, _ in qs))
    (tmp_path / "d.tsv").write_text("".join(f"{q}\t{' '.join(f'{x:.9g}' for x in d)}\n" for q, _, d in qs))


def test_cli_dense_queries_equal_the_library(hybrid, tmp_path):
    """spindle search --dense-queries, alone and fused with --queries, writes the runs
    Collection.search and Collection.query compute."""
    cli = cli_path()
    c, ids, sparse, unit, rng, nrng = hybrid
    qs = [(f"q{i}", rand_sparse(rng, 2, 5), nrng.standard_normal(DIM).astype(np.float32)) for i in range(8)]
    write_queries(tmp_path, qs)
    run = tmp_path / "run.trec"
    base = [cli, "search", "--index", c.path, "-k", "7", "-q", "-o", str(run)]
    subprocess.run(base + ["--dense-queries", str(tmp_path / "d.tsv"), "--exact"], check=True, capture_output=True)
    got = read_run(run)
    for q, _, d in qs:
        hits = c.search(d, vector="d", k=7, exact=True)
        assert [i for i, _ in got[q]] == hits.ids, q
        assert [s for _, s in got[q]] == pytest.approx(hits.scores, abs=1e-6), q
    for fusion, py_fusion in (("rrf", "rrf"), ("dbsf", "dbsf"), ("convex:0.3", ("convex", 0.3))):
        subprocess.run(base + ["--queries", str(tmp_path / "s.tsv"), "--vector", "s", "--dense-queries",
                               str(tmp_path / "d.tsv"), "--dense-vector", "d", "--fusion", fusion, "--fuse-depth", "20",
                               "--ef", "200"], check=True, capture_output=True)
        got = read_run(run)
        for q, s, d in qs:
            weights = {k: float(int(w * 8)) for k, w in s.items()}  # the impact TSV's weights
            hits = c.query(prefetch=[{"query": weights, "vector": "s", "limit": 20},
                                     {"query": d, "vector": "d", "limit": 20, "ef": 200}], fusion=py_fusion, k=7)
            assert [i for i, _ in got[q]] == hits.ids, (fusion, q)
            assert [sc for _, sc in got[q]] == pytest.approx(hits.scores, abs=1e-6), (fusion, q)


def test_cli_dense_query_errors(hybrid, tmp_path):
    cli = cli_path()
    c = hybrid[0]
    bad = tmp_path / "bad.tsv"

    def fails(lines, *extra):
        bad.write_text(lines)
        p = subprocess.run([cli, "search", "--index", c.path, "--dense-queries", str(bad), *extra], capture_output=True,
                           text=True)
        assert p.returncode == 1, p.stderr
        return p.stderr

    assert f"{bad}:2: query 'b' has 3 values, dense vector 'd' has dimension 8" in fails(
        "a\t" + " ".join(["1"] * 8) + "\nb\t1 2 3\n")
    assert f"{bad}:1: query 'a': value 2 'x' is not a number" in fails("a\t1 x\n")
    assert f"{bad}:1: query 'a': value 1 'nan' is not finite" in fails("a\tnan\n")
    assert f"{bad}:1: expected 'qid<TAB>v1 v2 ...' (a dense query), found no tab" in fails("a 1 2\n")
    assert "query id 'a' repeated (first on line 1)" in fails(("a\t" + " ".join(["1"] * 8) + "\n") * 2)
    assert "--dense-vector: the collection has no dense vector 's' (dense vectors: d)" in fails("a\t1\n", "--dense-vector", "s")
    assert "--algorithm applies to sparse queries" in fails("a\t1\n", "-a", "bmp")
    (tmp_path / "s.tsv").write_text("a\t1 2\nz\t3\n")
    assert "no dense query for query 'z'" in fails("a\t" + " ".join(["1"] * 8) + "\n", "--queries", str(tmp_path / "s.tsv"),
                                                  "--vector", "s", "--fusion", "rrf")
    assert "give --fusion rrf|dbsf|convex:ALPHA" in fails("a\t1\n", "--queries", str(tmp_path / "s.tsv"))
    p = subprocess.run([cli, "search", "--index", c.path, "--queries", str(tmp_path / "s.tsv"), "--ef", "5"],
                       capture_output=True, text=True)
    assert p.returncode == 1 and "--ef and --exact apply to dense queries" in p.stderr
    for extra in ([], ["--dense-queries", str(bad), "--fusion", "rrf"]):
        p = subprocess.run([cli, "search", "--index", c.path, *extra], capture_output=True, text=True)
        assert p.returncode == 2 and "--queries" in p.stderr and "is required" in p.stderr, p.stderr


def test_bm25_weights_in_a_token_vector_score_as_text_search(tmp_path):
    """The route of docs/hybrid.md: a text index's BM25 document weights (read back
    with get) in a token vector, queried by spindle.analyze's terms (a term
    repeated n times weighing n), give the text index's scores."""
    docs = [("d1", "Sparse retrieval with learned term weights"), ("d2", "Dense retrieval of passages"),
            ("d3", "The runners were running in retrieval races"), ("d4", "Learned sparse and dense hybrids"),
            ("d5", "Nothing to see here")]
    idx = spindle.build_text_index(str(tmp_path / "t"), docs)
    assert spindle.analyze("The runners were running") == ["runner", "were", "run"]
    got = idx.get([i for i, _ in docs])
    c = spindle.Collection.create(str(tmp_path / "c"), {"bm25": spindle.SparseVectorConfig(keys="tokens", weights="f32")})
    c.upsert([i for i, _ in docs], [p["vectors"]["text"] if "text" in p["vectors"] else next(iter(p["vectors"].values()))
                                    for p in got])
    for text in ("learned sparse retrieval", "retrieval retrieval of dense runs", "running runners"):
        tf = {}
        for t in spindle.analyze(text):
            tf[t] = tf.get(t, 0.0) + 1.0
        want = idx.search(text, k=5)
        hits = c.search(tf, k=5, exact=True)
        assert hits.ids == want.ids, text
        assert hits.scores == pytest.approx(want.scores, rel=1e-6), text
    c.close()
    idx.close()
