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

test('the export job reports real progress to 100 % and its result downloads', async () => {
  const herald = await startHerald();
  try {
    const erin = await signIn(browser, `http://localhost:${herald.port}`, 'Erin');
    for (let i = 1; i <= 12; i++) await send(erin.page, `line ${i}`);
    await until('12 messages', async () => (await messages(erin.page)).length === 12);
    await erin.page.click('#export');
    await erin.page.waitForSelector('#download');
    assert.equal(await erin.page.$eval('#progress', (p) => p.value), 100);
    await screenshot(erin.page, '5-export-done');
    const [download] = await Promise.all([erin.page.waitForEvent('download'), erin.page.click('#download')]);
    const lines = readFileSync(await download.path(), 'utf8').trim().split('\n').map((l) => JSON.parse(l));
    assert.deepEqual(lines.filter((e) => e.type === 'chat').map((e) => e.content),
                     Array.from({ length: 12 }, (_, i) => `line ${i + 1}`));
    await erin.context.close();
  } finally {
    await herald.stop();
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
