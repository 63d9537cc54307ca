// A stream ends when its token expires; herald.js in Chromium renews the token and resumes, missing nothing.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { launchBrowser, startHerald, until, devToken } from './harness.mjs';

let browser;

before(async () => { browser = await launchBrowser(); });
after(async () => { await browser?.close(); });

test('3-second tokens: the stream ends at each expiry and herald.js resumes with a fresh token, no loss, no duplicate', async () => {
  const herald = await startHerald({ props: { 'herald.auth.jwt.clock-skew': 'PT1S' } });
  const base = `http://localhost:${herald.port}`;
  const context = await browser.newContext();
  try {
    const page = await context.newPage();
    await page.goto(base);
    await page.evaluate(async () => {
      const { subscribe } = await import('/js/herald.js');
      window.received = [];
      window.tokens = 0;
      window.expiries = 0;
      window.opens = 0;
      const token = async () => {
        window.tokens += 1;
        const res = await fetch('/dev/token', {
          method: 'POST', headers: { 'Content-Type': 'application/json' },
          body: JSON.stringify({ userId: 'ivy', ttlSeconds: 3 }),
        });
        return (await res.json()).token;
      };
      // the same EventSource is observed through the messages it delivers; count the expiry frames too
      const Source = class extends EventSource {
        constructor(url, options) {
          super(url, options);
          this.addEventListener('message', (m) => { if (m.data.includes('"token_expired"')) window.expiries += 1; });
        }
      };
      // renewBeforeExpiry: false, so that the server's end at expiry (the fallback) is what this test exercises;
      // renewal before exp has its own tests (shared.test.mjs, and in Chromium)
      subscribe(['channel:ticks'], {
        token, EventSource: Source, renewBeforeExpiry: false,
        onOpen: () => { window.opens += 1; },
        onEvent: (e) => { if (e.type === 'tick') window.received.push(e.n); },
      });
    });
    await until('the stream to open', () => page.evaluate(() => window.opens >= 1));
    const service = await devToken(base, { userId: 'clock', roles: ['service'] });
    // publish for about 10 s: the stream's 3 s tokens (ended 1 s past exp) expire at least twice meanwhile
    const started = Date.now();
    let n = 0;
    while (Date.now() - started < 10000) {
      n += 1;
      const res = await fetch(`${base}/api/publish`, {
        method: 'POST', headers: { 'Content-Type': 'application/json', Authorization: `Bearer ${service}` },
        body: JSON.stringify({ channel: 'channel:ticks', type: 'tick', n }),
      });
      assert.equal(res.status, 202);
      await new Promise((r) => setTimeout(r, 20));
    }
    await until(`tick ${n} to arrive`, () => page.evaluate((last) => window.received.includes(last), n));
    // the stream is open again after its last expiry, and still delivers
    await until('the stream to reopen after its last expiry', () => page.evaluate(() => window.opens === window.expiries + 1));
    n += 1;
    const last = await fetch(`${base}/api/publish`, {
      method: 'POST', headers: { 'Content-Type': 'application/json', Authorization: `Bearer ${service}` },
      body: JSON.stringify({ channel: 'channel:ticks', type: 'tick', n }),
    });
    assert.equal(last.status, 202);
    await until(`tick ${n} to arrive`, () => page.evaluate((final) => window.received.includes(final), n));
    const { received, tokens, expiries, opens } = await page.evaluate(() => ({
      received: window.received, tokens: window.tokens, expiries: window.expiries, opens: window.opens,
    }));
    console.log(`ticks ${n}, expiries ${expiries}, tokens ${tokens}, opens ${opens}`);
    assert.ok(expiries >= 2, `the stream ended with token_expired at least twice (saw ${expiries})`);
    assert.ok(tokens >= expiries + 1, `a fresh token after each expiry (${tokens} tokens)`);
    assert.deepEqual(received, Array.from({ length: n }, (_, i) => i + 1), 'every tick once, in order');
  } finally {
    await context.close();
    await herald.stop();
  }
});
