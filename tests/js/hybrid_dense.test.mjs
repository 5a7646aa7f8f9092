// Hybrid dense + sparse through Qdrant's own JavaScript client
// (@qdrant/js-client-rest 1.18.0) against `spindle serve`: a collection with
// a named dense vector (Dot, 8 dimensions) beside a named sparse vector, each
// point holding both; prefetch (sparse, dense) + rrf / weighted rrf / dbsf,
// and dense re-scoring of sparse candidates, each checked against the formula
// computed here from brute-force per-list rankings. Values are multiples of
// 1/8 and 1/64 so float32 scores equal the ones computed here.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { QdrantClient } from '@qdrant/js-client-rest';

import { rng, startServer, stopServer } from './spindle_server.mjs';
import { check, dbsf, rrf } from './fusion_formulas.mjs';

const KEY = 'hybrid-dense-key';
const COLL = 'hybrid_dense';
const N = 1_500;
const DIM = 8;
const SPARSE_DIMS = 200;

const rand = rng(11);
function sparse(nnzMin, nnzMax) {
    const nnz = nnzMin + Math.floor(rand() * (nnzMax - nnzMin + 1));
    const dims = new Set();
    while (dims.size < nnz) dims.add(Math.floor(SPARSE_DIMS * rand() * rand()));
    const indices = [...dims].sort((x, y) => x - y);
    const values = indices.map(() => Math.max(1, Math.floor(rand() * 128)) / 64);
    return { indices, values };
}
function dense() { return Array.from({ length: DIM }, () => Math.floor(rand() * 17 - 8) / 8); }

const points = new Map();  // id -> {text: Map(dim -> w) | undefined, emb: number[] | undefined, payload}
const upserts = [];
for (let id = 1; id <= N; ++id) {
    const vector = {};
    const p = { payload: { tenant: id % 3 } };
    if (rand() >= 0.05) {
        const s = sparse(3, 15);
        vector.text = s;
        p.text = new Map(s.indices.map((d, i) => [d, s.values[i]]));
    }
    if (rand() >= 0.05) {
        p.emb = dense();
        vector.emb = p.emb;
    }
    points.set(id, p);
    upserts.push({ id, vector, payload: p.payload });
}

function sparseScore(q, v) {
    let s = 0;
    for (let i = 0; i < q.indices.length; ++i) s += q.values[i] * (v.get(q.indices[i]) ?? 0);
    return s;
}
const dot = (a, b) => a.reduce((s, x, i) => s + x * b[i], 0);
// Exact rankings (score desc, id asc): sparse keeps positive scores only
// (a point sharing no dimension is no hit), dense every point holding it.
function sparseRanking(q, limit, pred = () => true) {
    const all = [];
    for (const [id, p] of points) {
        if (!p.text || !pred(p)) continue;
        const s = sparseScore(q, p.text);
        if (s > 0) all.push({ id, s });
    }
    return all.sort((x, y) => y.s - x.s || x.id - y.id).slice(0, limit);
}
function denseRanking(q, limit, pred = () => true) {
    const all = [];
    for (const [id, p] of points) if (p.emb && pred(p)) all.push({ id, s: dot(q, p.emb) });
    return all.sort((x, y) => y.s - x.s || x.id - y.id).slice(0, limit);
}

let srv;
let client;

before(async () => {
    srv = await startServer(KEY, 'spindle-hybrid-dense-');
    client = new QdrantClient({ url: `http://127.0.0.1:${srv.port}`, apiKey: KEY, checkCompatibility: false });
});

after(async () => {
    await stopServer(srv);
});

test('dense + sparse hybrid queries through the Qdrant client', async (t) => {
    const queries = [];
    for (let i = 0; i < 10; ++i) queries.push({ text: sparse(2, 6), emb: dense() });

    await t.test('a collection with a dense and a sparse vector, points holding both', async () => {
        assert.equal(await client.createCollection(COLL, {
            vectors: { emb: { size: DIM, distance: 'Dot' } },
            sparse_vectors: { text: {} },
        }), true);
        for (let i = 0; i < upserts.length; i += 500) {
            const r = await client.upsert(COLL, { wait: true, points: upserts.slice(i, i + 500) });
            assert.equal(r.status, 'completed');
        }
        assert.equal((await client.count(COLL, { exact: true })).count, N);
        const [p] = await client.retrieve(COLL, { ids: [upserts[0].id], with_vector: true });
        if (points.get(p.id).emb) assert.deepEqual(p.vector.emb, points.get(p.id).emb);
    });

    const prefetch = (q, ls, ld, filter) => [
        { query: q.text, using: 'text', limit: ls, ...(filter ? { filter } : {}) },
        { query: q.emb, using: 'emb', limit: ld, ...(filter ? { filter } : {}) },
    ];

    await t.test('dense search alone equals brute force', async () => {
        for (const q of queries) {
            const r = await client.query(COLL, { query: q.emb, using: 'emb', limit: 10, params: { exact: true } });
            check(r.points, denseRanking(q.emb, N), 10, 'dense');
        }
    });

    await t.test('prefetch (sparse, dense) + rrf equals the RRF of the brute-force rankings', async () => {
        for (const q of queries) {
            const r = await client.query(COLL, { prefetch: prefetch(q, 30, 30), query: { fusion: 'rrf' }, limit: 10 });
            check(r.points, rrf([sparseRanking(q.text, 30), denseRanking(q.emb, 30)]), 10, 'rrf');
        }
    });

    await t.test('weighted rrf and dbsf, under a filter', async () => {
        const filter = { must: [{ key: 'tenant', match: { value: 1 } }] };
        const pred = (p) => p.payload.tenant === 1;
        for (const q of queries.slice(0, 5)) {
            const lists = [sparseRanking(q.text, 20, pred), denseRanking(q.emb, 20, pred)];
            let r = await client.query(COLL, { prefetch: prefetch(q, 20, 20), query: { rrf: { weights: [2, 1] } }, limit: 8, filter });
            check(r.points, rrf(lists, 2, [2, 1]), 8, 'weighted rrf');
            r = await client.query(COLL, { prefetch: prefetch(q, 20, 20, filter), query: { fusion: 'dbsf' }, limit: 8 });
            check(r.points, dbsf(lists), 8, 'dbsf');
        }
    });

    await t.test('sparse candidates re-scored by the dense vector', async () => {
        for (const q of queries.slice(0, 5)) {
            const cands = new Set(sparseRanking(q.text, 40).map((e) => e.id));
            const want = denseRanking(q.emb, N).filter((e) => cands.has(e.id));
            const r = await client.query(COLL, { prefetch: { query: q.text, using: 'text', limit: 40 }, query: q.emb, using: 'emb', limit: 10 });
            check(r.points, want, 10, 'dense re-scoring');
        }
    });
});
