// Dense vectors through Qdrant's own JavaScript client (@qdrant/js-client-rest
// 1.18.0) against `spindle serve`: a collection with two named dense vectors
// (Cosine and Euclid) beside a sparse one, upserts, query with `using`,
// search with {name, vector}, hnsw_ef and exact, filters and with_vector,
// each checked against brute force over the points upserted.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { QdrantClient } from '@qdrant/js-client-rest';

import { rng, close, startServer, stopServer } from './spindle_server.mjs';

const KEY = 'dense-key-1';
const COLL = 'hybrid';
const N = 600;
const DIM = 16;
const rand = rng(7);
const gauss = () => Math.sqrt(-2 * Math.log(rand() + 1e-12)) * Math.cos(2 * Math.PI * rand());
const vec = () => Array.from({ length: DIM }, () => Math.round(gauss() * 1024) / 1024);
const norm = (v) => Math.sqrt(v.reduce((s, x) => s + x * x, 0));

const points = new Map();  // id -> {emb, pos, group}
const upserts = [];
for (let id = 1; id <= N; ++id) {
    const p = { emb: vec(), pos: vec(), group: id % 4 };
    points.set(id, p);
    upserts.push({ id, vector: { emb: p.emb, pos: p.pos, text: { indices: [id % 50], values: [1] } }, payload: { group: p.group } });
}

function brute(q, k, using, pred = () => true) {
    const all = [];
    for (const [id, p] of points) {
        if (!pred(p)) continue;
        if (using === 'emb') {
            const v = p.emb;
            const s = v.reduce((acc, x, i) => acc + x * q[i], 0) / (norm(v) * norm(q));
            all.push({ id, s });
        } else {
            const s = Math.sqrt(p.pos.reduce((acc, x, i) => acc + (x - q[i]) ** 2, 0));
            all.push({ id, s });
        }
    }
    all.sort(using === 'emb' ? (x, y) => y.s - x.s || x.id - y.id : (x, y) => x.s - y.s || x.id - y.id);
    return all.slice(0, k);
}

function check(got, want, what) {
    assert.equal(got.length, want.length, `${what}: ${got.length} results, expected ${want.length}`);
    for (let i = 0; i < got.length; ++i) {
        assert.ok(close(got[i].score, want[i].s), `${what}: rank ${i} score ${got[i].score}, brute force ${want[i].s}`);
    }
}

let srv;
let client;

before(async () => {
    srv = await startServer(KEY, 'spindle-js-dense-');
    client = new QdrantClient({ url: `http://127.0.0.1:${srv.port}`, apiKey: KEY, checkCompatibility: false });
});

after(async () => {
    await stopServer(srv);
});

test('dense vectors through the Qdrant client', async (t) => {
    await t.test('create and upsert', async () => {
        assert.equal(await client.createCollection(COLL, {
            vectors: { emb: { size: DIM, distance: 'Cosine' }, pos: { size: DIM, distance: 'Euclid', datatype: 'float32' } },
            sparse_vectors: { text: {} },
        }), true);
        await client.createPayloadIndex(COLL, { field_name: 'group', field_schema: 'integer', wait: true });
        for (let i = 0; i < upserts.length; i += 200) {
            const r = await client.upsert(COLL, { wait: true, points: upserts.slice(i, i + 200) });
            assert.equal(r.status, 'completed');
        }
        const info = await client.getCollection(COLL);
        assert.equal(info.points_count, N);
        assert.equal(info.config.params.vectors.emb.distance, 'Cosine');
    });

    await t.test('query and search against brute force', async () => {
        for (let i = 0; i < 10; ++i) {
            const q = vec();
            const r = await client.query(COLL, { query: q, using: 'emb', limit: 10, params: { hnsw_ef: 64 } });
            check(r.points, brute(q, 10, 'emb'), `query emb ${i}`);
            const e = await client.query(COLL, { query: q, using: 'pos', limit: 5, params: { exact: true },
                                                 filter: { must: [{ key: 'group', match: { value: 2 } }] } });
            check(e.points, brute(q, 5, 'pos', (p) => p.group === 2), `query pos filtered ${i}`);
            const s = await client.search(COLL, { vector: { name: 'emb', vector: q }, limit: 3 });
            check(s, brute(q, 3, 'emb'), `search emb ${i}`);
        }
    });

    await t.test('with_vector returns the stored (normalized) vectors', async () => {
        const [p] = await client.retrieve(COLL, { ids: [5], with_vector: ['emb', 'pos'] });
        const src = points.get(5);
        const n = norm(src.emb);
        p.vector.emb.forEach((x, i) => assert.ok(close(x, src.emb[i] / n)));
        assert.deepEqual(p.vector.pos, src.pos);
    });
});
