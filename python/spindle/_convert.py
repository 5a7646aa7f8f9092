"""Argument conversion between Python objects and the C++ core.

Sparse matrices go to C++ as ``("csr", indptr, indices, data, rows, cols,
vocab)``: the arrays themselves, read there from their buffers without a
copy when ``indptr``/``indices`` are int32 or int64 and ``data`` is float32
or float64 (C-contiguous). Any other dtype is converted once, in C++, to
int64 or float64. A matrix that is not CSR (COO, CSC, a ``csr_array``...)
is converted with ``tocsr()`` first (one copy).
"""
from __future__ import annotations

import json
from typing import Any

try:  # scipy is optional: dict input works without it
    import scipy.sparse as _sp
except ImportError:  # pragma: no cover - Debian's python3-scipy is a dependency
    _sp = None


def is_sparse(x: Any) -> bool:
    return _sp is not None and _sp.issparse(x)


def csr_tuple(m: Any, vocab: Any = None) -> tuple:
    """The C++ form of a scipy sparse matrix (CSR without copying)."""
    if getattr(m, "format", None) != "csr":
        m = m.tocsr()
    rows, cols = m.shape
    return ("csr", m.indptr, m.indices, m.data, int(rows), int(cols),
            None if vocab is None else list(vocab))


def query_arg(q: Any, vocab: Any = None) -> Any:
    """One query: a {token: weight} dict, raw text (a str, for a BM25 text
    vector), a 1-row sparse matrix, or an (indices, values) pair."""
    if isinstance(q, (str, dict)):
        return q
    if is_sparse(q):
        return csr_tuple(q, vocab)
    if isinstance(q, tuple) and len(q) == 2:
        idx, val = q
        return {int(i): float(v) for i, v in zip(idx, val)}
    raise TypeError("a query is a {token: weight} dict, a str (text vectors), a 1-row scipy.sparse matrix "
                    "or an (indices, values) pair, got " + type(q).__name__)


def queries_arg(qs: Any, vocab: Any = None) -> Any:
    if is_sparse(qs):
        return csr_tuple(qs, vocab)
    return [query_arg(q, vocab) for q in qs]


def vectors_arg(vectors: Any, vocab: Any = None) -> Any:
    """The vectors of a batch: one matrix or list (the only vector), or a dict naming vectors."""
    def one(v):
        if is_sparse(v):
            return csr_tuple(v, vocab)
        return list(v)
    if isinstance(vectors, dict):
        return {str(k): one(v) for k, v in vectors.items()}
    return {"": one(vectors)}


def filter_arg(f: Any) -> str | None:
    """A Qdrant-shaped filter (dict) or its JSON text."""
    if f is None:
        return None
    if isinstance(f, str):
        return f
    return json.dumps(f)


def payloads_arg(payloads: Any) -> list | None:
    if payloads is None:
        return None
    return [None if p is None else (p if isinstance(p, str) else json.dumps(p)) for p in payloads]


def ids_arg(ids: Any) -> list:
    if hasattr(ids, "tolist"):
        ids = ids.tolist()
    return list(ids)
