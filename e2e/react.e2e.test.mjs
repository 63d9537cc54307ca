// The React hook in Chromium with real React: a page served from Herald's origin renders the events of
// useEventChannel; changing channels reopens the stream, a new array of the same channels does not, unmounting
// closes it. The test app is bundled with esbuild at test time from the package folder.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';
import { launchBrowser, startHerald, until, devToken } from './harness.mjs';

const here = path.dirname(fileURLToPath(import.meta.url));
const hook = path.resolve(here, '..', 'src', 'main', 'resources', 'web', 'js', 'herald-react.js');

// window.show(props) renders <Feed {...props}/> (props.token: a string token, else a function fetching one) (or nothing when props.mounted is false); each note event is
// listed with the label of the render whose onEvent received it
const app = `
  import { StrictMode, useState } from 'react';
  import { createRoot } from 'react-dom/client';
  import { useEventChannel, useEvents, useJobs } from ${JSON.stringify(hook)};

  let token;
  const tokenOf = () => token ??= fetch('/dev/token', {
    method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify({ userId: 'rita', name: 'Rita' }),
  }).then((res) => res.json()).then((body) => body.token);

  function Feed({ channels, label, token: fixed }) {
    const [notes, setNotes] = useState([]);
    const { status, error } = useEventChannel(channels, {
      token: fixed ?? (() => tokenOf()),
      onEvent: (event) => {
        if (event.type === 'note') setNotes((all) => [...all, label + ' ' + event.channel + ' ' + event.text]);
      },
    });
    window.renders = (window.renders || 0) + 1;
    return (
      <div>
        <p id="status" data-status={status}>{status}{error ? ' (error)' : ''}</p>
        <ul id="notes">{notes.map((note, i) => <li key={i}>{note}</li>)}</ul>
      </div>
    );
  }

  function Recent({ channels, limit }) {
    const { events, status } = useEvents(channels, { limit, token: () => tokenOf() });
    return (
      <div>
        <p id="status" data-status={status}>{status}</p>
        <ul id="notes">{events.filter((e) => e.type === 'note').map((e) => <li key={e.channel + e.id}>{e.text}</li>)}</ul>
      </div>
    );
  }

  // the user's jobs: the channel comes from the token (a function returning a promise: it must be listed)
  function Jobs() {
    const { jobs, status } = useJobs('user:rita', { token: () => tokenOf() });
    return (
      <div>
        <p id="status" data-status={status}>{status}</p>
        <ul id="jobs">{[...jobs.values()].map((job) => (
          <li key={job.jobId} data-status={job.status} data-progress={job.progress}>{job.kind}</li>))}</ul>
      </div>
    );
  }

  const root = createRoot(document.getElementById('root'));
  window.showRecent = (props) => root.render(<Recent {...props} />);
  window.showJobs = () => root.render(<Jobs />);
  window.show = ({ mounted = true, strict = false, ...props }) => root.render(
    !mounted ? null : strict ? <StrictMode><Feed {...props} /></StrictMode> : <Feed {...props} />);
`;

let browser;
let herald;
let base;
const bundles = {};

/** The test app with React's production or development build (the latter runs StrictMode's double effects). */
async function bundle(mode) {
  const result = await build({
    stdin: { contents: app, loader: 'jsx', resolveDir: here, sourcefile: 'react-test.jsx' },
    nodePaths: [path.join(here, 'node_modules')], // the hook's bare 'react', from outside e2e/
    bundle: true, write: false, format: 'esm', jsx: 'automatic', logLevel: 'silent',
    define: { 'process.env.NODE_ENV': JSON.stringify(mode) },
  });
  return result.outputFiles[0].text;
}

before(async () => {
  [bundles.production, bundles.development] = await Promise.all([bundle('production'), bundle('development')]);
  browser = await launchBrowser();
  // every test ends with no stream open; exports are slowed down so that one can be joined halfway
  herald = await startHerald({ env: { HERALD_JOBS_EXPORT_PACE: 'PT0.3S' } });
  base = `http://localhost:${herald.port}`;
});
after(async () => {
  await browser?.close();
  await herald?.stop();
});

async function openStreams(base) {
  const text = await (await fetch(`${base}/observe/metrics`)).text();
  const line = text.split('\n').find((l) => l.startsWith('sse_connections_total{'));
  assert.ok(line, 'sse_connections_total is exposed');
  return Number(line.slice(line.lastIndexOf(' ') + 1));
}

async function publisher(base) {
  const service = await devToken(base, { userId: 'newsroom', roles: ['service'] });
  return async (channel, text) => {
    const res = await fetch(`${base}/api/publish`, {
      method: 'POST', headers: { 'Content-Type': 'application/json', Authorization: `Bearer ${service}` },
      body: JSON.stringify({ channel, type: 'note', text }),
    });
    assert.equal(res.status, 202);
  };
}

/** Opens the test app at Herald's origin (routed, so the hook talks to Herald same-origin). */
async function openApp(context, base, mode) {
  await context.route(`${base}/react-test.html`, (route) => route.fulfill({
    contentType: 'text/html',
    body: '<!doctype html><title>hook</title><div id="root"></div><script type="module" src="/react-test.js"></script>',
  }));
  await context.route(`${base}/react-test.js`, (route) => route.fulfill({ contentType: 'text/javascript', body: bundles[mode] }));
  const streams = []; // every stream the browser asks for, from the page or any worker of its
  context.on('request', (request) => { if (request.url().includes('/api/events?')) streams.push(request.url()); });
  const page = await context.newPage();
  const errors = [];
  page.on('pageerror', (error) => errors.push(error.message));
  await page.goto(`${base}/react-test.html`);
  await page.waitForFunction(() => typeof window.show === 'function');
  return {
    page, streams, errors,
    notes: () => page.$$eval('#notes li', (items) => items.map((li) => li.textContent)),
    status: () => page.getAttribute('#status', 'data-status'),
  };
}

test('useEventChannel renders each event once, follows channel changes, ignores new arrays of the same channels, closes on unmount', async () => {
  const context = await browser.newContext();
  try {
    const publish = await publisher(base);
    const { page, streams, errors, notes, status } = await openApp(context, base, 'production');

    await page.evaluate(() => window.show({ channels: 'channel:react-a', label: 'first' }));
    await page.waitForSelector('#status[data-status="open"]');
    await until('one open stream on the server', async () => await openStreams(base) === 1);
    await publish('channel:react-a', 'a1');
    await publish('channel:react-b', 'b0'); // not subscribed (yet): never shown
    await publish('channel:react-a', 'a2');
    await until('a1 and a2 rendered', async () => (await notes()).length >= 2);
    assert.deepEqual(await notes(), ['first channel:react-a a1', 'first channel:react-a a2']);

    // new arrays of the same channel set, a new label and a new token function each time: the same stream
    const rendersBefore = await page.evaluate(() => window.renders);
    for (const [i, channels] of [['channel:react-a'], ['channel:react-a'], ['channel:react-a', 'channel:react-a']].entries()) {
      await page.evaluate(([c, label]) => window.show({ channels: c, label }), [channels, `again${i}`]);
    }
    await until('the re-renders', async () => await page.evaluate((n) => window.renders >= n + 3, rendersBefore));
    await publish('channel:react-a', 'a3');
    await until('a3 rendered', async () => (await notes()).length >= 3);
    assert.equal((await notes())[2], 'again2 channel:react-a a3', 'the latest onEvent ran');
    assert.equal(streams.length, 1, `one stream requested: ${streams.join('\n')}`);
    assert.equal(await openStreams(base), 1);
    assert.equal(await status(), 'open');

    // other channels: a new stream of those; the old channel's events stop
    await page.evaluate(() => window.show({ channels: ['channel:react-c', 'channel:react-b'], label: 'switched' }));
    await until('a stream of the new channels', () => streams.some((url) => url.includes('react-c') && !url.includes('react-a')));
    await page.waitForSelector('#status[data-status="open"]');
    await until('one open stream after the switch', async () => await openStreams(base) === 1);
    await publish('channel:react-a', 'a4');
    await publish('channel:react-b', 'b1');
    await publish('channel:react-c', 'c1');
    await until('b1 and c1 rendered', async () => (await notes()).length >= 5);
    await publish('channel:react-b', 'b2');
    await until('b2 rendered', async () => (await notes()).length >= 6);
    assert.deepEqual(await notes(), [
      'first channel:react-a a1', 'first channel:react-a a2', 'again2 channel:react-a a3',
      'switched channel:react-b b1', 'switched channel:react-c c1', 'switched channel:react-b b2',
    ]);

    // no channels: no stream, status closed; then unmounted: nothing open, nothing reopened
    await page.evaluate(() => window.show({ channels: [], label: 'none' }));
    await page.waitForSelector('#status[data-status="closed"]');
    await until('no open stream without channels', async () => await openStreams(base) === 0);
    await page.evaluate(() => window.show({ channels: 'channel:react-a', label: 'back' }));
    await page.waitForSelector('#status[data-status="open"]');
    await until('a stream again', async () => await openStreams(base) === 1);
    const requested = streams.length;
    await page.evaluate(() => window.show({ mounted: false }));
    await until('the stream closed on unmount', async () => await openStreams(base) === 0);
    assert.equal(await page.$('#status'), null);
    // a reconnect would come within the first backoff (up to 1 s): watch the server for longer than that
    const reopened = await until('a reopened stream', async () => await openStreams(base) > 0, 2500).then(() => true, () => false);
    assert.equal(reopened, false, 'no stream after unmount');
    assert.equal(streams.length, requested);
    assert.deepEqual(errors, []);
  } finally {
    await context.close();
  }
});

test('under StrictMode (development React: effects run, are cleaned up, run again) one stream stays, each event once', async () => {
  const context = await browser.newContext();
  try {
    const publish = await publisher(base);
    const { page, streams, errors, notes } = await openApp(context, base, 'development');
    await page.evaluate(() => window.show({ strict: true, channels: ['channel:react-s'], label: 'strict' }));
    await page.waitForSelector('#status[data-status="open"]');
    await until('one open stream on the server', async () => await openStreams(base) === 1);
    await publish('channel:react-s', 's1');
    await publish('channel:react-s', 's2');
    await until('s1 and s2 rendered', async () => (await notes()).length >= 2);
    await page.evaluate(() => window.show({ strict: true, channels: ['channel:react-s'], label: 'strict' }));
    await publish('channel:react-s', 's3');
    await until('s3 rendered', async () => (await notes()).length >= 3);
    assert.deepEqual(await notes(), ['strict channel:react-s s1', 'strict channel:react-s s2', 'strict channel:react-s s3']);
    assert.equal(await openStreams(base), 1);
    assert.ok(streams.length <= 2, `at most StrictMode's two subscribes: ${streams.length}`);
    await page.evaluate(() => window.show({ mounted: false }));
    await until('the stream closed on unmount', async () => await openStreams(base) === 0);
    assert.deepEqual(errors, []);
  } finally {
    await context.close();
  }
});

test('Herald serves the hook, its types and the package manifest at /js/', async () => {
  for (const [file, type] of [['herald-react.js', 'javascript'], ['herald-react.d.ts', 'typescript'], ['package.json', 'json']]) {
    const res = await fetch(`${base}/js/${file}`);
    assert.equal(res.status, 200, file);
    assert.match(res.headers.get('content-type'), new RegExp(type), file);
  }
  const hookSource = await (await fetch(`${base}/js/herald-react.js`)).text();
  // served as is, it finds the client beside it; React is left for the page's bundler or import map
  assert.match(hookSource, /from '\.\/herald\.js'/);
  assert.match(hookSource, /from 'react'/);
});

test('a new string token reopens the stream from its cursor, missing nothing', async () => {
  const context = await browser.newContext();
  try {
    const publish = await publisher(base);
    const { page, streams, errors, notes } = await openApp(context, base, 'production');
    const first = await devToken(base, { userId: 'rita', name: 'Rita' });
    await page.evaluate((token) => window.show({ channels: 'channel:react-t', label: 'one', token }), first);
    await page.waitForSelector('#status[data-status="open"]');
    await publish('channel:react-t', 't1');
    await until('t1 rendered', async () => (await notes()).length >= 1);
    const second = await devToken(base, { userId: 'rita', name: 'Rita', ttlSeconds: 600 });
    assert.notEqual(second, first);
    await page.evaluate((token) => window.show({ channels: 'channel:react-t', label: 'two', token }), second);
    await publish('channel:react-t', 't2'); // while the stream is being reopened, or just after
    await until('a stream with the new token', () => streams.some((url) => url.includes(second)));
    await page.waitForSelector('#status[data-status="open"]');
    await publish('channel:react-t', 't3');
    await until('t2 and t3 rendered', async () => (await notes()).length >= 3);
    // t2 may reach the page before React commits the render with the new token (then labelled 'one')
    assert.deepEqual((await notes()).map((note) => note.split(' ').pop()), ['t1', 't2', 't3']);
    assert.equal((await notes())[2], 'two channel:react-t t3');
    const reopened = new URL(streams.find((url) => url.includes(second)));
    assert.ok(reopened.searchParams.get('lastEventId'), `resumes from a cursor: ${reopened}`);
    assert.equal(streams.length, 2);
    await page.evaluate(() => window.show({ mounted: false }));
    await until('the stream closed on unmount', async () => await openStreams(base) === 0);
    assert.deepEqual(errors, []);
  } finally {
    await context.close();
  }
});

test('useEvents keeps the last `limit` events and clears them when the channels change', async () => {
  const context = await browser.newContext();
  try {
    const publish = await publisher(base);
    const { page, streams, errors, notes } = await openApp(context, base, 'production');
    await page.evaluate(() => window.showRecent({ channels: ['channel:react-r'], limit: 2 }));
    await page.waitForSelector('#status[data-status="open"]');
    for (const text of ['r1', 'r2', 'r3']) await publish('channel:react-r', text);
    await until('r3 rendered', async () => (await notes()).includes('r3'));
    assert.deepEqual(await notes(), ['r2', 'r3']);
    await page.evaluate(() => window.showRecent({ channels: ['channel:react-q'], limit: 2 }));
    await until('the list cleared', async () => (await notes()).length === 0);
    await until('a stream of the new channel', () => streams.some((url) => url.includes('react-q')));
    await page.waitForSelector('#status[data-status="open"]');
    await publish('channel:react-q', 'q1');
    await until('q1 rendered', async () => (await notes()).length >= 1);
    assert.deepEqual(await notes(), ['q1']);
    await page.evaluate(() => window.show({ mounted: false }));
    await until('the stream closed on unmount', async () => await openStreams(base) === 0);
    assert.deepEqual(errors, []);
  } finally {
    await context.close();
  }
});

test('useJobs starts with a running job\'s current progress and follows it to the end', async () => {
  const context = await browser.newContext();
  try {
    const publish = await publisher(base);
    for (let i = 0; i < 20; i += 1) await publish('channel:react-j', `j${i}`);
    const rita = await devToken(base, { userId: 'rita', name: 'Rita' });
    const res = await fetch(`${base}/api/jobs/export`, {
      method: 'POST', headers: { 'Content-Type': 'application/json', Authorization: `Bearer ${rita}` },
      body: JSON.stringify({ channel: 'channel:react-j' }),
    });
    assert.equal(res.status, 202);
    const { jobId } = await res.json();
    const job = async () => {
      const answer = await fetch(`${base}/api/jobs/${encodeURIComponent(jobId)}`, { headers: { Authorization: `Bearer ${rita}` } });
      return answer.json();
    };
    await until('the export under way', async () => (await job()).progress >= 10, 20000);
    const before = (await job()).progress;
    const { page, errors } = await openApp(context, base, 'production');
    await page.evaluate(() => window.showJobs());
    await page.waitForSelector('#jobs li[data-status="running"]');
    const shown = Number(await page.getAttribute('#jobs li', 'data-progress'));
    assert.ok(shown >= before && shown < 100, `${shown} % shown, ${before} % before the page opened`);
    await page.waitForSelector('#jobs li[data-status="complete"]', { timeout: 30000 });
    assert.equal(await page.getAttribute('#jobs li', 'data-progress'), '100');
    assert.equal(await page.textContent('#jobs li'), 'export');
    await page.evaluate(() => window.show({ mounted: false }));
    await until('the stream closed on unmount', async () => await openStreams(base) === 0);
    assert.deepEqual(errors, []);
  } finally {
    await context.close();
  }
});
