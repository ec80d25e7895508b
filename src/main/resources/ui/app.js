// Kshaka dashboard: plain JavaScript, no build step, no CDN. Everything comes from the node serving this page:
// /v1/cluster (acceptors and which of them answer it), /ready, /metrics (Prometheus text), /v1/kv (keys) and
// /v1/admin/membership. Other nodes are shown as this node sees them (no cross-origin requests).
'use strict';

const $ = (id) => document.getElementById(id);
// ?poll=<ms> polls faster or slower (250..60000; default every 2 s)
const POLL_MS = Math.min(60000, Math.max(250, Number(new URLSearchParams(location.search).get('poll')) || 2000));
const HISTORY = 90; // points per chart

// ---------------------------------------------------------------- requests (with the optional bearer token)

const tokenInput = $('token');
tokenInput.value = sessionStorage.getItem('kshaka.token') || '';
tokenInput.addEventListener('change', () => sessionStorage.setItem('kshaka.token', tokenInput.value.trim()));

// the API lives beside ui/: at the root of the node's own server, or under a host application's mount point
const BASE = location.pathname.replace(/\/ui\/[^]*$/, '');

function call(method, path, body, headers) {
  const h = Object.assign({}, headers || {});
  const token = tokenInput.value.trim();
  if (token) h['Authorization'] = 'Bearer ' + token;
  return fetch(BASE + path, { method, body, headers: h, cache: 'no-store' });
}

async function json(path) {
  const r = await call('GET', path);
  let body = null;
  try { body = await r.json(); } catch (e) { /* not JSON */ }
  return { status: r.status, body, headers: r.headers };
}

function keyPath(key) {
  return '/v1/kv/' + key.split('/').map(encodeURIComponent).join('/');
}

function text(el, s) { el.textContent = s; return el; }

function td(s) { return text(document.createElement('td'), s == null ? '' : String(s)); }

// ---------------------------------------------------------------- nodes

$('origin').textContent = location.origin;
$('poll').textContent = POLL_MS >= 1000 ? POLL_MS / 1000 + ' s' : POLL_MS + ' ms';

async function refreshCluster() {
  const err = $('cluster-error');
  let status;
  try {
    status = await json('/v1/cluster');
  } catch (e) {
    err.hidden = false;
    text(err, 'this node does not answer: ' + e.message);
    for (const tr of document.querySelectorAll('#nodes tbody tr')) { tr.className = 'down'; tr.lastChild.textContent = 'unknown'; }
    text($('serving'), location.host + ' unreachable');
    return;
  }
  const s = status.body || {};
  if (status.status !== 200 && !s.acceptors) {
    err.hidden = false;
    text(err, '/v1/cluster: ' + status.status + ' ' + (s.message || '') + (status.status === 401 || status.status === 403
        ? ' (enter a token with role read, or admin for membership, in the field at the top right)' : ''));
    return;
  }
  err.hidden = true;
  let ready = null;
  try { ready = await json('/ready'); } catch (e) { /* shown as not ready */ }
  const servingReady = ready && ready.status === 200;
  text($('serving'), 'node ' + s.nodeId + ' at ' + location.host + (servingReady ? ' · ready' : ' · NOT READY: '
      + ((ready && ready.body && ready.body.message) || 'no answer')));
  const reachable = new Set(s.reachable || []);
  const prepare = new Set((s.prepare && s.prepare.nodes) || []);
  const accept = new Set((s.accept && s.accept.nodes) || []);
  const ids = [...new Set([...(s.acceptors || []), ...prepare, ...accept, s.nodeId])].sort((a, b) => a - b);
  const tbody = document.querySelector('#nodes tbody');
  tbody.replaceChildren();
  for (const id of ids) {
    const up = id === s.nodeId ? servingReady || reachable.has(id) : reachable.has(id);
    const tr = document.createElement('tr');
    tr.dataset.node = id;
    tr.className = up ? 'up' : 'down';
    const dot = document.createElement('td');
    dot.appendChild(document.createElement('span')).className = 'dot';
    tr.appendChild(dot);
    tr.appendChild(td(id + (id === s.nodeId ? ' (this node)' : '')));
    tr.appendChild(td(prepare.has(id) ? 'yes' : '—'));
    tr.appendChild(td(accept.has(id) ? 'yes' : '—'));
    tr.appendChild(td(s.incarnations ? s.incarnations[String(id)] : ''));
    tr.appendChild(td(up ? (id === s.nodeId ? (servingReady ? 'ready' : 'answers, not ready') : 'answers')
        : 'does not answer'));
    tbody.appendChild(tr);
  }
  text($('quorums'), 'epoch ' + (s.epoch == null ? '?' : s.epoch) + ' · prepare quorum ' + (s.prepare ? s.prepare.quorum : '?')
      + ' of ' + prepare.size + ' · accept quorum ' + (s.accept ? s.accept.quorum : '?') + ' of ' + accept.size
      + (s.ready ? ' · cluster ready' : ' · cluster NOT ready (' + (s.problem || s.error || '') + ')'));
}

// ---------------------------------------------------------------- metrics

/** Prometheus text format -> [{name, labels, value}]. */
function parsePrometheus(body) {
  const out = [];
  for (const line of body.split('\n')) {
    if (!line || line[0] === '#') continue;
    const m = line.match(/^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{(.*)\})?\s+(\S+)/);
    if (!m) continue;
    const labels = {};
    if (m[3]) for (const l of m[3].matchAll(/([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"/g)) labels[l[1]] = l[2];
    out.push({ name: m[1], labels, value: parseFloat(m[4]) });
  }
  return out;
}

function sum(samples, name, filter) {
  let total = 0;
  for (const s of samples) if (s.name === name && (!filter || filter(s.labels))) total += s.value;
  return total;
}

/** Cumulative bucket counts by upper bound. */
function buckets(samples, name, filter) {
  const by = new Map();
  for (const s of samples) {
    if (s.name !== name || (filter && !filter(s.labels))) continue;
    const le = s.labels.le === '+Inf' ? Infinity : parseFloat(s.labels.le);
    by.set(le, (by.get(le) || 0) + s.value);
  }
  return by;
}

/** The q-quantile (seconds) of the observations between two bucket snapshots, or null. */
function quantile(prev, cur, q) {
  const les = [...cur.keys()].sort((a, b) => a - b);
  const total = (cur.get(Infinity) || 0) - ((prev && prev.get(Infinity)) || 0);
  if (!(total > 0)) return null;
  const target = q * total;
  for (const le of les) {
    const n = cur.get(le) - ((prev && prev.get(le)) || 0);
    if (n >= target) return le === Infinity ? les[les.length - 2] : le;
  }
  return null;
}

const series = { rps: [[]], lat: [[], []], flush: [[], []], conf: [[], []] };
let last = null;

function push(arr, v) { arr.push(v); if (arr.length > HISTORY) arr.shift(); }

async function refreshMetrics() {
  let samples;
  try {
    const r = await call('GET', '/metrics');
    if (!r.ok) return;
    samples = parsePrometheus(await r.text());
  } catch (e) { return; }
  const kv = (l) => l.route === 'kv';
  const snap = {
    at: performance.now(),
    requests: sum(samples, 'kshaka_http_requests_seconds_count', kv),
    reqBuckets: buckets(samples, 'kshaka_http_requests_seconds_bucket', kv),
    flushCount: sum(samples, 'kshaka_store_flush_seconds_count'),
    flushSum: sum(samples, 'kshaka_store_flush_seconds_sum'),
    flushBuckets: buckets(samples, 'kshaka_store_flush_seconds_bucket'),
    conflicts: sum(samples, 'kshaka_proposer_conflicts_total'),
    unknown: sum(samples, 'kshaka_proposer_outcomes_total', (l) => l.outcome === 'unknown'),
    changes: sum(samples, 'kshaka_proposer_changes_total'),
    gcCollected: sum(samples, 'kshaka_gc_collected_total'),
    gcBacklog: sum(samples, 'kshaka_gc_backlog'),
    keys: sum(samples, 'kshaka_store_keys'),
  };
  if (last) {
    const dt = (snap.at - last.at) / 1000;
    const rps = Math.max(0, (snap.requests - last.requests) / dt);
    push(series.rps[0], rps);
    const p50 = quantile(last.reqBuckets, snap.reqBuckets, 0.5);
    const p99 = quantile(last.reqBuckets, snap.reqBuckets, 0.99);
    push(series.lat[0], p50 == null ? null : p50 * 1000);
    push(series.lat[1], p99 == null ? null : p99 * 1000);
    const flushes = snap.flushCount - last.flushCount;
    const mean = flushes > 0 ? (snap.flushSum - last.flushSum) / flushes * 1000 : null;
    const f99 = quantile(last.flushBuckets, snap.flushBuckets, 0.99);
    push(series.flush[0], mean);
    push(series.flush[1], f99 == null ? null : f99 * 1000);
    push(series.conf[0], Math.max(0, (snap.conflicts - last.conflicts) / dt));
    push(series.conf[1], Math.max(0, snap.unknown - last.unknown));
    text($('now-rps'), rps.toFixed(1));
    text($('now-lat'), fmt(p50 == null ? null : p50 * 1000) + ' / ' + fmt(p99 == null ? null : p99 * 1000));
    text($('now-flush'), fmt(mean) + ' / ' + fmt(f99 == null ? null : f99 * 1000));
    text($('now-conf'), series.conf[0][series.conf[0].length - 1].toFixed(1) + ' / ' + (snap.unknown - last.unknown));
    draw('chart-rps', series.rps, ['#4a7bd0']);
    draw('chart-lat', series.lat, ['#4a7bd0', '#d0604a']);
    draw('chart-flush', series.flush, ['#4a7bd0', '#d0604a']);
    draw('chart-conf', series.conf, ['#c08a00', '#d33']);
  }
  text($('totals'), 'since start: ' + snap.requests + ' key-value requests, ' + snap.changes + ' changes, '
      + snap.conflicts + ' conflicts, ' + snap.unknown + ' unknown outcomes; store: ' + snap.keys + ' keys; GC: '
      + snap.gcCollected + ' collected, backlog ' + snap.gcBacklog);
  last = snap;
}

function fmt(v) { return v == null ? '–' : v < 10 ? v.toFixed(2) : v.toFixed(0); }

/** A line chart of one or more series on a canvas, y from 0 to the maximum seen. */
function draw(id, lines, colors) {
  const c = $(id);
  const ctx = c.getContext('2d');
  const w = c.width, h = c.height, pad = 4;
  ctx.clearRect(0, 0, w, h);
  let max = 0;
  for (const l of lines) for (const v of l) if (v != null && v > max) max = v;
  if (max === 0) max = 1;
  ctx.fillStyle = '#888';
  ctx.font = '10px sans-serif';
  ctx.fillText(fmt(max), 2, 10);
  lines.forEach((l, i) => {
    ctx.strokeStyle = colors[i];
    ctx.lineWidth = 1.5;
    ctx.beginPath();
    let pen = false;
    l.forEach((v, x) => {
      if (v == null) { pen = false; return; }
      const px = w - pad - (w - 2 * pad) * (l.length - 1 - x) / (HISTORY - 1); // newest on the right
      const py = h - pad - (h - 2 * pad) * v / max;
      if (pen) ctx.lineTo(px, py); else ctx.moveTo(px, py);
      pen = true;
    });
    ctx.stroke();
  });
}

// ---------------------------------------------------------------- keys

let nextCursor = null;

async function listKeys(more) {
  const prefix = $('prefix').value;
  const tbody = document.querySelector('#keys tbody');
  if (!more) { tbody.replaceChildren(); nextCursor = null; }
  let q = '/v1/kv?limit=100&prefix=' + encodeURIComponent(prefix);
  if (more && nextCursor != null) q += '&after=' + encodeURIComponent(nextCursor);
  const r = await json(q);
  if (r.status !== 200 || !r.body || !Array.isArray(r.body.keys)) {
    text($('list-note'), r.status === 404 ? 'this node cannot list keys (no GET /v1/kv): use Get with a key'
        : 'list: ' + r.status + ' ' + ((r.body && r.body.message) || ''));
    return;
  }
  for (const e of r.body.keys) {
    const tr = document.createElement('tr');
    tr.dataset.key = e.key;
    tr.appendChild(td(e.key));
    tr.appendChild(td(e.version));
    tr.appendChild(td(e.expiresAt ? new Date(e.expiresAt).toISOString() : ''));
    tr.addEventListener('click', () => { $('key').value = e.key; getKey(); });
    tbody.appendChild(tr);
  }
  nextCursor = r.body.next;
  $('more').hidden = nextCursor == null;
  text($('list-note'), tbody.children.length + ' keys' + (nextCursor == null ? '' : ', more follow'));
}

function show(s, isError) {
  const el = $('result');
  el.className = 'result' + (isError ? ' error' : '');
  text(el, s);
}

async function getKey() {
  const key = $('key').value;
  if (!key) return show('enter a key', true);
  const r = await call('GET', keyPath(key));
  const version = r.headers.get('X-Kshaka-Version') || (r.headers.get('ETag') || '').replace(/"/g, '');
  const expires = r.headers.get('X-Kshaka-Expires');
  if (r.status === 200) {
    const value = await r.text();
    $('value').value = value;
    show(key + ' = ' + JSON.stringify(value) + '  (version ' + version + (expires ? ', expires '
        + new Date(Number(expires)).toISOString() : '') + ')');
  } else {
    const body = await r.json().catch(() => ({}));
    show(key + ': ' + r.status + ' ' + (body.error || '') + (body.version != null ? ' (version ' + body.version + ')' : ''),
        r.status !== 404);
  }
}

async function change(method) {
  const key = $('key').value;
  if (!key) return show('enter a key', true);
  const ttl = $('ttl').value.trim();
  const what = method === 'PUT' ? 'Put ' + JSON.stringify($('value').value) + ' into ' + JSON.stringify(key)
      + (ttl ? ' with ttl ' + ttl : '') + '?' : 'Delete ' + JSON.stringify(key) + '?';
  if (!window.confirm(what)) return show('cancelled');
  const path = keyPath(key) + (method === 'PUT' && ttl ? '?ttl=' + encodeURIComponent(ttl) : '');
  const r = await call(method, path, method === 'PUT' ? $('value').value : undefined,
      { 'Idempotency-Key': 'ui-' + Date.now() + '-' + Math.random().toString(36).slice(2) });
  const body = await r.json().catch(() => ({}));
  if (r.status === 200) {
    show((method === 'PUT' ? 'put ' : 'deleted ') + key + ': version ' + body.version);
  } else {
    show(method + ' ' + key + ': ' + r.status + ' ' + (body.error || '') + ' ' + (body.message || '')
        + (body.outcome ? ' [outcome ' + body.outcome + ']' : ''), true);
  }
}

$('list-form').addEventListener('submit', (e) => { e.preventDefault(); listKeys(false); });
$('more').addEventListener('click', () => listKeys(true));
$('get').addEventListener('click', getKey);
$('put').addEventListener('click', () => change('PUT'));
$('delete').addEventListener('click', () => change('DELETE'));

// ---------------------------------------------------------------- membership and GC

async function refreshMembership() {
  const el = $('membership');
  let r;
  try { r = await json('/v1/admin/membership'); } catch (e) { return; }
  el.replaceChildren();
  const m = r.body || {};
  if (r.status !== 200) { text(el, '/v1/admin/membership: ' + r.status + ' ' + (m.message || '')); return; }
  const c = m.config || {};
  const line = (s) => el.appendChild(text(document.createElement('div'), s));
  line('epoch ' + m.epoch + ' (installed here: ' + m.installedEpoch + ') · prepare ' + JSON.stringify((c.prepare || {}).nodes)
      + '/' + (c.prepare || {}).quorum + ' · accept ' + JSON.stringify((c.accept || {}).nodes) + '/' + (c.accept || {}).quorum);
  const ch = m.change;
  if (!ch) {
    line('no membership change has run');
  } else {
    line('change toward ' + JSON.stringify(ch.target) + ': ' + ch.state + ', step ' + ch.step + '/' + ch.steps + ' — '
        + (ch.description || '') + (ch.lastError ? ' (waiting: ' + ch.lastError + ')' : ''));
    if (ch.total) {
      const row = el.appendChild(document.createElement('div'));
      const bar = row.appendChild(document.createElement('span'));
      bar.className = 'bar';
      bar.appendChild(document.createElement('span')).style.width = Math.min(100, 100 * ch.rescanned / ch.total) + '%';
      row.appendChild(document.createTextNode(' rescanned ' + ch.rescanned + ' / ' + ch.total));
    }
  }
  const gc = m.gc;
  line(gc ? 'garbage collection: ' + Object.entries(gc).map(([k, v]) => k + ' ' + JSON.stringify(v)).join(', ')
      : 'garbage collection: none running');
}

// ---------------------------------------------------------------- polling

async function tick() {
  await Promise.allSettled([refreshCluster(), refreshMetrics(), refreshMembership()]);
  setTimeout(tick, POLL_MS);
}
tick();
listKeys(false);
