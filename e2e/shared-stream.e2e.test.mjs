// herald.js shares one stream among the tabs of an origin (issue 17): five tabs open one server stream, the leader's
// tab closing or freezing hands over within 2 s with every event once in every tab, a tab widening the shared stream
// loses nobody's events, a 5-second token renews before it expires, and different users never share a stream.
// One browser context is one browser profile; its pages are the tabs.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { launchBrowser, startHerald, until, devToken } from './harness.mjs';

/** Slack for a slow, shared machine; the hand-over bound itself stays at the 2 s. */
const SLOW = 30000;
const HANDOVER_MS = 2000;

let browser;
let herald;
let base;
let service;

before(async () => {
  browser = await launchBrowser();
  // streams end 1 s past their token's exp, as in token-expiry.e2e.test.mjs: a late renewal shows as token_expired
  herald = await startHerald({ props: { 'herald.auth.jwt.clock-skew': 'PT1S' } });
  base = `http://localhost:${herald.port}`;
  service = await devToken(base, { userId: 'publisher', roles: ['service'] });
});

after(async () => {
  await browser?.close();
  await herald?.stop();
});

/** A meter's value from the Prometheus text at /observe/metrics (docs/metrics.md). */
async function metric(name) {
  const text = await (await fetch(`${base}/observe/metrics`)).text();
  const line = text.split('\n').find((l) => l.startsWith(`${name}{`));
  assert.ok(line, `${name} in /observe/metrics`);
  return Number(line.slice(line.lastIndexOf(' ') + 1));
}

const connections = () => metric('sse_connections_total');

async function serviceGet(path) {
  const res = await fetch(`${base}${path}`, { headers: { Authorization: `Bearer ${service}` } });
  assert.equal(res.status, 200, `GET ${path}`);
  return res.json();
}

async function publish(channel, n) {
  const res = await fetch(`${base}/api/publish`, {
    method: 'POST', headers: { 'Content-Type': 'application/json', Authorization: `Bearer ${service}` },
    body: JSON.stringify({ channel, type: 'tick', n }),
  });
  assert.equal(res.status, 202, `publish ${channel} ${n}`);
}

/** Publishers still running, stopped when a test fails halfway. */
const publishers = new Set();

/**
 * Publishes `tick` events round-robin on `channels`, each channel numbering its own from 1, one every `every` ms,
 * until stopped. `log` says when each was sent (Date.now() before the request), for the hand-over timings. A
 * refused publish stops it and fails the test's next `more()` or `stop()`.
 */
function startPublisher(channels, { every = 20 } = {}) {
  const counts = Object.fromEntries(channels.map((c) => [c, 0]));
  const log = [];
  let stopping = false;
  let failure = null;
  const done = (async () => {
    for (let i = 0; !stopping; i += 1) {
      const channel = channels[i % channels.length];
      const n = counts[channel] + 1;
      const sent = Date.now();
      await publish(channel, n);
      counts[channel] = n;
      log.push({ channel, n, sent });
      await new Promise((r) => setTimeout(r, every));
    }
  })().catch((error) => { failure = error; });
  const publisher = {
    counts,
    log,
    /** Waits until `count` more events have been published. */
    async more(count) {
      const target = log.length + count;
      await until(`${count} more events published`, () => {
        if (failure) throw failure;
        return log.length >= target;
      }, SLOW);
    },
    async stop() {
      stopping = true;
      publishers.delete(publisher);
      await done;
      if (failure) throw failure;
      return { ...counts };
    },
    halt() {
      stopping = true;
      return done;
    },
  };
  publishers.add(publisher);
  return publisher;
}

/** Stops the publishers a failed test left running. */
async function stopPublishers() {
  for (const publisher of publishers) await publisher.halt();
  publishers.clear();
}

/** A tab of `context` on Herald's origin with herald.js loaded and `window.addSub` to subscribe from the test. */
async function openTab(context) {
  const page = await context.newPage();
  await page.goto(base);
  await page.evaluate(async () => {
    const herald = await import('/js/herald.js');
    window.subs = {};
    window.tokenCalls = 0;
    /** Subscribes as `userId`; records ticks, opens, errors and token calls under `window.subs[name]`. */
    window.addSub = (name, channels, { userId, ttlSeconds, shared } = {}) => {
      const rec = { got: [], opens: 0, openedAt: null, errors: [], roles: [], statuses: [], disconnects: 0, tokens: 0, sub: null };
      window.subs[name] = rec;
      const token = async () => {
        window.tokenCalls += 1;
        rec.tokens += 1;
        const res = await fetch('/dev/token', {
          method: 'POST', headers: { 'Content-Type': 'application/json' },
          body: JSON.stringify(ttlSeconds ? { userId, ttlSeconds } : { userId }),
        });
        return (await res.json()).token;
      };
      const options = {
        token,
        onOpen: () => { rec.opens += 1; rec.openedAt ??= Date.now(); },
        onEvent: (e) => {
          if (e.type === 'tick') rec.got.push({ channel: e.channel, n: e.n, at: Date.now() });
          if (e.type === 'disconnect') rec.disconnects += 1;
        },
        onStatus: (status) => { rec.statuses.push(status); },
        onError: (e) => { rec.errors.push(String(e?.code ?? e?.message ?? e?.type ?? e)); },
        onRole: (role) => { rec.roles.push({ role, at: Date.now() }); },
      };
      if (shared !== undefined) options.shared = shared;
      rec.sub = herald.subscribe(channels, options);
    };
  });
  return page;
}

async function addSub(page, name, channels, options) {
  await page.evaluate(([n, c, o]) => window.addSub(n, c, o), [name, channels, options]);
}

const role = (page, name = 'main') => page.evaluate((n) => window.subs[n].sub.role, name);
const opens = (page, name = 'main') => page.evaluate((n) => window.subs[n].opens, name);
const got = (page, name = 'main') => page.evaluate((n) => window.subs[n].got, name);

/** The `n`s of `channel`'s ticks a subscription received, in the order received. */
async function ticks(page, channel, name = 'main') {
  return (await got(page, name)).filter((e) => e.channel === channel).map((e) => e.n);
}

const oneTo = (n) => Array.from({ length: n }, (_, i) => i + 1);

/** Waits until every subscription got the last event of each of its channels, then checks it got each once, in order. */
async function assertEveryEventOnce(tabs, counts, what) {
  for (const { page, name = 'main', channels } of tabs) {
    for (const channel of channels) {
      const last = counts[channel];
      await until(`${what}: ${channel} ${last} in ${name}`, async () => (await ticks(page, channel, name)).includes(last), SLOW);
      assert.deepEqual(await ticks(page, channel, name), oneTo(last), `${what}: every ${channel} event once, in order`);
    }
    const foreign = (await got(page, name)).filter((e) => !channels.includes(e.channel));
    assert.deepEqual(foreign, [], `${what}: no event of a channel ${name} did not subscribe to`);
  }
}

/** Fails if `check()` turns false within the next `ms` (for what must not happen, such as a reconnect). */
async function holds(what, check, ms) {
  const end = Date.now() + ms;
  while (Date.now() < end) {
    assert.ok(await check(), what);
    await new Promise((r) => setTimeout(r, 100));
  }
}

async function noConnectionsLeft() {
  await until('no stream left open from the test before', async () => (await connections()) === 0, SLOW);
}

async function leaderOf(pages) {
  const roles = await Promise.all(pages.map((p) => role(p)));
  const leaders = pages.filter((_, i) => roles[i] === 'leader');
  return leaders.length === 1 ? leaders[0] : null;
}

/** When `page`'s subscription last became the leader (its tab's clock, which is this machine's). */
async function leaderSince(page) {
  const roles = await page.evaluate(() => window.subs.main.roles);
  return roles.filter((r) => r.role === 'leader').at(-1)?.at;
}

/**
 * How long the hand-over kept events from `pages`: the longest any event published from 1 s before `since` on took
 * to reach a tab, counted from its publication or from `since`, whichever is later.
 */
async function handoverMs(pages, log, since) {
  let slowest = 0;
  for (const page of pages) {
    const arrivals = new Map((await got(page)).map((e) => [`${e.channel} ${e.n}`, e.at]));
    for (const { channel, n, sent } of log) {
      if (sent < since - 1000 || !arrivals.has(`${channel} ${n}`)) continue;
      slowest = Math.max(slowest, arrivals.get(`${channel} ${n}`) - Math.max(sent, since));
    }
  }
  return slowest;
}

test('five tabs of one origin share one stream: one server connection, every event once in every tab, the user present once', { timeout: 180000 }, async () => {
  await noConnectionsLeft();
  const context = await browser.newContext();
  try {
    const a = 'channel:five-a';
    const b = 'channel:five-b';
    const plan = [[a], [a, b], [b], [a], [a, b]];
    const pages = [];
    for (const channels of plan) {
      const page = await openTab(context);
      await addSub(page, 'main', channels, { userId: 'fiona' });
      pages.push(page);
    }
    for (const page of pages) await until('every tab live', async () => (await opens(page)) >= 1, SLOW);
    await until('one server stream for the five tabs', async () => (await connections()) === 1, SLOW);
    const roles = (await Promise.all(pages.map((p) => role(p)))).sort();
    assert.deepEqual(roles, ['follower', 'follower', 'follower', 'follower', 'leader']);

    const presence = await serviceGet(`/api/channels/${encodeURIComponent(a)}/presence`);
    assert.deepEqual(presence.users.map((u) => u.userId), ['fiona'], 'the user is present once');
    const info = await serviceGet(`/api/channels/${encodeURIComponent(a)}`);
    assert.equal(info.subscribers, 1, 'one stream follows the channel');
    assert.equal(info.users, 1);

    const publisher = startPublisher([a, b]);
    await publisher.more(60);
    assert.equal(await connections(), 1, 'still one stream while events flow');
    const counts = await publisher.stop();
    await assertEveryEventOnce(pages.map((page, i) => ({ page, channels: plan[i] })), counts, 'five tabs');
    assert.equal(await connections(), 1);
  } finally {
    await stopPublishers();
    await context.close();
  }
});

test('closing the leader tab while events flow, twice: a new leader within 2 s, every event once and in order in every other tab', { timeout: 180000 }, async () => {
  await noConnectionsLeft();
  const context = await browser.newContext();
  try {
    const a = 'channel:close-a';
    const b = 'channel:close-b';
    let pages = [];
    for (let i = 0; i < 4; i += 1) {
      const page = await openTab(context);
      await addSub(page, 'main', [a, b], { userId: 'carl' });
      pages.push(page);
    }
    for (const page of pages) await until('every tab live', async () => (await opens(page)) >= 1, SLOW);
    await until('one server stream', async () => (await connections()) === 1, SLOW);

    const publisher = startPublisher([a, b]);
    await publisher.more(30);
    const closes = [];
    // the first leader's tab closes, then the tab that took over closes too
    for (let round = 0; round < 2; round += 1) {
      const leader = await leaderOf(pages);
      assert.ok(leader, 'one leader among the tabs');
      pages = pages.filter((p) => p !== leader);
      const closedAt = Date.now();
      await leader.close();
      await until('a new leader', async () => (await leaderOf(pages)) !== null, SLOW);
      closes.push({ closedAt, newLeader: (await leaderSince(await leaderOf(pages))) - closedAt });
      await publisher.more(30);
    }
    const counts = await publisher.stop();

    await assertEveryEventOnce(pages.map((page) => ({ page, channels: [a, b] })), counts, 'after the closes');
    for (const { closedAt, newLeader } of closes) {
      const took = await handoverMs(pages, publisher.log, closedAt);
      console.log(`leader tab closed: a tab led ${newLeader} ms later; events reached every tab again after ${took} ms`);
      assert.ok(took < HANDOVER_MS, `the next event reached every tab within 2 s of the close (took ${took} ms)`);
    }
    await until('back to one server stream', async () => (await connections()) === 1, SLOW);
  } finally {
    await stopPublishers();
    await context.close();
  }
});

// Chromium's Page.setWebLifecycleState {state: 'frozen'} leaves a visible page running, and a headless page is never
// hidden (Playwright issue 35207; the debugger's pause is no stand-in either: it drops BroadcastChannel messages and
// runs no event listener). So a tab is stopped by keeping its JavaScript busy for `ms`: nothing else runs in it
// meanwhile, and its EventSource's events, BroadcastChannel messages and timers wait, as in a frozen tab. A browser
// that freezes a tab fires `freeze` on its document first, and `resume` before anything that waited; a hung tab
// says nothing, and the others must notice by themselves.
const stops = [
  { who: 'leader', event: true, ms: 1500, what: 'the leader tab frozen (freeze and resume events)' },
  { who: 'leader', event: false, ms: 3000, what: 'the leader tab hung without a word (its heartbeat stops, its lock is taken)' },
  { who: 'follower', event: true, ms: 1500, what: 'a follower tab frozen (freeze and resume events)' },
];
for (const { who, event, ms, what } of stops) {
  test(`${what}: the others get every event, a new leader within 2 s; the tab, running again, follows and misses nothing`, { timeout: 180000 }, async () => {
    await noConnectionsLeft();
    const context = await browser.newContext();
    try {
      const a = `channel:stop-${who}-${event ? 'frozen' : 'hung'}`;
      const pages = [];
      for (let i = 0; i < 3; i += 1) {
        const page = await openTab(context);
        await addSub(page, 'main', [a], { userId: 'frida' });
        pages.push(page);
      }
      for (const page of pages) await until('every tab live', async () => (await opens(page)) >= 1, SLOW);
      await until('one server stream', async () => (await connections()) === 1, SLOW);
      const leader = await leaderOf(pages);
      assert.ok(leader, 'one leader among the tabs');
      const stopped = who === 'leader' ? leader : pages.find((p) => p !== leader);
      const rest = pages.filter((p) => p !== stopped);

      const publisher = startPublisher([a]);
      await publisher.more(20);
      const stoppedAt = Date.now();
      if (event) await stopped.evaluate(() => document.dispatchEvent(new Event('freeze')));
      const running = stopped.evaluate(([busy, thaw]) => {
        const end = Date.now() + busy;
        while (Date.now() < end) { /* stopped: nothing else runs in this tab */ }
        if (thaw) document.dispatchEvent(new Event('resume'));
        return Date.now();
      }, [ms, event]);
      let newLeader = null;
      if (who === 'leader') {
        await until('a new leader among the other tabs', async () => (await leaderOf(rest)) !== null, SLOW);
        newLeader = (await leaderSince(await leaderOf(rest))) - stoppedAt;
      }
      const resumedAt = await running;
      await until('the stopped tab to follow', async () => (await role(stopped)) === 'follower', SLOW);
      await publisher.more(30);
      const counts = await publisher.stop();

      await assertEveryEventOnce(rest.map((page) => ({ page, channels: [a] })), counts, 'the tabs that kept running');
      if (who === 'leader') {
        const took = await handoverMs(rest, publisher.log, stoppedAt);
        console.log(`${what}: a tab led ${newLeader} ms later; events reached the other tabs again after ${took} ms`);
        assert.ok(took < HANDOVER_MS, `every event reached the other tabs within 2 s of the stop (took ${took} ms)`);
      }

      await until(`${a} ${counts[a]} in the tab that was stopped`, async () => (await ticks(stopped, a)).includes(counts[a]), SLOW);
      const resumed = await ticks(stopped, a);
      const missing = oneTo(counts[a]).filter((n) => !resumed.includes(n));
      console.log(`${what}: stopped for ${resumedAt - stoppedAt} ms, the tab got ${resumed.length} of ${counts[a]} events, `
                  + `missing ${missing.length}, ${resumed.length - new Set(resumed).size} twice`);
      assert.deepEqual(resumed, oneTo(counts[a]), 'the tab that was stopped gets every event once, in order, those published while it was stopped included');
      await until('back to one server stream', async () => (await connections()) === 1, SLOW);
      assert.deepEqual((await Promise.all(pages.map((p) => role(p)))).sort(), ['follower', 'follower', 'leader']);
    } finally {
      await stopPublishers();
      await context.close();
    }
  });
}

test('a tab subscribing to another channel widens the shared stream: nobody loses or repeats an event', { timeout: 180000 }, async () => {
  await noConnectionsLeft();
  const context = await browser.newContext();
  try {
    const a = 'channel:widen-a';
    const b = 'channel:widen-b';
    const pages = [];
    for (let i = 0; i < 3; i += 1) {
      const page = await openTab(context);
      await addSub(page, 'main', [a], { userId: 'wanda' });
      pages.push(page);
    }
    for (const page of pages) await until('every tab live', async () => (await opens(page)) >= 1, SLOW);
    await until('one server stream', async () => (await connections()) === 1, SLOW);
    const roles = await Promise.all(pages.map((p) => role(p)));
    const widener = pages[roles.indexOf('follower')];
    assert.ok(widener, 'a follower tab');

    const onA = startPublisher([a]);
    await onA.more(20);
    await addSub(widener, 'extra', [b], { userId: 'wanda' });
    await until('the new subscription live', async () => (await opens(widener, 'extra')) >= 1, SLOW);
    const onB = startPublisher([b]);
    await onB.more(20);
    await onA.more(20);
    const counts = { ...(await onA.stop()), ...(await onB.stop()) };

    await assertEveryEventOnce([...pages.map((page) => ({ page, channels: [a] })),
                                { page: widener, name: 'extra', channels: [b] }], counts, 'widened');
    await until('back to one server stream', async () => (await connections()) === 1, SLOW);
    const info = await serviceGet(`/api/channels/${encodeURIComponent(b)}`);
    assert.equal(info.subscribers, 1, 'the one stream follows the new channel');
  } finally {
    await stopPublishers();
    await context.close();
  }
});

test('5-second tokens: the shared stream renews before exp, at least three times, and every event arrives once', { timeout: 180000 }, async () => {
  await noConnectionsLeft();
  const context = await browser.newContext();
  try {
    const a = 'channel:renew';
    const pages = [];
    for (let i = 0; i < 2; i += 1) {
      const page = await openTab(context);
      await addSub(page, 'main', [a], { userId: 'rita', ttlSeconds: 5 });
      pages.push(page);
    }
    for (const page of pages) await until('every tab live', async () => (await opens(page)) >= 1, SLOW);
    await until('one server stream', async () => (await connections()) === 1, SLOW);
    const tokenCalls = async () => (await Promise.all(pages.map((p) => p.evaluate(() => window.tokenCalls)))).reduce((x, y) => x + y);
    const callsBefore = await tokenCalls();
    const expiriesBefore = await metric('sse_token_expiries_total');

    const publisher = startPublisher([a]);
    const started = Date.now();
    await until('16 s of events', () => Date.now() - started >= 16000, SLOW);
    const counts = await publisher.stop();
    await assertEveryEventOnce(pages.map((page) => ({ page, channels: [a] })), counts, 'across renewals');

    const renewals = (await tokenCalls()) - callsBefore;
    const expiries = (await metric('sse_token_expiries_total')) - expiriesBefore;
    const errors = (await Promise.all(pages.map((p) => p.evaluate(() => window.subs.main.errors)))).flat();
    console.log(`16 s of 5 s tokens: ${renewals} renewals, ${expiries} streams ended with token_expired, `
                + `${renewals - expiries} renewed in time; ${counts[a]} events; errors ${JSON.stringify(errors)}`);
    assert.ok(renewals >= 3, `the token function renewed at least three times (${renewals})`);
    assert.ok(renewals - expiries >= 3, `at least three renewals before exp (${expiries} of ${renewals} came after the server ended the stream)`);
    assert.ok(expiries <= 1, `at most one stream ended by token_expired (${expiries})`);
    // a renewal opens the fresh stream next to the old one for a moment
    await until('one server stream', async () => (await connections()) === 1, SLOW);
  } finally {
    await stopPublishers();
    await context.close();
  }
});

test('two users in one browser get a stream each, {shared: false} opens its own, and nobody sees another user\'s events', { timeout: 180000 }, async () => {
  await noConnectionsLeft();
  const context = await browser.newContext();
  try {
    const room = 'channel:users';
    const alice = await openTab(context);
    await addSub(alice, 'main', [room, 'user:alice'], { userId: 'alice' });
    const bob = await openTab(context);
    await addSub(bob, 'main', [room, 'user:bob'], { userId: 'bob' });
    for (const page of [alice, bob]) await until('both live', async () => (await opens(page)) >= 1, SLOW);
    await until('a stream per user', async () => (await connections()) === 2, SLOW);

    const loner = await openTab(context);
    await addSub(loner, 'main', [room], { userId: 'alice', shared: false });
    const second = await openTab(context);
    await addSub(second, 'main', [room, 'user:alice'], { userId: 'alice' });
    for (const page of [loner, second]) await until('both live', async () => (await opens(page)) >= 1, SLOW);
    await until('the unshared subscription has its own stream; the second alice tab shares', async () => (await connections()) === 3, SLOW);
    assert.equal(await role(loner), 'single');
    assert.deepEqual([await role(alice), await role(second)].sort(), ['follower', 'leader']);
    assert.equal(await role(bob), 'leader');

    const publisher = startPublisher([room, 'user:alice', 'user:bob']);
    await publisher.more(30);
    const counts = await publisher.stop();
    await assertEveryEventOnce([{ page: alice, channels: [room, 'user:alice'] }, { page: bob, channels: [room, 'user:bob'] },
                                { page: loner, channels: [room] }, { page: second, channels: [room, 'user:alice'] }],
                               counts, 'two users');
    assert.equal(await connections(), 3);
  } finally {
    await stopPublishers();
    await context.close();
  }
});

test('a backend disconnects the user: every tab gets the disconnect once, every subscription closes and stays closed', { timeout: 180000 }, async () => {
  await noConnectionsLeft();
  const context = await browser.newContext();
  try {
    const a = 'channel:kicked';
    const pages = [];
    for (let i = 0; i < 3; i += 1) {
      const page = await openTab(context);
      await addSub(page, 'main', [a], { userId: 'kim' });
      pages.push(page);
    }
    for (const page of pages) await until('every tab live', async () => (await opens(page)) >= 1, SLOW);
    await until('one server stream', async () => (await connections()) === 1, SLOW);
    await publish(a, 1);
    await assertEveryEventOnce(pages.map((page) => ({ page, channels: [a] })), { [a]: 1 }, 'before the disconnect');

    const res = await fetch(`${base}/api/users/kim/disconnect`, {
      method: 'POST', headers: { 'Content-Type': 'application/json', Authorization: `Bearer ${service}` },
      body: JSON.stringify({ reason: 'banned' }),
    });
    assert.equal(res.status, 202);
    const state = (page) => page.evaluate(() => ({ disconnects: window.subs.main.disconnects, status: window.subs.main.statuses.at(-1) }));
    await until('every tab to close', async () => (await Promise.all(pages.map(state))).every((s) => s.status === 'closed'), SLOW)
      .catch(async (error) => {
        const tabs = await Promise.all(pages.map((p) => p.evaluate(() => {
          const { roles, statuses, disconnects, errors, sub } = window.subs.main;
          return { role: sub.role, roles: roles.map((r) => r.role), statuses, disconnects, errors };
        })));
        throw new Error(`${error.message}: ${JSON.stringify(tabs)}; ${await connections()} streams`);
      });
    await until('no stream left', async () => (await connections()) === 0, SLOW);
    await publish(a, 2);
    // longer than the backoff's first delay (at most 1 s) and two heartbeats: a reconnect would show
    await holds('no tab reconnects', async () => (await connections()) === 0, 3000);
    for (const page of pages) {
      assert.deepEqual(await state(page), { disconnects: 1, status: 'closed' }, 'one disconnect event, then closed');
      assert.deepEqual(await ticks(page, a), [1], 'nothing after the disconnect');
    }
  } finally {
    await stopPublishers();
    await context.close();
  }
});

test('a tab asking for a channel its user may not read: the stream goes on for the others, the refused subscription gets errors, widening works once it closes', { timeout: 180000 }, async () => {
  await noConnectionsLeft();
  const context = await browser.newContext();
  try {
    const a = 'channel:refused-a';
    const later = 'channel:refused-later';
    const pages = [];
    for (let i = 0; i < 3; i += 1) {
      const page = await openTab(context);
      await addSub(page, 'main', [a], { userId: 'walt' });
      pages.push(page);
    }
    for (const page of pages) await until('every tab live', async () => (await opens(page)) >= 1, SLOW);
    await until('one server stream', async () => (await connections()) === 1, SLOW);
    const roles = await Promise.all(pages.map((p) => role(p)));
    const [asker, other] = pages.filter((_, i) => roles[i] === 'follower');

    const onA = startPublisher([a]);
    await onA.more(10);
    await addSub(asker, 'refused', ['user:somebody-else'], { userId: 'walt' });
    const refused = () => asker.evaluate(() => ({ errors: window.subs.refused.errors.length, opens: window.subs.refused.opens }));
    await until('the refused subscription to get an error', async () => (await refused()).errors >= 1, SLOW);
    await onA.more(20);
    assert.equal((await refused()).opens, 0, 'the refused subscription never opens');
    await asker.evaluate(() => window.subs.refused.sub.close());

    await addSub(other, 'later', [later], { userId: 'walt' });
    await until('a later widening to go live', async () => (await opens(other, 'later')) >= 1, SLOW);
    const onLater = startPublisher([later]);
    await onLater.more(10);
    await onA.more(10);
    const counts = { ...(await onA.stop()), ...(await onLater.stop()) };
    await assertEveryEventOnce([...pages.map((page) => ({ page, channels: [a] })), { page: other, name: 'later', channels: [later] }],
                               counts, 'next to a refused channel');
    assert.deepEqual(await got(asker, 'refused'), [], 'nothing for the refused subscription');
    await until('back to one server stream', async () => (await connections()) === 1, SLOW);
  } finally {
    await stopPublishers();
    await context.close();
  }
});
