"""Tests of the Python package (run by scripts/test.sh against the Release build:
PYTHONPATH=build/python /usr/bin/python3 -m pytest -q python/tests)."""
import json
import os
import pathlib
import shutil
import subprocess
import sys
import textwrap
from concurrent.futures import ThreadPoolExecutor

import numpy as np
import pytest
import scipy.sparse as sp

import spindle

REPO = pathlib.Path(__file__).resolve().parents[2]
SHARED = REPO.parent / "shared" / "data"
TOY = SHARED / "msmarco" / "splade_toy"


def cli():
    path = pathlib.Path(os.environ.get("SPINDLE_CLI", REPO / "build" / "tools" / "spindle"))
    if not path.exists():
        pytest.skip(f"the spindle CLI is not built at {path} (set SPINDLE_CLI)")
    return str(path)


def need_toy():
    if not (TOY / "documents.jsonl").exists():
        pytest.skip(f"shared toy data absent: {TOY} (see ../shared/data/README.md)")


def skewed(rows, cols, nnz_per_row, seed, integer=True):
    """Random sparse rows with Zipf-like column popularity; small integer weights give ties."""
    rng = np.random.default_rng(seed)
    p = 1.0 / np.arange(1, cols + 1) ** 1.1
    p /= p.sum()
    indptr, indices, data = [0], [], []
    for _ in range(rows):
        n = rng.integers(1, nnz_per_row * 2)
        c = np.unique(rng.choice(cols, size=n, p=p))
        indices.extend(c)
        data.extend(rng.integers(1, 4, size=len(c)) if integer else rng.random(len(c)) + 0.01)
        indptr.append(len(indices))
    return sp.csr_matrix((np.array(data, dtype=np.float32), np.array(indices, dtype=np.int32),
                          np.array(indptr, dtype=np.int32)), shape=(rows, cols))


def brute_force(docs, queries, k):
    scores = (queries @ docs.T).toarray().astype(np.float64)
    out = []
    for row in scores:
        order = sorted((i for i in range(len(row)) if row[i] > 0), key=lambda i: (-row[i], i))[:k]
        out.append((order, [row[i] for i in order]))
    return out


@pytest.fixture
def coll(tmp_path):
    c = spindle.Collection.create(tmp_path / "c", {"v": spindle.SparseVectorConfig(keys="indices", weights="f32")},
                                  payload_indexes={"lang": "keyword", "year": "integer"})
    yield c
    c.close()


# ---------------------------------------------------------------- round trips

def test_round_trip_csr(coll):
    m = skewed(200, 300, 10, 1)
    assert coll.upsert(np.arange(200), m).applied == 200
    assert coll.count() == 200
    got = coll.get([5, 999])
    assert got[1] is None
    row = m[5]
    assert got[0]["vectors"]["v"] == {int(i): float(v) for i, v in zip(row.indices, row.data)}


def test_round_trip_dicts(tmp_path):
    with spindle.Collection.create(tmp_path / "c", {"s": spindle.SparseVectorConfig(weights="f32")}) as c:
        vecs = [{"cat": 1.5, "dog": 0.5}, {"dog": 2.0}, {"fish": 1.0}]
        c.upsert(["a", "b", "c"], vecs, payloads=[{"n": 1}, None, {"n": 3}])
        got = c.get(["a", "b", "c"])
        assert [g["vectors"]["s"] for g in got] == vecs
        assert [g["payload"] for g in got] == [{"n": 1}, None, {"n": 3}]
        hits = c.search({"dog": 1.0}, with_payload=True)
        assert hits.ids == ["b", "a"] and hits.scores == [2.0, 0.5]
        assert hits.payloads == [None, {"n": 1}]
        ids, scores = c.search_batch([{"dog": 1.0}, {"zebra": 1.0}], k=3)
        assert ids.dtype == object and ids.shape == (2, 3)
        assert list(ids[0]) == ["b", "a", None] and list(ids[1]) == [None] * 3
        assert scores[0, 2] == -np.inf and np.all(scores[1] == -np.inf)


def test_static_index_from_csr_and_dicts(tmp_path):
    m = skewed(50, 40, 5, 2)
    idx = spindle.build_index(tmp_path / "i", m, weights="f32")
    assert idx.build_info["docs"] == 50
    ids, scores = idx.search_batch(m[:3], k=5)
    assert ids.dtype == object and ids[0, 0] == "0"
    idx2 = spindle.build_index(tmp_path / "j", [{"a": 1.0}, {"a": 2.0, "b": 1.0}], ids=["x", "y"])
    assert idx2.search({"a": 1.0}).ids == ["y", "x"]


# ---------------------------------------------------------------- exactness

@pytest.mark.parametrize("algorithm", [None, "exhaustive", "maxscore", "bmw"])
def test_exact_against_numpy(coll, algorithm):
    docs = skewed(1500, 500, 20, 3)
    queries = skewed(40, 500, 8, 4)
    coll.upsert(np.arange(1500), docs)
    coll.flush()
    k = 10
    expected = brute_force(docs, queries, k)
    ids, scores = coll.search_batch(queries, k=k, algorithm=algorithm, threads=2)
    for i, (eids, escores) in enumerate(expected):
        n = len(eids)
        assert list(ids[i, :n]) == eids, f"query {i}"
        np.testing.assert_allclose(scores[i, :n], escores, rtol=1e-6)
        assert np.all(ids[i, n:] == -1) and np.all(scores[i, n:] == -np.inf)
    one = coll.search(queries[7], k=k, exact=True)
    assert one.ids == expected[7][0]


# ---------------------------------------------------------------- filters, payloads, deletes

def test_filters_and_payloads(coll):
    m = skewed(100, 50, 6, 5)
    payloads = [{"lang": "en" if i % 2 else "fr", "year": 2000 + i} for i in range(100)]
    coll.upsert(np.arange(100), m, payloads=payloads)
    f = {"must": [{"key": "lang", "match": {"value": "en"}}, {"key": "year", "range": {"gte": 2050}}]}
    assert coll.count(filter=f) == 25
    q = {int(i): 1.0 for i in range(50)}
    hits = coll.search(q, k=100, filter=f, with_payload=True)
    assert len(hits) > 0 and all(i % 2 == 1 and i >= 50 for i in hits.ids)
    assert all(p["lang"] == "en" for p in hits.payloads)
    ids, _ = coll.search_batch([q], k=100, filter=f)
    assert [i for i in ids[0] if i >= 0] == hits.ids
    assert coll.delete(filter={"must": [{"key": "lang", "match": {"value": "fr"}}]}).applied == 50
    assert coll.delete(ids=[1, 3, 12345]).applied == 2
    assert coll.count() == 48
    page = coll.scroll(limit=5)
    assert [p["id"] for p in page] == [5, 7, 9, 11, 13] and page[0]["payload"]["lang"] == "en"
    assert coll.scroll(from_id=95, limit=10)[-1]["id"] == 99
    # The filter cache served the repeated filter; after the deletions it is
    # evaluated again, and the results follow them.
    fc = coll.info()["filter_cache"]
    assert fc["hits"] >= 2 and fc["misses"] >= 1
    assert coll.count(filter=f) == len([i for i in range(50, 100) if i % 2 == 1 and i not in (1, 3)]) == 25
    assert coll.count(filter={"must": [{"key": "lang", "match": {"value": "fr"}}]}) == 0


def test_filter_cache_off(tmp_path):
    c = spindle.Collection.create(tmp_path / "c", {"v": spindle.SparseVectorConfig(keys="indices")},
                                  payload_indexes={"n": "integer"})
    c.upsert(np.arange(40), skewed(40, 20, 4, 3), payloads=[{"n": i % 4} for i in range(40)])
    c.close()
    c = spindle.Collection.open(tmp_path / "c", filter_cache_mb=0)
    f = {"must": [{"key": "n", "match": {"value": 1}}]}
    assert c.count(filter=f) == c.count(filter=f) == 10
    assert c.info()["filter_cache"] == {"entries": 0, "bytes": 0, "hits": 0, "misses": 2}


def test_background_flush_keyword(tmp_path):
    # The same points and results with the flush on the background thread
    # (small flush_docs: several flushes and tier combinations while writing).
    m = skewed(300, 50, 6, 5)
    c = spindle.Collection.create(tmp_path / "c", {"v": spindle.SparseVectorConfig(keys="indices", weights="f32")},
                                  segments={"flush_docs": 64}, background_flush=True)
    for at in range(0, 300, 20):
        c.upsert(np.arange(at, at + 20), m[at:at + 20])
    assert c.count() == 300
    q = {int(i): 1.0 for i in range(10)}
    before = c.search(q, k=10, exact=True)
    c.close()
    c = spindle.Collection.open(tmp_path / "c", background_flush=True)
    assert c.count() == 300
    after = c.search(q, k=10, exact=True)
    assert after.ids == before.ids and after.scores == before.scores
    c.close()


def test_create_payload_index_over_existing_points(coll):
    m = skewed(120, 50, 6, 8)
    payloads = [{"lang": "en", "year": 2000 + i, "tier": "gold" if i % 3 == 0 else "basic"} for i in range(120)]
    coll.upsert(np.arange(120), m, payloads=payloads)
    coll.flush()
    f = {"must": [{"key": "tier", "match": {"value": "gold"}}]}
    q = {int(i): 1.0 for i in range(50)}
    before = coll.search(q, k=50, filter=f)  # "tier" not indexed yet: read from the payloads
    coll.create_payload_index("tier", "keyword")
    assert coll.info()["payload_indexes"] == {"lang": "keyword", "year": "integer", "tier": "keyword"}
    after = coll.search(q, k=50, filter=f)
    assert after.ids == before.ids and after.scores == before.scores
    assert coll.count(filter=f) == 40 and all(i % 3 == 0 for i in after.ids)
    coll.create_payload_index("tier", "keyword")  # again: nothing to do
    with pytest.raises(spindle.InvalidArgument, match="already indexed as keyword"):
        coll.create_payload_index("tier", "integer")


# ---------------------------------------------------------------- zero copy

@pytest.mark.parametrize("itype,ftype", [(np.int32, np.float32), (np.int64, np.float64), (np.int32, np.float64)])
def test_zero_copy_for_matching_dtypes(itype, ftype):
    m = skewed(20, 30, 4, 6)
    m = sp.csr_matrix((m.data.astype(ftype), m.indices.astype(itype), m.indptr.astype(itype)), shape=m.shape)
    info = spindle.csr_view_info(m)
    assert not info["copied"]
    assert info["indices_address"] == m.indices.ctypes.data
    assert info["data_address"] == m.data.ctypes.data
    assert info["indptr_address"] == m.indptr.ctypes.data


def test_other_dtypes_converted_once():
    m = skewed(20, 30, 4, 6)
    m16 = sp.csr_matrix((m.data.astype(np.float16), m.indices, m.indptr), shape=m.shape)
    info = spindle.csr_view_info(m16)
    assert info["data_copied"] and not info["indices_copied"]
    info = spindle.csr_view_info(m.tocoo())  # not CSR: tocsr() first, then read as is
    assert not info["copied"]


# ---------------------------------------------------------------- errors

def test_error_mapping(tmp_path, coll):
    with pytest.raises(spindle.IoError) as e:
        spindle.Collection.open(tmp_path / "nope")
    assert isinstance(e.value, OSError) and isinstance(e.value, spindle.Error)
    with pytest.raises(spindle.InvalidArgument) as e:
        coll.search({1: 1.0}, k=0)
    assert isinstance(e.value, ValueError)
    with pytest.raises(spindle.InvalidArgument, match="filter"):
        coll.count(filter={"must": [{"key": "x", "range": {"gte": "soon"}}]})
    with pytest.raises(spindle.InvalidArgument, match="keyed by integer indices"):
        coll.search({"word": 1.0})
    with pytest.raises(spindle.InvalidArgument):
        coll.upsert([1], [{1: float("nan")}])
    with pytest.raises(spindle.InvalidArgument, match="applies to approximate search only"):
        coll.search({1: 1.0}, algorithm="bmp", query_cut=3)
    with pytest.raises(spindle.ParseError):
        bad = tmp_path / "bad.jsonl"
        bad.write_text('{"id": "a", "vector": {"x": 1}}\n{"id": "a", "vector": {"x": 1}}\n')
        spindle.build_index(tmp_path / "b", str(bad))
    assert not (tmp_path / "b").exists()
    spindle.build_index(tmp_path / "ok", [{"a": 1.0}])
    for f in (tmp_path / "ok").iterdir():
        if f.name.startswith("MANIFEST"):
            f.write_bytes(f.read_bytes()[:20])
    with pytest.raises(spindle.CorruptIndex):
        spindle.Index(tmp_path / "ok")


def test_add_tokens(tmp_path):
    # A vocabulary given up front: its order numbers the terms, durably;
    # known tokens are not added twice; an integer-indexed vector refuses.
    with spindle.Collection.create(tmp_path / "c", {"v": spindle.SparseVectorConfig(),
                                                    "i": spindle.SparseVectorConfig(keys="indices")}) as c:
        assert c.add_tokens(["zebra", "pear", "apple"], vector="v") == 3
        assert c.add_tokens(["pear", "kiwi"], vector="v") == 1
        c.upsert([1, 2], {"v": [{"apple": 1.0}, {"kiwi": 2.0}]})
        assert c.info()["vocabulary_terms"]["v"] == 4
        with pytest.raises(spindle.InvalidArgument, match="not keyed by tokens"):
            c.add_tokens(["a"], vector="i")
    with spindle.Collection.open(tmp_path / "c") as c:
        assert c.info()["vocabulary_terms"]["v"] == 4
        assert c.search({"kiwi": 1.0}, vector="v").ids == [2]


def test_closed_collection(tmp_path):
    c = spindle.Collection.create(tmp_path / "c", {"v": spindle.SparseVectorConfig()})
    c.close()
    c.close()
    with pytest.raises(spindle.InvalidArgument, match="closed"):
        c.count()


# ---------------------------------------------------------------- read-only, crash

def test_read_only(tmp_path):
    with spindle.Collection.create(tmp_path / "c", {"v": spindle.SparseVectorConfig()}) as c:
        c.upsert([1, 2], [{"a": 1.0}, {"b": 1.0}])
    with spindle.Collection.open(tmp_path / "c", read_only=True) as r:
        assert r.read_only and r.count() == 2
        with pytest.raises(spindle.Error):
            r.upsert([3], [{"a": 1.0}])
        assert r.search({"a": 1.0}).ids == [1]


def test_reopen_after_writer_killed(tmp_path):
    script = textwrap.dedent(f"""
        import os, signal, spindle
        c = spindle.Collection.create({str(tmp_path / 'c')!r}, {{"v": spindle.SparseVectorConfig()}})
        for b in range(5):
            c.upsert(list(range(b * 10, b * 10 + 10)), [{{"t%d" % i: 1.0}} for i in range(10)], wait=True)
        print("acknowledged", flush=True)
        os.kill(os.getpid(), signal.SIGKILL)
    """)
    env = dict(os.environ, PYTHONPATH=os.pathsep.join(sys.path))
    p = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, env=env, timeout=60)
    assert "acknowledged" in p.stdout and p.returncode == -9, p.stderr
    with spindle.Collection.open(tmp_path / "c") as c:  # takes the lock the dead writer held
        assert c.count() == 50
        assert sorted(c.search({"t3": 1.0}, k=10).ids) == [3, 13, 23, 33, 43]
        c.check()


# ---------------------------------------------------------------- threads

def test_concurrent_searches_equal_sequential(coll):
    docs = skewed(3000, 800, 20, 7, integer=False)
    queries = skewed(64, 800, 10, 8, integer=False)
    coll.upsert(np.arange(3000), docs)
    coll.flush()
    seq = [coll.search(queries[i], k=10) for i in range(64)]
    with ThreadPoolExecutor(4) as pool:
        par = list(pool.map(lambda i: coll.search(queries[i], k=10), range(64)))
    assert [h.ids for h in par] == [h.ids for h in seq]
    assert [h.scores for h in par] == [h.scores for h in seq]
    one = coll.search_batch(queries, k=10, threads=1)
    two = coll.search_batch(queries, k=10, threads=2)
    np.testing.assert_array_equal(one[0], two[0])
    np.testing.assert_array_equal(one[1], two[1])
    assert [list(r[r >= 0]) for r in one[0]] == [h.ids for h in seq]


def run_interrupted(body: str, seed: int, timeout: int) -> str:
    """Runs `body` in a child Python after a common prelude (imports, Python's
    SIGINT handler, `rand(rows, per, cols)`: a random CSR matrix from a
    generator seeded with `seed`, `interrupt_soon()`: Ctrl-C in 0.3 s) and
    returns its stdout."""
    prelude = textwrap.dedent(f"""
        import os, signal, threading, time, _thread, numpy as np, scipy.sparse as sp, spindle
        # A process started in the background inherits SIGINT ignored, and then
        # interrupt_main() does nothing: install Python's handler explicitly.
        signal.signal(signal.SIGINT, signal.default_int_handler)
        rng = np.random.default_rng({seed})
        def rand(rows, per, cols):
            m = sp.csr_matrix((rng.random(rows * per, dtype=np.float32) + 0.01,
                               rng.integers(0, cols, rows * per).astype(np.int32),
                               np.arange(0, rows * per + 1, per, dtype=np.int64)), shape=(rows, cols))
            m.sum_duplicates()
            return m
        def interrupt_soon():
            threading.Timer(0.3, _thread.interrupt_main).start()
    """)
    env = dict(os.environ, PYTHONPATH=os.pathsep.join(sys.path))
    p = subprocess.run([sys.executable, "-c", prelude + textwrap.dedent(body)], capture_output=True, text=True, env=env,
                       timeout=timeout)
    assert p.returncode == 0, p.stderr
    return p.stdout


def test_interrupt_build_leaves_nothing(tmp_path):
    out = tmp_path / "big"
    stdout = run_interrupted(f"""
        m = rand(400_000, 20, 30000)
        interrupt_soon()
        try:
            spindle.build_index({str(out)!r}, m, segment_docs=20000)
            print("completed")
        except KeyboardInterrupt:
            print("interrupted", os.path.exists({str(out)!r}))
    """, seed=0, timeout=120)
    if "completed" in stdout:
        pytest.skip("the build finished before the interrupt (fast machine)")
    assert stdout.strip() == "interrupted False"
    assert not any(x.name.startswith(".") or "big" in x.name for x in tmp_path.iterdir())


# ---------------------------------------------------------------- CLI parity, shared data

def test_parity_with_cli(tmp_path):
    exe = cli()
    need_toy()
    idx = spindle.build_index(tmp_path / "i", str(TOY / "documents.jsonl"))
    qids, qvecs = spindle.read_jsonl_vectors(str(TOY / "queries.jsonl"))
    run = tmp_path / "run.trec"
    subprocess.run([exe, "search", "--index", str(tmp_path / "i"), "--queries", str(TOY / "queries.jsonl"),
                    "--k", "10", "--output", str(run), "-q"], check=True, capture_output=True)
    cli_run = {}
    for line in run.read_text().splitlines():
        q, _, d, _, s, _ = line.split()
        cli_run.setdefault(q, []).append((d, float(s)))
    ids, scores = idx.search_batch(qvecs, k=10)
    for qi, q in enumerate(qids):
        got = [(d, s) for d, s in zip(ids[qi], scores[qi]) if d is not None]
        assert [d for d, _ in got] == [d for d, _ in cli_run[str(q)]]
        np.testing.assert_allclose([s for _, s in got], [s for _, s in cli_run[str(q)]], atol=1e-6)
        assert idx.search(qvecs[qi], k=10).ids == [d for d, _ in got]
    # Same evaluation as spindle eval on the run file.
    qrels = {str(q): {cli_run[str(q)][0][0]: 1} for q in qids}
    mine = spindle.evaluate(qrels, spindle.run_from_batch(qids, ids, scores), measures=["map", "ndcg_cut.10"])
    assert mine == spindle.evaluate(qrels, str(run), measures=["map", "ndcg_cut.10"])
    assert mine["map"] == 1.0


def test_text_index_and_eval_files(tmp_path):
    src = SHARED / "beir" / "scifact"
    if not (src / "corpus.jsonl").exists():
        pytest.skip(f"shared data absent: {src}")
    docs = [json.loads(line) for _, line in zip(range(300), open(src / "corpus.jsonl"))]
    idx = spindle.build_text_index(tmp_path / "t", docs)
    assert idx.build_info["docs"] == 300
    hits = idx.search(docs[17]["title"], k=5)
    assert hits.ids[0] == str(docs[17]["_id"])
    per = spindle.evaluate({"q": {hits.ids[0]: 1}}, {"q": hits}, measures=["recip_rank"], per_query=True)
    assert per["q"]["recip_rank"] == 1.0 and per["all"]["num_q"] == 1


def test_docs_example_runs(tmp_path):
    need_toy()
    text = (REPO / "docs" / "python.md").read_text()
    block = text.split("```python\n", 1)[1].split("```", 1)[0]
    env = dict(os.environ, PYTHONPATH=os.pathsep.join(sys.path), SPINDLE_TOY=str(TOY))
    p = subprocess.run([sys.executable, "-c", block], capture_output=True, text=True, env=env, timeout=60)
    assert p.returncode == 0, p.stderr
    assert "20 documents" in p.stdout


def test_interrupt_batch(tmp_path):
    stdout = run_interrupted(f"""
        docs = rand(20000, 30, 2000)
        idx = spindle.build_index({str(tmp_path / 'i')!r}, docs)
        q = rand(200000, 20, 2000)
        interrupt_soon()
        try:
            idx.search_batch(q, k=10, threads=1, exact=True)
            print("completed")
        except KeyboardInterrupt:
            print("interrupted")
    """, seed=1, timeout=120)
    if "completed" in stdout:
        pytest.skip("the batch finished before the interrupt (fast machine)")
    assert stdout.strip() == "interrupted"


def test_interrupt_tune(tmp_path):
    """Ctrl-C during spindle.tune's sweep raises KeyboardInterrupt and stores no setting."""
    stdout = run_interrupted(f"""
        docs = rand(20000, 30, 2000)
        spindle.build_index({str(tmp_path / 'i')!r}, docs, approx=True)
        q = rand(4000, 20, 2000)
        qs = [dict(zip(map(int, q[i].indices), map(float, q[i].data))) for i in range(q.shape[0])]
        interrupt_soon()
        t0 = time.monotonic()
        try:
            spindle.tune({str(tmp_path / 'i')!r}, qs, target_recall=0.9, runs=3, force=True)
            print("completed", time.monotonic() - t0)
        except KeyboardInterrupt:
            try:
                spindle.Index({str(tmp_path / 'i')!r}).search(qs[0], target_recall=0.9)
                print("stored")
            except spindle.InvalidArgument as e:
                print("interrupted", "no tuned approx setting" in str(e))
    """, seed=2, timeout=300)
    if "completed" in stdout:
        # A sweep that outlived the interrupt by far ignored it.
        assert float(stdout.split()[1]) < 1.5, "tune ran on after Ctrl-C: " + stdout
        pytest.skip("the sweep finished before the interrupt (fast machine)")
    assert stdout.strip() == "interrupted True"


def test_tune_and_target_recall(tmp_path):
    docs = skewed(3000, 600, 25, 9, integer=False)
    queries = skewed(60, 600, 10, 10, integer=False)
    idx = spindle.build_index(tmp_path / "a", docs, approx=True)
    qdicts = [{int(c): float(w) for c, w in zip(queries[i].indices, queries[i].data)} for i in range(60)]
    with pytest.raises(spindle.InvalidArgument, match="no tuned approx setting"):
        idx.search(qdicts[0], target_recall=0.9)
    idx.close()
    d = spindle.tune(tmp_path / "a", qdicts, target_recall=0.9, k=10, runs=1, dry_run=True, force=True)
    assert not d["stored"]
    with pytest.raises(spindle.InvalidArgument, match="no tuned approx setting"):
        spindle.Index(tmp_path / "a").search(qdicts[0], target_recall=0.9)  # a dry run stores nothing
    r = spindle.tune(tmp_path / "a", qdicts, target_recall=0.9, k=10, runs=1, force=True)
    assert r["stored"] and r["recall"] >= 0.9 and r["query_cut"] >= 1
    idx = spindle.Index(tmp_path / "a")
    hits = idx.search(qdicts[1], target_recall=0.9)
    assert hits.algorithm == "approx"
    ids, _ = idx.search_batch(qdicts[:4], target_recall=0.85)
    assert ids.shape == (4, 10)
    with pytest.raises(spindle.InvalidArgument, match="run spindle tune --target-recall 0.99"):
        idx.search(qdicts[1], target_recall=0.99)
    with pytest.raises(spindle.InvalidArgument):
        spindle.tune(tmp_path / "a", qdicts[:1])
