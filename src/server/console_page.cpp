// The web console page (see console_page.hpp). Static: no build step, no
// third-party JavaScript; every value from the server is shown through
// textContent, never parsed as HTML.
#include "console_page.hpp"

namespace spindle::server {
namespace {

constexpr std::string_view kPage = R"SPINDLEPAGE(<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>spindle console</title>
<style>
  body { font: 14px/1.4 system-ui, sans-serif; margin: 0; color: #1d232a; background: #f6f7f9; }
  header { background: #22313f; color: #fff; padding: 10px 18px; display: flex; gap: 16px; align-items: center; }
  header h1 { font-size: 18px; margin: 0 12px 0 0; }
  header label { font-size: 13px; }
  main { padding: 14px 18px; display: grid; gap: 14px; }
  section { background: #fff; border: 1px solid #d9dde3; border-radius: 6px; padding: 10px 14px; }
  h2 { font-size: 15px; margin: 0 0 8px; }
  table { border-collapse: collapse; width: 100%; }
  th, td { text-align: left; padding: 4px 8px; border-bottom: 1px solid #eceef1; vertical-align: top; }
  th { background: #f0f2f5; font-weight: 600; }
  td.num { font-variant-numeric: tabular-nums; }
  td.payload { font-family: ui-monospace, monospace; font-size: 12px; white-space: pre-wrap; word-break: break-all; }
  textarea { width: 100%; font-family: ui-monospace, monospace; font-size: 13px; box-sizing: border-box; }
  .row { display: flex; gap: 12px; flex-wrap: wrap; align-items: end; margin-bottom: 8px; }
  .grow { flex: 1 1 320px; }
  button { padding: 5px 14px; cursor: pointer; }
  #error { color: #b00020; white-space: pre-wrap; }
  #error:empty { display: none; }
  .muted { color: #6b7480; font-size: 12px; }
  tr.sel { background: #e8f0fe; }
  a.coll { cursor: pointer; color: #0b57d0; text-decoration: underline; }
</style>
</head>
<body>
<header>
  <h1>spindle console</h1>
  <label>API key <input id="api-key" type="password" size="24" autocomplete="off"></label>
  <button id="reload" type="button">Load collections</button>
  <span id="status" class="muted"></span>
</header>
<main>
  <div id="error" role="alert"></div>
  <section>
    <h2>Collections</h2>
    <table id="collections">
      <thead><tr><th>name</th><th>status</th><th>points</th><th>segments</th><th>deleted</th><th>vectors</th><th>payload indexes</th></tr></thead>
      <tbody></tbody>
    </table>
  </section>
  <section id="tuning">
    <h2>Tuned approximate search</h2>
    <div id="tuned" class="muted">Select a collection.</div>
  </section>
  <section>
    <h2>Query</h2>
    <form id="query-form">
      <div class="row">
        <label>collection<br><select id="collection"></select></label>
        <label>vector<br><select id="vector"></select></label>
        <label>limit<br><input id="limit" type="number" min="1" max="1000" value="10" size="6"></label>
        <label><input id="exact" type="checkbox" checked> exact</label>
        <button id="run" type="submit">Search</button>
      </div>
      <div class="row">
        <label class="grow">query: <span class="muted">sparse <code>{"indices":[1,5],"values":[0.5,1.2]}</code>, tokens <code>{"word": 1.0}</code>, or raw text for a BM25 text vector</span><br>
          <textarea id="query" rows="3" spellcheck="false"></textarea></label>
        <label class="grow">filter (Qdrant filter JSON, optional)<br>
          <textarea id="filter" rows="3" spellcheck="false" placeholder='{"must":[{"key":"tag","match":{"value":"red"}}]}'></textarea></label>
      </div>
    </form>
  </section>
  <section>
    <h2>Results <span id="result-info" class="muted"></span></h2>
    <table id="results">
      <thead><tr><th>#</th><th>id</th><th>score</th><th>payload</th></tr></thead>
      <tbody></tbody>
    </table>
  </section>
</main>
<script>
'use strict';
const $ = (id) => document.getElementById(id);
const infos = new Map();  // collection name -> info (GET /collections/{name})

function el(tag, text, cls) {
  const e = document.createElement(tag);
  if (text !== undefined) e.textContent = String(text);
  if (cls) e.className = cls;
  return e;
}
function showError(msg) { $('error').textContent = msg ? String(msg) : ''; }

async function api(method, path, body) {
  const headers = {};
  const key = $('api-key').value;
  if (key) headers['api-key'] = key;
  if (body !== undefined) headers['content-type'] = 'application/json';
  const res = await fetch(path, { method, headers, body: body === undefined ? undefined : JSON.stringify(body) });
  let data = null;
  try { data = await res.json(); } catch (e) { /* not JSON */ }
  if (!res.ok) {
    const msg = data && data.status && data.status.error ? data.status.error : res.statusText;
    throw new Error(`${method} ${path}: ${res.status} ${msg}`);
  }
  return data.result;
}

function vectorSummary(info) {
  const vs = (info.spindle && info.spindle.vectors) || {};
  return Object.entries(vs).map(([name, v]) => {
    let s = `${name} (${v.keys}, ${v.weight_type}`;
    if (v.text) s += ', text';
    if (v.approx) s += ', approx';
    if (v.tuned) s += ', tuned';
    if (v.terms !== undefined) s += `, ${v.terms} terms`;
    return s + ')';
  }).join('; ');
}

async function loadCollections() {
  showError('');
  $('status').textContent = 'loading...';
  const previous = $('collection').value;
  try {
    const list = await api('GET', '/collections');
    infos.clear();
    const tbody = $('collections').tBodies[0];
    tbody.replaceChildren();
    const select = $('collection');
    select.replaceChildren();
    for (const { name } of list.collections) {
      const info = await api('GET', `/collections/${encodeURIComponent(name)}`);
      infos.set(name, info);
      const tr = el('tr');
      tr.dataset.name = name;
      const a = el('a', name, 'coll');
      a.addEventListener('click', () => { select.value = name; selectCollection(); });
      const td = el('td'); td.appendChild(a); tr.appendChild(td);
      tr.appendChild(el('td', info.status));
      tr.appendChild(el('td', info.points_count, 'num'));
      tr.appendChild(el('td', info.segments_count, 'num'));
      tr.appendChild(el('td', info.spindle ? info.spindle.deleted : '', 'num'));
      tr.appendChild(el('td', vectorSummary(info)));
      tr.appendChild(el('td', Object.entries(info.payload_schema || {}).map(([f, s]) => `${f}: ${s.data_type}`).join(', ')));
      tbody.appendChild(tr);
      select.appendChild(el('option', name));
    }
    if (infos.has(previous)) select.value = previous;
    selectCollection();
    $('status').textContent = `${infos.size} collection(s)`;
  } catch (e) {
    $('status').textContent = '';
    showError(e.message);
  }
}

function selectCollection() {
  const name = $('collection').value;
  for (const tr of $('collections').tBodies[0].rows) tr.classList.toggle('sel', tr.dataset.name === name);
  const vsel = $('vector');
  vsel.replaceChildren();
  const info = infos.get(name);
  const vs = info && info.spindle ? info.spindle.vectors : {};
  for (const v of Object.keys(vs)) vsel.appendChild(el('option', v));
  showTuned();
}

function showTuned() {
  const box = $('tuned');
  box.replaceChildren();
  const info = infos.get($('collection').value);
  if (!info) { box.textContent = 'Select a collection.'; return; }
  const vs = info.spindle ? info.spindle.vectors : {};
  const tuned = Object.entries(vs).filter(([, v]) => v.tuned);
  if (tuned.length === 0) {
    box.textContent = 'No tuned approximate setting stored for this collection (run spindle tune on it).';
    return;
  }
  const table = el('table');
  table.id = 'tuned-table';
  const head = el('tr');
  for (const h of ['vector', 'target recall', 'k', 'measured recall@k', 'mean ms', 'query_cut', 'heap_factor', 'knn']) head.appendChild(el('th', h));
  table.appendChild(el('thead')).appendChild(head);
  const body = table.appendChild(el('tbody'));
  for (const [name, v] of tuned) {
    const t = v.tuned;
    const tr = el('tr');
    for (const x of [name, t.target_recall, t.k, Number(t.recall).toFixed(3), Number(t.mean_ms).toFixed(3), t.query_cut, t.heap_factor, t.knn]) {
      tr.appendChild(el('td', x, 'num'));
    }
    body.appendChild(tr);
  }
  box.appendChild(table);
  for (const [name, v] of tuned) box.appendChild(curvePlot(name, v.tuned));
  box.appendChild(el('p', 'Each plot is the recall/latency curve spindle tune measured on its tuning queries (the Pareto front of the ' +
    'settings it timed); the filled mark is the stored setting (its recall measured on held-out queries), the dashed line the ' +
    'target. Queries with params.target_recall use the stored setting.', 'muted'));
}

// The stored tuning curve of one vector as an SVG (built through DOM calls,
// values as text nodes): recall@k against mean latency.
function curvePlot(name, t) {
  const NS = 'http://www.w3.org/2000/svg';
  const W = 520, H = 240, L = 56, R = 14, T = 22, B = 40;
  const svg = document.createElementNS(NS, 'svg');
  svg.setAttribute('width', W); svg.setAttribute('height', H);
  svg.setAttribute('class', 'tuning-curve'); svg.setAttribute('data-vector', name);
  const mk = (tag, attrs, text) => {
    const e = document.createElementNS(NS, tag);
    for (const [k, v] of Object.entries(attrs)) e.setAttribute(k, v);
    if (text !== undefined) e.textContent = String(text);
    svg.appendChild(e);
    return e;
  };
  const curve = Array.isArray(t.curve) ? t.curve : [];
  const pts = curve.map((p) => [Number(p.mean_ms), Number(p.recall)]);
  pts.push([Number(t.mean_ms), Number(t.recall)]);
  const xs = pts.map((p) => p[0]), ys = pts.map((p) => p[1]).concat([Number(t.target_recall)]);
  let x0 = 0, x1 = Math.max(...xs) * 1.08 || 1;
  let y0 = Math.max(0, Math.min(...ys) - 0.02), y1 = Math.min(1, Math.max(...ys) + 0.02);
  if (y1 <= y0) { y0 = Math.max(0, y0 - 0.05); y1 = Math.min(1, y1 + 0.05); }
  const px = (x) => L + (x - x0) / (x1 - x0) * (W - L - R);
  const py = (y) => H - B - (y - y0) / (y1 - y0) * (H - T - B);
  mk('rect', { x: L, y: T, width: W - L - R, height: H - T - B, fill: 'none', stroke: '#9aa3ad' });
  mk('text', { x: L, y: 15, 'font-size': 12 }, `${name}: recall@${t.k} vs mean ms (${curve.length} settings on the curve)`);
  for (let i = 0; i <= 4; ++i) {
    const xv = x0 + (x1 - x0) * i / 4, yv = y0 + (y1 - y0) * i / 4;
    mk('text', { x: px(xv), y: H - B + 14, 'font-size': 10, 'text-anchor': 'middle' }, xv.toFixed(3));
    mk('text', { x: L - 4, y: py(yv) + 3, 'font-size': 10, 'text-anchor': 'end' }, yv.toFixed(3));
  }
  mk('text', { x: (L + W - R) / 2, y: H - 6, 'font-size': 11, 'text-anchor': 'middle' }, 'mean latency, ms');
  const ty = py(Number(t.target_recall));
  mk('line', { x1: L, x2: W - R, y1: ty, y2: ty, stroke: '#b00020', 'stroke-dasharray': '4 3', class: 'target' });
  if (curve.length > 0) {
    mk('polyline', { points: curve.map((p) => `${px(Number(p.mean_ms))},${py(Number(p.recall))}`).join(' '),
                     fill: 'none', stroke: '#0b57d0', 'stroke-width': 1.5, class: 'front' });
    for (const p of curve) {
      const c = mk('circle', { cx: px(Number(p.mean_ms)), cy: py(Number(p.recall)), r: 3, fill: '#fff', stroke: '#0b57d0', class: 'setting' });
      const tip = document.createElementNS(NS, 'title');
      tip.textContent = `query_cut ${p.query_cut}, heap_factor ${p.heap_factor}, knn ${p.knn}: recall ${Number(p.recall).toFixed(3)}, ${Number(p.mean_ms).toFixed(3)} ms`;
      c.appendChild(tip);
    }
  } else {
    mk('text', { x: L + 8, y: T + 16, 'font-size': 11, fill: '#6b7480' }, 'no curve stored (tuned before spindle stored curves): re-run spindle tune');
  }
  mk('circle', { cx: px(Number(t.mean_ms)), cy: py(Number(t.recall)), r: 5, fill: '#0b57d0', class: 'chosen' });
  return svg;
}

// The query box: JSON {indices, values} or {token: weight}; anything that is
// not JSON is raw text (for a BM25 text vector).
function parseQuery(text, vector) {
  const trimmed = text.trim();
  if (trimmed === '') throw new Error('query: empty');
  let q;
  try { q = JSON.parse(trimmed); } catch (e) { q = undefined; }
  const v = vector && vector.text;
  if (q === undefined || typeof q === 'string') {
    if (!v) throw new Error('query: not JSON, and raw text needs a text (BM25) vector');
    return q === undefined ? trimmed : q;
  }
  if (typeof q !== 'object' || q === null || Array.isArray(q)) throw new Error('query: expected a JSON object');
  return q;
}

async function runQuery(ev) {
  if (ev) ev.preventDefault();
  showError('');
  const name = $('collection').value;
  const tbody = $('results').tBodies[0];
  $('results').dataset.state = 'running';
  try {
    if (!name) throw new Error('no collection selected (load collections first)');
    const vname = $('vector').value;
    const info = infos.get(name);
    const vector = info && info.spindle ? info.spindle.vectors[vname] : undefined;
    const body = { query: parseQuery($('query').value, vector), limit: Number($('limit').value) || 10, with_payload: true };
    if (vname) body.using = vname;
    const f = $('filter').value.trim();
    if (f !== '') {
      try { body.filter = JSON.parse(f); } catch (e) { throw new Error(`filter: not JSON (${e.message})`); }
    }
    if ($('exact').checked) body.params = { exact: true };
    const t0 = performance.now();
    const res = await api('POST', `/collections/${encodeURIComponent(name)}/points/query`, body);
    const ms = performance.now() - t0;
    tbody.replaceChildren();
    res.points.forEach((p, i) => {
      const tr = el('tr');
      tr.dataset.id = String(p.id);
      tr.dataset.score = String(p.score);
      tr.appendChild(el('td', i + 1, 'num'));
      tr.appendChild(el('td', p.id, 'num'));
      tr.appendChild(el('td', Number(p.score).toPrecision(6), 'num'));
      tr.appendChild(el('td', p.payload === undefined || p.payload === null ? '' : JSON.stringify(p.payload), 'payload'));
      tbody.appendChild(tr);
    });
    $('result-info').textContent = `${res.points.length} result(s), ${ms.toFixed(1)} ms`;
    $('results').dataset.state = 'done';
  } catch (e) {
    tbody.replaceChildren();
    $('result-info').textContent = '';
    $('results').dataset.state = 'error';
    showError(e.message);
  }
}

$('reload').addEventListener('click', loadCollections);
$('collection').addEventListener('change', selectCollection);
$('query-form').addEventListener('submit', runQuery);
$('api-key').addEventListener('keydown', (e) => { if (e.key === 'Enter') loadCollections(); });
loadCollections();
</script>
</body>
</html>
)SPINDLEPAGE";

}  // namespace

std::string_view console_html() { return kPage; }

}  // namespace spindle::server
