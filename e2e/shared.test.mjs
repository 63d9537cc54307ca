// Unit tests of herald.js's shared stream (one EventSource for all tabs of a user) and of token renewal, under
// Node's test runner: several "tabs" in one process, each with its own page, timers and BroadcastChannel objects,
// sharing a fake Web Locks manager, a fake clock and a fake Herald that keeps history and honours cursors.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { subscribe, renewalDelay, SHARING } from '../src/main/resources/web/js/herald.js';

const flush = () => new Promise((resolve) => setImmediate(resolve));

/** A token that looks like Herald's: only its payload matters to herald.js. */
function jwt(claims) {
  const part = (json) => Buffer.from(JSON.stringify(json)).toString('base64url');
  return `${part({ alg: 'HS256' })}.${part(claims)}.signature`;
}

/** Web Locks with FIFO queues, `steal` (the holder's request rejects with an AbortError) and `ifAvailable`. */
class FakeLocks {
  constructor() {
    this.held = new Map();
    this.queues = new Map();
    this.rejectStolen = true;
  }
  request(name, options, callback) {
    if (typeof options === 'function') [callback, options] = [options, {}];
    return new Promise((resolve, reject) => {
      const entry = { callback, resolve, reject, done: false };
      const holder = this.held.get(name);
      if (options.steal) {
        if (holder) {
          holder.done = true;
          if (this.rejectStolen) holder.reject(new DOMException('stolen', 'AbortError'));
        }
        this.grant(name, entry);
      } else if (options.ifAvailable && holder) {
        Promise.resolve().then(() => callback(null)).then(resolve, reject);
      } else {
        if (!this.queues.has(name)) this.queues.set(name, []);
        this.queues.get(name).push(entry);
        this.pump(name);
      }
    });
  }
  pump(name) {
    const queue = this.queues.get(name) ?? [];
    if (!this.held.has(name) && queue.length > 0) this.grant(name, queue.shift());
  }
  grant(name, entry) {
    this.held.set(name, entry);
    queueMicrotask(async () => {
      let result;
      let failure;
      try {
        result = await entry.callback({ name, mode: 'exclusive' });
      } catch (error) {
        failure = error;
      }
      if (entry.done) return; // stolen meanwhile: released already
      entry.done = true;
      this.held.delete(name);
      if (failure) entry.reject(failure); else entry.resolve(result);
      this.pump(name);
    });
  }
}

/**
 * A fake Herald: per-channel ids and history, cursors valid for one channel set, `ready`, live fan-out; with
 * `jobs=1`, a `job_state` per running job after the replay and the running ids in `ready`, and GET /api/jobs/{id}.
 */
class FakeHerald {
  constructor(now) {
    this.now = now;
    this.history = new Map();
    this.sources = [];
    this.badCursors = 0;
    this.manualReady = false;
    this.jobs = new Map();
    this.jobReads = [];
  }
  /** A job transition: the job object updated (version + 1) and its event on the owner's channel. */
  job(type, jobId, fields = {}) {
    const held = this.jobs.get(jobId);
    const job = { jobId, userId: 'alice', kind: 'export', status: 'running', progress: 0, message: '', ...held,
                  ...fields, version: (held?.version ?? 0) + 1 };
    this.jobs.set(jobId, job);
    return this.publish('user:alice', { type, ...job });
  }
  /** GET /api/jobs/{id} as fetch() answers it. */
  fetch = async (url) => {
    const jobId = decodeURIComponent(new URL(url, 'http://herald').pathname.split('/').at(-1));
    this.jobReads.push(jobId);
    const job = this.jobs.get(jobId);
    const body = JSON.stringify(job ?? { error: 'not_found', message: 'no such job' });
    return { ok: Boolean(job), status: job ? 200 : 404, text: async () => body, headers: new Headers() };
  };
  last(channel) {
    return this.history.get(channel)?.at(-1)?.id ?? 0;
  }
  cursor(source) {
    return Buffer.from(JSON.stringify({ channels: source.channels, at: source.at })).toString('base64url');
  }
  connect(source) {
    const url = new URL(source.url, 'http://herald');
    source.channels = url.searchParams.getAll('channel').sort();
    source.token = url.searchParams.get('access_token');
    source.cursorIn = url.searchParams.get('lastEventId');
    source.jobs = url.searchParams.has('jobs');
    source.stateSent = new Map();
    source.live = false;
    source.replay = [];
    source.backlog = [];
    this.sources.push(source);
    source.openedAt = this.now();
    if (source.cursorIn === 'earliest') {
      source.at = Object.fromEntries(source.channels.map((c) => [c, 0]));
      source.replay.push(...source.channels.flatMap((c) => this.history.get(c) ?? []).sort((x, y) => x.seq - y.seq));
    } else if (source.cursorIn) {
      const { channels, at } = JSON.parse(Buffer.from(source.cursorIn, 'base64url').toString());
      if (channels.join() !== source.channels.join()) {
        this.badCursors += 1;
        source.at = {};
        queueMicrotask(() => source.fail());
        return;
      }
      source.at = { ...at };
      const missed = source.channels.flatMap((c) => (this.history.get(c) ?? []).filter((e) => e.id > at[c]));
      source.replay.push(...missed.sort((x, y) => x.seq - y.seq));
    } else {
      source.at = Object.fromEntries(source.channels.map((c) => [c, this.last(c)]));
    }
    if (!this.manualReady) queueMicrotask(() => this.ready(source));
  }
  /** What the cursor missed, then `ready`, then what was published since the stream was opened. */
  ready(source) {
    if (source.closed || source.live) return;
    source.live = true;
    for (const event of source.replay.splice(0)) this.send(source, event);
    const running = [...this.jobs.values()].filter((job) => job.status === 'running');
    if (source.jobs) {
      for (const job of running) {
        source.stateSent.set(job.jobId, job.version);
        source.send({ type: 'job_state', channel: 'user:alice', ...job }, this.cursor(source));
      }
    }
    source.send(source.jobs ? { type: 'ready', jobs: running.map((job) => job.jobId) } : { type: 'ready' }, this.cursor(source));
    for (const event of source.backlog.splice(0)) this.send(source, event);
  }
  send(source, event) {
    if (source.closed) return;
    source.at[event.channel] = event.id;
    if (event.version <= source.stateSent.get(event.jobId)) return; // the job_state sent said as much
    const { seq, ...data } = event;
    source.send(data, this.cursor(source));
  }
  publish(channel, fields = {}) {
    if (!this.history.has(channel)) this.history.set(channel, []);
    const event = { id: this.last(channel) + 1, channel, type: 'chat', seq: (this.seq = (this.seq ?? 0) + 1), ...fields };
    this.history.get(channel).push(event);
    for (const source of this.open().filter((s) => s.channels.includes(channel))) {
      if (source.live) queueMicrotask(() => this.send(source, event));
      else source.backlog.push(event);
    }
    return event;
  }
  /** Ends every open stream with one frame (disconnect, token_expired). */
  end(data) {
    for (const source of this.open()) source.send(data, this.cursor(source));
  }
  open() {
    return this.sources.filter((s) => !s.closed);
  }
}

/** Several tabs of one browser: a shared clock, locks and channel names; each tab its own timers and page. */
class World {
  constructor() {
    this.now = 1_000_000;
    this.timers = [];
    this.locks = new FakeLocks();
    this.herald = new FakeHerald(() => this.now);
    this.channels = [];
  }
  tab(name) {
    return new Tab(this, name);
  }
  /** Moves the clock, firing due timers in order (those of frozen tabs wait), letting messages flow between. */
  async advance(ms) {
    const end = this.now + ms;
    await flush();
    for (;;) {
      const due = this.timers.filter((t) => !t.cancelled && !t.tab.frozen && t.at <= end).sort((a, b) => a.at - b.at || a.n - b.n)[0];
      if (!due) break;
      this.now = Math.max(this.now, due.at);
      due.cancelled = true;
      due.fn();
      await flush();
    }
    this.now = end;
    await flush();
  }
}

class Tab {
  constructor(world, name) {
    this.world = world;
    this.name = name;
    this.frozen = false;
    this.inbox = [];
    this.page = new EventTarget();
    this.page.document = new EventTarget();
    const tab = this;
    this.Channel = class {
      constructor(channelName) {
        this.name = channelName;
        this.closed = false;
        world.channels.push(this);
        this.tab = tab;
      }
      postMessage(data) {
        if (this.closed) throw new DOMException('closed', 'InvalidStateError');
        if (tab.frozen) return;
        const copy = structuredClone(data);
        for (const other of world.channels) {
          if (other === this || other.closed || other.name !== this.name) continue;
          const deliver = () => { if (!other.closed) other.onmessage?.({ data: copy }); };
          if (other.tab.frozen) other.tab.inbox.push(deliver); else queueMicrotask(deliver);
        }
      }
      close() { this.closed = true; }
    };
    this.Source = class {
      constructor(url) {
        this.url = url;
        this.closed = false;
        this.tab = tab;
        world.herald.connect(this);
      }
      close() { this.closed = true; }
      send(data, lastEventId) { if (!this.closed) this.onmessage?.({ data: JSON.stringify(data), lastEventId }); }
      fail() { if (!this.closed) this.onerror?.(new Error('network')); }
    };
    let n = 0;
    this.options = {
      page: this.page,
      locks: world.locks,
      BroadcastChannel: this.Channel,
      EventSource: this.Source,
      setTimeout: (fn, ms) => { const t = { fn, at: world.now + ms, tab, n: ++n, cancelled: false }; world.timers.push(t); return t; },
      clearTimeout: (t) => { if (t) t.cancelled = true; },
      now: () => world.now,
      random: () => 0.5,
      token: jwt({ sub: 'alice' }),
      fetch: world.herald.fetch,
    };
    this.subs = [];
  }
  /** Subscribes and records what the subscription sees. */
  subscribe(channels, extra = {}) {
    const record = { events: [], statuses: [], errors: [], opens: 0, roles: [], jobs: [] };
    record.sub = subscribe(channels, {
      ...this.options,
      onEvent: (e) => record.events.push(e),
      onStatus: (s) => record.statuses.push(s),
      onError: (e) => record.errors.push(e),
      onOpen: () => { record.opens += 1; },
      onRole: (r) => record.roles.push(r),
      onJob: (job, { removed }) => record.jobs.push({ ...job, removed }),
      ...extra,
    });
    record.ids = (channel) => record.events.filter((e) => e.channel === channel).map((e) => e.id);
    this.subs.push(record);
    return record;
  }
  sources() {
    return this.world.herald.sources.filter((s) => s.tab === this);
  }
  openSources() {
    return this.sources().filter((s) => !s.closed);
  }
  freeze() { this.frozen = true; }
  /** Unfreezes; `lost`: the messages posted to it meanwhile are gone (a page in the back/forward cache). */
  async thaw({ lost = false } = {}) {
    this.frozen = false;
    const inbox = this.inbox.splice(0);
    if (!lost) for (const deliver of inbox) deliver();
    await flush();
  }
}

const range = (from, to) => Array.from({ length: to - from + 1 }, (_, i) => from + i);

test('three tabs of one user: one EventSource, one leader, every event once in every tab', async () => {
  const world = new World();
  const [a, b, c] = ['a', 'b', 'c'].map((name) => world.tab(name));
  const subs = [a, b, c].map((tab) => tab.subscribe(['channel:room']));
  await world.advance(0);
  assert.equal(world.herald.open().length, 1, 'one stream for the three tabs');
  assert.deepEqual(subs.map((s) => s.sub.role), ['leader', 'follower', 'follower']);
  assert.deepEqual(subs.map((s) => s.statuses), [['connecting', 'open'], ['connecting', 'open'], ['connecting', 'open']]);
  for (let i = 0; i < 5; i += 1) world.herald.publish('channel:room');
  await world.advance(2000);
  assert.equal(world.herald.open().length, 1, 'heartbeats do not start another stream');
  for (const s of subs) assert.deepEqual(s.ids('channel:room'), range(1, 5));
  assert.deepEqual(subs.map((s) => s.opens), [1, 1, 1]);
});

test('followers\' statuses follow the leader\'s stream: an error, the backoff, the reconnect from the cursor', async () => {
  const world = new World();
  const [a, b] = ['a', 'b'].map((name) => world.tab(name));
  const [sa, sb] = [a, b].map((tab) => tab.subscribe(['channel:room']));
  await world.advance(1000);
  world.herald.publish('channel:room');
  await world.advance(100);
  const failed = a.openSources()[0];
  failed.fail();
  world.herald.publish('channel:room');
  await world.advance(0);
  for (const s of [sa, sb]) {
    assert.deepEqual(s.statuses, ['connecting', 'open', 'reconnecting']);
    assert.equal(s.errors.length, 1, 'every tab hears of the error');
  }
  await world.advance(SHARING.silence + 1000);
  assert.equal(sb.sub.role, 'follower', 'a leader in backoff still beats: nobody steals');
  const again = a.openSources()[0];
  assert.equal(again.cursorIn, world.herald.cursor({ channels: ['channel:room'], at: { 'channel:room': 1 } }));
  for (const s of [sa, sb]) {
    assert.deepEqual(s.statuses, ['connecting', 'open', 'reconnecting', 'open']);
    assert.equal(s.opens, 2);
    assert.deepEqual(s.ids('channel:room'), [1, 2]);
  }
});

test('the leader tab closes: the next tab reopens the same channels from the last cursor, nothing lost or doubled', async () => {
  const world = new World();
  const [a, b, c] = ['a', 'b', 'c'].map((name) => world.tab(name));
  const sa = a.subscribe(['channel:a']);
  await world.advance(0);
  const sb = b.subscribe(['channel:b']);
  const sc = c.subscribe(['channel:a']);
  await world.advance(1000);
  const first = a.openSources();
  assert.equal(first.length, 1);
  assert.deepEqual(first[0].channels, ['channel:a', 'channel:b'], 'the leader widened to the union');
  world.herald.publish('channel:a');
  world.herald.publish('channel:b');
  await world.advance(100);
  const cursor = world.herald.cursor(first[0]);
  // the leader's tab goes away; events keep coming before anyone reconnects
  sa.sub.close();
  a.page.dispatchEvent(new Event('pagehide'));
  const start = world.now;
  world.herald.publish('channel:a');
  world.herald.publish('channel:b');
  world.herald.publish('channel:a');
  await world.advance(0);
  assert.equal(first[0].closed, true);
  const open = world.herald.open();
  assert.equal(open.length, 1, 'exactly one tab took over');
  assert.ok(world.now - start <= 2000);
  assert.equal(open[0].cursorIn, cursor, 'from the last cursor the followers saw');
  assert.deepEqual(open[0].channels, ['channel:a', 'channel:b'], 'with the same channel set (a cursor fits no other)');
  assert.equal(world.herald.badCursors, 0);
  for (let i = 0; i < 3; i += 1) world.herald.publish('channel:a');
  world.herald.publish('channel:b');
  await world.advance(5000);
  assert.deepEqual(sb.ids('channel:b'), [1, 2, 3]);
  assert.deepEqual(sc.ids('channel:a'), range(1, 6));
  assert.deepEqual(sb.ids('channel:a'), [], 'a tab only gets its own channels');
  assert.deepEqual(sa.ids('channel:a'), [1], 'the closed subscription got nothing after close');
  assert.equal(world.herald.open().length, 1);
  assert.equal([sb, sc].filter((s) => s.sub.role === 'leader').length, 1);
});

test('a leader that stops beating (frozen) loses the lock within 2 s; the new leader resumes; the old closes its stream', async () => {
  const world = new World();
  const [a, b, c] = ['a', 'b', 'c'].map((name) => world.tab(name));
  const subs = [a, b, c].map((tab) => tab.subscribe(['channel:room']));
  await world.advance(1000);
  world.herald.publish('channel:room');
  await world.advance(100);
  const old = a.openSources()[0];
  a.freeze();
  const frozenAt = world.now;
  // the frozen tab's stream still receives, but nobody hears of it: these must come again through the new leader
  world.herald.publish('channel:room');
  world.herald.publish('channel:room');
  await world.advance(SHARING.silence + SHARING.heartbeat + 100);
  const fresh = world.herald.open().filter((s) => s !== old);
  assert.equal(fresh.length, 1, 'one follower stole the lock and opened a stream');
  assert.ok(fresh[0].tab !== a);
  assert.ok(fresh[0].openedAt - frozenAt <= 2000, `within 2 s (took ${fresh[0].openedAt - frozenAt} ms)`);
  assert.equal(fresh[0].cursorIn, world.herald.cursor({ channels: ['channel:room'], at: { 'channel:room': 1 } }));
  assert.equal(old.closed, true, 'the stolen leader closes its EventSource at once');
  await a.thaw();
  world.herald.publish('channel:room');
  await world.advance(3000);
  assert.equal(world.herald.open().length, 1);
  for (const s of subs.slice(1)) assert.deepEqual(s.ids('channel:room'), [1, 2, 3, 4]);
  assert.deepEqual(subs[0].ids('channel:room'), [1, 2, 3, 4], 'the thawed tab follows and misses nothing either');
  assert.equal(subs[0].sub.role, 'follower');
});

test('a stolen leader that is not told (its lock request never rejects) steps down when it hears the new leader', async () => {
  const world = new World();
  world.locks.rejectStolen = false;
  const [a, b] = ['a', 'b'].map((name) => world.tab(name));
  const [sa, sb] = [a, b].map((tab) => tab.subscribe(['channel:room']));
  await world.advance(1000);
  const old = a.openSources()[0];
  a.freeze();
  await world.advance(2000);
  assert.equal(sb.sub.role, 'leader');
  assert.equal(old.closed, false, 'frozen: it could not act yet');
  await a.thaw();
  await world.advance(0);
  assert.equal(old.closed, true, 'it saw a newer leader and closed its stream');
  assert.equal(sa.sub.role, 'follower');
  world.herald.publish('channel:room');
  await world.advance(1000);
  assert.equal(world.herald.open().length, 1);
  assert.deepEqual(sa.ids('channel:room'), [1]);
  assert.deepEqual(sb.ids('channel:room'), [1]);
});

test('a follower back from the back/forward cache reads what it missed from its last cursor, then follows again', async () => {
  const world = new World();
  const [a, b] = ['a', 'b'].map((name) => world.tab(name));
  const sa = a.subscribe(['channel:room']);
  await world.advance(0);
  const sb = b.subscribe(['channel:room', 'channel:b']);
  await world.advance(1000);
  world.herald.publish('channel:room');
  world.herald.publish('channel:b');
  await world.advance(100);
  b.page.dispatchEvent(new Event('pagehide'));
  b.freeze();
  world.herald.publish('channel:room');
  world.herald.publish('channel:b');
  await world.advance(5000);
  await b.thaw({ lost: true });
  b.page.dispatchEvent(new Event('pageshow'));
  world.herald.publish('channel:room');
  await world.advance(2000);
  world.herald.publish('channel:room');
  world.herald.publish('channel:b');
  await world.advance(5000);
  assert.deepEqual(sb.ids('channel:room'), [1, 2, 3, 4], 'nothing lost, nothing twice, in order');
  assert.deepEqual(sb.ids('channel:b'), [1, 2, 3]);
  assert.deepEqual(sa.ids('channel:room'), [1, 2, 3, 4]);
  const catchUp = b.sources();
  assert.equal(catchUp.length, 1, 'one EventSource of its own, to catch up');
  assert.equal(catchUp[0].closed, true, 'closed once it caught up');
  assert.equal(world.herald.open().length, 1);
  assert.equal(sb.sub.role, 'follower');
});

test('widening: the old stream keeps delivering until the wider one is ready; the overlap is delivered once', async () => {
  const world = new World();
  const [a, b] = ['a', 'b'].map((name) => world.tab(name));
  const sa = a.subscribe(['channel:a']);
  await world.advance(1000);
  const narrow = a.openSources()[0];
  world.herald.manualReady = true;
  const sb = b.subscribe(['channel:b']);
  await world.advance(100);
  const wide = a.openSources().find((s) => s !== narrow);
  assert.deepEqual(wide.channels, ['channel:a', 'channel:b']);
  assert.equal(wide.cursorIn, null, 'a new channel set starts without a cursor');
  assert.equal(narrow.closed, false, 'the old stream stays until the new one is ready');
  assert.deepEqual(sb.statuses, ['connecting'], 'b is not open before its channel is on the stream');
  world.herald.publish('channel:a');
  world.herald.publish('channel:b');
  await world.advance(100);
  assert.deepEqual(sa.ids('channel:a'), [1], 'delivered by the old stream');
  world.herald.ready(wide);
  world.herald.publish('channel:a');
  world.herald.publish('channel:b');
  await world.advance(0);
  assert.equal(narrow.closed, false, 'a short overlap: events on their way through the old stream still arrive');
  await world.advance(SHARING.overlap);
  assert.equal(narrow.closed, true);
  world.herald.publish('channel:a');
  await world.advance(1000);
  assert.deepEqual(sa.ids('channel:a'), [1, 2, 3], 'each once, though events 2 came through both streams');
  assert.deepEqual(sb.ids('channel:b'), [1, 2], 'b has everything published after its stream was ready, and what came before it');
  assert.deepEqual(sb.statuses, ['connecting', 'open']);
  assert.equal(world.herald.open().length, 1);
});

test('widening: an event still on its way through the old stream is delivered before the new stream\'s later ones', async () => {
  const world = new World();
  const [a, b] = ['a', 'b'].map((name) => world.tab(name));
  const sa = a.subscribe(['channel:a']);
  await world.advance(1000);
  const old = a.openSources()[0];
  world.herald.manualReady = true;
  b.subscribe(['channel:b']);
  await world.advance(100);
  const wide = a.openSources().find((s) => s !== old);
  world.herald.ready(wide);
  await world.advance(0);
  // a1 was published before the wide stream registered, a2 after: the wide stream brings a2 before the old brings a1
  wide.send({ type: 'chat', channel: 'channel:a', id: 2 }, 'w2');
  await world.advance(100);
  old.send({ type: 'chat', channel: 'channel:a', id: 1 }, 'o1');
  old.send({ type: 'chat', channel: 'channel:a', id: 2 }, 'o2');
  await world.advance(SHARING.overlap);
  assert.equal(old.closed, true);
  assert.deepEqual(sa.ids('channel:a'), [1, 2], 'in order, each once');
});

test('a hand-over then a widening: the replay from the cursor comes first, then the wider stream\'s events', async () => {
  const world = new World();
  const [a, b] = ['a', 'b'].map((name) => world.tab(name));
  const sa = a.subscribe(['channel:a']);
  await world.advance(0);
  const sb = b.subscribe(['channel:a']);
  await world.advance(1000);
  world.herald.publish('channel:a');
  await world.advance(100);
  world.herald.manualReady = true;
  sa.sub.close();
  world.herald.publish('channel:a');
  world.herald.publish('channel:a');
  await world.advance(0);
  const resumed = b.openSources()[0];
  assert.ok(resumed.cursorIn, 'b resumes from the cursor');
  b.subscribe(['channel:b']);
  await world.advance(0);
  const wide = b.openSources().find((s) => s !== resumed);
  assert.deepEqual(wide.channels, ['channel:a', 'channel:b']);
  world.herald.ready(wide);
  world.herald.publish('channel:a');
  await world.advance(2000);
  assert.equal(resumed.closed, false, 'the old stream is waited for while it replays');
  assert.deepEqual(sb.ids('channel:a'), [1]);
  world.herald.ready(resumed);
  await world.advance(SHARING.overlap);
  assert.equal(resumed.closed, true);
  world.herald.publish('channel:a');
  await world.advance(1000);
  assert.deepEqual(sb.ids('channel:a'), [1, 2, 3, 4, 5], 'the replay, then the wider stream, each once, in order');
});

test('a tab asking for a channel the stream cannot get: its subscription hears the errors, the others keep their stream', async () => {
  const world = new World();
  const [a, b] = ['a', 'b'].map((name) => world.tab(name));
  const sa = a.subscribe(['channel:a']);
  await world.advance(1000);
  const old = a.openSources()[0];
  world.herald.manualReady = true;
  const sb = b.subscribe(['channel:secret']);
  await world.advance(100);
  const refused = a.openSources().find((s) => s !== old);
  refused.fail(); // 403: the EventSource only sees an error
  world.herald.publish('channel:a');
  await world.advance(100);
  assert.equal(sb.errors.length, 1, 'the subscription waiting for the wider stream hears of it');
  assert.equal(sa.errors.length, 0, 'the others do not: their stream is fine');
  assert.equal(old.closed, false);
  assert.deepEqual(sa.ids('channel:a'), [1]);
  assert.deepEqual(sb.statuses, ['connecting']);
});

test('narrowing waits: a tab leaving shrinks the stream only after a few seconds, and only once', async () => {
  const world = new World();
  const [a, b] = ['a', 'b'].map((name) => world.tab(name));
  const sa = a.subscribe(['channel:a']);
  await world.advance(0);
  const sb = b.subscribe(['channel:b']);
  await world.advance(1000);
  const before = a.openSources();
  assert.deepEqual(before.map((s) => s.channels), [['channel:a', 'channel:b']]);
  sb.sub.close();
  await world.advance(SHARING.narrowAfter - 500);
  assert.deepEqual(a.openSources(), before, 'not yet');
  await world.advance(2000);
  assert.deepEqual(a.openSources().map((s) => s.channels), [['channel:a']]);
  world.herald.publish('channel:a');
  await world.advance(100);
  assert.deepEqual(sa.ids('channel:a'), [1]);
});

test('a lock manager that refuses (an opaque origin): each tab keeps a stream of its own and still delivers', async () => {
  const world = new World();
  world.locks.request = () => Promise.reject(new DOMException('no locks in an opaque origin', 'SecurityError'));
  const [a, b] = ['a', 'b'].map((name) => world.tab(name));
  const [sa, sb] = [a, b].map((tab) => tab.subscribe(['channel:room']));
  await world.advance(3000);
  assert.equal(world.herald.open().length, 2);
  world.herald.publish('channel:room');
  await world.advance(1000);
  assert.deepEqual(sa.ids('channel:room'), [1]);
  assert.deepEqual(sb.ids('channel:room'), [1]);
  assert.deepEqual([sa.sub.role, sb.sub.role], ['leader', 'leader']);
});

test('two users in one browser never share a stream, even in one tab', async () => {
  const world = new World();
  const [a, b] = ['a', 'b'].map((name) => world.tab(name));
  const alice = a.subscribe(['channel:room']);
  const bob = b.subscribe(['channel:room'], { token: () => jwt({ sub: 'bob' }) });
  const bob2 = a.subscribe(['channel:room'], { token: jwt({ sub: 'bob' }) });
  await world.advance(1000);
  const open = world.herald.open();
  assert.equal(open.length, 2, 'one stream per user');
  assert.deepEqual(open.map((s) => JSON.parse(Buffer.from(s.token.split('.')[1], 'base64url')).sub).sort(), ['alice', 'bob']);
  assert.deepEqual([alice, bob, bob2].map((s) => s.sub.role), ['leader', 'leader', 'follower']);
  const custom = b.subscribe(['channel:room'], { sharedKey: 'kiosk' });
  await world.advance(0);
  assert.equal(world.herald.open().length, 3, 'sharedKey makes a group of its own');
  assert.equal(custom.sub.role, 'leader');
});

test('shared: false, a lastEventId, or no Web Locks: a stream of its own per subscription, as before', async () => {
  const world = new World();
  const a = world.tab('a');
  const one = a.subscribe(['channel:room'], { shared: false });
  const two = a.subscribe(['channel:room'], { shared: false });
  const three = a.subscribe(['channel:room'], { lastEventId: 'earliest' });
  const four = a.subscribe(['channel:room'], { locks: null });
  await world.advance(0);
  assert.equal(world.herald.open().length, 4);
  assert.deepEqual([one, two, three, four].map((s) => s.sub.role), ['single', 'single', 'single', 'single']);
  world.herald.publish('channel:room');
  await world.advance(0);
  for (const s of [one, two, three, four]) assert.deepEqual(s.ids('channel:room'), [1]);
});

test('a disconnect reaches every tab; subscriptions close unless told to reconnect, which then keep the stream', async () => {
  const world = new World();
  const [a, b, c] = ['a', 'b', 'c'].map((name) => world.tab(name));
  const sa = a.subscribe(['channel:room']);
  const sb = b.subscribe(['channel:room']);
  const sc = c.subscribe(['channel:room'], { reconnectAfterDisconnect: true });
  await world.advance(1000);
  world.herald.end({ type: 'disconnect', reason: 'banned' });
  await world.advance(0);
  for (const s of [sa, sb, sc]) assert.deepEqual(s.events.map((e) => e.reason), ['banned']);
  assert.equal(sa.statuses.at(-1), 'closed');
  assert.equal(sb.statuses.at(-1), 'closed');
  await world.advance(5000);
  const open = world.herald.open();
  assert.equal(open.length, 1, 'the tab that reconnects keeps a stream');
  assert.equal(open[0].tab, c);
  assert.equal(sc.statuses.at(-1), 'open');
  world.herald.publish('channel:room');
  await world.advance(100);
  assert.deepEqual(sc.ids('channel:room'), [1]);
  assert.deepEqual(sa.ids('channel:room'), []);
});

test('a disconnect with every subscription staying closed leaves no stream open in any tab', async () => {
  const world = new World();
  const tabs = ['a', 'b', 'c'].map((name) => world.tab(name));
  tabs.forEach((tab) => tab.subscribe(['channel:room']));
  await world.advance(1000);
  world.herald.end({ type: 'disconnect', reason: 'banned' });
  await world.advance(10000);
  assert.equal(world.herald.open().length, 0);
  assert.equal(world.herald.sources.length, 1, 'and none was reopened');
});

test('renewalDelay: 85 % of the lifetime, at least 1 s before exp, none when too late or no exp', () => {
  const now = 1_000_000_000;
  const at = (iat, exp) => renewalDelay(jwt({ iat, exp }), now);
  assert.equal(at(1_000_000, 1_000_100), 85_000);
  assert.equal(at(1_000_000, 1_000_005), 4000, 'a 5 s token: 1 s before exp');
  assert.equal(at(999_990, 1_000_010), 7000, 'measured from now, with 15 % of the lifetime as margin');
  assert.equal(at(1_000_000, 1_000_001), null, 'no time to renew: the server ends the stream');
  assert.equal(renewalDelay(jwt({ sub: 'x' }), now), null);
  assert.equal(renewalDelay('not-a-jwt', now), null);
});

for (const shared of [true, false]) {
  test(`a token function is renewed before exp and the stream reopens from its cursor, nothing lost or doubled (shared: ${shared})`, async () => {
    const world = new World();
    const a = world.tab('a');
    const issued = [];
    const token = () => {
      const t = jwt({ sub: 'alice', iat: Math.floor(world.now / 1000), exp: Math.floor(world.now / 1000) + 10 });
      issued.push(t);
      return Promise.resolve(t);
    };
    const s = a.subscribe(['channel:room'], { token, shared });
    await world.advance(100);
    world.herald.publish('channel:room');
    await world.advance(5000);
    world.herald.publish('channel:room');
    await world.advance(3000);
    assert.equal(world.herald.sources.length, 1, 'not yet renewed at 8.1 s of a 10 s token');
    const first = world.herald.sources[0];
    await world.advance(1000);
    assert.equal(world.herald.sources.length, 2, 'renewed before exp');
    const second = world.herald.sources[1];
    assert.equal(first.closed, true);
    assert.equal(second.token, issued.at(-1), 'with the fresh token');
    assert.notEqual(second.token, first.token);
    assert.equal(second.cursorIn, world.herald.cursor({ channels: ['channel:room'], at: { 'channel:room': 2 } }));
    world.herald.publish('channel:room');
    await world.advance(9000);
    assert.equal(world.herald.sources.length, 3, 'and again before the fresh token ends');
    world.herald.publish('channel:room');
    await world.advance(100);
    assert.deepEqual(s.ids('channel:room'), [1, 2, 3, 4]);
    assert.deepEqual(s.statuses, ['connecting', 'open'], 'a renewal is not a reconnect');
    assert.equal(world.herald.open().length, 1);
  });
}

test('a renewal opens the fresh stream before closing the current one: never without a stream, each event once', async () => {
  const world = new World();
  const a = world.tab('a');
  const token = () => jwt({ sub: 'alice', iat: Math.floor(world.now / 1000), exp: Math.floor(world.now / 1000) + 10 });
  const s = a.subscribe(['channel:room'], { token });
  await world.advance(100);
  world.herald.publish('channel:room');
  await world.advance(100);
  world.herald.manualReady = true;
  await world.advance(9000);
  const [current, fresh] = world.herald.sources;
  assert.ok(fresh, 'the renewal opened a stream');
  assert.equal(current.closed, false, 'the current stream stays until the fresh one is ready');
  world.herald.publish('channel:room');
  await world.advance(100);
  assert.deepEqual(s.ids('channel:room'), [1, 2], 'delivered by the current stream');
  world.herald.ready(fresh);
  world.herald.publish('channel:room');
  await world.advance(0);
  assert.equal(current.closed, true, 'closed once the fresh stream is ready');
  current.fail();
  await world.advance(100);
  assert.equal(world.herald.sources.length, 2, 'the closed stream failing afterwards starts nothing');
  assert.deepEqual(s.ids('channel:room'), [1, 2, 3], 'event 2, replayed by the fresh stream, once');
  assert.deepEqual(s.statuses, ['connecting', 'open']);
});

test('the server ends the stream while a renewal is under way: the renewal\'s stream goes on, nothing lost', async () => {
  const world = new World();
  const a = world.tab('a');
  const token = () => jwt({ sub: 'alice', iat: Math.floor(world.now / 1000), exp: Math.floor(world.now / 1000) + 10 });
  const s = a.subscribe(['channel:room'], { token, shared: false });
  await world.advance(100);
  world.herald.manualReady = true;
  await world.advance(9000);
  const [current, fresh] = world.herald.sources;
  world.herald.publish('channel:room');
  current.send({ type: 'token_expired', expiredAt: 'now' }, world.herald.cursor(current));
  await world.advance(0);
  assert.equal(current.closed, true);
  assert.equal(world.herald.open().length, 1, 'no third stream: the renewal\'s takes over');
  world.herald.ready(fresh);
  world.herald.publish('channel:room');
  await world.advance(100);
  assert.deepEqual(s.ids('channel:room'), [1, 2]);
});

test('a string token is not renewed; renewBeforeExpiry: false leaves it to the server end', async () => {
  const world = new World();
  const a = world.tab('a');
  const fixed = jwt({ sub: 'alice', iat: 1000, exp: 1010 });
  a.subscribe(['channel:room'], { token: fixed, shared: false });
  a.subscribe(['channel:room'], {
    token: () => jwt({ sub: 'alice', iat: 1000, exp: 1010 }), renewBeforeExpiry: false, shared: false,
  });
  await world.advance(20000);
  assert.equal(world.herald.sources.length, 2);
});

test('a shared string token that expires closes every tab with a token_expired error', async () => {
  const world = new World();
  const [a, b] = ['a', 'b'].map((name) => world.tab(name));
  const [sa, sb] = [a, b].map((tab) => tab.subscribe(['channel:room']));
  await world.advance(1000);
  world.herald.end({ type: 'token_expired', expiredAt: '2026-12-01T00:00:00Z' });
  await world.advance(5000);
  for (const s of [sa, sb]) {
    assert.equal(s.errors[0]?.code, 'token_expired');
    assert.equal(s.statuses.at(-1), 'closed');
  }
  assert.equal(world.herald.open().length, 0);
});

test('a resync resets the dedupe mark of its channel: ids that start over are delivered', async () => {
  const world = new World();
  const a = world.tab('a');
  const s = a.subscribe(['channel:room']);
  await world.advance(0);
  const source = a.openSources()[0];
  source.send({ type: 'chat', channel: 'channel:room', id: 7 }, 'x');
  source.send({ type: 'chat', channel: 'channel:room', id: 7 }, 'x');
  source.send({ type: 'chat', channel: 'channel:room', id: 6 }, 'x');
  source.send({ type: 'resync', channel: 'channel:room', id: 0 }, 'y');
  source.send({ type: 'chat', channel: 'channel:room', id: 1 }, 'z');
  source.send({ type: 'presence', channel: 'channel:room' }, 'z');
  await world.advance(0);
  assert.deepEqual(s.events.map((e) => `${e.type}${e.id ?? ''}`), ['chat7', 'resync0', 'chat1', 'presence']);
});

test('a disconnect that reaches the next tab only after the lock did still closes it (it is in no history)', async () => {
  const world = new World();
  const [a, b, c] = ['a', 'b', 'c'].map((name) => world.tab(name));
  const subs = [a, b, c].map((tab) => tab.subscribe(['channel:kicked']));
  await world.advance(1000);
  assert.deepEqual(subs.map((s) => s.sub.role), ['leader', 'follower', 'follower']);
  // b's messages wait (as a busy tab's do) while the leader's resignation hands b the lock first
  b.freeze();
  world.herald.end({ type: 'disconnect', reason: 'banned' });
  await world.advance(0);
  assert.equal(subs[1].sub.role, 'leader', 'b took the lock before it read the disconnect');
  await b.thaw();
  await world.advance(10000);
  for (const s of subs) {
    assert.deepEqual(s.events.map((e) => e.reason), ['banned'], 'every tab got the disconnect once');
    assert.equal(s.statuses.at(-1), 'closed');
  }
  assert.equal(world.herald.open().length, 0, 'no stream stays open for a disconnected user');
});

test('a string token\'s end that reaches the next tab only after the lock did still closes it (no stream reopens)', async () => {
  const world = new World();
  const [a, b, c] = ['a', 'b', 'c'].map((name) => world.tab(name));
  const subs = [a, b, c].map((tab) => tab.subscribe(['channel:room']));
  await world.advance(1000);
  b.freeze();
  world.herald.end({ type: 'token_expired', expiredAt: '2026-12-01T00:00:00Z' });
  await world.advance(0);
  assert.equal(subs[1].sub.role, 'leader', 'b took the lock before it read the old leader\'s last message');
  await b.thaw();
  await world.advance(10000);
  for (const s of subs) {
    assert.deepEqual(s.errors.map((e) => e.code), ['token_expired'], 'every tab told once');
    assert.equal(s.statuses.at(-1), 'closed');
  }
  assert.equal(world.herald.open().length, 0, 'the expired token opens no stream');
});

/** What a record's onJob saw of job `jobId`: [status, progress] per accepted change. */
const seenOf = (record, jobId) => record.jobs.filter((j) => j.jobId === jobId).map((j) => [j.status, j.progress]);

test('jobs: a tab joining an open stream shows the running job at once, from the leader\'s view, on the one stream', async () => {
  const world = new World();
  const [a, b] = ['a', 'b'].map((name) => world.tab(name));
  const sa = a.subscribe(['channel:room'], { jobs: true });
  await world.advance(1000);
  world.herald.job('generation_started', 'j1');
  world.herald.job('generation_progress', 'j1', { progress: 30, message: '3 of 10' });
  await world.advance(100);
  assert.deepEqual(seenOf(sa, 'j1'), [['running', 0], ['running', 30]]);
  const sb = b.subscribe(['channel:room'], { jobs: true });
  await world.advance(0); // messages flow, no timer fires: no heartbeat, no event of the job
  assert.deepEqual(seenOf(sb, 'j1'), [['running', 30]], 'the current progress at once');
  assert.equal(sb.sub.jobs.get('j1').message, '3 of 10');
  assert.equal(sb.sub.role, 'follower');
  assert.equal(world.herald.open().length, 1, 'no stream of its own');
  assert.deepEqual(world.herald.jobReads, [], 'no GET either');
  world.herald.job('generation_progress', 'j1', { progress: 60 });
  world.herald.job('generation_complete', 'j1', { status: 'complete', progress: 100, result: '/api/jobs/j1/result' });
  await world.advance(1000);
  for (const s of [sa, sb]) {
    assert.deepEqual(seenOf(s, 'j1').slice(-2), [['running', 60], ['complete', 100]]);
    assert.equal(s.sub.jobs.get('j1').result, '/api/jobs/j1/result');
    assert.ok(!s.events.some((e) => e.type === 'job_state'), 'job_state is no ordinary event');
  }
});

test('jobs: the first tab to want jobs widens the stream to jobs=1 and gets the running job from its job_state', async () => {
  const world = new World();
  const [a, b] = ['a', 'b'].map((name) => world.tab(name));
  const sa = a.subscribe(['channel:room', 'user:alice']);
  await world.advance(1000);
  world.herald.job('generation_started', 'j1');
  world.herald.job('generation_progress', 'j1', { progress: 40 });
  await world.advance(100);
  assert.equal(world.herald.open()[0].jobs, false);
  const sb = b.subscribe(['channel:room'], { jobs: true });
  await world.advance(2000);
  const open = world.herald.open();
  assert.equal(open.length, 1);
  assert.equal(open[0].jobs, true);
  assert.deepEqual(open[0].channels, ['channel:room', 'user:alice']);
  assert.deepEqual(seenOf(sb, 'j1').at(-1), ['running', 40]);
  assert.deepEqual(sa.jobs, [], 'no onJob without jobs: true');
  assert.ok(!sa.events.some((e) => e.type === 'job_state'));
  assert.deepEqual(sb.statuses.at(-1), 'open');
});

test('jobs: after a hand-over the new leader settles a job whose end no history holds (GET) for every tab', async () => {
  const world = new World();
  const [a, b, c] = ['a', 'b', 'c'].map((name) => world.tab(name));
  const sa = a.subscribe(['channel:room'], { jobs: true });
  await world.advance(0);
  const [sb, sc] = [b, c].map((tab) => tab.subscribe(['channel:room'], { jobs: true }));
  await world.advance(1000);
  world.herald.job('generation_started', 'j1');
  world.herald.job('generation_started', 'j2');
  world.herald.job('generation_progress', 'j2', { progress: 50 });
  await world.advance(100);
  sa.sub.close();
  a.page.dispatchEvent(new Event('pagehide'));
  // while no tab leads: j1 completes (replayed from history), j2 fails and history loses it
  world.herald.job('generation_complete', 'j1', { status: 'complete', progress: 100, result: '/r1' });
  world.herald.job('generation_failed', 'j2', { status: 'failed', error: 'worker_lost', message: 'the worker stopped reporting' });
  world.herald.history.set('user:alice', world.herald.history.get('user:alice').filter((e) => e.jobId !== 'j2'));
  await world.advance(3000);
  assert.deepEqual(world.herald.jobReads, ['j2'], 'only the job the replay did not settle, read once by the leader');
  for (const s of [sb, sc]) {
    assert.deepEqual(seenOf(s, 'j1').at(-1), ['complete', 100]);
    assert.equal(s.sub.jobs.get('j2').status, 'failed');
    assert.equal(s.sub.jobs.get('j2').error, 'worker_lost');
    assert.deepEqual(s.errors, []);
  }
});
