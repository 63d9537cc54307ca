// Jobs in Chromium against a real Herald (issue 18): the demo's export panel follows the user's export from
// herald.js's jobs view; a second tab of the same user opened mid-export shows the current progress at once (the
// shared stream's leader hands its view over), both show the end, and the download works. The same with streams of
// their own (`shared: false`), where each stream's job_state gives the current state. Exports are slowed down by
// HERALD_JOBS_EXPORT_PACE so that their progress can be watched.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { launchBrowser, screenshot, startHerald, until, devToken } from './harness.mjs';

/** A pause after each progress report of the export: what "at once" is measured against. */
const PACE_MS = 400;
const EVENTS = 30;

let browser;
let herald;
let base;
let service;

before(async () => {
  browser = await launchBrowser();
  herald = await startHerald({ env: { HERALD_JOBS_EXPORT_PACE: `PT${PACE_MS / 1000}S` } });
  base = `http://localhost:${herald.port}`;
  service = await devToken(base, { userId: 'publisher', roles: ['service'] });
});

after(async () => {
  await browser?.close();
  await herald?.stop();
});

/** `n` events in `channel`, so that an export of it has as many steps to report. */
async function fill(channel, n) {
  for (let i = 1; i <= n; i += 1) {
    const res = await fetch(`${base}/api/publish`, {
      method: 'POST', headers: { 'Content-Type': 'application/json', Authorization: `Bearer ${service}` },
      body: JSON.stringify({ channel, type: 'note', content: `line ${i}` }),
    });
    assert.equal(res.status, 202, `publish ${i}`);
  }
}

/**
 * Records in the page, from its start, every value the export's progress bar takes and when (Date.now(), one clock
 * for all pages), and when the stream's status first became open.
 */
function watchPanel() {
  window.progressLog = [];
  window.openedAt = null;
  document.addEventListener('DOMContentLoaded', () => {
    const bar = document.getElementById('progress');
    new MutationObserver(() => {
      if (!bar.hidden) window.progressLog.push({ value: bar.value, at: Date.now() });
    }).observe(bar, { attributes: true, attributeFilter: ['value', 'hidden'] });
    const status = document.getElementById('status');
    new MutationObserver(() => {
      if (window.openedAt === null && status.dataset.status === 'open') window.openedAt = Date.now();
    }).observe(status, { attributes: true, attributeFilter: ['data-status'] });
  });
}

const progressLog = (page) => page.evaluate(() => window.progressLog);
const shown = (page) => page.$eval('#progress', (bar) => (bar.hidden ? null : bar.value));

/** The value a page's log says the bar showed at `at` (null before the first). */
function valueAt(log, at) {
  return log.filter((entry) => entry.at <= at).at(-1)?.value ?? null;
}

function assertNeverBack(log, what) {
  const values = log.map((entry) => entry.value);
  assert.deepEqual(values, [...values].sort((a, b) => a - b), `${what}: progress never goes back (${values})`);
}

test('a second tab of the user opened mid-export shows the current progress at once; both end with the download', async () => {
  await fill('channel:general', EVENTS);
  const context = await browser.newContext({ acceptDownloads: true });
  try {
    const first = await context.newPage();
    await first.addInitScript(watchPanel);
    await first.goto(base);
    await first.fill('#name', 'Fay');
    await first.click('#signin button');
    await first.waitForSelector('#status[data-status="open"]');
    assert.equal(await first.textContent('#export'), 'Export #general');
    await first.click('#export');
    await until('the export under way in the first tab', async () => (await shown(first)) >= 10, 30000);
    const before = await shown(first);
    assert.ok(before < 100, `still running (${before} %)`);

    const second = await context.newPage();
    await second.addInitScript(watchPanel);
    await second.goto(base); // signed in already (the origin remembers the user)
    await until('the second tab shows the export', async () => (await progressLog(second)).length > 0, 20000);
    const openedAt = await second.evaluate(() => window.openedAt);
    const [firstShown] = await progressLog(second);
    assert.equal(await second.getAttribute('#role', 'data-role'), 'follower', 'the second tab follows the first\'s stream');
    assert.equal(await first.getAttribute('#role', 'data-role'), 'leader');
    assert.ok(firstShown.value >= before, `shown ${firstShown.value} %, at least the ${before} % shown when it opened`);
    assert.ok(firstShown.value < 100, 'mid-export');
    assert.ok(firstShown.at - openedAt < PACE_MS / 2,
              `shown ${firstShown.at - openedAt} ms after its stream opened: at once, not at the next report`);
    // not the next report's value: the first tab (which leads) showed it already when the second tab's stream opened
    const firstLog = await progressLog(first);
    assert.ok(firstLog.some((entry) => entry.value === firstShown.value && entry.at <= openedAt),
              `${firstShown.value} % was current before the second tab opened: ${JSON.stringify(firstLog)} (open at ${openedAt})`);
    // what the first tab showed when the second opened, the second shows too (within the time messages take)
    await new Promise((resolve) => setTimeout(resolve, 50));
    const log = await progressLog(second);
    const firstAtOpen = valueAt(firstLog, openedAt);
    assert.ok(valueAt(log, openedAt + 50) >= firstAtOpen, `${valueAt(log, openedAt + 50)} % >= ${firstAtOpen} %`);
    await screenshot(second, 'jobs-1-second-tab-mid-export');

    for (const page of [first, second]) await page.waitForSelector('#download', { timeout: 60000 });
    for (const [name, page] of [['first', first], ['second', second]]) {
      assert.equal(await shown(page), 100);
      assertNeverBack(await progressLog(page), `${name} tab`);
      assert.match(await page.textContent('#download'), /#general/);
      assert.equal(await page.isDisabled('#export'), false, `${name} tab: another export may start`);
    }
    await screenshot(second, 'jobs-2-second-tab-done');
    const [download] = await Promise.all([second.waitForEvent('download'), second.click('#download')]);
    const lines = readFileSync(await download.path(), 'utf8').trim().split('\n').map((l) => JSON.parse(l));
    assert.deepEqual(lines.filter((e) => e.type === 'note').map((e) => e.content),
                     Array.from({ length: EVENTS }, (_, i) => `line ${i + 1}`));
  } finally {
    await context.close();
  }
});

test('shared: false pages: a page opened mid-export gets the running job from its own stream\'s job_state', async () => {
  await fill('channel:solo', EVENTS);
  const token = await devToken(base, { userId: 'gil', name: 'Gil' });
  const context = await browser.newContext();
  try {
    const open = async () => {
      const page = await context.newPage();
      await page.goto(base); // the demo, not signed in: a page of the origin, importing herald.js below
      await page.evaluate(async (jwt) => {
        const { subscribe } = await import('/js/herald.js');
        window.seen = [];
        window.opened = false;
        window.sub = subscribe(['channel:solo'], {
          token: jwt, shared: false, jobs: true,
          onJob: (job) => window.seen.push({ status: job.status, progress: job.progress, at: Date.now() }),
          onOpen: () => { window.opened = true; },
        });
      }, token);
      await until('the stream open', () => page.evaluate(() => window.opened));
      return page;
    };
    const seen = (page) => page.evaluate(() => window.seen);
    const first = await open();
    const res = await fetch(`${base}/api/jobs/export`, {
      method: 'POST', headers: { 'Content-Type': 'application/json', Authorization: `Bearer ${token}` },
      body: JSON.stringify({ channel: 'channel:solo' }),
    });
    assert.equal(res.status, 202);
    const { jobId } = await res.json();
    await until('progress in the first page', async () => (await seen(first)).some((j) => j.progress >= 10), 30000);
    const before = (await seen(first)).at(-1).progress;
    const second = await open();
    // job_state comes with the stream's start, before any live event: long before the next report
    await until('the running job in the second page', async () => (await seen(second)).length > 0, PACE_MS / 2);
    const [initial] = await seen(second);
    assert.equal(initial.status, 'running');
    assert.ok(initial.progress >= before, `${initial.progress} % >= ${before} %`);
    for (const page of [first, second]) {
      await until('the job complete', async () => (await seen(page)).at(-1)?.status === 'complete', 60000);
      const values = (await seen(page)).map((j) => j.progress);
      assert.deepEqual(values, [...values].sort((a, b) => a - b), `never back: ${values}`);
      const job = await page.evaluate((id) => window.sub.jobs.get(id), jobId);
      assert.equal(job.result, `/api/jobs/${jobId}/result`);
      assert.equal(job.meta.channel, 'channel:solo');
    }
  } finally {
    await context.close();
  }
});
