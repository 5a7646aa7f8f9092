"""Collections (live, writable) and static indexes, over spindle's C++ library."""
from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any, Iterator

from . import _spindle
from ._convert import filter_arg, ids_arg, payloads_arg, queries_arg, query_arg, vectors_arg


@dataclass
class SparseVectorConfig:
    """How one named sparse vector of a collection is stored.

    keys: ``"tokens"`` (a vocabulary grows as points arrive; dict keys are
    strings, CSR columns are named by ``vocab=`` or by their decimal number) or
    ``"indices"`` (unsigned 32-bit dimensions, Qdrant's ``indices``).
    weights: ``"u16"`` (default), ``"u8"`` or ``"f32"``.
    approx: ``None``, or build settings of the approximate structures
    (``{"lambda": 400, "block_size": 8, "alpha": 0.35, "knn": 10}``).

    >>> SparseVectorConfig(keys="indices", weights="f32")
    SparseVectorConfig(keys='indices', weights='f32', range_block=8, dense_ranges=0.125, approx=None)
    """
    keys: str = "tokens"
    weights: str = "u16"
    range_block: int = 8
    dense_ranges: float = 0.125
    approx: dict | None = None

    def _as_dict(self) -> dict:
        return {"keys": self.keys, "weights": self.weights, "range_block": self.range_block,
                "dense_ranges": self.dense_ranges, "approx": self.approx}


@dataclass
class DenseVectorConfig:
    """How one named dense vector of a collection is stored and searched.

    dim: the vectors' dimension. distance: ``"cosine"`` (vectors normalized
    when stored; score = dot product), ``"dot"`` or ``"euclid"`` (score = the
    Euclidean distance, results smallest first, as Qdrant). storage:
    ``"f32"`` or ``"f16"``. m / ef_construct: the HNSW graph built for every
    disk segment with at least ``min_docs`` vectors (smaller ones, and
    filtered searches allowing fewer points, are searched exactly). ef: the
    default candidate list of a query (``search(..., ef=)`` overrides).

    >>> DenseVectorConfig(384, distance="dot")
    DenseVectorConfig(dim=384, distance='dot', storage='f32', m=16, ef_construct=100, min_docs=10000, ef=64)
    """
    dim: int
    distance: str = "cosine"
    storage: str = "f32"
    m: int = 16
    ef_construct: int = 100
    min_docs: int = 10000
    ef: int = 64

    def _as_dict(self) -> dict:
        return {"dim": int(self.dim), "distance": self.distance, "storage": self.storage, "m": int(self.m),
                "ef_construct": int(self.ef_construct), "min_docs": int(self.min_docs), "ef": int(self.ef)}


def _is_ndarray(x, ndim: int) -> bool:
    """A numpy array of `ndim` dimensions (numpy is imported only by callers that use it)."""
    return type(x).__module__ == "numpy" and type(x).__name__ == "ndarray" and x.ndim == ndim


def _is_dense_query(q) -> bool:
    """A 1-D numeric array or a list of numbers (not a dict, str or sparse matrix)."""
    if _is_ndarray(q, 1):
        return q.dtype.kind in "fiu"
    return isinstance(q, (list, tuple)) and len(q) > 0 and all(isinstance(x, (int, float)) and not isinstance(x, bool) for x in q)


class Hits:
    """The results of one search, best first (score descending, then id).

    ``ids`` and ``scores`` are lists; ``payloads`` a list of dicts (``None``
    for a point without payload) when asked with ``with_payload=True``, else
    ``None``. Iterating yields ``(id, score)`` pairs. ``matched`` counts the
    live points the filter allows (``None`` for a ``query`` tree); ``seconds``
    is the library's own time.
    """
    __slots__ = ("ids", "scores", "payloads", "matched", "seconds", "algorithm", "unknown_terms")

    def __init__(self, ids, scores, payloads, extra):
        self.ids = ids
        self.scores = scores
        self.payloads = None if payloads is None else [None if p is None else json.loads(p) for p in payloads]
        self.matched = extra["matched"]
        self.seconds = extra["seconds"]
        self.algorithm = extra["algorithm"]
        self.unknown_terms = extra["unknown_terms"]

    def __len__(self) -> int:
        return len(self.ids)

    def __iter__(self) -> Iterator[tuple]:
        return iter(zip(self.ids, self.scores))

    def __getitem__(self, i):
        return (self.ids[i], self.scores[i])

    def __repr__(self) -> str:
        body = ", ".join(f"({i!r}, {s:.4f})" for i, s in list(self)[:5])
        more = ", ..." if len(self) > 5 else ""
        return f"Hits([{body}{more}])"


_PREFETCH_KEYS = {"query", "vector", "limit", "filter", "score_threshold", "fusion", "prefetch", "exact", "algorithm",
                  "query_cut", "heap_factor", "knn", "target_recall", "bmp_alpha", "ef"}


def _fusion_arg(f: Any) -> dict | None:
    """``"rrf"``, ``"dbsf"``, ``"convex"``, ``("convex", alpha)`` or a dict
    ``{"method", "k", "weights", "alpha", "normalization"}``."""
    if f is None:
        return None
    if isinstance(f, str):
        return {"method": f}
    if isinstance(f, tuple) and len(f) == 2 and f[0] == "convex":
        return {"method": "convex", "alpha": float(f[1])}
    if isinstance(f, dict):
        unknown = set(f) - {"method", "k", "weights", "alpha", "normalization"}
        if unknown or "method" not in f:
            raise TypeError("a fusion dict has a 'method' and any of k, weights, alpha, normalization; got keys "
                            + ", ".join(sorted(map(str, f))))
        d = dict(f)
        if d.get("weights") is not None:
            d["weights"] = [float(w) for w in d["weights"]]
        return d
    raise TypeError("fusion is 'rrf', 'dbsf', 'convex', ('convex', alpha) or a dict, got " + type(f).__name__)


def _prefetch_arg(prefetch: Any) -> list:
    if prefetch is None:
        return []
    if isinstance(prefetch, dict):
        prefetch = [prefetch]
    return list(prefetch)


class _Searchable:
    """Search methods shared by Collection and Index."""

    _vocab: list | None = None

    def __init__(self, handle):
        self._h = handle

    # -- lifecycle -----------------------------------------------------------
    def close(self) -> None:
        """Closes the collection (runs pending merges of a writer). Idempotent."""
        self._h.close()

    @property
    def closed(self) -> bool:
        return self._h.closed

    def __enter__(self):
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    @property
    def path(self) -> str:
        return self._h.path

    @property
    def read_only(self) -> bool:
        return self._h.read_only

    @property
    def vectors(self) -> list:
        """Names of the collection's sparse vectors."""
        return self._h.vector_names()

    @property
    def dense_vectors(self) -> list:
        """Names of the collection's dense vectors."""
        return self._h.dense_names()

    # -- reads ---------------------------------------------------------------
    def count(self, filter: Any = None) -> int:
        """Live points (matching ``filter``, a Qdrant-shaped dict, if given)."""
        return self._h.count(filter_arg(filter))

    def get(self, ids, with_vectors: bool = True) -> list:
        """Points by id: a dict ``{"id", "payload", "vectors"}`` each, ``None`` where absent.
        Vectors hold the stored (possibly quantized) weights."""
        out = self._h.get(ids_arg(ids), with_vectors)
        for p in out:
            if p is not None and p["payload"] is not None:
                p["payload"] = json.loads(p["payload"])
        return out

    def scroll(self, from_id=None, limit: int = 100, with_vectors: bool = False) -> list:
        """Live points in id order from ``from_id`` (inclusive), at most ``limit``,
        as ``get`` returns them. The next page starts after the last id returned."""
        out = self._h.scroll(from_id, limit, with_vectors)
        for p in out:
            if p["payload"] is not None:
                p["payload"] = json.loads(p["payload"])
        return out

    def info(self) -> dict:
        """The collection's state: points, segments, vectors, manifest (a dict)."""
        d = self._h.info()
        d["manifest"] = json.loads(d.pop("manifest_json"))
        return d

    def search(self, query, k: int = 10, filter: Any = None, exact: bool = False, algorithm: str | None = None,
               query_cut: int | None = None, heap_factor: float | None = None, knn: int | None = None,
               target_recall: float | None = None, with_payload: bool = False, vector: str | None = None,
               offset: int = 0, bmp_alpha: float = 1.0, score_threshold: float | None = None,
               prefetch: Any = None, fusion: Any = None, ef: int | None = None) -> Hits:
        """The top ``k`` points for one query.

        query: a ``{token: weight}`` dict (``{index: weight}`` for an indices
        vector), raw text (a str) for a BM25 text vector, a 1-row
        ``scipy.sparse`` matrix, or an ``(indices, values)`` pair.
        filter: a Qdrant-shaped filter dict (see docs/format.md, Filters).
        exact: score every posting (the exhaustive algorithm). algorithm:
        ``"bmp"`` (the default), ``"maxscore"``, ``"bmw"``, ``"exhaustive"``
        or ``"approx"``; ``query_cut``, ``heap_factor`` and ``knn`` imply
        ``"approx"``. target_recall: approximate search with the setting
        ``spindle.tune`` (or ``spindle tune``) stored, which must have been
        tuned for at least that recall (InvalidArgument otherwise).
        prefetch, fusion: hybrid search, as ``query`` takes them: with
        ``fusion`` the prefetch lists are fused (``query`` must be None);
        without, ``query`` re-scores the prefetched points.
        The GIL is released while the library searches.

        Dense vectors: ``query`` is a 1-D array (or list) of floats and
        ``vector`` names the dense vector (or is left out when the collection
        has one dense vector); ``exact=True`` scores every point, ``ef`` sets
        the HNSW candidate list. The sparse knobs do not apply.
        """
        if prefetch is not None or fusion is not None:
            if fusion is not None and query is not None:
                raise _spindle.InvalidArgument("search: give either query (re-scoring the prefetches) or fusion, not both")
            return self.query(query, prefetch=prefetch, fusion=fusion, vector=vector, k=k, offset=offset, filter=filter,
                              score_threshold=score_threshold, with_payload=with_payload, exact=exact,
                              algorithm=algorithm, query_cut=query_cut, heap_factor=heap_factor, knn=knn,
                              target_recall=target_recall, bmp_alpha=bmp_alpha, ef=ef)
        if self._dense_target(vector, query):
            if algorithm is not None or query_cut is not None or heap_factor is not None or knn is not None or target_recall is not None:
                raise _spindle.InvalidArgument("algorithm, query_cut, heap_factor, knn and target_recall are settings of sparse search")
            import numpy as np
            ids, scores, payloads, extra = self._h.search_dense(
                np.asarray(query, dtype=np.float32), vector or "", k, offset, filter_arg(filter), exact, ef,
                score_threshold, with_payload)
            return Hits(ids, scores, payloads, extra)
        if ef is not None:
            raise _spindle.InvalidArgument("ef is a setting of dense search")
        ids, scores, payloads, extra = self._h.search(
            query_arg(query, self._vocab), vector or "", k, offset, filter_arg(filter), exact, algorithm, query_cut,
            heap_factor, knn, bmp_alpha, score_threshold, with_payload, target_recall)
        return Hits(ids, scores, payloads, extra)

    def _node(self, where: str, query=None, vector=None, limit: int = 10, filter: Any = None,
              score_threshold: float | None = None, fusion: Any = None, prefetch: Any = None, exact: bool = False,
              algorithm: str | None = None, query_cut: int | None = None, heap_factor: float | None = None,
              knn: int | None = None, target_recall: float | None = None, bmp_alpha: float = 1.0,
              ef: int | None = None) -> dict:
        dense = query is not None and self._dense_target(vector, query)
        if dense:
            import numpy as np
            query = np.asarray(query, dtype=np.float32)
        elif ef is not None:
            raise _spindle.InvalidArgument(f"{where}ef: a setting of dense search")
        return {
            "dense": dense, "ef": ef,
            "query": None if query is None else (query if dense else query_arg(query, self._vocab)),
            "vector": vector or "", "limit": int(limit), "filter": filter_arg(filter),
            "score_threshold": score_threshold, "fusion": _fusion_arg(fusion),
            "prefetch": [self._prefetch(p, f"{where}prefetch[{i}]") for i, p in enumerate(_prefetch_arg(prefetch))],
            "exact": bool(exact), "algorithm": algorithm, "query_cut": query_cut, "heap_factor": heap_factor,
            "knn": knn, "target_recall": target_recall, "bmp_alpha": float(bmp_alpha),
        }

    def _prefetch(self, p: Any, where: str) -> dict:
        if not isinstance(p, dict):
            raise TypeError(f"{where}: a prefetch is a dict (query, vector, limit, filter, fusion, prefetch...), "
                            f"got {type(p).__name__}")
        unknown = set(p) - _PREFETCH_KEYS - {"k"}
        if unknown:
            raise TypeError(f"{where}: unknown keys " + ", ".join(sorted(map(str, unknown)))
                            + " (valid: " + ", ".join(sorted(_PREFETCH_KEYS)) + ")")
        args = {k: v for k, v in p.items() if k != "k"}
        if "k" in p:
            args["limit"] = p["k"]
        return self._node(where + ".", **args)

    def query(self, query=None, *, prefetch: Any = None, fusion: Any = None, vector: str | None = None, k: int = 10,
              offset: int = 0, filter: Any = None, score_threshold: float | None = None, with_payload: bool = False,
              exact: bool = False, algorithm: str | None = None, query_cut: int | None = None,
              heap_factor: float | None = None, knn: int | None = None, target_recall: float | None = None,
              bmp_alpha: float = 1.0, ef: int | None = None) -> Hits:
        """A query tree in the shape of Qdrant's Query API (README, "Hybrid queries").

        prefetch: sub-queries run first, each a dict with ``query``, ``vector``,
        ``limit`` (or ``k``; default 10), ``filter``, ``score_threshold``,
        the search knobs of ``search`` (``exact``, ``algorithm``,
        ``query_cut``, ``heap_factor``, ``knn``, ``target_recall``,
        ``bmp_alpha``), and nested ``prefetch`` / ``fusion``. A dense
        vector's query is a 1-D array (or list) of floats, with ``exact`` or
        ``ef`` as ``search`` takes them.
        fusion: fuses the prefetch lists: ``"rrf"`` (Qdrant's, k = 2),
        ``"dbsf"``, ``("convex", alpha)`` (min-max normalized scores,
        alpha * first + (1 - alpha) * second) or a dict ``{"method": "rrf",
        "k": 60, "weights": [1, 2]}`` / ``{"method": "convex", "weights":
        [...], "normalization": "z_score"}``. Without fusion, ``query`` (on
        ``vector``) re-scores the prefetched points exactly; without prefetch
        it is a plain search. ``filter`` applies to this query and every
        prefetch; all sub-queries run on one snapshot. ``Hits.algorithm`` is
        the fusion (or "rescore", "search").

        >>> import tempfile, os, spindle
        >>> d = tempfile.mkdtemp()
        >>> cfg = {"a": spindle.SparseVectorConfig(), "b": spindle.SparseVectorConfig()}
        >>> with spindle.Collection.create(os.path.join(d, "h"), cfg) as c:
        ...     _ = c.upsert([1, 2, 3], {"a": [{"x": 3.0}, {"x": 2.0}, {"x": 1.0}],
        ...                              "b": [{"y": 1.0}, {"y": 3.0}, {"y": 2.0}]})
        ...     hits = c.query(prefetch=[{"query": {"x": 1.0}, "vector": "a"},
        ...                              {"query": {"y": 1.0}, "vector": "b"}], fusion="rrf")
        ...     print(hits.ids, [round(s, 4) for s in hits.scores])
        [2, 1, 3] [0.8333, 0.75, 0.5833]
        """
        tree = self._node("", query=query, vector=vector, limit=k, filter=filter, score_threshold=score_threshold,
                          fusion=fusion, prefetch=prefetch, exact=exact, algorithm=algorithm, query_cut=query_cut,
                          heap_factor=heap_factor, knn=knn, target_recall=target_recall, bmp_alpha=bmp_alpha, ef=ef)
        ids, scores, payloads, extra = self._h.query(tree, offset, with_payload)
        return Hits(ids, scores, payloads, extra)

    def search_batch(self, queries, k: int = 10, threads: int = 0, filter: Any = None, exact: bool = False,
                     algorithm: str | None = None, query_cut: int | None = None, heap_factor: float | None = None,
                     knn: int | None = None, target_recall: float | None = None, vector: str | None = None,
                     offset: int = 0, bmp_alpha: float = 1.0, score_threshold: float | None = None,
                     dtype: str = "float64", ef: int | None = None):
        """Searches many queries on one snapshot with ``threads`` threads (0: all cores).

        queries: a ``scipy.sparse`` matrix (one row per query, read without a
        copy) or a list of queries as ``search`` takes them. Returns
        ``(ids, scores)``, numpy arrays of shape ``(n_queries, k)``, filled in
        C++: ids are int64 padded with -1 where a query has fewer than k
        results (an object array padded with ``None`` when an id is a
        string); scores are float64 (or ``dtype="float32"``) padded with
        ``-inf``. Ctrl-C interrupts the batch (KeyboardInterrupt).
        """
        if dtype not in ("float64", "float32"):
            raise _spindle.InvalidArgument(f"dtype must be 'float64' or 'float32', got {dtype!r}")
        if _is_ndarray(queries, 2) and self._dense_target(vector, queries[0] if len(queries) else [0.0]):
            # Dense queries, one per row (a float32 C-ordered array is read in place).
            return self._h.search_dense_batch(queries, vector or "", k, offset, filter_arg(filter), exact, ef,
                                              score_threshold, threads, dtype == "float32")
        return self._h.search_batch(queries_arg(queries, self._vocab), vector or "", k, offset, filter_arg(filter),
                                    exact, algorithm, query_cut, heap_factor, knn, bmp_alpha, score_threshold,
                                    threads, dtype == "float32", target_recall)

    def _dense_target(self, vector, query) -> bool:
        dense = self._h.dense_names()
        if vector:
            return vector in dense
        return bool(dense) and (_is_dense_query(query) or not self._h.vector_names())

    def __repr__(self) -> str:
        state = "closed" if self.closed else ("read-only" if self.read_only else "writable")
        return f"{type(self).__name__}({self._path!r}, {state})"


class Collection(_Searchable):
    """A live collection: points with named sparse vectors and JSON payloads,
    upserted and deleted while searches run, durable through a write-ahead log.

    >>> import tempfile, os, spindle
    >>> d = tempfile.mkdtemp()
    >>> with spindle.Collection.create(os.path.join(d, "c"), {"splade": spindle.SparseVectorConfig()},
    ...                                payload_indexes={"lang": "keyword"}) as c:
    ...     _ = c.upsert([1, 2, 3], [{"cat": 1.0}, {"cat": 0.5, "dog": 2.0}, {"dog": 1.0}],
    ...                  payloads=[{"lang": "en"}, {"lang": "fr"}, {"lang": "en"}])
    ...     hits = c.search({"cat": 1.0, "dog": 0.1}, k=2)
    ...     print(hits.ids, c.count(filter={"must": [{"key": "lang", "match": {"value": "en"}}]}))
    [1, 2] 2
    """

    def __init__(self, handle, path: str, vocab=None):
        super().__init__(handle)
        self._path = path
        self._vocab = vocab

    @classmethod
    def create(cls, path: str, vectors: dict, payload_indexes: dict | None = None, segments: dict | None = None,
               vocab=None, background_flush: bool = False) -> "Collection":
        """Creates a collection in ``path`` (which must not exist).

        vectors: ``{name: SparseVectorConfig or DenseVectorConfig}``. payload_indexes: ``{field:
        type}`` with type ``keyword``, ``integer``, ``float``, ``bool`` or
        ``datetime``. segments: segment policy settings (``flush_docs``,
        ``merge_factor``, ...). vocab: column names used when CSR input is
        given for a token vector (default: the decimal column number).
        background_flush: combine in-memory segments and flush them to disk
        segments on a background thread while ``upsert`` returns (for a
        long-running process that keeps writing; default False: a one-shot
        script does that work inside the upsert that reaches ``flush_docs``).
        Durability and what a search sees are the same either way.
        """
        cfg = {}
        dense = {}
        for name, v in vectors.items():
            if isinstance(v, DenseVectorConfig):
                dense[name] = v._as_dict()
                continue
            if isinstance(v, dict):
                v = SparseVectorConfig(**v)
            cfg[name] = v._as_dict()
        return cls(_spindle._Collection.create(str(path), cfg, dict(payload_indexes or {}), segments, dense=dense,
                                               background_flush=background_flush),
                   str(path), vocab)

    @classmethod
    def open(cls, path: str, read_only: bool = False, in_memory: bool = False, vocab=None,
             filter_cache_mb: int = 64, background_flush: bool = False) -> "Collection":
        """Opens a collection (or a static index, read-only). A writer takes the
        collection's lock (one writing process at a time) and replays its log.

        filter_cache_mb: memory for the allow-sets of recent filters, reused by
        later searches with the same filter while the segments are unchanged
        (a bit per point per filter; 0: evaluate every filter anew).
        ``info()["filter_cache"]`` counts its hits and misses.
        background_flush: in-memory segments combined and flushed on a
        background thread (as ``create``; ignored read-only).
        """
        return cls(_spindle._Collection.open(str(path), read_only, in_memory, filter_cache_mb=filter_cache_mb,
                                             background_flush=background_flush),
                   str(path), vocab)

    def upsert(self, ids, vectors, payloads=None, wait: bool = True):
        """Adds or replaces points, atomically (a bad point applies nothing).

        vectors: a ``scipy.sparse.csr_matrix`` (row i is point ``ids[i]``) or
        a list of ``{token: weight}`` dicts, for the collection's only
        vector; or a dict ``{vector name: matrix or list}``. A dense vector
        takes a 2-D numpy array (one row per id; float32 C-ordered arrays are
        read in place, others converted once). payloads: dicts
        (or JSON text, or None). wait=True returns once the batch is durable.
        Returns a WriteResult (lsn, applied). The GIL is released while the
        library writes.
        """
        dense = {}
        names = self._h.dense_names()
        if names:
            if isinstance(vectors, dict):
                vectors = dict(vectors)
                for name in names:
                    if name in vectors:
                        dense[name] = vectors.pop(name)
            elif _is_ndarray(vectors, 2) and not self._h.vector_names() and len(names) == 1:
                dense[names[0]] = vectors
                vectors = {}
        return self._h.upsert(ids_arg(ids), vectors_arg(vectors, self._vocab), payloads_arg(payloads), wait, dense=dense)

    def delete(self, ids=None, filter: Any = None, wait: bool = True):
        """Deletes points by id, or those matching a filter (one of the two)."""
        if (ids is None) == (filter is None):
            raise _spindle.InvalidArgument("delete: give ids= or filter= (one of them)")
        if ids is not None:
            return self._h.delete_ids(ids_arg(ids), wait)
        return self._h.delete_filter(filter_arg(filter), wait)

    def flush(self) -> None:
        """Writes the in-memory segments to disk and truncates the log."""
        self._h.flush()

    def optimize(self, max_segments: int = 1) -> None:
        """Flushes, then merges until at most ``max_segments`` segments remain."""
        self._h.optimize(max_segments)

    def add_tokens(self, tokens, vector: str = "default") -> int:
        """Registers ``tokens`` (a list of strings, e.g. a model's vocabulary
        file) in token vector ``vector``'s vocabulary in this order; known
        tokens keep their ids. Given before the first upsert, terms are
        numbered as ``spindle index --vocab`` numbers them. Returns how many
        were new."""
        return self._h.add_tokens(vector, list(tokens))

    def create_payload_index(self, field: str, type: str) -> None:
        """Indexes payload field ``field`` (``keyword``, ``integer``, ``float``,
        ``bool`` or ``datetime``) in a collection that may already hold points:
        existing segments are rewritten with the index before this returns.
        The same field with another type raises InvalidArgument."""
        self._h.create_payload_index(field, type)

    def check(self) -> None:
        """Checks the collection's invariants (CorruptIndex on a violation)."""
        self._h.check()


class Index(_Searchable):
    """A static index (built by ``build_index``, ``build_text_index`` or
    ``spindle index``), opened read-only; the same search methods as a
    Collection. Ids are the documents' ids as strings.

    >>> import tempfile, os, spindle, scipy.sparse as sp, numpy as np
    >>> m = sp.csr_matrix(np.array([[1.0, 0, 2.0], [0, 1.0, 0]], dtype=np.float32))
    >>> idx = spindle.build_index(os.path.join(tempfile.mkdtemp(), "i"), m, weights="f32")
    >>> idx.search({0: 1.0, 2: 1.0}).ids
    ['0']
    """

    def __init__(self, path: str, in_memory: bool = False, vocab=None):
        super().__init__(_spindle._Collection.open(str(path), True, in_memory))
        self._path = str(path)
        self._vocab = vocab
