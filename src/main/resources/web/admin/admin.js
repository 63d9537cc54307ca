// The admin dashboard: every pod's `pod_stats` (one a second per pod) from one SSE stream, drawn on <canvas>.
// On the management port the stream needs no token (/admin/stream); elsewhere that route is missing, and the page
// asks for a service token and reads the reserved channel through /api/events.
const CHANNEL = 'channel:__herald-admin';
const TOKEN_KEY = 'herald-admin-token';
/** A pod whose last sample is older than this leaves the page (it stopped, or cannot reach the broker). */
const STALE_MS = 5000;
/** The charts' window. */
const WINDOW_MS = 60000;
const COLORS = ['#3259d6', '#d6453d', '#2ea44f', '#c98a00', '#8a3fd1', '#0c8599', '#d6336c', '#5c677d'];

const $ = (id) => document.getElementById(id);
/** pod id → {color, last: the last sample, seen: when it arrived (ms), series: [{t, in, out, streams, drops}]} */
const pods = new Map();
let colorIndex = 0;
let source = null;

function setStatus(status, text) {
  $('status').dataset.status = status;
  $('status').textContent = text;
}

/** Opens the stream; `mode` is 'management' (no token) or 'token'. */
function open(url, mode) {
  let opened = false;
  source?.close();
  source = new EventSource(url);
  setStatus('connecting', 'connecting');
  source.onopen = () => {
    opened = true;
    $('signin').hidden = true;
    $('mode').textContent = mode === 'management' ? 'management port, no token' : 'service token';
    setStatus('open', 'live');
  };
  source.onmessage = (message) => {
    const event = JSON.parse(message.data);
    if (event.type === 'pod_stats') {
      sample(event);
    } else if (event.type === 'token_expired' || event.type === 'disconnect') {
      source.close();
      sessionStorage.removeItem(TOKEN_KEY);
      askToken(event.type === 'token_expired' ? 'The token expired: paste a fresh one.' : 'The stream was ended.');
    }
  };
  source.onerror = () => {
    if (source.readyState !== EventSource.CLOSED) {
      setStatus('connecting', 'reconnecting');
      return;
    }
    source.close();
    if (!opened && mode === 'management') {
      useToken();
    } else if (!opened) {
      sessionStorage.removeItem(TOKEN_KEY);
      askToken('The stream was refused: the token must be valid and have the service role.');
    } else {
      setStatus('connecting', 'reconnecting');
      setTimeout(() => open(url, mode), 2000);
    }
  };
}

function useToken() {
  const token = sessionStorage.getItem(TOKEN_KEY);
  if (!token) {
    askToken('');
    return;
  }
  open(`/api/events?channel=${encodeURIComponent(CHANNEL)}&access_token=${encodeURIComponent(token)}`, 'token');
}

function askToken(error) {
  setStatus('closed', 'no stream');
  $('signin').hidden = false;
  $('signin-error').textContent = error;
}

$('signin').addEventListener('submit', (e) => {
  e.preventDefault();
  sessionStorage.setItem(TOKEN_KEY, $('token').value.trim());
  $('token').value = '';
  $('signin').hidden = true;
  useToken();
});

function sample(event) {
  let pod = pods.get(event.pod);
  if (!pod) {
    pod = { color: COLORS[colorIndex++ % COLORS.length], series: [] };
    pods.set(event.pod, pod);
  }
  const now = Date.now();
  pod.last = event;
  pod.seen = now;
  pod.series.push({ t: now, in: event.eventsInPerSecond, out: event.eventsOutPerSecond, streams: event.streams,
                    drops: event.droppedPerSecond });
  while (pod.series.length && pod.series[0].t < now - WINDOW_MS) pod.series.shift();
  render();
}

/** Arrival times are the browser's: pods' clocks may disagree, the page's own does not. */
function prune() {
  const now = Date.now();
  let removed = false;
  for (const [id, pod] of pods) {
    if (now - pod.seen > STALE_MS) {
      pods.delete(id);
      removed = true;
    }
  }
  if (removed) render();
  drawCharts();
}

const number = (n) => (Number.isInteger(n) ? String(n) : n.toFixed(1));
const megabytes = (bytes) => `${Math.round(bytes / 1048576)} MiB`;

function render() {
  const sorted = [...pods.entries()].sort(([a], [b]) => a.localeCompare(b));
  const sum = (f) => sorted.reduce((total, [, pod]) => total + f(pod.last), 0);
  $('total-pods').textContent = String(sorted.length);
  $('total-streams').textContent = String(sum((s) => s.streams));
  $('total-in').textContent = number(sum((s) => s.eventsInPerSecond));
  $('total-out').textContent = number(sum((s) => s.eventsOutPerSecond));
  $('total-drops').textContent = number(sum((s) => s.droppedPerSecond));
  $('total-slow').textContent = String(sum((s) => s.slowConsumers));
  const body = $('pods').tBodies[0];
  body.replaceChildren(...sorted.map(([id, pod]) => row(id, pod)));
  drawCharts();
}

function row(id, pod) {
  const s = pod.last;
  const tr = document.createElement('tr');
  tr.dataset.pod = id;
  const cell = (cls, text) => {
    const td = document.createElement('td');
    td.className = cls;
    td.textContent = text;
    tr.append(td);
    return td;
  };
  const name = cell('pod', id);
  const swatch = document.createElement('span');
  swatch.className = 'swatch';
  swatch.style.background = pod.color;
  name.prepend(swatch);
  cell('streams', String(s.streams));
  cell('channels', String(s.channels));
  cell('in', number(s.eventsInPerSecond));
  cell('out', number(s.eventsOutPerSecond));
  cell('drops', number(s.droppedPerSecond));
  cell('dropped', `${s.dropped.slow_consumer} / ${s.dropped.shutdown} / ${s.dropped.token_expired}`);
  cell('slow', String(s.slowConsumers));
  cell('heap', megabytes(s.heapUsedBytes));
  cell('age', new Date(s.at).toLocaleTimeString());
  return tr;
}

function drawCharts() {
  for (const canvas of document.querySelectorAll('canvas[data-field]')) drawChart(canvas, canvas.dataset.field);
}

/** One line per pod over the last minute; y from 0 to a round maximum. */
function drawChart(canvas, field) {
  const ratio = window.devicePixelRatio || 1;
  const width = canvas.clientWidth;
  const height = canvas.clientHeight;
  if (canvas.width !== Math.round(width * ratio)) canvas.width = Math.round(width * ratio);
  if (canvas.height !== Math.round(height * ratio)) canvas.height = Math.round(height * ratio);
  const g = canvas.getContext('2d');
  g.setTransform(ratio, 0, 0, ratio, 0, 0);
  g.clearRect(0, 0, width, height);
  const now = Date.now();
  let max = 0;
  let latest = 0;
  let points = 0;
  for (const pod of pods.values()) {
    points = Math.max(points, pod.series.length);
    for (const point of pod.series) max = Math.max(max, point[field]);
    latest += pod.series.length ? pod.series[pod.series.length - 1][field] : 0;
  }
  const top = niceCeiling(max);
  canvas.dataset.max = String(max);
  canvas.dataset.latest = String(latest);
  canvas.dataset.points = String(points);
  const left = 44;
  const bottom = height - 18;
  const x = (t) => left + ((t - (now - WINDOW_MS)) / WINDOW_MS) * (width - left - 6);
  const y = (v) => bottom - (v / top) * (bottom - 8);
  g.font = '11px system-ui, sans-serif';
  g.fillStyle = '#8a93a6';
  g.strokeStyle = '#eef0f4';
  g.lineWidth = 1;
  for (const v of [0, top / 2, top]) {
    g.beginPath();
    g.moveTo(left, y(v));
    g.lineTo(width - 6, y(v));
    g.stroke();
    g.fillText(number(v), 4, y(v) + 4);
  }
  g.fillText('-60 s', left, height - 4);
  g.fillText('now', width - 30, height - 4);
  g.lineWidth = 2;
  for (const pod of pods.values()) {
    g.strokeStyle = pod.color;
    g.beginPath();
    pod.series.forEach((point, i) => (i ? g.lineTo : g.moveTo).call(g, x(point.t), y(point[field])));
    g.stroke();
  }
}

function niceCeiling(value) {
  if (value <= 0) return 1;
  const power = 10 ** Math.floor(Math.log10(value));
  for (const step of [1, 2, 5, 10]) if (value <= step * power) return step * power;
  return 10 * power;
}

window.addEventListener('resize', drawCharts);
setInterval(prune, 1000);
drawCharts();
open('/admin/stream', 'management');
