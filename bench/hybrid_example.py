#!/usr/bin/python3
"""The worked example of hybrid search on real text (docs/hybrid.md).

    scripts/hybrid_example.sh [--work DIR] [--dims 256] [--only scifact|med]

For each collection (BEIR SciFact; MED, a classic medical abstracts
collection standing in for NFCorpus, which the shared data does not hold):

1. BM25: ``spindle index --text`` builds the text index (Lucene/Anserini
   BM25, k1 = 0.9, b = 0.4, f32 weights). Its document vectors (the BM25
   weight of every term of every document, as spindle computed them) are
   read back with ``Index.scroll`` and upserted into a token vector ``bm25``
   (f32) of a new collection; a query is its analyzed terms
   (``spindle.analyze``), a term repeated n times weighing n, so the dot
   product is the text index's BM25 score.
2. Dense: a truncated SVD (``scipy.sparse.linalg.svds``) of the documents'
   TF-IDF matrix (terms from ``spindle.analyze``; tf-idf = (1 + ln tf) *
   ln(N / df), rows scaled to unit length), ``--dims`` singular vectors.
   A document's vector is its TF-IDF row projected on them (X V = U S), a
   query's is its TF-IDF vector projected the same way; stored as the dense
   vector ``lsi`` (Cosine, f32) of the same points. No neural model.
3. Runs, all by ``spindle search`` on that one collection (100 results a
   query; every fused list holds 100 candidates): BM25 alone, dense alone,
   RRF (k = 2, Qdrant's default, and k = 60), DBSF, and convex combinations
   of min-max normalized scores at several alphas (alpha weighs BM25). One
   fusion is repeated through Python's ``Collection.query`` and must give
   the same run. The text index's own BM25 run is the reference row.
4. Each run evaluated by ``spindle eval`` (nDCG@10, R@100).

Prints a markdown table per collection (and writes it to WORK/table.md).
Exits 0 with a message when the shared data is absent. Uses only numpy,
scipy and spindle (``PYTHONPATH=build/python``, ``SPINDLE=build/tools/spindle``).
"""
import argparse
import math
import os
import shutil
import subprocess
import sys
import time

import numpy as np
import scipy.sparse as sp
from scipy.sparse.linalg import svds

import spindle

DATA = os.environ.get("SPINDLE_DATA", os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "shared", "data"))

COLLECTIONS = {
    "scifact": {
        "label": "BEIR SciFact (5,183 abstracts, 300 test queries)",
        "corpus": "beir/scifact/corpus.jsonl",
        "queries": "beir/scifact/queries.test.jsonl",
        "qrels": "beir/scifact/qrels/test.tsv",
    },
    "med": {
        "label": "MED (1,033 medical abstracts, 30 queries; SMART files)",
        "corpus": "classic/med/MED.ALL",
        "queries": "classic/med/MED.QRY",
        "qrels": "classic/med/MED.REL",
    },
}

CONVEX_ALPHAS = [0.2, 0.4, 0.5, 0.6, 0.8]


def run(cmd, **kw):
    """Runs a spindle command; its output is returned, a failure is fatal."""
    p = subprocess.run(cmd, capture_output=True, text=True, **kw)
    if p.returncode != 0:
        sys.exit(f"hybrid_example: {' '.join(cmd)} failed ({p.returncode}):\n{p.stderr}{p.stdout}")
    return p.stdout


def evaluate(cli, qrels, run_file):
    out = run([cli, "eval", "--qrels", qrels, "--run", run_file, "-m", "ndcg_cut.10", "-m", "recall.100"])
    vals = {}
    for line in out.splitlines():
        parts = line.split()
        if len(parts) == 3 and parts[1] == "all":
            vals[parts[0]] = float(parts[2])
    return vals["ndcg_cut_10"], vals["recall_100"], int(vals.get("num_q", 0))


def tfidf(docs_terms, vocab=None, idf=None):
    """Rows of (1 + ln tf) * idf, scaled to unit length; builds vocab/idf from the documents when not given."""
    if vocab is None:
        df = {}
        for terms in docs_terms:
            for t in set(terms):
                df[t] = df.get(t, 0) + 1
        vocab = {t: i for i, t in enumerate(sorted(df))}
        n = len(docs_terms)
        idf = np.zeros(len(vocab))
        for t, i in vocab.items():
            idf[i] = math.log(n / df[t])
    rows, cols, vals = [], [], []
    for r, terms in enumerate(docs_terms):
        tf = {}
        for t in terms:
            if t in vocab:
                tf[vocab[t]] = tf.get(vocab[t], 0) + 1
        for c, f in tf.items():
            rows.append(r)
            cols.append(c)
            vals.append((1.0 + math.log(f)) * idf[c])
    x = sp.csr_matrix((vals, (rows, cols)), shape=(len(docs_terms), len(vocab)), dtype=np.float64)
    norms = np.sqrt(np.asarray(x.multiply(x).sum(axis=1)).ravel())
    norms[norms == 0] = 1.0
    return sp.diags(1.0 / norms) @ x, vocab, idf


def example(name, spec, cli, work, dims):
    d = {k: os.path.join(DATA, spec[k]) for k in ("corpus", "queries", "qrels")}
    missing = [p for p in d.values() if not os.path.exists(p)]
    if missing:
        print(f"skipping {name}: shared data absent ({', '.join(missing)})")
        return None
    w = os.path.join(work, name)
    shutil.rmtree(w, ignore_errors=True)
    os.makedirs(w)
    t0 = time.time()

    # 1. The text index and its BM25 document weights.
    text_idx = os.path.join(w, "text")
    run([cli, "index", "--text", "--input", d["corpus"], "--output", text_idx])
    ref_run = os.path.join(w, "bm25-text-index.trec")
    run([cli, "search", "--index", text_idx, "--queries", d["queries"], "-k", "100", "-o", ref_run, "-q"])
    idx = spindle.Index(text_idx)
    weights = {}
    start = None
    while True:
        page = idx.scroll(from_id=start, limit=2000, with_vectors=True)
        for p in page:
            (vec,) = p["vectors"].values()
            weights[p["id"]] = vec
        if len(page) < 2000:
            break
        start = page[-1]["id"]
        # scroll is inclusive of from_id: the next page repeats it (kept once by the dict)
    idx.close()

    # 2. TF-IDF of spindle's analyzed terms and its truncated SVD.
    docs = spindle.read_text_collection(d["corpus"])
    ids = [i for i, _ in docs]
    doc_terms = spindle.analyze([t for _, t in docs])
    x, vocab, idf = tfidf(doc_terms)
    k = min(dims, min(x.shape) - 1)
    rng = np.random.default_rng(16)
    u, s, vt = svds(x, k=k, v0=rng.standard_normal(min(x.shape)), random_state=16)
    v = vt.T  # terms x k
    doc_vecs = np.ascontiguousarray((x @ v).astype(np.float32))
    queries = spindle.read_text_queries(d["queries"])
    q_terms = spindle.analyze([t for _, t in queries])
    qx, _, _ = tfidf(q_terms, vocab, idf)
    q_vecs = (qx @ v).astype(np.float32)

    # One collection: BM25 weights (token vector) and the LSI vector per point.
    coll_path = os.path.join(w, "hybrid")
    c = spindle.Collection.create(coll_path, {"bm25": spindle.SparseVectorConfig(keys="tokens", weights="f32"),
                                              "lsi": spindle.DenseVectorConfig(k, distance="cosine")})
    # Text-index ids come back as the index stores them (numbers for numeric ids).
    key = {str(i): i for i in weights}
    pts = [key[str(i)] for i in ids]
    for at in range(0, len(pts), 1000):
        part = pts[at:at + 1000]
        c.upsert(part, {"bm25": [weights[p] for p in part], "lsi": doc_vecs[at:at + 1000]}, wait=False)
    c.optimize()

    # Query files: analyzed terms (impact TSV: a term repeated n times weighs n), LSI vectors (dense TSV).
    bm25_q = os.path.join(w, "queries-bm25.tsv")
    lsi_q = os.path.join(w, "queries-lsi.tsv")
    with open(bm25_q, "w") as f:
        for (qid, _), terms in zip(queries, q_terms):
            f.write(f"{qid}\t{' '.join(terms)}\n")
    with open(lsi_q, "w") as f:
        for (qid, _), vec in zip(queries, q_vecs):
            f.write(f"{qid}\t{' '.join(f'{x:.9g}' for x in vec)}\n")
    prep = time.time() - t0

    # 3. Runs by spindle search, 4. evaluated by spindle eval.
    base = [cli, "search", "--index", coll_path, "-k", "100", "-q", "--allow-empty"]
    both = ["--queries", bm25_q, "--vector", "bm25", "--dense-queries", lsi_q, "--dense-vector", "lsi", "--exact",
            "--fuse-depth", "100"]
    runs = [("BM25, text index (`spindle index --text`, reference)", None, ref_run),
            ("BM25 (token vector `bm25` of the hybrid collection)", base + ["--queries", bm25_q, "--vector", "bm25"], None),
            (f"dense alone (LSI {k} dims, Cosine, exact)", base + ["--dense-queries", lsi_q, "--dense-vector", "lsi", "--exact"], None),
            ("RRF, k = 2 (Qdrant's default)", base + both + ["--fusion", "rrf"], None),
            ("RRF, k = 60", base + both + ["--fusion", "rrf", "--rrf-k", "60"], None),
            ("DBSF", base + both + ["--fusion", "dbsf"], None)]
    for a in CONVEX_ALPHAS:
        runs.append((f"convex, alpha = {a} (BM25 weight, min-max)", base + both + [f"--fusion", f"convex:{a}"], None))
    rows = []
    for i, (label, cmd, path) in enumerate(runs):
        if path is None:
            path = os.path.join(w, f"run-{i:02d}.trec")
            run(cmd + ["-o", path])
        ndcg, r100, nq = evaluate(cli, d["qrels"], path)
        rows.append((label, ndcg, r100, nq))

    # The token vector's BM25 run against the text index's (same ranking?).
    def ranking(path):
        out = {}
        with open(path) as f:
            for line in f:
                qid, _, doc, _, _, _ = line.split()
                out.setdefault(qid, []).append(doc)
        return out
    ref, tok = ranking(ref_run), ranking(os.path.join(w, "run-01.trec"))
    same_bm25 = sum(ref.get(q, []) == tok.get(q, []) for q, _ in queries)
    # The CLI's RRF run against Python's Collection.query (same library call).
    rrf_cli = ranking(os.path.join(w, "run-03.trec"))
    agree = 0
    for (qid, _), terms, vec in zip(queries, q_terms, q_vecs):
        tf = {}
        for t in terms:
            tf[t] = tf.get(t, 0.0) + 1.0
        prefetch = [{"query": vec, "vector": "lsi", "limit": 100, "exact": True}]
        if tf:
            prefetch.insert(0, {"query": tf, "vector": "bm25", "limit": 100})
        hits = c.query(prefetch=prefetch, fusion="rrf", k=100)
        agree += [str(h) for h in hits.ids] == rrf_cli.get(qid, [])
    c.close()
    return {"name": name, "label": spec["label"], "rows": rows, "dims": k, "docs": len(ids), "queries": len(queries),
            "agree": agree, "same_bm25": same_bm25, "prep": prep}


def table(res):
    lines = [f"### {res['label']}", "",
             f"{res['docs']} documents, {res['queries']} queries; LSI {res['dims']} dimensions. "
             f"The token vector's BM25 ranking equals the text index's on {res['same_bm25']} of {res['queries']} queries; "
             f"RRF through Python's Collection.query equals the CLI's run on {res['agree']} of {res['queries']} queries.",
             "", "| run | nDCG@10 | R@100 |", "|---|---|---|"]
    for label, ndcg, r100, _ in res["rows"]:
        lines.append(f"| {label} | {ndcg:.4f} | {r100:.4f} |")
    return "\n".join(lines) + "\n"


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--work", default=os.environ.get("WORK", "hybrid-example"), help="scratch directory (derived files)")
    ap.add_argument("--dims", type=int, default=256, help="singular vectors kept (LSI dimensions)")
    ap.add_argument("--only", choices=sorted(COLLECTIONS), help="one collection")
    ap.add_argument("--spindle", default=os.environ.get("SPINDLE", "build/tools/spindle"), help="the spindle CLI")
    a = ap.parse_args()
    if not os.path.isdir(DATA):
        print(f"hybrid_example: the shared data is absent ({os.path.abspath(DATA)}; set SPINDLE_DATA): nothing to do")
        return 0
    if not os.access(a.spindle, os.X_OK):
        sys.exit(f"hybrid_example: no spindle CLI at {a.spindle} (build spindle_cli, or set SPINDLE)")
    os.makedirs(a.work, exist_ok=True)
    out = []
    for name, spec in COLLECTIONS.items():
        if a.only and name != a.only:
            continue
        res = example(name, spec, os.path.abspath(a.spindle), a.work, a.dims)
        if res is None:
            continue
        t = table(res)
        print(t, flush=True)
        print(f"({name}: prepared in {res['prep']:.1f} s)\n", flush=True)
        out.append(t)
    with open(os.path.join(a.work, "table.md"), "w") as f:
        f.write("\n".join(out))
    return 0


if __name__ == "__main__":
    sys.exit(main())
