// Unit tests of herald.js's jobs view (`jobs: true`), under Node's test runner: the version rule, job_state, the
// settling of a ready event's list with a fake fetch, on a stream of its own (the shared stream's jobs are tested in
// shared.test.mjs).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { subscribe, userChannel } from '../src/main/resources/web/js/herald.js';
import { JobsView, jobOf, settleJobs } from '../src/main/resources/web/js/herald-jobs.js';
import { FakeSource } from './fake-source.mjs';

const flush = () => new Promise((resolve) => setImmediate(resolve));

function jwt(claims) {
  const part = (json) => Buffer.from(JSON.stringify(json)).toString('base64url');
  return `${part({ alg: 'HS256' })}.${part(claims)}.signature`;
}

/** A job object as the server writes it (docs: the contract of issue 18). */
function job(version, fields = {}) {
  return {
    jobId: 'j1.alice', userId: 'alice', kind: 'export', status: 'running', progress: (version - 1) * 10, message: '',
    version, createdAt: '2026-12-01T05:40:00.000Z', updatedAt: '2026-12-01T05:40:00.000Z', ...fields,
  };
}

/** The event carrying `of` on the user's channel. */
function event(type, of, id) {
  return { type, channel: 'user:alice', timestamp: '2026-12-01T05:40:01.000Z', ...(id === undefined ? {} : { id }), ...of };
}

/** A fake fetch answering GET /api/jobs/{id} from `jobs` (404 when absent); records the calls. */
function fakeFetch(jobs) {
  const calls = [];
  const doFetch = async (url, init) => {
    calls.push({ url, authorization: init.headers.Authorization, credentials: init.credentials });
    const id = decodeURIComponent(url.split('/api/jobs/')[1]);
    const found = jobs.get(id);
    const body = found ? JSON.stringify(found) : JSON.stringify({ error: 'not_found', message: 'no such job' });
    return { ok: Boolean(found), status: found ? 200 : 404, text: async () => body, headers: new Headers() };
  };
  return { doFetch, calls };
}

function single(channels, extra = {}) {
  FakeSource.instances = [];
  const seen = { jobs: [], events: [], errors: [] };
  const sub = subscribe(channels, {
    shared: false, EventSource: FakeSource, setTimeout: () => 0, clearTimeout: () => {}, token: jwt({ sub: 'alice' }),
    jobs: true, onJob: (j, change) => seen.jobs.push({ ...j, removed: change.removed }),
    onEvent: (e) => seen.events.push(e), onError: (e) => seen.errors.push(e), ...extra,
  });
  return { sub, seen, source: () => FakeSource.instances.at(-1) };
}

test('jobOf: the job of a job event; nothing for other events, channels, or a generation_* without version', () => {
  assert.deepEqual(jobOf(event('generation_progress', job(2), 7)), job(2));
  assert.deepEqual(jobOf(event('job_state', job(3))), job(3));
  assert.equal(jobOf(event('chat', job(2), 8)), null);
  assert.equal(jobOf({ ...event('generation_progress', job(2), 7), channel: 'channel:general' }), null);
  const { version, ...published } = job(2);
  assert.equal(jobOf(event('generation_progress', published, 9)), null, 'a worker\'s own publish has no version');
});

test('the view keeps only a higher version: duplicates and stale events never move progress back', () => {
  const changes = [];
  const view = new JobsView({ onJob: (j) => changes.push(j.version) });
  assert.equal(view.apply(job(1)), true);
  assert.equal(view.apply(job(3, { progress: 60 })), true);
  assert.equal(view.apply(job(2, { progress: 30 })), false, 'stale: older than the one held');
  assert.equal(view.apply(job(3, { progress: 60 })), false, 'the same version twice');
  assert.equal(view.snapshot().get('j1.alice').progress, 60);
  assert.deepEqual(changes, [1, 3]);
  view.apply(job(4, { status: 'complete', progress: 100, result: '/api/jobs/j1.alice/result' }));
  assert.equal(view.snapshot().get('j1.alice').status, 'complete', 'a finished job stays');
  assert.deepEqual(view.unlisted([]), [], 'only running jobs are settled');
});

test('the view keeps at most keepFinished finished jobs, telling onJob of each it drops', () => {
  const removed = [];
  const view = new JobsView({ keepFinished: 2, onJob: (j, { removed: gone }) => { if (gone) removed.push(j.jobId); } });
  for (const id of ['a', 'b', 'c']) view.apply(job(2, { jobId: id, status: 'failed', error: 'failed' }));
  view.apply(job(1, { jobId: 'r' }));
  assert.deepEqual([...view.snapshot().keys()].sort(), ['b', 'c', 'r']);
  assert.deepEqual(removed, ['a']);
});

test('settleJobs reads the running jobs a ready list does not name; 404 removes unless a newer event came', async () => {
  const view = new JobsView();
  for (const id of ['done', 'gone', 'busy', 'listed']) view.apply(job(2, { jobId: id }));
  const server = new Map([['done', job(5, { jobId: 'done', status: 'complete', progress: 100 })]]);
  const answered = [];
  const changed = await settleJobs(view, ['listed'], async (id) => {
    if (id === 'busy') view.apply(job(3, { jobId: 'busy', progress: 40 })); // an event while the GET runs
    answered.push(id);
    if (server.has(id)) return server.get(id);
    throw Object.assign(new Error('no such job'), { status: 404 });
  });
  assert.deepEqual(answered.sort(), ['busy', 'done', 'gone']);
  assert.deepEqual(changed.jobs.map((j) => j.jobId), ['done']);
  assert.deepEqual(changed.gone, [{ jobId: 'gone', version: 2 }]);
  const jobs = view.snapshot();
  assert.equal(jobs.get('done').status, 'complete');
  assert.equal(jobs.has('gone'), false);
  assert.equal(jobs.get('busy').progress, 40, 'a newer event during the GET wins over its 404');
  assert.equal(jobs.get('listed').version, 2);
});

test('jobs: true asks for jobs=1 with the user\'s own channel added from the token; onJob and sub.jobs follow', () => {
  const { sub, seen, source } = single(['channel:general']);
  const url = new URL(source().url, 'http://x');
  assert.equal(url.searchParams.get('jobs'), '1');
  assert.deepEqual(url.searchParams.getAll('channel'), ['channel:general', 'user:alice']);
  assert.deepEqual(sub.channels, ['channel:general', 'user:alice']);
  source().message(event('job_state', job(3, { progress: 20 })), 'c1');
  source().message({ type: 'ready', jobs: ['j1.alice'] }, 'c1');
  source().message(event('generation_progress', job(3, { progress: 20 }), 5), 'c2'); // the server's dedupe missed it
  source().message(event('generation_progress', job(4, { progress: 30, message: '3 of 10' }), 6), 'c3');
  assert.deepEqual(seen.jobs.map((j) => j.progress), [20, 30]);
  assert.deepEqual(seen.events.map((e) => e.type), ['generation_progress', 'generation_progress'],
                   'job_state is not an ordinary event; generation_* still are');
  assert.equal(sub.jobs.get('j1.alice').message, '3 of 10');
  sub.close();
});

test('jobs: true with a function token returning a JWT adds the channel; an unreadable token needs it listed', () => {
  const { sub, source } = single('channel:general', { token: () => jwt({ sub: 'auth0|5f' }) });
  assert.deepEqual(new URL(source().url, 'http://x').searchParams.getAll('channel'), ['channel:general', userChannel('auth0|5f')]);
  sub.close();
  assert.throws(() => single(['channel:general'], { token: 'opaque' }), /own channel/);
  assert.throws(() => single(['channel:general'], { token: async () => jwt({ sub: 'alice' }) }), /userChannel/);
  const listed = single(['channel:general', 'user:alice'], { token: async () => jwt({ sub: 'alice' }) });
  listed.sub.close();
  const plain = single(['channel:general'], { jobs: false });
  assert.equal(new URL(plain.source().url, 'http://x').searchParams.get('jobs'), null);
  assert.equal(plain.sub.jobs.size, 0);
  plain.sub.close();
});

test('a reconnect\'s ready list settles a job that finished meanwhile (GET with the token) and drops one gone', async () => {
  const done = job(6, { status: 'complete', progress: 100, result: '/api/jobs/j1.alice/result' });
  const server = fakeFetch(new Map([['j1.alice', done]]));
  const token = jwt({ sub: 'alice' });
  const { sub, seen, source } = single(['user:alice'], { fetch: server.doFetch, baseUrl: 'http://h', token });
  source().message({ type: 'ready', jobs: [] }, 'c0');
  source().message(event('generation_started', job(1), 1), 'c1');
  source().message(event('generation_started', job(1, { jobId: 'j2.alice' }), 2), 'c2');
  source().message({ type: 'ready', jobs: ['j1.alice', 'j2.alice'] }, 'c2'); // both listed: nothing to read
  await flush();
  assert.equal(server.calls.length, 0);
  source().message({ type: 'ready', jobs: [] }, 'c9'); // a new stream: neither runs any more
  await flush();
  assert.deepEqual(server.calls.map((c) => c.url).sort(), ['http://h/api/jobs/j1.alice', 'http://h/api/jobs/j2.alice']);
  assert.ok(server.calls.every((c) => c.authorization === `Bearer ${token}`));
  assert.deepEqual(seen.jobs.map((j) => [j.jobId, j.status, j.removed]),
    [['j1.alice', 'running', false], ['j2.alice', 'running', false], ['j1.alice', 'complete', false],
     ['j2.alice', 'running', true]]);
  assert.deepEqual([...sub.jobs.keys()], ['j1.alice']);
  assert.deepEqual(seen.errors, []);
  sub.close();
});

test('with withCredentials (a cookie-authenticated page on another origin), the settling GET sends the cookie too', async () => {
  const server = fakeFetch(new Map());
  const { sub, source } = single(['user:alice'], { fetch: server.doFetch, baseUrl: 'http://h', withCredentials: true });
  source().message(event('generation_started', job(1), 1), 'c1');
  source().message({ type: 'ready', jobs: [] }, 'c2');
  await flush();
  assert.deepEqual(server.calls.map((c) => c.credentials), ['include']);
  sub.close();
  const plain = single(['user:alice'], { fetch: server.doFetch, baseUrl: 'http://h' });
  plain.source().message(event('generation_started', job(1), 1), 'c1');
  plain.source().message({ type: 'ready', jobs: [] }, 'c2');
  await flush();
  assert.equal(server.calls.at(-1).credentials, undefined, 'same-origin pages keep fetch\'s default');
  plain.sub.close();
});
