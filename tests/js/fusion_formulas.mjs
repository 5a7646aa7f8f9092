// Shared by the hybrid JavaScript tests: Qdrant's fusion formulas computed
// independently of spindle, over lists of {id, s} ranked best first, and a
// check of a client's result points against such a fused ranking.
import assert from 'node:assert/strict';

import { close } from './spindle_server.mjs';

// A map id -> fused score as a ranking: score descending, then id ascending.
export function ordered(m) {
    return [...m].map(([id, s]) => ({ id, s })).sort((x, y) => y.s - x.s || x.id - y.id);
}

// Qdrant's RRF: sum of 1 / ((rank + 1) / w + k - 1), ranks from 0 (k = 2).
export function rrf(lists, k = 2, weights = lists.map(() => 1)) {
    const m = new Map();
    lists.forEach((l, i) => l.forEach((e, r) => m.set(e.id, (m.get(e.id) ?? 0) + 1 / ((r + 1) / weights[i] + k - 1))));
    return ordered(m);
}

// Qdrant's DBSF: (s - (mean - 3 sd)) / (6 sd), sample sd; 0.5 for one hit or no spread.
export function dbsf(lists) {
    const m = new Map();
    for (const l of lists) {
        const n = l.length;
        const mean = l.reduce((a, e) => a + e.s, 0) / n;
        const sd = n > 1 ? Math.sqrt(l.reduce((a, e) => a + (e.s - mean) ** 2, 0) / (n - 1)) : 0;
        for (const e of l) m.set(e.id, (m.get(e.id) ?? 0) + (sd === 0 ? 0.5 : (e.s - mean + 3 * sd) / (6 * sd)));
    }
    return ordered(m);
}

// Fused scores tie more often than raw ones: compare ranks and scores, with
// the id order only enforced between scores that differ beyond rounding.
export function check(got, all, limit, what) {
    const want = all.slice(0, limit);
    assert.equal(got.length, want.length, `${what}: ${got.length} results, expected ${want.length}`);
    for (let i = 0; i < want.length; ++i) {
        assert.ok(close(got[i].score, want[i].s), `${what}: rank ${i} score ${got[i].score}, expected ${want[i].s}`);
        const tied = all.filter((e) => close(e.s, want[i].s)).map((e) => e.id);
        assert.ok(tied.includes(got[i].id), `${what}: rank ${i} is ${got[i].id}, expected one of ${tied}`);
    }
    assert.equal(new Set(got.map((p) => p.id)).size, got.length, `${what}: a point twice`);
}
