// Hybrid queries through Qdrant's own JavaScript client (@qdrant/js-client-rest
// 1.18.0) against `spindle serve`: a collection with two named sparse vectors
// (a BM25-like "lexical" one and a SPLADE-like "learned" one), prefetch +
// fusion (rrf, weighted rrf, dbsf), re-scoring and nested prefetches, each
// checked against the formula computed here from brute-force per-list
// rankings. The server binary: env SPINDLE_BIN (default build/tools/spindle).
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { QdrantClient } from '@qdrant/js-client-rest';

import { rng, startServer, stopServer } from './spindle_server.mjs';
import { check, dbsf, rrf } from './fusion_formulas.mjs';

const KEY = 'hybrid-key';
const COLL = 'hybrid';
const N = 2_000;
const DIMS = 300;
const VECTORS = ['lexical', 'learned'];

const rand = rng(7);
function sparse(nnzMin, nnzMax) {
    const nnz = nnzMin + Math.floor(rand() * (nnzMax - nnzMin + 1));
    const dims = new Set();
    while (dims.size < nnz) dims.add(Math.floor(DIMS * rand() * rand()));
    const indices = [...dims].sort((x, y) => x - y);
    // k / 64: exact in float32, so the server's scores equal the ones here.
    const values = indices.map(() => Math.max(1, Math.floor(rand() * 256)) / 64);
    return { indices, values };
}

const points = new Map();  // id -> {name -> Map(dim -> w)}, payload
const upserts = [];
for (let id = 1; id <= N; ++id) {
    const vector = {};
    const vecs = {};
    for (const name of VECTORS) {
        if (rand() < 0.1) continue;  // some points leave a vector out
        const v = sparse(3, 20);
        vector[name] = v;
        vecs[name] = new Map(v.indices.map((d, i) => [d, v.values[i]]));
    }
    const payload = { half: id % 2 === 0 ? 'even' : 'odd' };
    points.set(id, { vecs, payload });
    upserts.push({ id, vector, payload });
}

function score(q, vec) {
    let s = 0;
    for (let i = 0; i < q.indices.length; ++i) s += q.values[i] * (vec.get(q.indices[i]) ?? 0);
    return s;
}
// One vector's exact ranking: (score desc, id asc), positive scores only.
function ranking(name, q, limit, pred = () => true) {
    const all = [];
    for (const [id, p] of points) {
        const v = p.vecs[name];
        if (!v || !pred(p)) continue;
        const s = score(q, v);
        if (s > 0) all.push({ id, s });
    }
    all.sort((x, y) => y.s - x.s || x.id - y.id);
    return all.slice(0, limit);
}

let srv;
let client;

before(async () => {
    srv = await startServer(KEY, 'spindle-hybrid-');
    client = new QdrantClient({ url: `http://127.0.0.1:${srv.port}`, apiKey: KEY, checkCompatibility: false });
});

after(async () => {
    await stopServer(srv);
});

test('hybrid queries through the Qdrant client', async (t) => {
    const queries = [];
    for (let i = 0; i < 12; ++i) queries.push({ lexical: sparse(2, 6), learned: sparse(4, 12) });

    await t.test('a collection with two named sparse vectors', async () => {
        const sparse_vectors = { lexical: { index: { datatype: 'float32' } }, learned: { index: { datatype: 'float32' } } };
        assert.equal(await client.createCollection(COLL, { sparse_vectors }), true);
        for (let i = 0; i < upserts.length; i += 500) {
            const r = await client.upsert(COLL, { wait: true, points: upserts.slice(i, i + 500) });
            assert.equal(r.status, 'completed');
        }
        assert.equal((await client.count(COLL, { exact: true })).count, N);
    });

    const prefetch = (q, la, lb, filter) => [
        { query: q.lexical, using: 'lexical', limit: la, ...(filter ? { filter } : {}) },
        { query: q.learned, using: 'learned', limit: lb, ...(filter ? { filter } : {}) },
    ];

    await t.test('prefetch + rrf equals the RRF of the brute-force rankings', async () => {
        for (const q of queries) {
            const r = await client.query(COLL, { prefetch: prefetch(q, 40, 30), query: { fusion: 'rrf' }, limit: 10 });
            check(r.points, rrf([ranking('lexical', q.lexical, 40), ranking('learned', q.learned, 30)]), 10, 'rrf');
        }
    });

    await t.test('rrf with k and weights, dbsf', async () => {
        for (const q of queries) {
            const lists = [ranking('lexical', q.lexical, 25), ranking('learned', q.learned, 25)];
            let r = await client.query(COLL, { prefetch: prefetch(q, 25, 25), query: { rrf: { k: 10, weights: [1, 3] } }, limit: 8 });
            check(r.points, rrf(lists, 10, [1, 3]), 8, 'weighted rrf');
            r = await client.query(COLL, { prefetch: prefetch(q, 25, 25), query: { fusion: 'dbsf' }, limit: 8, with_payload: true });
            check(r.points, dbsf(lists), 8, 'dbsf');
            for (const p of r.points) assert.deepEqual(p.payload, points.get(p.id).payload);
        }
    });

    await t.test('a root filter reaches the prefetches; offset', async () => {
        const even = (p) => p.payload.half === 'even';
        for (const q of queries.slice(0, 6)) {
            const lists = [ranking('lexical', q.lexical, 20, even), ranking('learned', q.learned, 20, even)];
            const r = await client.query(COLL, {
                prefetch: prefetch(q, 20, 20), query: { fusion: 'rrf' }, limit: 5, offset: 3,
                filter: { must: [{ key: 'half', match: { value: 'even' } }] },
            });
            check(r.points, rrf(lists).slice(3), 5, 'filtered rrf');
        }
    });

    await t.test('re-scoring and nested prefetches; the batch endpoint', async () => {
        const searches = [];
        const wants = [];
        for (const q of queries.slice(0, 6)) {
            // Candidates by the lexical vector, ranked by the learned one.
            const cands = new Set(ranking('lexical', q.lexical, 50).map((e) => e.id));
            const rescored = ranking('learned', q.learned, N).filter((e) => cands.has(e.id));
            const r = await client.query(COLL, { prefetch: { query: q.lexical, using: 'lexical', limit: 50 }, query: q.learned, using: 'learned', limit: 10 });
            check(r.points, rescored, 10, 'rescore');
            // dbsf over (rrf of both, limit 15) and the learned list.
            const inner = rrf([ranking('lexical', q.lexical, 20), ranking('learned', q.learned, 20)]).slice(0, 15);
            searches.push({
                prefetch: [{ prefetch: prefetch(q, 20, 20), query: { fusion: 'rrf' }, limit: 15 },
                           { query: q.learned, using: 'learned', limit: 10 }],
                query: { fusion: 'dbsf' }, limit: 10,
            });
            wants.push(dbsf([inner, ranking('learned', q.learned, 10)]));
        }
        const batch = await client.queryBatch(COLL, { searches });
        assert.equal(batch.length, searches.length);
        batch.forEach((b, i) => check(b.points, wants[i], 10, `nested ${i}`));
    });

    await t.test('bad hybrid requests get 400 with the reason', async () => {
        const q = queries[0];
        await assert.rejects(client.query(COLL, { query: { fusion: 'rrf' } }), (e) => {
            assert.equal(e.status, 400);
            assert.match(JSON.stringify(e.data), /a fusion combines the results of prefetches/);
            return true;
        });
        await assert.rejects(client.query(COLL, { prefetch: prefetch(q, 5, 5), query: { rrf: { weights: [1] } } }), (e) => {
            assert.equal(e.status, 400);
            assert.match(JSON.stringify(e.data), /1 weights for 2 prefetch lists/);
            return true;
        });
    });
});
