// The web console (GET /console) in headless Chromium, driven by
// playwright-core: load the page, enter the API key, run a sparse query with
// and without a filter, and check the rendered ids and scores against a
// brute-force computation; then take a screenshot. The server binary: env
// SPINDLE_BIN (default build/tools/spindle, relative to the repository root).
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, statSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { chromium } from 'playwright-core';

import { BIN, rng, close, startServer, stopServer } from './spindle_server.mjs';

const KEY = 'console-key-456';
const COLL = 'console_docs';
const TUNED = 'tuned_docs';

// A collection with approximate structures and a tuned setting, built by the
// CLI in the server's data directory before it starts (the server has no
// tune endpoint): generate, index --approx, tune.
function buildTuned(dataDir) {
    const work = mkdtempSync(path.join(tmpdir(), 'spindle-console-gen-'));
    const run = (args) => execFileSync(BIN, args, { stdio: ['ignore', 'ignore', 'pipe'] });
    try {
        run(['generate', '--docs', '4000', '--queries', '300', '--seed', '5', '--format', 'csr', '--output-dir', `${work}/c`, '-q']);
        run(['index', '--input', `${work}/c/docs.csr`, '--vocab', `${work}/c/vocab.txt`, '--output', `${dataDir}/${TUNED}`, '--approx', '-q']);
        run(['tune', '--index', `${dataDir}/${TUNED}`, '--queries', `${work}/c/queries.tsv`, '--target-recall', '0.9', '--runs', '1', '--force']);
    } finally {
        rmSync(work, { recursive: true, force: true });
    }
}
const TAGS = ['red', 'green', 'blue'];
const N = 60;

const rand = rng(7);
function sparse(nnz, dims) {
    const set = new Set();
    while (set.size < nnz) set.add(Math.floor(rand() * dims));
    const indices = [...set].sort((x, y) => x - y);
    return { indices, values: indices.map(() => Math.max(1, Math.floor(rand() * 256)) / 64) };
}
const points = [];
for (let id = 1; id <= N; ++id) points.push({ id, vector: { v: sparse(6, 40) }, payload: { tag: TAGS[id % 3], n: id } });
const query = sparse(5, 40);

function bruteTop(q, k, pred) {
    const all = [];
    for (const p of points) {
        if (!pred(p)) continue;
        const m = new Map(p.vector.v.indices.map((d, i) => [d, p.vector.v.values[i]]));
        let s = 0;
        for (let i = 0; i < q.indices.length; ++i) s += q.values[i] * (m.get(q.indices[i]) ?? 0);
        if (s > 0) all.push({ id: p.id, s });
    }
    all.sort((x, y) => y.s - x.s || x.id - y.id);
    return all.slice(0, k);
}

let srv;
let shotDir;
let base;
let browser;

async function api(method, p, body) {
    const res = await fetch(base + p, {
        method,
        headers: { 'api-key': KEY, 'content-type': 'application/json' },
        body: body === undefined ? undefined : JSON.stringify(body),
    });
    const data = await res.json();
    assert.equal(res.status, 200, `${method} ${p}: ${JSON.stringify(data)}`);
    return data.result;
}

before(async () => {
    // SPINDLE_CONSOLE_SHOT_DIR keeps the screenshot (console.png) there.
    shotDir = process.env.SPINDLE_CONSOLE_SHOT_DIR ?? mkdtempSync(path.join(tmpdir(), 'spindle-console-shot-'));
    srv = await startServer(KEY, 'spindle-console-', buildTuned);
    const { port } = srv;
    base = `http://127.0.0.1:${port}`;
    await api('PUT', `/collections/${COLL}`, { sparse_vectors: { v: {} } });
    await api('PUT', `/collections/${COLL}/index`, { field_name: 'tag', field_schema: 'keyword' });
    await api('PUT', `/collections/${COLL}/points?wait=true`, { points });
    browser = await chromium.launch({ executablePath: '/usr/bin/chromium', args: ['--headless', '--no-sandbox'] });
});

after(async () => {
    if (browser) await browser.close();
    await stopServer(srv);
    if (shotDir && !process.env.SPINDLE_CONSOLE_SHOT_DIR) rmSync(shotDir, { recursive: true, force: true });
});

// The rendered result rows, once the page says the query is done.
async function results(page) {
    await page.waitForSelector('#results[data-state="done"], #results[data-state="error"]');
    const state = await page.getAttribute('#results', 'data-state');
    assert.equal(state, 'done', `query failed: ${await page.textContent('#error')}`);
    return page.$$eval('#results tbody tr', (rows) => rows.map((r) => ({
        id: Number(r.dataset.id), score: Number(r.dataset.score), payload: JSON.parse(r.cells[3].textContent || 'null'),
        shown: r.cells[2].textContent,
    })));
}

function check(got, want, what) {
    assert.equal(got.length, want.length, `${what}: ${got.length} rows, brute force has ${want.length}`);
    for (let i = 0; i < want.length; ++i) {
        assert.ok(close(got[i].score, want[i].s), `${what}: rank ${i} score ${got[i].score}, brute force ${want[i].s}`);
        // Ties may come in either order only when the scores are equal.
        if (got[i].id !== want[i].id) assert.ok(close(got[i].score, want.find((w) => w.id === got[i].id)?.s ?? NaN), `${what}: rank ${i} id ${got[i].id}`);
        assert.deepEqual(got[i].payload, points[got[i].id - 1].payload, `${what}: payload of ${got[i].id}`);
        assert.ok(got[i].shown.length > 0);
    }
}

test('the web console in headless Chromium', async () => {
    // The page itself needs no key; the API behind it does.
    const plain = await fetch(`${base}/console`);
    assert.equal(plain.status, 200);
    assert.match(plain.headers.get('content-type'), /^text\/html/);
    assert.equal((await fetch(`${base}/collections`)).status, 401);

    const page = await browser.newPage({ viewport: { width: 1200, height: 900 } });
    const pageErrors = [];
    page.on('pageerror', (e) => pageErrors.push(e.message));
    await page.goto(`${base}/console`);
    // Without the key the collection list fails with the server's 401 message.
    await page.waitForFunction(() => document.getElementById('error').textContent.includes('401'));
    await page.fill('#api-key', KEY);
    await page.click('#reload');
    await page.waitForSelector(`#collections tbody tr[data-name="${COLL}"]`);
    const row = await page.$$eval(`#collections tbody tr[data-name="${COLL}"] td`, (tds) => tds.map((td) => td.textContent));
    assert.equal(row[0], COLL);
    assert.equal(Number(row[2]), N, 'points column');
    assert.ok(Number(row[3]) >= 1, 'segments column');
    assert.match(row[5], /^v \(indices, f32/);
    assert.match(row[6], /tag: keyword/);
    assert.match(await page.textContent('#tuned'), /No tuned approximate setting/);
    assert.equal(await page.inputValue('#collection'), COLL);
    assert.equal(await page.inputValue('#vector'), 'v');

    await page.fill('#query', JSON.stringify(query));
    await page.fill('#limit', '7');
    await page.click('#run');
    check(await results(page), bruteTop(query, 7, () => true), 'no filter');

    await page.$eval('#results', (t) => { t.dataset.state = ''; });
    await page.fill('#filter', JSON.stringify({ must: [{ key: 'tag', match: { value: 'red' } }] }));
    await page.fill('#limit', '5');
    await page.click('#run');
    check(await results(page), bruteTop(query, 5, (p) => p.payload.tag === 'red'), 'filter tag=red');

    // A bad filter shows the server's 400 message and no rows.
    await page.$eval('#results', (t) => { t.dataset.state = ''; });
    await page.fill('#filter', '{"must": [{"key": "tag", "match": {"value": ["x"]}}]}');
    await page.click('#run');
    await page.waitForSelector('#results[data-state="error"]');
    assert.match(await page.textContent('#error'), /400/);
    assert.equal((await page.$$('#results tbody tr')).length, 0);

    const shot = path.join(shotDir, 'console.png');
    await page.fill('#filter', '');
    await page.$eval('#results', (t) => { t.dataset.state = ''; });
    await page.click('#run');
    await results(page);
    await page.screenshot({ path: shot, fullPage: true });
    const png = readFileSync(shot);
    assert.ok(statSync(shot).size > 1000, 'screenshot is not empty');
    assert.deepEqual([...png.subarray(0, 8)], [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a], 'PNG signature');
    assert.deepEqual(pageErrors, [], 'no JavaScript errors on the page');
    await page.close();
});

test('the console draws the stored tuning curve', async () => {
    const info = await api('GET', `/collections/${TUNED}`);
    const [vector, v] = Object.entries(info.spindle.vectors)[0];
    const t = v.tuned;
    assert.ok(t, 'spindle tune stored a setting');
    assert.ok(Array.isArray(t.curve) && t.curve.length >= 1, 'the tuning curve is stored and served');
    for (let i = 1; i < t.curve.length; ++i) {  // a Pareto front, fastest first
        assert.ok(t.curve[i].mean_ms >= t.curve[i - 1].mean_ms, `curve[${i}] is not slower than curve[${i - 1}]`);
        assert.ok(t.curve[i].recall > t.curve[i - 1].recall, `curve[${i}] does not add recall`);
    }

    const page = await browser.newPage({ viewport: { width: 1200, height: 900 } });
    const pageErrors = [];
    page.on('pageerror', (e) => pageErrors.push(e.message));
    await page.goto(`${base}/console`);
    await page.fill('#api-key', KEY);
    await page.click('#reload');
    await page.waitForSelector(`#collections tbody tr[data-name="${TUNED}"]`);
    await page.selectOption('#collection', TUNED);
    await page.waitForSelector(`svg.tuning-curve[data-vector="${vector}"]`);
    const drawn = await page.$eval('svg.tuning-curve', (svg) => {
        const num = (e, a) => Number(e.getAttribute(a));
        const front = svg.querySelector('polyline.front');
        return {
            w: num(svg, 'width'), h: num(svg, 'height'),
            settings: [...svg.querySelectorAll('circle.setting')].map((c) => [num(c, 'cx'), num(c, 'cy')]),
            chosen: [...svg.querySelectorAll('circle.chosen')].map((c) => [num(c, 'cx'), num(c, 'cy')]),
            targets: svg.querySelectorAll('line.target').length,
            front: front ? front.getAttribute('points').trim().split(/\s+/).length : 0,
            text: svg.textContent,
        };
    });
    assert.equal(drawn.settings.length, t.curve.length, 'one mark per stored curve point');
    assert.equal(drawn.front, t.curve.length, 'the front is one line through the curve');
    assert.equal(drawn.chosen.length, 1, 'the stored setting is marked');
    assert.equal(drawn.targets, 1, 'the target recall line');
    for (const [x, y] of [...drawn.settings, ...drawn.chosen]) {
        assert.ok(x >= 0 && x <= drawn.w && y >= 0 && y <= drawn.h, `mark (${x}, ${y}) inside the plot`);
    }
    // Faster settings are drawn further left.
    for (let i = 1; i < drawn.settings.length; ++i) assert.ok(drawn.settings[i][0] >= drawn.settings[i - 1][0]);
    assert.match(drawn.text, new RegExp(`${vector}: recall@${t.k}`));
    assert.deepEqual(pageErrors, [], 'no JavaScript errors on the page');
    await page.close();
});
