// The demo page in headless Chromium against a real Herald (and Redis for the restart case).
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { launchBrowser, keystore, messages, onlineNames, screenshot, signIn, startHerald, startRedis, until } from './harness.mjs';

let browser;

before(async () => { browser = await launchBrowser(); });
after(async () => { await browser?.close(); });

async function send(page, text) {
  await page.fill('#message', text);
  await page.click('#composer button');
}

/** Opens a room from the room list (joining it when needed) and waits until the page shows it. */
async function enter(page, room) {
  await page.click(`#rooms button[data-room="channel:${room}"]`);
  await page.waitForSelector(`#rooms button[data-room="channel:${room}"][aria-current="true"]`);
}

/** The unread counts the room list shows, by room name (rooms without a badge are absent). */
async function unread(page) {
  return page.$$eval('#rooms button[data-room]', (buttons) => Object.fromEntries(buttons
    .filter((b) => b.querySelector('.unread'))
    .map((b) => [b.dataset.room.slice('channel:'.length), Number(b.querySelector('.unread').textContent)])));
}

/** A service token, asked for from a page of the origin (a TLS origin's certificate is one the page accepts). */
async function serviceToken(page) {
  return page.evaluate(async () => {
    const res = await fetch('/dev/token', {
      method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify({ userId: 'ops', roles: ['service'] }),
    });
    return (await res.json()).token;
  });
}

/** Open streams following a channel, as the server counts them (GET /api/channels/{channel} from `page`). */
async function subscribers(page, service, channel) {
  return page.evaluate(async ({ service, channel }) => {
    const res = await fetch(`/api/channels/${encodeURIComponent(channel)}`, { headers: { Authorization: `Bearer ${service}` } });
    if (!res.ok) throw new Error(`GET /api/channels/${channel}: ${res.status}`);
    return (await res.json()).subscribers;
  }, { service, channel });
}

test('two people chat, see each other online, and one going away shows offline', async () => {
  const herald = await startHerald();
  try {
    const base = `http://localhost:${herald.port}`;
    const alice = await signIn(browser, base, 'Alice');
    const bob = await signIn(browser, base, 'Bob');
    await send(alice.page, 'hello from alice');
    await send(bob.page, 'hi alice, bob here');
    for (const { page } of [alice, bob]) {
      await until('both messages', async () => (await messages(page)).includes('hi alice, bob here')
                                               && (await messages(page)).includes('hello from alice'));
    }
    await until('alice sees bob online', async () => (await onlineNames(alice.page)).includes('Bob'));
    await until('bob sees alice online', async () => (await onlineNames(bob.page)).includes('Alice'));
    await screenshot(alice.page, '1-chat-alice');
    await screenshot(bob.page, '1-chat-bob');
    await bob.context.close();
    await until('bob to go offline for alice', async () => !(await onlineNames(alice.page)).includes('Bob'));
    await screenshot(alice.page, '2-bob-left');
    await alice.context.close();
  } finally {
    await herald.stop();
  }
});

test('the pod restarts while the page is open: it reconnects and shows what was posted meanwhile, once', async () => {
  const redis = await startRedis();
  const env = { HERALD_REDIS_URL: redis.url };
  let pod = await startHerald({ env, props: { 'herald.pod-id': 'pod-a' } });
  const port = pod.port;
  const other = await startHerald({ env, props: { 'herald.pod-id': 'pod-b' } });
  try {
    const carol = await signIn(browser, `http://localhost:${port}`, 'Carol');
    await send(carol.page, 'before the restart');
    await until('the first message', async () => (await messages(carol.page)).includes('before the restart'));
    await pod.stop();
    await until('the page to notice', async () => (await carol.page.getAttribute('#status', 'data-status')) !== 'open');
    await screenshot(carol.page, '3-pod-down');
    const token = await (await fetch(`http://localhost:${other.port}/dev/token`, {
      method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify({ userId: 'dave', name: 'Dave' }),
    })).json();
    for (const text of ['posted while down 1', 'posted while down 2']) {
      const res = await fetch(`http://localhost:${other.port}/api/chat/messages`, {
        method: 'POST',
        headers: { 'Content-Type': 'application/json', Authorization: `Bearer ${token.token}` },
        body: JSON.stringify({ channel: 'channel:general', content: text }),
      });
      assert.equal(res.status, 204);
    }
    pod = await startHerald({ port, env, props: { 'herald.pod-id': 'pod-a' } });
    await until('the page to reconnect', async () => (await carol.page.getAttribute('#status', 'data-status')) === 'open', 45000);
    await until('the missed messages', async () => (await messages(carol.page)).includes('posted while down 2'));
    const shown = await messages(carol.page);
    assert.deepEqual(shown, ['before the restart', 'posted while down 1', 'posted while down 2'], 'in order, none twice');
    await screenshot(carol.page, '4-after-restart');
    await carol.context.close();
  } finally {
    await pod.stop();
    await other.stop();
    await redis.stop();
  }
});

test('the page works over HTTP/2 with TLS', async () => {
  const store = keystore();
  const herald = await startHerald({ props: { 'herald.tls.keystore': store.file, 'herald.tls.password': 'changeit',
                                               'herald.tls.alias': 'server' } });
  try {
    const base = `https://localhost:${herald.port}`;
    const context = await browser.newContext({ ignoreHTTPSErrors: true });
    const page = await context.newPage();
    const cdp = await context.newCDPSession(page);
    const seen = [];
    cdp.on('Network.responseReceived', ({ response }) => seen.push(`${response.url.replace(/\?.*/, '')} ${response.protocol}`));
    await cdp.send('Network.enable');
    await page.goto(base);
    await page.fill('#name', 'Frank');
    await page.click('#signin button');
    await page.waitForSelector('#status[data-status="open"]');
    const frank = { context, page };
    const grace = await signIn(browser, base, 'Grace', { ignoreHTTPSErrors: true });
    await send(frank.page, 'over h2');
    await until('grace gets it', async () => (await messages(grace.page)).includes('over h2'));
    const protocols = seen;
    assert.ok(protocols.length > 0);
    for (const entry of protocols) assert.ok(entry.endsWith(' h2'), `every request over h2: ${protocols}`);
    assert.ok(protocols.some((p) => p.includes('/api/events')), `the stream itself is among them: ${protocols}`);
    await screenshot(frank.page, '6-http2-tls');
    await frank.context.close();
    await grace.context.close();
  } finally {
    await herald.stop();
    store.cleanup();
  }
});

test('two people chat in two rooms: each sees only the current room, with unread counts for the other', async () => {
  const herald = await startHerald();
  try {
    const base = `http://localhost:${herald.port}`;
    const alice = await signIn(browser, base, 'Alice');
    const bob = await signIn(browser, base, 'Bob');
    await enter(alice.page, 'random');
    await enter(bob.page, 'random');
    await until('both online in #random', async () => (await onlineNames(alice.page)).includes('Bob'));
    const streams = [];
    alice.page.on('request', (request) => { if (request.url().includes('/api/events')) streams.push(request.url()); });

    await enter(alice.page, 'general');
    await send(alice.page, 'general from alice');
    await send(bob.page, 'random from bob 1');
    await send(bob.page, 'random from bob 2');
    await until('alice counts 2 unread in #random', async () => (await unread(alice.page)).random === 2);
    assert.deepEqual(await messages(alice.page), ['general from alice'], 'alice sees #general only');
    await until('bob counts 1 unread in #general', async () => (await unread(bob.page)).general === 1);
    assert.deepEqual(await messages(bob.page), ['random from bob 1', 'random from bob 2'], 'bob sees #random only');
    assert.deepEqual(await unread(alice.page), { random: 2 }, 'her own message is not unread');
    await screenshot(alice.page, '7-rooms-unread-alice');

    await enter(alice.page, 'random');
    assert.deepEqual(await messages(alice.page), ['random from bob 1', 'random from bob 2']);
    assert.deepEqual(await unread(alice.page), {}, 'opening the room reads it');
    assert.equal(await alice.page.textContent('#room-title'), '#random');
    await send(alice.page, 'random from alice');
    await until('bob gets it in #random', async () => (await messages(bob.page)).includes('random from alice'));
    await enter(alice.page, 'general');
    assert.deepEqual(await messages(alice.page), ['general from alice'], 'switching back shows #general again');
    assert.deepEqual(await unread(alice.page), {}, 'her own message in #random is not unread');
    assert.deepEqual(streams, [], 'switching between joined rooms opens no stream');
    await screenshot(bob.page, '7-rooms-bob');

    // a new tab of Bob's opens signed in, in the rooms he joined, with their history and nothing unread
    const tab = await bob.context.newPage();
    await tab.goto(base);
    await tab.waitForSelector('#status[data-status="open"]');
    await until('#general from history', async () => JSON.stringify(await messages(tab)) === '["general from alice"]');
    await enter(tab, 'random');
    await until('#random from history', async () => (await messages(tab)).length === 3);
    assert.deepEqual(await messages(tab), ['random from bob 1', 'random from bob 2', 'random from alice']);
    assert.deepEqual(await unread(tab), {}, 'history is not unread');
    assert.equal(await tab.$eval('#rooms button[data-room="channel:random"]', (b) => b.classList.contains('not-joined')), false);
    await alice.context.close();
    await bob.context.close();
  } finally {
    await herald.stop();
  }
});

test('presence is per room: who joined the room, and who left it', async () => {
  const herald = await startHerald();
  try {
    const base = `http://localhost:${herald.port}`;
    const alice = await signIn(browser, base, 'Alice');
    const bob = await signIn(browser, base, 'Bob');
    await until('bob online in #general', async () => (await onlineNames(alice.page)).includes('Bob'));
    await enter(alice.page, 'help');
    await until('alice alone in #help', async () => JSON.stringify(await onlineNames(alice.page)) === '["Alice"]');
    assert.equal(await alice.page.textContent('#presence-title'), 'Online in #help');

    await enter(bob.page, 'help');
    await until('bob joins #help for alice', async () => JSON.stringify(await onlineNames(alice.page)) === '["Alice","Bob"]');
    await until('bob sees both in #help', async () => JSON.stringify(await onlineNames(bob.page)) === '["Alice","Bob"]');
    await screenshot(alice.page, '8-presence-help');

    await bob.page.click('#leave');
    await until('bob back in #general', async () => (await bob.page.textContent('#room-title')) === '#general');
    await until('bob leaves #help for alice', async () => JSON.stringify(await onlineNames(alice.page)) === '["Alice"]');
    await enter(alice.page, 'general');
    await until('bob still in #general', async () => JSON.stringify(await onlineNames(alice.page)) === '["Alice","Bob"]');

    // a room typed by hand; a name the server would refuse is refused on the page
    await bob.page.fill('#room-name', 'bad name!');
    await bob.page.click('#join button');
    assert.equal(await bob.page.$('#rooms button[data-room="channel:bad name!"]'), null);
    await bob.page.fill('#room-name', '#team-x');
    await bob.page.click('#join button');
    await bob.page.waitForSelector('#rooms button[data-room="channel:team-x"][aria-current="true"]');
    await until('bob alone in #team-x', async () => JSON.stringify(await onlineNames(bob.page)) === '["Bob"]');
    assert.equal(await alice.page.$('#rooms button[data-room="channel:team-x"]'), null, 'alice never joined #team-x');
    await screenshot(bob.page, '8-presence-team-x');
    await alice.context.close();
    await bob.context.close();
  } finally {
    await herald.stop();
  }
});

test('the export of the current room reports real progress to 100 % and its result downloads', async () => {
  const herald = await startHerald();
  try {
    const erin = await signIn(browser, `http://localhost:${herald.port}`, 'Erin');
    await send(erin.page, 'not in the export');
    await until('the #general message', async () => (await messages(erin.page)).length === 1);
    await enter(erin.page, 'random');
    for (let i = 1; i <= 12; i++) await send(erin.page, `line ${i}`);
    await until('12 messages', async () => (await messages(erin.page)).length === 12);
    assert.equal(await erin.page.textContent('#export'), 'Export #random');
    await erin.page.evaluate(() => {
      // every value the bar took: each change's old value (changes in one task come as one batch), then the last
      window.seenProgress = [];
      window.progressSeen = new MutationObserver((records) => {
        for (const record of records) if (record.oldValue !== null) window.seenProgress.push(Number(record.oldValue));
      });
      window.progressSeen.observe(document.getElementById('progress'), { attributeFilter: ['value'], attributeOldValue: true });
    });
    await erin.page.click('#export');
    await erin.page.waitForSelector('#download');
    assert.equal(await erin.page.$eval('#progress', (p) => p.value), 100);
    const seenProgress = await erin.page.evaluate(() => [...window.seenProgress, ...window.progressSeen.takeRecords()
      .map((r) => Number(r.oldValue)), document.getElementById('progress').value]);
    assert.ok(seenProgress.some((v) => v > 0 && v < 100), `progress between 0 and 100 shown: ${seenProgress}`);
    assert.deepEqual(seenProgress, [...seenProgress].sort((a, b) => a - b), 'progress never goes back');
    assert.match(await erin.page.textContent('#download'), /#random/);
    await screenshot(erin.page, '5-export-done');
    const [download] = await Promise.all([erin.page.waitForEvent('download'), erin.page.click('#download')]);
    const lines = readFileSync(await download.path(), 'utf8').trim().split('\n').map((l) => JSON.parse(l));
    assert.ok(lines.every((e) => e.channel === 'channel:random'), 'only the current room');
    assert.deepEqual(lines.filter((e) => e.type === 'chat').map((e) => e.content),
                     Array.from({ length: 12 }, (_, i) => `line ${i + 1}`));
    await erin.context.close();
  } finally {
    await herald.stop();
  }
});

/**
 * Ten tabs of one person in one browser, over HTTP/1.1: herald.js's shared stream gives the ten tabs one server
 * stream between them, within the browser's six connections per host (one stream per tab could not open ten).
 */
test('ten tabs of one person: one sign-in, one server stream, every message once in each, typing in the tenth works, sign-out ends all', async () => {
  const herald = await startHerald();
  const base = `http://localhost:${herald.port}`;
  const context = await browser.newContext();
  try {
    const first = await context.newPage();
    await first.goto(base);
    await first.fill('#name', 'Dana');
    await first.click('#signin button');
    await first.waitForSelector('#status[data-status="open"]');
    const tabs = [...context.pages()];
    while (tabs.length < 10) {
      const page = await context.newPage();
      await page.goto(base);
      tabs.push(page);
    }
    for (const [i, page] of tabs.entries()) {
      await page.waitForSelector('#status[data-status="open"]', { timeout: 20000 });
      assert.equal(await page.textContent('#who'), 'signed in as Dana', `tab ${i + 1} opened signed in`);
      assert.ok(await page.isHidden('#signin'), `tab ${i + 1} asks for no name`);
    }
    const service = await serviceToken(tabs[0]);
    const roles = () => Promise.all(tabs.map((page) => page.getAttribute('#role', 'data-role')));
    await until('one tab holding the stream, nine following', async () => (await roles()).filter((r) => r === 'leader').length === 1
                                                                && (await roles()).filter((r) => r === 'follower').length === 9);
    await until('one server stream for ten tabs', async () => (await subscribers(tabs[0], service, 'user:dana')) === 1);

    const eve = await signIn(browser, base, 'Eve');
    await send(eve.page, 'hello all tabs');
    await send(tabs[9], 'typed in the tenth tab');
    for (const [i, page] of tabs.entries()) {
      await until(`tab ${i + 1} shows both`, async () => (await messages(page)).includes('typed in the tenth tab'));
    }
    await until('eve sees the tenth tab', async () => (await messages(eve.page)).includes('typed in the tenth tab'));
    for (const [i, page] of tabs.entries()) {
      // the later message arrived, so a second copy of the earlier one would have too
      assert.deepEqual(await messages(page), ['hello all tabs', 'typed in the tenth tab'], `tab ${i + 1}: each once`);
    }
    await screenshot(tabs[0], '9-ten-tabs-first');
    await screenshot(tabs[9], '9-ten-tabs-tenth');

    await tabs[4].click('#signout');
    for (const [i, page] of tabs.entries()) {
      await until(`tab ${i + 1} signed out`, async () => await page.isVisible('#signin') && await page.isHidden('#app'));
      assert.equal(await page.getAttribute('#status', 'data-status'), 'closed');
    }
    await until('no stream left for dana', async () => (await subscribers(tabs[0], service, 'user:dana')) === 0);
    await until('eve sees dana leave', async () => !(await onlineNames(eve.page)).includes('Dana'));
    const later = await context.newPage();
    await later.goto(base);
    await later.waitForSelector('#signin');
    assert.ok(await later.isHidden('#app'), 'a new tab after sign-out asks for a name');
    await screenshot(tabs[0], '9-ten-tabs-signed-out');
    await eve.context.close();
  } finally {
    await context.close();
    await herald.stop();
  }
});
