// Unit tests of the browser client's reconnect and resume logic, under Node's test runner (no browser).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { backoffDelay, streamUrl, subscribe, userChannel } from '../src/main/resources/web/js/herald.js';
import { FakeSource } from './fake-source.mjs';

function harness(random = () => 1) {
  FakeSource.instances = [];
  const timers = [];
  const options = {
    shared: false, // the shared stream has its own tests (shared.test.mjs)
    EventSource: FakeSource,
    setTimeout: (fn, ms) => { timers.push({ fn, ms }); return timers.length; },
    clearTimeout: (id) => { timers[id - 1].cancelled = true; },
    random,
  };
  const fire = () => { const t = timers.shift(); if (!t.cancelled) t.fn(); return t.ms; };
  return { options, timers, fire, last: () => FakeSource.instances.at(-1) };
}

test('backoff doubles from 1 s to a 30 s cap, with full jitter', () => {
  assert.deepEqual([0, 1, 2, 3, 4, 5, 6, 10].map((n) => backoffDelay(n, { random: () => 0.999999 })),
    [999, 1999, 3999, 7999, 15999, 29999, 29999, 29999]);
  assert.equal(backoffDelay(3, { random: () => 0 }), 0, 'full jitter reaches down to zero');
  assert.equal(backoffDelay(3, { random: () => 0.5 }), 4000);
});

test('one EventSource carries every channel, asks for a ready event and sends the token', () => {
  const url = new URL(streamUrl('http://h', ['channel:a', 'user:b'], { cursor: 'e_f_1.2', token: 't' }));
  assert.deepEqual(url.searchParams.getAll('channel'), ['channel:a', 'user:b']);
  assert.equal(url.searchParams.get('lastEventId'), 'e_f_1.2');
  assert.equal(url.searchParams.get('access_token'), 't');
  assert.equal(url.searchParams.get('ready'), '1');
});

test('errors reconnect with growing delays, resume from the last cursor, and reset after a successful open', () => {
  const h = harness();
  const events = [];
  const statuses = [];
  subscribe(['channel:a'], { ...h.options, onEvent: (e) => events.push(e), onStatus: (s) => statuses.push(s) });
  assert.equal(new URL(h.last().url, 'http://x').searchParams.get('lastEventId'), null);
  h.last().message({ type: 'ready' }, 'ep_fp_0');
  h.last().message({ type: 'chat', id: 1, content: 'hi' }, 'ep_fp_1');
  h.last().fail();
  assert.equal(FakeSource.instances[0].closed, true, 'the failed source is closed, not left to retry alone');
  assert.equal(h.fire(), 1000);
  assert.equal(new URL(h.last().url, 'http://x').searchParams.get('lastEventId'), 'ep_fp_1', 'resumes after the last event');
  h.last().fail();
  assert.equal(h.fire(), 2000);
  h.last().fail();
  assert.equal(h.fire(), 4000);
  h.last().message({ type: 'ready' }, 'ep_fp_1');
  h.last().fail();
  assert.equal(h.fire(), 1000, 'a successful open resets the backoff');
  assert.deepEqual(events.map((e) => e.content), ['hi'], 'ready events are not passed on');
  assert.deepEqual(statuses.slice(0, 3), ['connecting', 'open', 'reconnecting']);
});

test('resync events reach onEvent and onResync; close stops reconnecting', () => {
  const h = harness();
  const resyncs = [];
  const sub = subscribe(['channel:a'], { ...h.options, onResync: (channel) => resyncs.push(channel) });
  h.last().message({ type: 'resync', channel: 'channel:a', id: 0 }, 'ep_fp_0');
  assert.deepEqual(resyncs, ['channel:a']);
  h.last().fail();
  sub.close();
  assert.equal(h.timers[0].cancelled, true, 'the pending reconnect is cancelled');
  assert.equal(FakeSource.instances.length, 1);
});

test('a token function is asked again at each reconnect', () => {
  const h = harness();
  let n = 0;
  subscribe(['channel:a'], { ...h.options, token: () => `token-${++n}` });
  h.last().fail();
  h.fire();
  assert.equal(new URL(h.last().url, 'http://x').searchParams.get('access_token'), 'token-2');
});

test('a token_expired event reconnects at once with a fresh token, from the cursor of that last frame', () => {
  const h = harness();
  const events = [];
  let n = 0;
  subscribe(['channel:a'], { ...h.options, token: () => `token-${++n}`, onEvent: (e) => events.push(e) });
  h.last().message({ type: 'ready' }, 'ep_fp_0');
  h.last().message({ type: 'chat', id: 1 }, 'ep_fp_1');
  const expiring = h.last();
  expiring.message({ type: 'token_expired', expiredAt: '2026-11-30T00:00:00Z' }, 'ep_fp_1');
  assert.equal(expiring.closed, true, 'the expired stream is closed, not left to reconnect with its old URL');
  assert.equal(h.timers.length, 0, 'no backoff: the reconnect is immediate');
  assert.equal(FakeSource.instances.length, 2);
  const url = new URL(h.last().url, 'http://x');
  assert.equal(url.searchParams.get('access_token'), 'token-2');
  assert.equal(url.searchParams.get('lastEventId'), 'ep_fp_1');
  expiring.fail();
  assert.equal(h.timers.length, 0, 'the old stream closing afterwards does not schedule another connect');
  assert.deepEqual(events.map((e) => e.type), ['chat'], 'token_expired is handled, not passed on');
});

test('a token function may return a promise; close while it is pending opens nothing', async () => {
  const h = harness();
  let release;
  const sub = subscribe(['channel:a'], { ...h.options, token: () => new Promise((r) => { release = r; }) });
  assert.equal(FakeSource.instances.length, 0, 'waits for the token');
  release('async-1');
  await Promise.resolve();
  assert.equal(new URL(h.last().url, 'http://x').searchParams.get('access_token'), 'async-1');
  h.last().message({ type: 'token_expired' }, 'ep_fp_3');
  assert.equal(FakeSource.instances.length, 1);
  sub.close();
  release('async-2');
  await Promise.resolve();
  assert.equal(FakeSource.instances.length, 1, 'a token arriving after close opens no stream');
});

test('a rejected token promise is an error followed by a backoff retry', async () => {
  const h = harness();
  const errors = [];
  let n = 0;
  subscribe(['channel:a'], {
    ...h.options,
    token: () => (++n === 1 ? Promise.reject(new Error('identity provider down')) : Promise.resolve('ok')),
    onError: (e) => errors.push(e.message),
  });
  await new Promise((r) => setImmediate(r));
  assert.deepEqual(errors, ['identity provider down']);
  assert.equal(h.fire(), 1000);
  await new Promise((r) => setImmediate(r));
  assert.equal(new URL(h.last().url, 'http://x').searchParams.get('access_token'), 'ok');
});

test('with a fixed token string, token_expired closes the subscription with a token_expired error', () => {
  const h = harness();
  const errors = [];
  const statuses = [];
  subscribe(['channel:a'], { ...h.options, token: 'fixed', onError: (e) => errors.push(e), onStatus: (s) => statuses.push(s) });
  h.last().message({ type: 'token_expired', expiredAt: '2026-11-30T00:00:00Z' }, 'ep_fp_1');
  assert.equal(h.last().closed, true);
  assert.equal(FakeSource.instances.length, 1, 'no reconnect with a token known to be expired');
  assert.equal(h.timers.length, 0);
  assert.equal(errors[0].code, 'token_expired');
  assert.equal(errors[0].expiredAt, '2026-11-30T00:00:00Z');
  assert.equal(statuses.at(-1), 'closed');
});

test('userChannel escapes a sub the way the server does (docs/channels.md)', () => {
  assert.equal(userChannel('auth0|5f7c8ec'), 'user:auth0~7C5f7c8ec');
  assert.equal(userChannel('auth0~7C5f7c8ec'), 'user:auth0~7E7C5f7c8ec', 'the escape character is escaped: no collision');
  assert.equal(userChannel('a@b.c'), 'user:a@b.c');
  assert.equal(userChannel('José'), 'user:Jos~C3~A9');
  assert.equal(userChannel('用户'), 'user:~E7~94~A8~E6~88~B7');
  assert.equal(userChannel('\u{1F389}'), 'user:~F0~9F~8E~89');
  assert.equal(userChannel('A.Z_0-9'), 'user:A.Z_0-9');
});

test('a disconnect event reaches onEvent, then the subscription stays closed: no reconnect, not even on error', () => {
  const h = harness();
  const events = [];
  const statuses = [];
  subscribe(['channel:a'], { ...h.options, token: 'fixed', onEvent: (e) => events.push(e), onStatus: (s) => statuses.push(s) });
  h.last().message({ type: 'ready' }, 'ep_fp_0');
  const ended = h.last();
  ended.message({ type: 'disconnect', reason: 'banned' }, 'ep_fp_1');
  assert.deepEqual(events.map((e) => [e.type, e.reason]), [['disconnect', 'banned']]);
  assert.equal(ended.closed, true, 'the source is closed, so the browser does not reconnect it by itself');
  ended.fail();
  assert.equal(h.timers.length, 0, 'no reconnect is scheduled');
  assert.equal(FakeSource.instances.length, 1);
  assert.equal(statuses.at(-1), 'closed');
});

test('with reconnectAfterDisconnect, a disconnect reconnects from its cursor after a backoff', () => {
  const h = harness();
  subscribe(['channel:a'], { ...h.options, token: 'fixed', reconnectAfterDisconnect: true });
  h.last().message({ type: 'ready' }, 'ep_fp_0');
  h.last().message({ type: 'disconnect', reason: 'maintenance' }, 'ep_fp_4');
  assert.equal(h.timers.length, 1, 'one reconnect, after a delay');
  h.fire();
  assert.equal(FakeSource.instances.length, 2);
  assert.equal(new URL(h.last().url, 'http://x').searchParams.get('lastEventId'), 'ep_fp_4');
});
