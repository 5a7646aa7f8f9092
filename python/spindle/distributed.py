"""A collection sharded over a Dask cluster and searched as one (docs/distributed.md).

:class:`ShardedCollection` splits the points of one logical collection over
``N`` ordinary spindle collections (``root/shard-0000`` ...), each owned by one
Dask actor pinned to one worker (one writer per shard, as the collection's
lock requires). A point goes to shard ``route(id, N)``: BLAKE2b (8-byte digest)
of a canonical encoding of the id (``b"n:<decimal>"`` for a number,
``b"s:<utf-8>"`` for a string), read big-endian, modulo ``N``. Searches go to
every shard; each returns its own top ``k`` and the coordinator keeps the
global top ``k`` by score, then the collection's id order (numbers before
strings, numbers by value, strings byte by byte), so exact sharded search
returns what one collection holding all points returns.

>>> route(7, 4), route("7", 4), route(7, 4) == route(7, 4)
(1, 2, True)
>>> merge_top_k([[(3, 2.0), ("a", 1.0)], [(1, 2.0), (9, 0.5)]], k=3)
[(1, 2.0), (3, 2.0), ('a', 1.0)]
"""
from __future__ import annotations

import hashlib
import heapq
import json
import os
import shutil
import threading
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from typing import Any, Iterable

from . import _spindle
from ._collection import Collection, SparseVectorConfig
from ._convert import is_sparse

__all__ = ["ShardedCollection", "ShardedHits", "ShardedBatch", "ShardUnavailable", "route", "merge_top_k",
           "id_order_key", "MANIFEST", "FORMAT", "VERSION", "HASH"]

#: The sharding manifest in the root directory.
MANIFEST = "sharding.json"
FORMAT = "spindle-sharded-collection"
VERSION = 1
#: The routing function's name as stored in the manifest.
HASH = "blake2b64-mod"

_BATCH_QUERIES = 256  # queries per shard call of search_batch (pipelined)
_LOAD_BATCH = 10_000  # points per upsert while bulk loading a shard


class _Slow:
    """The outcome of a shard call that did not answer within the timeout."""


class ShardUnavailable(_spindle.Error):
    """A shard's actor is gone (its worker died or was lost).

    ``shards``: the unavailable shard numbers; ``acknowledged``: for a write,
    the shards that applied their part (writes are idempotent: retry after
    :meth:`ShardedCollection.reopen`).
    """

    def __init__(self, message: str, shards=(), acknowledged=()):
        super().__init__(message)
        self.shards = list(shards)
        self.acknowledged = list(acknowledged)

    def __reduce__(self):
        return (type(self), (str(self), self.shards, self.acknowledged))


# ---------------------------------------------------------------- routing and merging

def _id_bytes(pid) -> bytes:
    if isinstance(pid, bool) or not isinstance(pid, (int, str)):
        if hasattr(pid, "item") and not isinstance(pid, bool):  # numpy integer / str scalars
            return _id_bytes(pid.item())
        raise _spindle.InvalidArgument(f"a point id is an unsigned 64-bit integer or a string, got "
                                       f"{type(pid).__name__} {pid!r}")
    if isinstance(pid, int):
        if pid < 0 or pid >= 1 << 64:
            raise _spindle.InvalidArgument(f"a numeric point id must be in [0, 2^64), got {pid}")
        return b"n:" + str(pid).encode()
    return b"s:" + pid.encode("utf-8")


def route(pid, shards: int) -> int:
    """The shard of point id ``pid`` among ``shards``: BLAKE2b-64 of its
    canonical encoding (``n:<decimal>`` or ``s:<utf-8>``), big-endian, mod ``shards``."""
    digest = hashlib.blake2b(_id_bytes(pid), digest_size=8).digest()
    return int.from_bytes(digest, "big") % shards


def id_order_key(pid):
    """The collection's id order (include/spindle/collection/point.hpp):
    numbers before strings, numbers by value, strings byte by byte."""
    if isinstance(pid, str):
        return (1, 0, pid.encode("utf-8"))
    return (0, int(pid), b"")


def _hit_key(hit):
    return (-hit[1], id_order_key(hit[0]))


def merge_top_k(per_shard: Iterable[list], k: int, offset: int = 0) -> list:
    """The global top ``k`` (after ``offset``) of per-shard best-first lists of
    ``(id, score, ...)`` tuples: score descending, then id order."""
    return heapq.nsmallest(offset + k, (h for hits in per_shard for h in hits), key=_hit_key)[offset:]


def _ids_list(ids) -> list:
    if hasattr(ids, "tolist"):
        ids = ids.tolist()
    return list(ids)


def _split_vectors(vectors, groups: list[list[int]]) -> list:
    """The vectors of a batch split into the rows of each group (None for an empty group)."""
    def take(v, rows):
        if is_sparse(v):
            if getattr(v, "format", None) != "csr":
                v = v.tocsr()
            return v[rows]
        return [v[i] for i in rows]
    out = []
    for rows in groups:
        if not rows:
            out.append(None)
        elif isinstance(vectors, dict):
            out.append({name: take(v, rows) for name, v in vectors.items()})
        else:
            out.append(take(vectors, rows))
    return out


# ---------------------------------------------------------------- the shard actor (runs on a worker)

_REGISTRY: dict[str, "_ShardActor"] = {}  # open shards of this worker process, by path
_REGISTRY_LOCK = threading.Lock()


def _dir_bytes(path: str) -> int:
    total = 0
    for base, _, files in os.walk(path):
        for f in files:
            try:
                total += os.lstat(os.path.join(base, f)).st_size
            except OSError:  # a file replaced by a merge meanwhile
                pass
    return total


def _nthreads() -> int:
    try:
        from distributed import get_worker
        w = get_worker()
        state = getattr(w, "state", None)  # distributed >= 2022.08; older: Worker.nthreads
        return max(1, int(state.nthreads if state is not None else w.nthreads))
    except (ImportError, ValueError, AttributeError):
        return 1


class _ShardActor:
    """One shard: a spindle Collection opened for writing in this worker.

    Writes run on one thread, in arrival order; reads on a pool of the
    worker's thread count. Methods are coroutines so the worker's event loop
    never blocks and several shards on one worker work concurrently.
    """

    def __init__(self, path: str, number: int, create: dict | None = None, vocab=None):
        self.path = path
        self.number = number
        if create is not None:
            # With per-machine disks the root exists on the client's machine only.
            os.makedirs(os.path.dirname(path), exist_ok=True)
            self.coll = Collection.create(path, create["vectors"], payload_indexes=create.get("payload_indexes"),
                                          segments=create.get("segments"), vocab=vocab)
        else:
            if not os.path.isdir(path):
                raise _spindle.IoError(f"{path} is missing (listed in {os.path.join(os.path.dirname(path), MANIFEST)}"
                                       f"; on this worker's machine, pid {os.getpid()})")
            self.coll = Collection.open(path, vocab=vocab)  # takes the lock, replays the log
        self.pid = os.getpid()
        self._writer = ThreadPoolExecutor(1, thread_name_prefix=f"spindle-shard-{number}-write")
        self._readers = ThreadPoolExecutor(_nthreads(), thread_name_prefix=f"spindle-shard-{number}-read")
        with _REGISTRY_LOCK:
            _REGISTRY[path] = self

    async def _run(self, pool, fn, *args):
        import asyncio
        return await asyncio.get_running_loop().run_in_executor(pool, fn, *args)

    # -- writes (one thread, in order)
    def _upsert(self, ids, vectors, payloads, wait):
        r = self.coll.upsert(ids, vectors, payloads, wait=wait)
        return (r.lsn, r.applied)

    async def upsert(self, ids, vectors, payloads, wait):
        return await self._run(self._writer, self._upsert, ids, vectors, payloads, wait)

    def _delete(self, ids, filter, wait):
        r = self.coll.delete(ids=ids, filter=filter, wait=wait)
        return (r.lsn, r.applied)

    async def delete(self, ids, filter, wait):
        return await self._run(self._writer, self._delete, ids, filter, wait)

    def load_pieces(self, pieces, batch: int = _LOAD_BATCH) -> int:
        """Upserts pieces (lists of rows, or of JSONL lines) in batches of
        ``batch`` points, then flushes (durable). Runs on the writer thread."""
        n = 0
        for piece in pieces:
            for a in range(0, len(piece), batch):
                chunk = piece[a:a + batch]
                if chunk and isinstance(chunk[0], str):
                    chunk = [json.loads(line) for line in chunk]
                ids, vecs, payloads = _columns(chunk)
                self.coll.upsert(ids, vecs, payloads, wait=False)
                n += len(ids)
        self.coll.flush()
        return n

    async def flush(self):
        return await self._run(self._writer, self.coll.flush)

    async def optimize(self, max_segments):
        return await self._run(self._writer, self.coll.optimize, max_segments)

    def _close(self):
        with _REGISTRY_LOCK:
            if _REGISTRY.get(self.path) is self:
                del _REGISTRY[self.path]
        self.coll.close()
        return True

    async def close(self):
        out = await self._run(self._writer, self._close)
        self._readers.shutdown(wait=False)
        self._writer.shutdown(wait=False)
        return out

    # -- reads (pool)
    def _search_batch(self, queries, k, kwargs):
        t0 = time.perf_counter()
        ids, scores = self.coll.search_batch(queries, k=k, threads=1, **kwargs)
        out = []
        for row_ids, row_scores in zip(ids.tolist(), scores.tolist()):
            out.append([(i, s) for i, s in zip(row_ids, row_scores) if i is not None and i != -1])
        return out, time.perf_counter() - t0

    async def search_batch(self, queries, k, kwargs):
        return await self._run(self._readers, self._search_batch, queries, k, kwargs)

    def _search(self, query, k, kwargs):
        t0 = time.perf_counter()
        h = self.coll.search(query, k=k, **kwargs)
        hits = list(zip(h.ids, h.scores, h.payloads)) if h.payloads is not None else list(zip(h.ids, h.scores))
        return hits, h.matched, h.seconds, h.algorithm, time.perf_counter() - t0

    async def search(self, query, k, kwargs):
        return await self._run(self._readers, self._search, query, k, kwargs)

    async def count(self, filter):
        return await self._run(self._readers, self.coll.count, filter)

    async def get(self, ids, with_vectors):
        return await self._run(self._readers, self.coll.get, ids, with_vectors)

    async def scroll(self, from_id, limit, with_vectors):
        return await self._run(self._readers, self.coll.scroll, from_id, limit, with_vectors)

    def _info(self):
        d = self.coll.info()
        d["bytes"] = _dir_bytes(self.path)
        d["pid"] = self.pid
        return d

    async def info(self):
        return await self._run(self._readers, self._info)

    async def check(self):
        return await self._run(self._readers, self.coll.check)

    async def ping(self):
        return self.pid


def _row_id(r, where: str):
    try:
        pid = r["id"]
    except (KeyError, TypeError):
        raise _spindle.ParseError(f"{where}: a row is an object with an 'id', got {str(r)[:80]!r}") from None
    if "vector" not in r and "vectors" not in r:
        raise _spindle.ParseError(f"{where} (id {pid!r}): no 'vector' or 'vectors' field")
    return pid


def _columns(rows: list) -> tuple:
    """Rows ``{"id", "vector" or "vectors", "payload"}`` as upsert's
    ``(ids, {vector name: list}, payloads or None)``; "vector" is the only vector."""
    ids, cols, payloads = [], {}, []
    for r in rows:
        vecs = r["vectors"] if "vectors" in r else {"": r["vector"]}
        for name in vecs:
            if name not in cols:
                cols[name] = [{}] * len(ids)  # earlier points of the batch leave this vector out
        for name, col in cols.items():
            col.append(vecs.get(name, {}))
        ids.append(r["id"])
        payloads.append(r.get("payload"))
    return ids, cols, (payloads if any(p is not None for p in payloads) else None)


def _split_rows(rows: Iterable, shards: int) -> dict:
    """Routes rows (dicts ``{"id", "vector" or "vectors", "payload"}``) to
    their shards: ``{shard: [rows]}``, in input order."""
    parts: dict[int, list] = {}
    for n, r in enumerate(rows):
        parts.setdefault(route(_row_id(r, f"row {n}"), shards), []).append(r)
    return parts


def _split_file(path: str, shards: int) -> dict:
    """Routes the lines of a JSONL file to their shards: ``{shard: [lines]}``
    (the lines themselves: a shard parses them again in batches, so no
    partition is ever held as Python objects)."""
    parts: dict[int, list] = {}
    with open(path, encoding="utf-8") as f:
        for line_no, line in enumerate(f, 1):
            if not line.strip():
                continue
            try:
                r = json.loads(line)
            except json.JSONDecodeError as e:
                raise _spindle.ParseError(f"{path}:{line_no}: invalid JSON: {e.msg} (column {e.colno})") from None
            parts.setdefault(route(_row_id(r, f"{path}:{line_no}"), shards), []).append(line)
    return parts


def _piece(parts: dict, shard: int):
    return parts.get(shard)


def _load_into_shard(path: str, *pieces) -> int:
    """A task pinned to the shard's worker: hands its pieces to the shard's writer thread."""
    with _REGISTRY_LOCK:
        actor = _REGISTRY.get(path)
    if actor is None:
        raise _spindle.Error(f"shard {path} is not open in this worker (pid {os.getpid()}); "
                             "the load task ran on another worker than the shard's actor")
    todo = [p for p in pieces if p is not None]
    return actor._writer.submit(actor.load_pieces, todo).result()


# ---------------------------------------------------------------- results

class ShardedHits:
    """The merged results of one query, best first (as :class:`spindle.Hits`),
    with ``partial`` / ``missing_shards`` (shards that did not answer under
    ``allow_partial=True``), ``matched`` (summed over the answering shards)
    and ``shard_seconds`` (each shard's library time)."""
    __slots__ = ("ids", "scores", "payloads", "matched", "seconds", "algorithm", "partial", "missing_shards",
                 "shard_seconds")

    def __init__(self, hits, with_payload, matched, shard_seconds, algorithm, missing):
        self.ids = [h[0] for h in hits]
        self.scores = [h[1] for h in hits]
        self.payloads = [h[2] for h in hits] if with_payload else None
        self.matched = matched
        self.shard_seconds = shard_seconds
        self.seconds = max(shard_seconds.values(), default=0.0)
        self.algorithm = algorithm
        self.missing_shards = sorted(missing)
        self.partial = bool(missing)

    def __len__(self):
        return len(self.ids)

    def __iter__(self):
        return iter(zip(self.ids, self.scores))

    def __getitem__(self, i):
        return (self.ids[i], self.scores[i])

    def __repr__(self):
        body = ", ".join(f"({i!r}, {s:.4f})" for i, s in list(self)[:5])
        more = ", ..." if len(self) > 5 else ""
        flag = f", partial: missing shards {self.missing_shards}" if self.partial else ""
        return f"ShardedHits([{body}{more}]{flag})"


class ShardedBatch(tuple):
    """``(ids, scores)`` of a batch (unpacks like ``Collection.search_batch``'s
    result: numpy arrays ``(n_queries, k)``, ids padded with -1 or None,
    scores with -inf), plus ``partial``, ``missing_shards`` and
    ``shard_seconds`` (summed library time per shard)."""

    def __new__(cls, ids, scores, missing, shard_seconds):
        self = super().__new__(cls, (ids, scores))
        self.missing_shards = sorted(missing)
        self.partial = bool(missing)
        self.shard_seconds = shard_seconds
        return self


class ShardedWriteResult:
    """The acknowledgements of a write: ``applied`` summed over the shards,
    ``shards``: ``{shard: (lsn, applied)}`` for the shards written."""
    __slots__ = ("applied", "shards")

    def __init__(self, shards: dict):
        self.shards = dict(sorted(shards.items()))
        self.applied = sum(a for _, a in shards.values())

    def __repr__(self):
        return f"ShardedWriteResult(applied={self.applied}, shards={len(self.shards)})"


# ---------------------------------------------------------------- manifest

def _shard_dir(i: int) -> str:
    return f"shard-{i:04d}"


def _read_manifest(root: str) -> dict:
    path = os.path.join(root, MANIFEST)
    try:
        with open(path, encoding="utf-8") as f:
            text = f.read()
    except FileNotFoundError:
        raise _spindle.IoError(f"{root} is not a sharded spindle collection: {path} is missing "
                               "(create one with ShardedCollection.create)") from None
    except OSError as e:
        raise _spindle.IoError(f"cannot read {path}: {e.strerror}") from None
    try:
        m = json.loads(text)
    except json.JSONDecodeError as e:
        raise _spindle.CorruptIndex(f"{path}: invalid JSON at line {e.lineno} column {e.colno}: {e.msg}") from None
    if not isinstance(m, dict):
        raise _spindle.CorruptIndex(f"{path}: the manifest is a JSON object, got {type(m).__name__}")
    if m.get("format") != FORMAT:
        raise _spindle.CorruptIndex(f"{path}: field 'format' is {m.get('format')!r}, expected {FORMAT!r}")
    v = m.get("version")
    if not isinstance(v, int) or isinstance(v, bool):
        raise _spindle.CorruptIndex(f"{path}: field 'version' must be an integer, got {v!r}")
    if v != VERSION:
        raise _spindle.IncompatibleVersion(f"{path}: sharding manifest version {v}; this spindle reads version "
                                           f"{VERSION}")
    n = m.get("shards")
    if not isinstance(n, int) or isinstance(n, bool) or n < 1:
        raise _spindle.CorruptIndex(f"{path}: field 'shards' must be a positive integer, got {n!r}")
    if m.get("hash") != HASH:
        raise _spindle.CorruptIndex(f"{path}: field 'hash' is {m.get('hash')!r}; this spindle routes with {HASH!r}")
    dirs = m.get("shard_dirs")
    if not isinstance(dirs, list) or len(dirs) != n or not all(isinstance(d, str) for d in dirs):
        raise _spindle.CorruptIndex(f"{path}: field 'shard_dirs' must list {n} directory names, got {dirs!r}")
    for d in dirs:
        if os.path.basename(d) != d or d in ("", ".", ".."):
            raise _spindle.CorruptIndex(f"{path}: shard directory {d!r} is not a plain name inside the root")
    return m


def _write_manifest(root: str, m: dict) -> None:
    tmp = os.path.join(root, MANIFEST + ".tmp")
    with open(tmp, "w", encoding="utf-8") as f:
        json.dump(m, f, indent=2, sort_keys=True)
        f.write("\n")
        f.flush()
        os.fsync(f.fileno())
    os.replace(tmp, os.path.join(root, MANIFEST))


def _vectors_cfg(vectors: dict) -> dict:
    out = {}
    for name, v in vectors.items():
        if isinstance(v, dict):
            v = SparseVectorConfig(**v)
        out[name] = v._as_dict()
    return out


# ---------------------------------------------------------------- the coordinator

class ShardedCollection:
    """A collection sharded over the workers of a ``dask.distributed.Client``.

    Create with :meth:`create`, open with :meth:`open`. The client should talk
    to workers directly (``Client(..., direct_to_workers=True)``): otherwise
    every shard call is relayed by the scheduler.
    """

    def __init__(self, client, root: str, manifest: dict, vocab=None):
        self.client = client
        self.root = os.path.abspath(os.fspath(root))
        self.manifest = manifest
        self.shards = manifest["shards"]
        self.vocab = vocab
        self._futures: list = [None] * self.shards  # actor futures
        self._actors: list = [None] * self.shards
        self._workers: list = [None] * self.shards
        self._lost: set = set()  # shards whose worker stopped answering
        self._closed = False
        #: Seconds to wait for a shard's actor to start (open and replay its log).
        self.start_timeout = 600
        #: Reopen a dead shard on a live worker when a call finds it dead (and
        #: retry the call) instead of raising ShardUnavailable; never under
        #: allow_partial=True.
        self.auto_reopen = False
        #: Seconds a shard call may take (None: no limit). A shard that does
        #: not answer in time counts as unavailable for that call (an error,
        #: or left out under allow_partial=True) but is not reopened: it is
        #: alive and holds its lock. A write that timed out may still apply.
        self.timeout = None

    # -- lifecycle -------------------------------------------------------------
    @classmethod
    def create(cls, client, root: str, shards: int, vectors: dict, payload_indexes: dict | None = None,
               segments: dict | None = None, workers: list | None = None, vocab=None,
               auto_reopen: bool = False) -> "ShardedCollection":
        """Creates ``shards`` empty collections in ``root/shard-XXXX`` (each
        ``Collection.create(path, vectors, payload_indexes, segments)``),
        each owned by an actor pinned to a worker (round robin over
        ``workers``, default all of the client's), and writes
        ``root/sharding.json``. ``root`` must not exist or be empty.
        ``auto_reopen``: see the attribute of that name."""
        if not isinstance(shards, int) or isinstance(shards, bool) or shards < 1:
            raise _spindle.InvalidArgument(f"shards must be a positive integer, got {shards!r}")
        root = os.path.abspath(os.fspath(root))
        if os.path.exists(root):
            if not os.path.isdir(root):
                raise _spindle.InvalidArgument(f"{root} exists and is not a directory")
            if os.path.exists(os.path.join(root, MANIFEST)):
                raise _spindle.InvalidArgument(f"{root} already holds a sharded collection ({MANIFEST}); "
                                               "open it with ShardedCollection.open")
            if os.listdir(root):
                raise _spindle.InvalidArgument(f"{root} is not empty and was not created by spindle.distributed "
                                               f"(no {MANIFEST}); refusing to create a sharded collection over it")
            made_root = False
        else:
            os.makedirs(root)
            made_root = True
        manifest = {"format": FORMAT, "version": VERSION, "shards": shards, "hash": HASH,
                    "shard_dirs": [_shard_dir(i) for i in range(shards)], "vectors": _vectors_cfg(vectors),
                    "payload_indexes": dict(payload_indexes or {}), "segments": segments}
        self = cls(client, root, manifest, vocab)
        self.auto_reopen = auto_reopen
        spec = {"vectors": manifest["vectors"], "payload_indexes": manifest["payload_indexes"], "segments": segments}
        try:
            placement = self._placement(workers, range(shards))
            for i in range(shards):
                self._start(i, placement[i], create=spec)
            self._wait_started(range(shards))
            _write_manifest(root, manifest)
        except BaseException:
            self._release_all()
            for d in manifest["shard_dirs"]:
                shutil.rmtree(os.path.join(root, d), ignore_errors=True)
            if made_root:
                shutil.rmtree(root, ignore_errors=True)
            raise
        return self

    @classmethod
    def open(cls, client, root: str, workers: list | None = None, vocab=None,
             auto_reopen: bool = False) -> "ShardedCollection":
        """Opens the sharded collection in ``root`` (its ``sharding.json``): one
        actor per shard takes the shard's lock and replays its log."""
        root = os.path.abspath(os.fspath(root))
        manifest = _read_manifest(root)
        # The shard directories are checked by the workers that open them
        # (with per-machine disks they are not on the client's machine).
        self = cls(client, root, manifest, vocab)
        self.auto_reopen = auto_reopen
        try:
            placement = self._placement(workers, range(self.shards))
            for i in range(self.shards):
                self._start(i, placement[i])
            self._wait_started(range(self.shards))
        except BaseException:
            self._release_all()
            raise
        return self

    def _live_workers(self) -> list:
        return sorted(self.client.scheduler_info()["workers"])

    def _placement(self, workers, numbers, exclude=()) -> dict:
        live = [w for w in self._live_workers() if w not in exclude]
        pool = list(workers) if workers else live
        if not pool:
            raise _spindle.Error("the Dask cluster has no live worker to own a shard"
                                 + (f" (lost: {sorted(set(exclude))})" if exclude else ""))
        for w in pool:
            if w not in live:
                raise _spindle.InvalidArgument(f"worker {w} is not a live worker of the cluster (live: {live})")
        # Fewest shards first, then the pool's order.
        load = {w: 0 for w in pool}
        for i, w in enumerate(self._workers):
            if w in load and i not in numbers and self._alive(i):
                load[w] += 1
        out = {}
        for i in numbers:
            w = min(pool, key=lambda x: (load[x], pool.index(x)))
            out[i] = w
            load[w] += 1
        return out

    def _start(self, i: int, worker: str, create: dict | None = None) -> None:
        path = os.path.join(self.root, self.manifest["shard_dirs"][i])
        key = f"spindle-shard-{i:04d}-{uuid.uuid4().hex[:12]}"
        self._futures[i] = self.client.submit(_ShardActor, path, i, create, self.vocab, actor=True,
                                              workers=[worker], allow_other_workers=False, key=key, pure=False)
        self._workers[i] = worker
        self._actors[i] = None
        self._lost.discard(i)

    def _wait_started(self, numbers) -> None:
        errors = []
        for i in numbers:
            try:
                self._actors[i] = self._futures[i].result(timeout=self.start_timeout)
            except Exception as e:  # noqa: BLE001 - reported with the shard's name below
                errors.append((i, e))
        if errors:
            i, e = errors[0]
            msg = f"shard {i} ({self._shard_path(i)}) could not be opened on worker {self._workers[i]}: {e}"
            if isinstance(e, _spindle.Error):
                raise type(e)(msg) from e
            raise _spindle.Error(msg) from e

    def _shard_path(self, i: int) -> str:
        return os.path.join(self.root, self.manifest["shard_dirs"][i])

    def _alive(self, i: int) -> bool:
        f = self._futures[i]
        return (f is not None and self._actors[i] is not None and f.status == "finished"
                and i not in self._lost)

    def dead_shards(self) -> list:
        """Shards whose actor is gone (its worker died)."""
        return [i for i in range(self.shards) if not self._alive(i)]

    def reopen(self, shards=None, workers: list | None = None) -> list:
        """Re-creates the actors of dead shards (or of ``shards``) on live
        workers (``workers``, default any): each reopens its collection from
        disk, replaying the log (every acknowledged write). Returns the
        shards reopened."""
        todo = self.dead_shards() if shards is None else list(shards)
        lost = {self._workers[i] for i in todo if not self._alive(i) and self._workers[i] is not None}
        for i in todo:
            if self._alive(i):
                self._close_shard(i)
        for i in todo:
            if self._futures[i] is not None:
                self.client.cancel([self._futures[i]])
                self._futures[i] = None
        if not todo:
            return []
        placement = self._placement(workers, todo, exclude=lost)
        for i in todo:
            self._start(i, placement[i])
        self._wait_started(todo)
        return todo

    def _close_shard(self, i: int) -> None:
        try:
            self._actors[i].close().result()
        except Exception:  # noqa: BLE001 - a dead worker leaves nothing to close
            pass

    def _release_all(self) -> None:
        futs = [f for f in self._futures if f is not None]
        if futs:
            self.client.cancel(futs)
        self._futures = [None] * self.shards
        self._actors = [None] * self.shards

    def close(self) -> None:
        """Closes every live shard (pending merges finish) and releases the actors. Idempotent."""
        if self._closed:
            return
        calls = [(i, self._actors[i].close()) for i in range(self.shards) if self._alive(i)]
        for _, f in calls:
            try:
                f.result()
            except Exception:  # noqa: BLE001 - a worker lost while closing
                pass
        self._release_all()
        self._closed = True

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    def __repr__(self):
        return f"ShardedCollection({self.root!r}, shards={self.shards}, dead={self.dead_shards()})"

    def workers(self) -> dict:
        """``{shard: worker address}`` of the shards' actors."""
        return {i: self._workers[i] for i in range(self.shards)}

    # -- fan-out machinery -------------------------------------------------------
    def _unavailable(self, missing, what: str, acknowledged=(), slow=()):
        lost = [i for i in missing if i not in slow]
        parts = []
        if lost:
            names = ", ".join(f"shard {i} ({self._shard_path(i)}, worker {self._workers[i]})" for i in lost)
            parts.append(f"{names} unavailable: the worker holding it was lost; reopen it with "
                         "ShardedCollection.reopen() (the log replays acknowledged writes)")
        if slow:
            names = ", ".join(f"shard {i} ({self._shard_path(i)}, worker {self._workers[i]})" for i in sorted(slow))
            parts.append(f"{names} did not answer within {self.timeout} s (timeout)")
        return ShardUnavailable(f"{what}: " + "; ".join(parts), missing, acknowledged)

    def _check_open(self):
        if self._closed:
            raise _spindle.InvalidArgument(f"sharded collection {self.root} is closed")

    def _fan(self, calls: dict, what: str, allow_partial: bool = False, retry: bool = True):
        """Runs ``{key: (shard, method, args)}`` concurrently; returns
        ``({key: result}, missing shards)``. A dead shard raises
        ShardUnavailable unless ``allow_partial``; with ``auto_reopen`` (and
        not ``allow_partial``) dead shards are reopened and their calls run
        once more (writes by id and by filter are idempotent)."""
        self._check_open()
        pending = {}
        missing = set()
        slow = set()
        for key, (i, method, args) in calls.items():
            if not self._alive(i):
                missing.add(i)
                continue
            try:
                pending[key] = (i, getattr(self._actors[i], method)(*args))
            except ValueError:  # "Worker holding Actor was lost"
                missing.add(i)
        results = {}
        error = None
        outcomes = self._gather([fut for _, fut in pending.values()], [i for i, _ in pending.values()])
        for (key, (i, _)), out in zip(pending.items(), outcomes):
            if isinstance(out, _Slow):
                missing.add(i)
                slow.add(i)
                continue
            try:
                if isinstance(out, BaseException):
                    raise out
                results[key] = out
            except _spindle.Error as e:  # IoError is an OSError too: a shard's own error
                if error is None:
                    error = (i, e)
            except OSError:  # "Unable to contact Actor's worker"
                missing.add(i)
                self._lost.add(i)
            except Exception as e:  # noqa: BLE001 - the first shard error is raised after all answered
                if error is None:
                    error = (i, e)
        if error is not None:
            i, e = error
            if isinstance(e, _spindle.Error):
                raise type(e)(f"shard {i}: {e}") from e
            raise e
        dead = missing - slow  # a slow shard is alive and holds its lock: never reopened
        if dead and self.auto_reopen and retry and not allow_partial:
            self.reopen(sorted(dead))
            more, again = self._fan({k: c for k, c in calls.items() if c[0] in dead}, what, retry=False)
            results.update(more)
            missing = again | slow
        if missing and not allow_partial:
            done = sorted({calls[k][0] for k in results})
            raise self._unavailable(sorted(missing), what, done, slow)
        return results, missing

    def _gather(self, futs: list, shards: list | None = None) -> list:
        """The outcomes (results or exceptions) of actor calls, awaited
        together on the client's event loop: one hand-over between this
        thread and the loop for the whole fan-out, not one per shard.

        A call still running is checked every 0.2 s against its shard's
        actor future: once the scheduler has seen the worker die the call is
        abandoned as lost (a call caught in Dask's connect retries would
        otherwise wait out the 30 s connect timeout); past ``timeout`` it
        counts as slow."""
        if not futs:
            return []
        import asyncio
        shards = shards if shards is not None else [None] * len(futs)

        async def one(f, i):
            task = asyncio.ensure_future(f)  # an ActorFuture is awaitable on the client's loop
            t0 = time.monotonic()
            while True:
                done, _ = await asyncio.wait({task}, timeout=0.2)
                if done:
                    return task.result()
                if i is not None and self._futures[i] is not None and self._futures[i].status != "finished":
                    task.cancel()
                    return OSError(f"the worker of shard {i} was lost during the call")
                if self.timeout is not None and time.monotonic() - t0 > self.timeout:
                    task.cancel()
                    return _Slow()

        async def all_of():
            return await asyncio.gather(*(one(f, i) for f, i in zip(futs, shards)), return_exceptions=True)
        if getattr(self.client, "asynchronous", False) or not hasattr(futs[0], "__await__"):
            out = []
            for f in futs:
                try:
                    out.append(f.result())
                except Exception as e:  # noqa: BLE001 - returned as the outcome
                    out.append(e)
            return out
        return self.client.sync(all_of)

    def _route_groups(self, ids: list) -> list:
        groups = [[] for _ in range(self.shards)]
        for n, pid in enumerate(ids):
            groups[route(pid, self.shards)].append(n)
        return groups

    # -- writes ----------------------------------------------------------------
    def upsert(self, ids, vectors, payloads=None, wait: bool = True) -> ShardedWriteResult:
        """Adds or replaces points: each goes to its hash shard, the shards
        write in parallel. Atomic per shard (a bad point applies nothing on
        its shard); returns once every shard acknowledged (durably with
        ``wait=True``). ShardUnavailable if a shard is dead (its ``acknowledged``
        shards applied their part; retry after ``reopen``)."""
        ids = _ids_list(ids)
        if payloads is not None:
            payloads = list(payloads)
            if len(payloads) != len(ids):
                raise _spindle.InvalidArgument(f"upsert: {len(ids)} ids but {len(payloads)} payloads")
        groups = self._route_groups(ids)
        parts = _split_vectors(vectors, groups)
        calls = {}
        for i, rows in enumerate(groups):
            if rows:
                pl = None if payloads is None else [payloads[r] for r in rows]
                calls[i] = (i, "upsert", ([ids[r] for r in rows], parts[i], pl, wait))
        results, _ = self._fan(calls, "upsert")
        return ShardedWriteResult(results)

    def delete(self, ids=None, filter: Any = None, wait: bool = True) -> ShardedWriteResult:
        """Deletes points by id (each from its shard) or by filter (every shard)."""
        if (ids is None) == (filter is None):
            raise _spindle.InvalidArgument("delete: give ids= or filter= (one of them)")
        calls = {}
        if ids is not None:
            ids = _ids_list(ids)
            for i, rows in enumerate(self._route_groups(ids)):
                if rows:
                    calls[i] = (i, "delete", ([ids[r] for r in rows], None, wait))
        else:
            f = filter if isinstance(filter, str) else json.dumps(filter)
            calls = {i: (i, "delete", (None, f, wait)) for i in range(self.shards)}
        results, _ = self._fan(calls, "delete")
        return ShardedWriteResult(results)

    def flush(self) -> None:
        self._fan({i: (i, "flush", ()) for i in range(self.shards)}, "flush")

    def optimize(self, max_segments: int = 1) -> None:
        """Merges every shard down to ``max_segments`` segments, in parallel."""
        self._fan({i: (i, "optimize", (max_segments,)) for i in range(self.shards)}, "optimize")

    def check(self) -> None:
        self._fan({i: (i, "check", ()) for i in range(self.shards)}, "check")

    def bulk_load(self, files: Iterable[str] | None = None, bag=None) -> int:
        """Loads a partitioned input into all shards in parallel: ``files``
        (JSONL, one ``{"id", "vector": {token: weight}}`` or ``{"id",
        "vectors": {name: {...}}}`` object per line, optional ``"payload"``;
        each file is one partition, read by a worker, so the paths must be
        readable there) and/or ``bag`` (a dask bag of such dicts). Each
        partition is split by shard in a task; each shard then loads its
        pieces on its own worker and flushes. Returns the points loaded."""
        self._check_open()
        dead = self.dead_shards()
        if dead:
            raise self._unavailable(dead, "bulk_load")
        n = self.shards
        parts = [self.client.submit(_split_file, os.path.abspath(os.fspath(path)), n, pure=False)
                 for path in files or ()]
        if bag is not None:
            if hasattr(bag, "to_bag"):  # a dask dataframe with columns id, vector(s), payload
                bag = bag.to_bag(index=False, format="dict")
            rows = self.client.compute(bag.to_delayed())
            parts.extend(self.client.submit(_split_rows, r, n, pure=False) for r in rows)
        loads = []
        for i in range(n):
            pieces = [self.client.submit(_piece, p, i, pure=False) for p in parts]
            loads.append(self.client.submit(_load_into_shard, self._shard_path(i), *pieces, pure=False,
                                            workers=[self._workers[i]], allow_other_workers=False,
                                            key=f"spindle-load-{i:04d}-{uuid.uuid4().hex[:12]}"))
        total = 0
        errors = []
        for i, f in enumerate(loads):
            try:
                total += f.result()
            except Exception as e:  # noqa: BLE001
                errors.append((i, e))
        self.client.cancel(parts)
        if bag is not None:
            self.client.cancel(rows)
        if errors:
            i, e = errors[0]
            if not self._alive(i):
                raise self._unavailable([i], "bulk_load") from e
            if isinstance(e, _spindle.Error):
                raise type(e)(f"bulk_load, shard {i}: {e}") from e
            raise e
        return total

    # -- reads -----------------------------------------------------------------
    def search(self, query, k: int = 10, filter: Any = None, allow_partial: bool = False, offset: int = 0,
               with_payload: bool = False, **kwargs) -> ShardedHits:
        """The global top ``k`` for one query: every shard searches (exact or
        approximate as asked, ``filter`` applied per shard: ``exact``,
        ``algorithm``, ``query_cut``, ``heap_factor``, ``knn``,
        ``target_recall``, ``vector``, ``bmp_alpha``, ``score_threshold`` as
        ``Collection.search``), the top ``offset + k`` of each are merged.
        A dead shard raises ShardUnavailable naming it; with
        ``allow_partial=True`` the rest answer and the result is ``partial``."""
        if filter is not None and not isinstance(filter, str):
            filter = json.dumps(filter)
        kw = dict(kwargs, filter=filter, with_payload=with_payload)
        calls = {i: (i, "search", (query, k + offset, kw)) for i in range(self.shards)}
        results, missing = self._fan(calls, "search", allow_partial)
        merged = merge_top_k([r[0] for r in results.values()], k, offset)
        algorithm = next(iter(results.values()))[3] if results else None
        return ShardedHits(merged, with_payload, sum(r[1] for r in results.values()),
                           {i: r[2] for i, r in results.items()}, algorithm, missing)

    def search_batch(self, queries, k: int = 10, filter: Any = None, allow_partial: bool = False,
                     batch_size: int = _BATCH_QUERIES, offset: int = 0, dtype: str = "float64",
                     **kwargs) -> ShardedBatch:
        """Searches many queries: the batch is cut into chunks of
        ``batch_size``, every (chunk, shard) call is submitted at once (the
        shards work concurrently, each on its chunks in turn), then the
        results are gathered and merged. Returns ``(ids, scores)`` arrays as
        ``Collection.search_batch`` (a ShardedBatch, with ``partial``)."""
        import numpy as np
        if dtype not in ("float64", "float32"):
            raise _spindle.InvalidArgument(f"dtype must be 'float64' or 'float32', got {dtype!r}")
        if filter is not None and not isinstance(filter, str):
            filter = json.dumps(filter)
        sparse = is_sparse(queries)
        if sparse and getattr(queries, "format", None) != "csr":
            queries = queries.tocsr()
        nq = queries.shape[0] if sparse else len(queries)
        if not sparse:
            queries = list(queries)
        kw = dict(kwargs, filter=filter)
        chunks = [(a, min(a + batch_size, nq)) for a in range(0, nq, max(1, batch_size))]
        calls = {(c, i): (i, "search_batch", (queries[a:b], k + offset, kw))
                 for c, (a, b) in enumerate(chunks) for i in range(self.shards)}
        results, missing = self._fan(calls, "search_batch", allow_partial)
        rows: list = [None] * nq
        seconds = {}
        for c, (a, b) in enumerate(chunks):
            per_shard = [results[(c, i)][0] for i in range(self.shards) if (c, i) in results]
            for i in range(self.shards):
                if (c, i) in results:
                    seconds[i] = seconds.get(i, 0.0) + results[(c, i)][1]
            for q in range(b - a):
                rows[a + q] = merge_top_k([p[q] for p in per_shard], k, offset)
        strings = any(isinstance(h[0], str) for r in rows for h in r)
        ids = np.full((nq, k), None if strings else -1, dtype=object if strings else np.int64)
        scores = np.full((nq, k), -np.inf, dtype=np.float32 if dtype == "float32" else np.float64)
        for q, r in enumerate(rows):
            for j, (pid, s) in enumerate(r):
                ids[q, j] = pid
                scores[q, j] = s
        return ShardedBatch(ids, scores, missing, seconds)

    def count(self, filter: Any = None, allow_partial: bool = False) -> int:
        """Live points (matching ``filter``) summed over the shards."""
        if filter is not None and not isinstance(filter, str):
            filter = json.dumps(filter)
        results, _ = self._fan({i: (i, "count", (filter,)) for i in range(self.shards)}, "count", allow_partial)
        return sum(results.values())

    def get(self, ids, with_vectors: bool = True) -> list:
        """Points by id from their shards, in the order asked (``None`` where absent)."""
        ids = _ids_list(ids)
        groups = self._route_groups(ids)
        calls = {i: (i, "get", ([ids[r] for r in rows], with_vectors)) for i, rows in enumerate(groups) if rows}
        results, _ = self._fan(calls, "get")
        out: list = [None] * len(ids)
        for i, got in results.items():
            for r, p in zip(groups[i], got):
                out[r] = p
        return out

    def scroll(self, from_id=None, limit: int = 100, with_vectors: bool = False) -> list:
        """Live points in the collection's id order from ``from_id``, at most ``limit``."""
        calls = {i: (i, "scroll", (from_id, limit, with_vectors)) for i in range(self.shards)}
        results, _ = self._fan(calls, "scroll")
        return heapq.nsmallest(limit, (p for got in results.values() for p in got),
                               key=lambda p: id_order_key(p["id"]))

    def info(self, allow_partial: bool = False) -> dict:
        """``{"shards": [per shard: shard, worker, path, points, segments, bytes,
        memory_docs, wal_bytes, next_lsn, ...], "points", "segments", "bytes",
        "missing_shards"}``."""
        results, missing = self._fan({i: (i, "info", ()) for i in range(self.shards)}, "info", allow_partial)
        shards = []
        for i in sorted(results):
            d = results[i]
            d["shard"] = i
            d["worker"] = self._workers[i]
            d["num_segments"] = len(d["segments"])
            shards.append(d)
        return {"root": self.root, "shards": shards, "points": sum(d["points"] for d in shards),
                "segments": sum(d["num_segments"] for d in shards), "bytes": sum(d["bytes"] for d in shards),
                "missing_shards": sorted(missing), "hash": HASH, "num_shards": self.shards}
