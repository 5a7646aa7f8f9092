// Qdrant's own JavaScript client (@qdrant/js-client-rest 1.18.0) against
// `spindle serve`: every result is checked against a brute-force computation
// over the points the test upserted. The server binary: env SPINDLE_BIN
// (default build/tools/spindle, relative to the repository root).
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { QdrantClient } from '@qdrant/js-client-rest';

import { rng, close, startServer, stopServer } from './spindle_server.mjs';

const KEY = 'test-key-123';
const N = 10_000;
const DIMS = 2_000;
const COLL = 'docs';
const TAGS = ['red', 'green', 'blue'];

const rand = rng(42);
function sparse(nnzMin, nnzMax) {
    const nnz = nnzMin + Math.floor(rand() * (nnzMax - nnzMin + 1));
    const dims = new Set();
    // Skewed dimensions (low ones are common), as in learned sparse vectors.
    while (dims.size < nnz) dims.add(Math.floor(DIMS * rand() * rand()));
    const indices = [...dims].sort((x, y) => x - y);
    // Weights exactly representable in float32 (k / 64), some integral (sent as integers).
    const values = indices.map(() => Math.max(1, Math.floor(rand() * 256)) / 64);
    return { indices, values };
}

const points = new Map();  // id -> {vec: Map(dim -> w), payload}
function makePoint(id) {
    const v = sparse(5, 40);
    const payload = { tag: TAGS[id % 3], n: id, group: id % 10 };
    points.set(id, { vec: new Map(v.indices.map((d, i) => [d, v.values[i]])), payload });
    return { id, vector: { text: v }, payload };
}
const allPoints = [];
for (let id = 1; id <= N; ++id) allPoints.push(makePoint(id));
const queries = [];
for (let i = 0; i < 30; ++i) queries.push(sparse(3, 12));

function score(q, vec) {
    let s = 0;
    for (let i = 0; i < q.indices.length; ++i) s += q.values[i] * (vec.get(q.indices[i]) ?? 0);
    return s;
}
const matches = {
    none: () => true,
    red: (p) => p.payload.tag === 'red',
    range: (p) => p.payload.n >= 2000 && p.payload.n < 6000,
    redOrBlueLow: (p) => (p.payload.tag === 'red' || p.payload.tag === 'blue') && p.payload.n < 5000,
};
const filters = {
    none: undefined,
    red: { must: [{ key: 'tag', match: { value: 'red' } }] },
    range: { must: [{ key: 'n', range: { gte: 2000, lt: 6000 } }] },
    redOrBlueLow: { must: [{ key: 'tag', match: { any: ['red', 'blue'] } }, { key: 'n', range: { lt: 5000 } }] },
};

// The exact top-k under a filter: (score desc, id asc), positive scores only.
function bruteTop(q, k, pred) {
    const all = [];
    for (const [id, p] of points) {
        if (!pred(p)) continue;
        const s = score(q, p.vec);
        if (s > 0) all.push({ id, s });
    }
    all.sort((x, y) => y.s - x.s || x.id - y.id);
    return all.slice(0, k);
}
// Checks one result list against brute force: same length, every point
// allowed with its true score, ranked by score, and none better left out.
function checkResult(got, q, k, pred, what) {
    const want = bruteTop(q, k, pred);
    assert.equal(got.length, want.length, `${what}: ${got.length} results, expected ${want.length}`);
    const seen = new Set();
    for (let i = 0; i < got.length; ++i) {
        const r = got[i];
        const p = points.get(r.id);
        assert.ok(p, `${what}: result ${r.id} is not a live point`);
        assert.ok(pred(p), `${what}: result ${r.id} does not match the filter`);
        assert.ok(!seen.has(r.id), `${what}: ${r.id} twice`);
        seen.add(r.id);
        const truth = score(q, p.vec);
        assert.ok(close(r.score, truth), `${what}: score of ${r.id} is ${r.score}, brute force ${truth}`);
        assert.ok(close(truth, want[i].s), `${what}: rank ${i} has score ${truth}, brute force ${want[i].s}`);
        if (i > 0) assert.ok(r.score <= got[i - 1].score + 1e-9, `${what}: not sorted at ${i}`);
    }
}

let srv;
let client;
let port;

before(async () => {
    srv = await startServer(KEY, 'spindle-js-');
    port = srv.port;
    client = new QdrantClient({ url: `http://127.0.0.1:${port}`, apiKey: KEY, checkCompatibility: false });
});

after(async () => {
    await stopServer(srv);
});

test('the Qdrant client against spindle serve', async (t) => {
    await t.test('version and collection lifecycle', async () => {
        const v = await client.versionInfo();
        assert.equal(v.version, '1.18.0');
        assert.equal((await client.collectionExists(COLL)).exists, false);
        assert.equal(await client.createCollection(COLL, { sparse_vectors: { text: { index: { datatype: 'float32' } } } }), true);
        assert.equal((await client.collectionExists(COLL)).exists, true);
        const r = await client.createPayloadIndex(COLL, { field_name: 'tag', field_schema: 'keyword', wait: true });
        assert.equal(r.status, 'completed');
        await client.createPayloadIndex(COLL, { field_name: 'n', field_schema: 'integer', wait: true });
        const { collections } = await client.getCollections();
        assert.deepEqual(collections.map((c) => c.name), [COLL]);
    });

    await t.test('upsert 10,000 points in batches (points and batch forms)', async () => {
        const B = 500;
        for (let i = 0; i < allPoints.length; i += B) {
            const chunk = allPoints.slice(i, i + B);
            let r;
            if ((i / B) % 2 === 0) {
                r = await client.upsert(COLL, { wait: true, points: chunk });
            } else {
                r = await client.upsert(COLL, {
                    wait: true,
                    batch: { ids: chunk.map((p) => p.id), vectors: { text: chunk.map((p) => p.vector.text) }, payloads: chunk.map((p) => p.payload) },
                });
            }
            assert.equal(r.status, 'completed');
        }
        assert.equal((await client.count(COLL, { exact: true })).count, N);
        const info = await client.getCollection(COLL);
        assert.equal(info.points_count, N);
        assert.equal(info.payload_schema.tag.data_type, 'keyword');
    });

    await t.test('query with and without filters matches brute force', async () => {
        for (const [name, filter] of Object.entries(filters)) {
            for (let i = 0; i < queries.length; ++i) {
                const k = 1 + (i % 3) * 7;
                const res = await client.query(COLL, { query: queries[i], using: 'text', filter, limit: k, with_payload: true });
                checkResult(res.points, queries[i], k, matches[name], `query ${i} filter ${name}`);
                for (const p of res.points) assert.deepEqual(p.payload, points.get(p.id).payload);
            }
        }
        // offset, score_threshold and spindle's own knobs
        const q = queries[0];
        const full = bruteTop(q, 20, matches.none);
        const off = await client.query(COLL, { query: q, using: 'text', limit: 10, offset: 10 });
        assert.equal(off.points.length, 10);
        for (let i = 0; i < off.points.length; ++i) {
            assert.ok(close(off.points[i].score, full[10 + i].s), `offset: rank ${10 + i}`);
            assert.ok(close(score(q, points.get(off.points[i].id).vec), full[10 + i].s), `offset: true score at ${10 + i}`);
        }
        const thr = full[5].s;
        const above = await client.query(COLL, { query: q, using: 'text', limit: 100, score_threshold: thr });
        assert.ok(above.points.every((p) => p.score >= thr - 1e-9));
        assert.equal(above.points.length, bruteTop(q, 100, matches.none).filter((x) => x.s >= thr - 1e-6).length);
        for (const algorithm of ['exhaustive', 'maxscore', 'bmw', 'bmp']) {
            const r = await client.query(COLL, { query: q, using: 'text', limit: 10, params: { algorithm, exact: true } });
            checkResult(r.points, q, 10, matches.none, `algorithm ${algorithm}`);
        }
    });

    await t.test('query/batch and legacy search', async () => {
        const searches = queries.slice(0, 10).map((q, i) => ({ query: q, using: 'text', limit: 5, filter: i % 2 ? filters.red : undefined }));
        const res = await client.queryBatch(COLL, { searches });
        assert.equal(res.length, 10);
        res.forEach((r, i) => checkResult(r.points, queries[i], 5, i % 2 ? matches.red : matches.none, `batch ${i}`));
        const s = await client.search(COLL, { vector: { name: 'text', vector: queries[3] }, limit: 7, filter: filters.range });
        checkResult(s, queries[3], 7, matches.range, 'search');
    });

    await t.test('count, scroll and retrieve', async () => {
        for (const [name, filter] of Object.entries(filters)) {
            const want = [...points.values()].filter(matches[name]).length;
            assert.equal((await client.count(COLL, { filter, exact: true })).count, want, `count ${name}`);
        }
        const ids = [];
        let offset;
        do {
            const page = await client.scroll(COLL, { filter: filters.redOrBlueLow, limit: 700, offset, with_payload: false });
            for (const p of page.points) ids.push(p.id);
            offset = page.next_page_offset ?? undefined;
        } while (offset !== undefined);
        const want = [...points.entries()].filter(([, p]) => matches.redOrBlueLow(p)).map(([id]) => id).sort((a, b) => a - b);
        assert.deepEqual(ids, want);
        const got = await client.retrieve(COLL, { ids: [5, 77, 9_999, 123_456], with_payload: true, with_vector: true });
        assert.deepEqual(got.map((p) => p.id).sort((a, b) => a - b), [5, 77, 9_999]);
        for (const p of got) {
            const mine = points.get(p.id);
            assert.deepEqual(p.payload, mine.payload);
            const v = p.vector.text;
            assert.deepEqual(v.indices, [...mine.vec.keys()].sort((a, b) => a - b));
            v.indices.forEach((d, i) => assert.ok(close(v.values[i], mine.vec.get(d))));
        }
    });

    await t.test('delete by id and by filter', async () => {
        const gone = [];
        for (let id = 1; id <= N; id += 37) gone.push(id);
        await client.delete(COLL, { wait: true, points: gone });
        for (const id of gone) points.delete(id);
        const f = { must: [{ key: 'tag', match: { value: 'blue' } }, { key: 'n', range: { lt: 3000 } }] };
        await client.delete(COLL, { wait: true, filter: f });
        for (const [id, p] of [...points]) if (p.payload.tag === 'blue' && p.payload.n < 3000) points.delete(id);
        assert.equal((await client.count(COLL, {})).count, points.size);
        for (let i = 0; i < 10; ++i) {
            const res = await client.query(COLL, { query: queries[i], using: 'text', limit: 10, filter: i % 2 ? filters.range : undefined });
            checkResult(res.points, queries[i], 10, i % 2 ? matches.range : matches.none, `after delete ${i}`);
        }
        assert.deepEqual(await client.retrieve(COLL, { ids: gone.slice(0, 5) }), []);
    });

    await t.test('error paths', async () => {
        await assert.rejects(client.getCollection('nope'), (e) => {
            assert.equal(e.status, 404);
            assert.equal(e.data.status.error, 'Not found: Collection `nope` doesn\'t exist!');
            return true;
        });
        await assert.rejects(client.query(COLL, { query: { indices: [1], values: [1] }, using: 'missing' }), (e) => e.status === 400);
        const wrong = new QdrantClient({ url: `http://127.0.0.1:${port}`, apiKey: 'wrong', checkCompatibility: false });
        await assert.rejects(wrong.getCollections(), (e) => e.status === 401);
        const none = new QdrantClient({ url: `http://127.0.0.1:${port}`, checkCompatibility: false });
        await assert.rejects(none.count(COLL, {}), (e) => e.status === 401);
    });

    await t.test('delete the collection', async () => {
        assert.equal(await client.deleteCollection(COLL), true);
        assert.equal((await client.collectionExists(COLL)).exists, false);
    });
});
