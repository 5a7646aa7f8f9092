"""Dense vectors from Python: numpy 2-D arrays in, dense queries (one or a
batch) out, checked against numpy brute force (cosine, dot, euclid; f32 and
f16; deletions and filters), through flush and reopen; HNSW recall."""
import numpy as np
import pytest

import spindle


def brute(x, q, distance, k, allowed=None):
    """(ids, scores) of numpy brute force over rows of x (ids = row numbers)."""
    if distance == "cosine":
        x = x / np.linalg.norm(x, axis=1, keepdims=True)
        q = q / np.linalg.norm(q)
    if distance == "euclid":
        s = np.sqrt(((x.astype(np.float64) - q) ** 2).sum(axis=1))
        order = np.lexsort((np.arange(len(x)), s))
    else:
        s = x.astype(np.float64) @ q
        order = np.lexsort((np.arange(len(x)), -s))
    if allowed is not None:
        order = [i for i in order if allowed[i]]
    order = list(order)[:k]
    return order, s[order]


@pytest.mark.parametrize("distance", ["cosine", "dot", "euclid"])
@pytest.mark.parametrize("storage", ["f32", "f16"])
def test_exact_search_matches_numpy(tmp_path, distance, storage):
    rng = np.random.default_rng(3)
    n, dim = 500, 24
    x = rng.standard_normal((n, dim)).astype(np.float32)
    if storage == "f16":
        x = x.astype(np.float16).astype(np.float32)  # the oracle sees what is stored
    cfg = spindle.DenseVectorConfig(dim, distance=distance, storage=storage, min_docs=100000)
    c = spindle.Collection.create(tmp_path / "c", {"d": cfg}, payload_indexes={"g": "integer"},
                                  segments={"flush_docs": 200})
    ids = list(range(n))
    c.upsert(ids[:300], {"d": x[:300]}, payloads=[{"g": i % 3} for i in ids[:300]])
    c.upsert(ids[300:], x[300:], payloads=[{"g": i % 3} for i in ids[300:]])  # the only vector: a bare array
    gone = list(range(0, n, 11))
    c.delete(gone)
    alive = np.ones(n, dtype=bool)
    alive[gone] = False
    queries = rng.standard_normal((8, dim)).astype(np.float32)
    for stage in ("live", "reopened"):
        if stage == "reopened":
            c.flush()
            c.close()
            c = spindle.Collection.open(tmp_path / "c", read_only=True)
        for q in queries:
            want_ids, want_scores = brute(x, q, distance, 10, alive)
            hits = c.search(q, k=10, vector="d")
            assert hits.ids == want_ids, stage
            np.testing.assert_allclose(hits.scores, want_scores, rtol=1e-4, atol=1e-4)
            only = alive & (np.arange(n) % 3 == 1)
            want_ids, _ = brute(x, q, distance, 5, only)
            hits = c.search(list(map(float, q)), k=5, filter={"must": [{"key": "g", "match": {"value": 1}}]})
            assert hits.ids == want_ids, stage
        bids, bscores = c.search_batch(queries, k=10)
        assert bids.shape == (8, 10) and bscores.shape == (8, 10)
        for i, q in enumerate(queries):
            assert list(bids[i]) == brute(x, q, distance, 10, alive)[0]
    got = c.get([1, 11])
    assert got[1] is None
    v = got[0]["vectors"]["d"]
    assert v.dtype == np.float32 and v.shape == (dim,)
    expect = x[1] / np.linalg.norm(x[1]) if distance == "cosine" else x[1]
    np.testing.assert_allclose(v, expect, rtol=2e-3, atol=2e-3)
    c.close()


def test_hnsw_recall_and_ef(tmp_path):
    rng = np.random.default_rng(1)
    n, dim = 3000, 32
    centres = rng.standard_normal((30, dim))
    x = (centres[rng.integers(0, 30, n)] + 0.3 * rng.standard_normal((n, dim))).astype(np.float32)
    q = (centres[rng.integers(0, 30, 30)] + 0.3 * rng.standard_normal((30, dim))).astype(np.float32)
    c = spindle.Collection.create(tmp_path / "c", {"d": spindle.DenseVectorConfig(dim, min_docs=500)})
    c.upsert(np.arange(n), {"d": x})
    c.flush()
    assert c.info()["segments"][0]["hnsw"]
    exact, _ = c.search_batch(q, k=10, exact=True)
    approx, _ = c.search_batch(q, k=10, ef=64)
    recall = np.mean([len(set(a) & set(e)) / 10 for a, e in zip(approx, exact)])
    assert recall >= 0.95
    assert c.search(q[0], k=3, ef=200).ids == list(exact[0][:3])


def test_mixed_collection_and_errors(tmp_path):
    c = spindle.Collection.create(tmp_path / "c", {"s": spindle.SparseVectorConfig(weights="f32"),
                                                   "d": spindle.DenseVectorConfig(3, distance="dot")})
    assert c.vectors == ["s"] and c.dense_vectors == ["d"]
    c.upsert([1, 2], {"s": [{"a": 1.0}, {"b": 1.0}], "d": np.array([[1, 0, 0], [0, 1, 0]], dtype=np.float64)})
    assert c.search({"a": 1.0}, vector="s").ids == [1]
    assert c.search([0.0, 2.0, 0.0], vector="d").ids[0] == 2
    assert c.search(np.array([0.0, 2.0, 0.0])).scores[0] == pytest.approx(2.0)
    with pytest.raises(spindle.InvalidArgument, match="dimension is 3"):
        c.upsert([3], {"d": np.zeros((1, 4), dtype=np.float32)})
    with pytest.raises(spindle.InvalidArgument, match="not finite"):
        c.upsert([3], {"d": np.array([[1.0, np.nan, 0.0]], dtype=np.float32)})
    with pytest.raises(spindle.InvalidArgument, match="rows for 2 ids"):
        c.upsert([3, 4], {"d": np.zeros((1, 3), dtype=np.float32)})
    with pytest.raises(spindle.InvalidArgument, match="sparse search"):
        c.search([1.0, 0.0, 0.0], vector="d", algorithm="bmp")
    with pytest.raises(spindle.InvalidArgument):
        spindle.Collection.create(tmp_path / "x", {"d": spindle.DenseVectorConfig(0)})


def test_dense_lists_in_prefetch_and_fusion(tmp_path):
    c = spindle.Collection.create(tmp_path / "c", {"s": spindle.SparseVectorConfig(weights="f32"),
                                                   "d": spindle.DenseVectorConfig(3, distance="dot"),
                                                   "e": spindle.DenseVectorConfig(2, distance="euclid")})
    c.upsert([1, 2, 3], {"s": [{"a": 1.0}, {}, {"b": 2.0}],
                         "d": np.array([[1, 0, 0], [0, 2, 0], [1, 1, 1]], dtype=np.float32),
                         "e": np.array([[0, 0], [3, 4], [1, 0]], dtype=np.float32)})
    # d for [1, 1, 0]: 2, 3 (tied at 2, by id), 1; s for {a, b}: 3, 1. rrf k=2.
    hits = c.query(prefetch=[{"query": [1.0, 1.0, 0.0], "vector": "d", "limit": 3, "ef": 16},
                             {"query": {"a": 1.0, "b": 1.0}, "vector": "s", "limit": 3}], fusion="rrf", k=3)
    assert hits.ids == [3, 1, 2]
    assert hits.scores == pytest.approx([1 / 3 + 1 / 2, 1 / 4 + 1 / 3, 1 / 2])
    # Sparse candidates re-scored by Euclid distance: smallest first.
    r = c.query(np.array([0.0, 0.0]), vector="e", prefetch=[{"query": {"a": 1.0, "b": 1.0}, "vector": "s", "limit": 2}])
    assert r.ids == [1, 3] and r.scores == pytest.approx([0.0, 1.0])
