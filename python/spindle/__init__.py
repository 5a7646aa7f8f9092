"""spindle: learned sparse retrieval (SPLADE, uniCOIL, BM25) from Python.

A thin surface over spindle's C++ library: live collections
(:class:`Collection`), static indexes (:func:`build_index`, :class:`Index`,
:func:`build_text_index`) and trec_eval-compatible evaluation
(:func:`evaluate`). Sparse matrices are read from their numpy buffers without
copying; the GIL is released during every search, batch, build and write.

>>> import spindle, tempfile, os
>>> path = os.path.join(tempfile.mkdtemp(), "idx")
>>> idx = spindle.build_index(path, [{"apple": 1.0, "pie": 0.5}, {"pie": 2.0}], ids=["d1", "d2"], weights="f32")
>>> idx.search({"pie": 1.0}, k=2).ids
['d2', 'd1']
>>> spindle.evaluate({"q1": {"d2": 1}}, {"q1": {"d1": 1.0, "d2": 2.0}}, measures=["recip_rank"])
{'recip_rank': 1.0, 'num_q': 1}

Errors are ``spindle.Error`` subclasses with the CLI's messages:

>>> try:
...     spindle.Index(os.path.join(path, "missing"))
... except spindle.IoError as e:
...     isinstance(e, OSError)
True
"""
from __future__ import annotations

import json
import os
from typing import Any, Iterable

from . import _spindle
from ._collection import Collection, DenseVectorConfig, Hits, Index, SparseVectorConfig
from ._convert import csr_tuple, is_sparse, payloads_arg
from ._spindle import (CorruptIndex, Error, IncompatibleVersion, InvalidArgument, IoError, ParseError,
                       WriteResult)

__version__ = "0.1.0"

__all__ = [
    "Collection", "Index", "Hits", "SparseVectorConfig", "DenseVectorConfig", "WriteResult",
    "build_index", "build_text_index", "analyze", "read_text_collection", "read_text_queries", "evaluate", "tune", "run_from_batch", "csr_view_info", "read_jsonl_vectors",
    "Error", "InvalidArgument", "ParseError", "IoError", "CorruptIndex", "IncompatibleVersion",
]

#: Approximate-structure build settings of ``spindle index --approx`` (the CLI's defaults).
APPROX_DEFAULTS = {"lambda": 400, "block_size": 8, "alpha": 0.35, "knn": 10}


def _approx_arg(approx) -> dict | None:
    if approx is False or approx is None:
        return None
    settings = dict(APPROX_DEFAULTS)
    if isinstance(approx, dict):
        settings.update(approx)
    return settings


def build_index(path: str, source, ids=None, payloads=None, weights: str = "u16", approx=False,
                format: str = "auto", vocab: str | None = None, overwrite: bool = False,
                segment_docs: int = 2_000_000, reorder: str = "none", threads: int = 0,
                payload_indexes: dict | None = None, range_block: int = 8, dense_ranges: float = 0.125,
                allow_empty: bool = False, in_memory: bool = False) -> Index:
    """Builds a static index at ``path`` (what ``spindle index`` does) and opens it.

    source: a ``scipy.sparse`` matrix (rows are documents, columns integer
    dimensions; read without a copy for int32/int64 indices and
    float32/float64 data), a list of ``{token: weight}`` dicts, or the path of
    a collection file (Anserini JSONL, CSR binary, optionally gzipped).
    ids: document ids (default: the row numbers "0", "1", ...). payloads: a
    JSON object (dict) per document. weights: ``"u16"``, ``"u8"`` or
    ``"f32"``. approx: True (or a dict of settings overriding
    ``APPROX_DEFAULTS``) also builds the approximate structures. vocab: a
    file naming CSR columns, one token per line (token-keyed index).

    The index is written to a staging directory and renamed into place when
    complete: an error or Ctrl-C (KeyboardInterrupt) leaves nothing at ``path``.
    The GIL is released while the library builds from a matrix or a file.
    The returned Index has the build summary in ``build_info``.
    """
    if is_sparse(source):
        src = csr_tuple(source)
    elif isinstance(source, (str, os.PathLike)):
        src = os.fspath(source)
    else:
        src = list(source)
    info = _spindle._build_index(
        os.fspath(path), src, None if ids is None else [str(i) for i in ids], payloads_arg(payloads), weights,
        format, vocab, overwrite, segment_docs, reorder, threads, _approx_arg(approx), dict(payload_indexes or {}),
        range_block, dense_ranges, allow_empty)
    idx = Index(os.fspath(path), in_memory=in_memory)
    idx.build_info = info
    return idx


def build_text_index(path: str, source, analyzer: str = "english", k1: float = 0.9, b: float = 0.4,
                     weights: str = "f32", format: str = "auto", overwrite: bool = False,
                     segment_docs: int = 2_000_000, allow_empty: bool = False) -> Index:
    """Builds a BM25 index from raw text (``spindle index --text``) and opens it.

    source: the path of a text collection (BEIR ``corpus.jsonl``, Anserini
    JSONL, TSV, TREC or SMART; ``format`` picks one, default by sniffing), or
    an iterable of ``(id, text)`` pairs or dicts with ``id``/``_id`` and
    ``title``/``text``/``contents``. Lucene's BM25 with Anserini's defaults;
    search the returned Index with raw text.

    >>> import spindle, tempfile, os
    >>> idx = spindle.build_text_index(os.path.join(tempfile.mkdtemp(), "t"),
    ...                                [("a", "Sparse retrieval with learned weights"), ("b", "Dense retrieval")])
    >>> idx.search("learned sparse").ids
    ['a']
    """
    src = os.fspath(source) if isinstance(source, (str, os.PathLike)) else source
    info = _spindle._build_text_index(os.fspath(path), src, analyzer, k1, b, weights, format, overwrite,
                                      segment_docs, allow_empty)
    idx = Index(os.fspath(path))
    idx.build_info = info
    return idx


def analyze(text, analyzer: str = "english"):
    """The index terms of ``text`` (a str: a list of terms; a list of str: a
    list of lists), as ``spindle index --text`` and text search make them:
    repeats kept, in order. With the terms of a text index's documents and
    queries, a token vector can hold BM25 weights beside other vectors (see
    docs/hybrid.md).

    >>> import spindle
    >>> spindle.analyze("The runners were running to Zürich's stations")
    ['runner', 'were', 'run', 'zürich', 'station']
    """
    if isinstance(text, str):
        return _spindle._analyze([text], analyzer)[0]
    return _spindle._analyze(list(text), analyzer)


def read_text_collection(path: str, format: str = "auto") -> list:
    """The ``(id, text)`` documents of a raw-text collection (BEIR
    ``corpus.jsonl`` as title + " " + text, Anserini JSONL, TSV, TREC,
    SMART), in file order, as ``spindle index --text`` reads them."""
    return _spindle._read_text_collection(os.fspath(path), format)


def read_text_queries(path: str, format: str = "auto", number_queries: bool = False) -> list:
    """The ``(id, text)`` queries of a raw-text query set (BEIR
    ``queries.jsonl``, TREC topics, SMART, ``qid<TAB>text``), as ``spindle
    search`` reads them; ``number_queries`` renumbers them 1..n (Cranfield)."""
    return _spindle._read_text_queries(os.fspath(path), format, number_queries)


def _run_arg(run):
    if isinstance(run, (str, os.PathLike)):
        return os.fspath(run)
    out = {}
    for qid, res in run.items():
        if isinstance(res, Hits):
            out[str(qid)] = [(str(i), s) for i, s in res]
        elif isinstance(res, dict):
            out[str(qid)] = {str(d): float(s) for d, s in res.items()}
        else:
            out[str(qid)] = [(str(d), float(s)) for d, s in res]
    return out


def _qrels_arg(qrels):
    if isinstance(qrels, (str, os.PathLike)):
        return os.fspath(qrels)
    return {str(q): {str(d): int(r) for d, r in docs.items()} for q, docs in qrels.items()}


def evaluate(qrels, run, measures: Iterable[str] = ("ndcg_cut.10", "map"), per_query: bool = False,
             relevance_level: int = 1, max_results: int | None = None, complete: bool = False) -> dict:
    """trec_eval-compatible evaluation (``spindle eval``).

    qrels: a qrels file (TREC or BEIR TSV) or ``{qid: {docid: relevance}}``.
    run: a TREC run file, or ``{qid: {docid: score}}``, ``{qid: [(docid,
    score), ...]}`` or ``{qid: Hits}``. measures: trec_eval names
    (``"map"``, ``"ndcg_cut.10"``, ``"P.5,10"``, ``"recall.100"``...).
    Returns ``{value name: value, "num_q": n}`` as trec_eval's "all" lines;
    with ``per_query=True``, ``{qid: {...}, "all": {...}}``.

    >>> import spindle
    >>> spindle.evaluate({"1": {"a": 1, "b": 0}}, {"1": [("b", 2.0), ("a", 1.0)]}, measures=["P.1,2", "map"])
    {'map': 0.5, 'P_1': 0.0, 'P_2': 0.5, 'num_q': 1}
    """
    if isinstance(measures, str):
        measures = [measures]
    return _spindle._evaluate(_qrels_arg(qrels), _run_arg(run), list(measures), per_query, relevance_level,
                              max_results, complete)


def run_from_batch(query_ids, ids, scores) -> dict:
    """The run ``{qid: [(docid, score), ...]}`` of a ``search_batch`` result
    (padding dropped), for :func:`evaluate`."""
    run = {}
    for q, row_ids, row_scores in zip(query_ids, ids, scores):
        run[str(q)] = [(str(i), float(s)) for i, s in zip(row_ids, row_scores) if i is not None and i != -1]
    return run


def read_jsonl_vectors(path: str):
    """Reads an Anserini JsonVectorCollection JSONL file (``{"id", "vector":
    {token: weight}}`` per line, as SPLADE encoders write it) into
    ``(ids, vectors)`` lists, e.g. for queries."""
    ids, vecs = [], []
    with open(path, encoding="utf-8") as f:
        for line in f:
            if line.strip():
                r = json.loads(line)
                ids.append(r["id"])
                vecs.append(r["vector"])
    return ids, vecs


def tune(index, queries, target_recall: float = 0.95, k: int = 10, held_out: float = 0.5, seed: int = 42,
         runs: int = 3, force: bool = False, dry_run: bool = False, vector: str | None = None) -> dict:
    """Chooses the fastest approx setting reaching ``target_recall`` (recall@k
    against exact search) on part of ``queries``, checks it on the held-out
    rest and stores it as the index's query defaults (``spindle tune``; the
    same accept/refuse rule: Error when the target is not reached, or when
    the held-out recall misses it by more than 0.05 unless ``force``).

    index: a path (or an Index/Collection, by its path; a writer of it must
    be closed first). queries: ``{token: weight}`` dicts. Returns the chosen
    setting and its measured recall. Afterwards ``search(...,
    target_recall=t)`` (t at most the tuned target) and
    ``algorithm="approx"`` use it.
    """
    path = index.path if hasattr(index, "path") else os.fspath(index)
    return _spindle._tune(path, list(queries), vector or "", target_recall, k, held_out, seed, runs, force, dry_run)


def csr_view_info(matrix) -> dict:
    """Whether spindle reads ``matrix`` (scipy.sparse) without copying:
    ``{"copied": bool, "indptr_copied": ..., "indices_copied": ...,
    "data_copied": ..., "*_address": buffer addresses}``.

    >>> import numpy as np, scipy.sparse as sp, spindle
    >>> m = sp.random(5, 10, density=0.3, format="csr", dtype=np.float32)
    >>> spindle.csr_view_info(m)["copied"]
    False
    >>> spindle.csr_view_info(m.astype(np.float16))["data_copied"]
    True
    """
    return _spindle._csr_view_info(csr_tuple(matrix))
