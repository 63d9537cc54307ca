// The admin dashboard in headless Chromium: two clustered pods under load, both shown live by one pod's /admin.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { freePort, launchBrowser, screenshot, startHerald, startRedis, until, devToken } from './harness.mjs';

let browser;

before(async () => { browser = await launchBrowser(); });
after(async () => { await browser?.close(); });

/** Opens an SSE stream from Node and reads it until `abort`; resolves once the 200 head is in. */
async function openStream(base, token, channel, abort) {
  const res = await fetch(`${base}/api/events?channel=${encodeURIComponent(channel)}`, {
    headers: { Authorization: `Bearer ${token}` }, signal: abort.signal,
  });
  assert.equal(res.status, 200);
  (async () => { for await (const chunk of res.body) void chunk; })().catch(() => {});
}

/** The dashboard's row of a pod, as shown: null when the pod is not on the page. */
async function podRow(page, pod) {
  return page.evaluate((id) => {
    const row = document.querySelector(`#pods tr[data-pod="${id}"]`);
    if (!row) return null;
    const cell = (cls) => row.querySelector(`td.${cls}`).textContent;
    return { streams: Number(cell('streams')), in: Number(cell('in')), out: Number(cell('out')) };
  }, pod);
}

test('the dashboard shows both pods of a cluster live under load, and a stopped pod leaves it', async () => {
  const redis = await startRedis();
  const env = { HERALD_REDIS_URL: redis.url };
  const a = await startHerald({ env, props: { 'herald.pod-id': 'pod-a' } });
  let b = await startHerald({ env, props: { 'herald.pod-id': 'pod-b' } });
  const baseA = `http://localhost:${a.port}`;
  const baseB = `http://localhost:${b.port}`;
  const abort = new AbortController();
  let publishing = true;
  let publisher = Promise.resolve();
  const context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
  try {
    const service = await devToken(baseA, { userId: 'ops', roles: ['service'] });
    const page = await context.newPage();
    await page.goto(`${baseA}/admin`);
    // the public port has no tokenless stream: the page asks for a token
    await page.waitForSelector('#signin:not([hidden])');
    await page.fill('#token', service);
    await page.click('#signin button');
    await page.waitForSelector('#status[data-status="open"]');

    // load: 50 streams (30 on pod-a, 20 on pod-b), 50 users, and a publisher on both pods
    const streams = { a: 30, b: 20 };
    const users = await Promise.all(Array.from({ length: streams.a + streams.b },
                                               (_, i) => devToken(baseA, { userId: `load-${i}` })));
    await Promise.all(users.map((token, i) => openStream(i < streams.a ? baseA : baseB, token, 'channel:load', abort)));
    let published = 0;
    // one publisher per pod, together under the channel's budget (200/s)
    publisher = Promise.all([baseA, baseB].map(async (base) => {
      for (let n = 0; publishing; n++) {
        const res = await fetch(`${base}/api/publish`, {
          method: 'POST', headers: { 'Content-Type': 'application/json', Authorization: `Bearer ${service}` },
          body: JSON.stringify({ channel: 'channel:load', type: 'tick', n }),
        });
        if (res.status === 202) published += 1;
        await res.body?.cancel();
        await new Promise((r) => setTimeout(r, 10));
      }
    }));

    // pod-a also holds the dashboard's own stream
    const expected = { 'pod-a': streams.a + 1, 'pod-b': streams.b };
    let rows = {};
    await until('both pods with their streams and traffic on the page', async () => {
      rows = { 'pod-a': await podRow(page, 'pod-a'), 'pod-b': await podRow(page, 'pod-b') };
      return Object.entries(expected).every(([pod, n]) => rows[pod] && rows[pod].streams === n
                                                          && rows[pod].in > 0 && rows[pod].out > 0);
    }, 30000);
    // ten seconds of samples under load, so that the screenshot shows lines rather than points
    await until('the charts to draw ten samples of the load', () => page.evaluate(() => {
      const chart = (id) => document.querySelector(id).dataset;
      return Number(chart('#chart-in').max) > 0 && Number(chart('#chart-out').latest) > 0
             && Number(chart('#chart-streams').latest) === 51 && Number(chart('#chart-out').points) >= 10;
    }), 30000);
    assert.equal(await page.textContent('#total-pods'), '2');
    assert.equal(await page.textContent('#total-streams'), '51');
    assert.ok(Number(await page.textContent('#total-out')) > Number(await page.textContent('#total-in')),
              'each event goes out to many streams');
    console.log(`published ${published}; rows ${JSON.stringify(rows)}`);
    await screenshot(page, 'admin-under-load');

    publishing = false;
    await publisher;
    await b.stop();
    b = null;
    await until('pod-b to leave the page', async () => (await podRow(page, 'pod-b')) === null, 20000);
    assert.notEqual(await podRow(page, 'pod-a'), null);
    assert.equal(await page.textContent('#total-pods'), '1');
    await screenshot(page, 'admin-pod-left');
  } finally {
    publishing = false;
    await publisher.catch(() => {});
    abort.abort();
    await context.close();
    await b?.stop();
    await a.stop();
    await redis.stop();
  }
});

test('on the management port the dashboard opens without a token', async () => {
  const management = await freePort();
  const herald = await startHerald({ props: { 'herald.pod-id': 'pod-m', 'herald.management.port': management } });
  const context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
  try {
    const page = await context.newPage();
    await page.goto(`http://localhost:${management}/admin`);
    await page.waitForSelector('#status[data-status="open"]');
    assert.equal(await page.textContent('#mode'), 'management port, no token');
    assert.ok(await page.isHidden('#signin'), 'no token asked for');
    // the page's own stream is the pod's one stream
    await until('the pod on the page', async () => (await podRow(page, 'pod-m'))?.streams === 1);
    await screenshot(page, 'admin-management-port');
  } finally {
    await context.close();
    await herald.stop();
  }
});
