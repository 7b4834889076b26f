// The /ui page (src/LlmProxy/Operations/Ui/dashboard.html) in headless Chromium against a sample /ui/stats.json
// served from this process: what it shows, how it says the proxy is gone, and what it never does. Needs no binary.
// UI_SCREENSHOT_DIR=<dir> also saves desktop/phone × light/dark screenshots there.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { startFixtureServer, PAGE_PATH } from './serve-fixture.mjs';
import { sampleStats, HOSTILE_MODEL } from './fixtures/sample-stats.mjs';
import { launchBrowser, openPage, waitForRefreshes, readDashboard, DESKTOP, PHONE } from './support/browser.mjs';

const NOW = 1_800_000_000;
const stats = sampleStats({ now: NOW });
let server;
let chromium;

before(async () => {
  server = await startFixtureServer({ stats: () => stats });
  chromium = await launchBrowser();
});

after(async () => {
  await chromium?.close();
  await server?.close();
});

async function load({ viewport = DESKTOP, scheme = 'light', url = '/ui' } = {}) {
  const opened = await openPage(chromium.browser, { viewport, scheme });
  await opened.page.goto(server.base + url);
  await waitForRefreshes(opened.page, 1);
  return opened;
}

/** The rates the page must show: the deltas over the last minute of the cumulative history. */
function expectedRates(history) {
  const last = history.at(-1);
  const first = history.findLast((h) => last.t - h.t >= 60);
  const dt = last.t - first.t;
  return {
    requests: (last.requests - first.requests) / dt,
    tokens: (last.completion_tokens - first.completion_tokens) / dt,
    errorRatio: (last.errors - first.errors) / (last.requests - first.requests),
  };
}

test('the tiles show the last minute\'s rates and the totals of the stats document', async () => {
  const { page, errors } = await load();
  const d = await readDashboard(page);
  const rates = expectedRates(stats.history);
  assert.equal(d.state, 'ok');
  assert.equal(d.version, 'v0.1.0');
  assert.ok(Math.abs(Number(d.tiles.requests_per_second.value) - rates.requests) < 1e-9);
  assert.equal(d.tiles.requests_per_second.text, rates.requests.toFixed(2));
  assert.ok(Math.abs(Number(d.tiles.tokens_per_second.value) - rates.tokens) < 1e-9);
  assert.equal(Number(d.tiles.error_rate.value), rates.errorRatio);
  assert.equal(d.tiles.streams_open.text, '2');
  assert.equal(d.tiles.in_flight.text, '3');
  assert.equal(Number(d.tiles.requests.value), stats.totals.requests);
  assert.equal(d.tiles.requests.text, stats.totals.requests.toLocaleString('en-US'));
  assert.equal(Number(d.tiles.tokens.value), stats.totals.prompt_tokens + stats.totals.completion_tokens);
  assert.equal(d.tiles.rate_limited.text, '4');
  assert.equal(d.tiles.rate_limited.level, 'warn');
  assert.deepEqual(errors, []);
  await page.close();
});

test('every upstream is listed with its state in colour and in words, its load and its queue', async () => {
  const { page } = await load();
  const d = await readDashboard(page);
  assert.deepEqual(d.upstreams.map((u) => [u.data.upstream, u.data.state, u.cells.state.text]),
    [['local', 'up', 'up'], ['gpu', 'down', 'down'], ['lmstudio', 'unknown', 'unknown']]);
  assert.equal(d.upstreams[0].cells.in_flight.text, '2');
  assert.equal(d.upstreams[1].cells.in_flight.text, '0 / 4', 'a concurrency limit is shown beside the load');
  assert.equal(d.upstreams[2].cells.queued.text, '5');
  const colours = await page.$$eval('#upstreams td[data-field="state"]', (tds) => tds.map((td) => getComputedStyle(td).color));
  assert.equal(new Set(colours).size, 3, `up, down and unknown have three colours: ${colours}`);
  await page.close();
});

test('the model table shows each model\'s counts and time to first token p50 and p95, busiest first', async () => {
  const { page } = await load();
  const d = await readDashboard(page);
  assert.deepEqual(d.models.map((m) => m.data.model), ['llama3.1:8b', 'qwen2.5-coder:7b', 'nomic-embed-text', HOSTILE_MODEL]);
  const llama = d.models[0].cells;
  assert.equal(llama.requests.text, '4,210');
  assert.equal(llama.errors.text, '12');
  assert.equal(llama.ttft_p50.text, '180 ms');
  assert.equal(llama.ttft_p95.text, '640 ms');
  assert.equal(d.models[1].cells.ttft_p95.text, '2.70 s');
  assert.equal(d.models[2].cells.ttft_p50.text, '—', 'a model never streamed has no time to first token');
  assert.equal(d.models[0].data.provider, 'local');
  await page.close();
});

test('a model name made of markup is shown as text and never becomes part of the page', async () => {
  const { page } = await load();
  const shown = await page.evaluate((name) => ({
    images: document.querySelectorAll('img').length,
    pwned: window.__pwned ?? null,
    cells: [...document.querySelectorAll('td')].filter((td) => td.textContent === name).length,
  }), HOSTILE_MODEL);
  assert.equal(shown.images, 0);
  assert.equal(shown.pwned, null);
  assert.ok(shown.cells >= 2, 'the name appears verbatim in the model table and the recent requests');
  await page.close();
});

test('the recent requests are listed newest first with route, model, upstream, status, duration and tokens', async () => {
  const { page } = await load();
  const d = await readDashboard(page);
  assert.equal(d.recent.length, 50);
  assert.equal(d.recent[0].data.requestId, 'req-1000');
  const first = d.recent[0].cells;
  assert.equal(first.route.text, 'POST /v1/chat/completions');
  assert.equal(first.model.text, 'llama3.1:8b');
  assert.equal(first.upstream.text, 'local');
  assert.equal(first.status.text, '200');
  assert.equal(first.duration.text, '40 ms');
  assert.equal(first.tokens.text, '20 → 40');
  assert.equal(first.mode.text, 'stream');
  assert.equal(d.recent[3].cells.status.text, '499 client left');
  assert.equal(d.recent[1].cells.tokens.text, '—', 'an answer without usage shows no token count');
  await page.close();
});

test('the charts draw requests, errors and completion tokens per second over the history', async () => {
  const { page } = await load();
  const d = await readDashboard(page);
  const traffic = d.charts.find((c) => c.id === 'chart-traffic');
  const tokens = d.charts.find((c) => c.id === 'chart-tokens');
  const deltas = stats.history.length - 1;
  assert.deepEqual(traffic.series, [{ name: 'requests', points: deltas }, { name: 'errors', points: deltas }]);
  assert.deepEqual(tokens.series, [{ name: 'tokens', points: deltas }]);
  assert.equal(traffic.max, '5', 'the scale is the next round number above the busiest 2 s (4 requests/s)');
  await page.close();
});

test('when stats.json fails the page says it cannot reach the proxy, keeps the last figures, and recovers', async () => {
  const { page } = await load();
  try {
    server.state.mode = 'error';
    await page.waitForFunction(() => document.body.dataset.state === 'error', { timeout: 10000 });
    let d = await readDashboard(page);
    assert.ok(d.offlineShown);
    assert.match(d.offlineText, /Cannot reach the proxy\. The proxy answered HTTP 503/);
    assert.ok(d.stale, 'the last figures stay, dimmed');
    assert.equal(d.models.length, 4);

    server.state.mode = 'drop';
    await page.waitForFunction(() => /No answer/.test(document.getElementById('offline').textContent), { timeout: 10000 });

    server.state.mode = 'ok';
    await page.waitForFunction(() => document.body.dataset.state === 'ok', { timeout: 10000 });
    d = await readDashboard(page);
    assert.equal(d.offlineShown, false);
    assert.equal(d.stale, false);
    assert.match(d.conn, /^live/);
  } finally {
    server.state.mode = 'ok';
    await page.close();
  }
});

test('a proxy that cannot be reached from the first load is reported, not shown as zeros', async () => {
  server.state.mode = 'drop';
  const { page } = await openPage(chromium.browser);
  try {
    await page.goto(server.base + '/ui');
    await page.waitForFunction(() => document.body.dataset.state === 'error', { timeout: 10000 });
    const d = await readDashboard(page);
    assert.ok(d.offlineShown);
    assert.equal(d.tiles.requests.text, '—');
  } finally {
    server.state.mode = 'ok';
    await page.close();
  }
});

test('the page loads nothing but itself and stats.json, stays small and raises no script error', async () => {
  const { page, requests, errors } = await load({ url: '/ui/' });
  const paths = new Set(requests.map((u) => { const p = new URL(u); return p.origin === server.base ? p.pathname : u; }));
  assert.deepEqual([...paths].sort(), ['/ui/', '/ui/stats.json'], 'stats.json is found beside the page, also as /ui/');
  const bytes = (await readFile(PAGE_PATH)).length;
  assert.ok(bytes < 40 * 1024, `the page is ${bytes} bytes`);
  assert.deepEqual(errors, []);
  await page.close();
});

test('the page refreshes by itself every two seconds', async () => {
  const { page } = await load();
  const started = Date.now();
  await waitForRefreshes(page, 2, 15000);
  const seconds = (Date.now() - started) / 1000;
  assert.ok(seconds >= 3 && seconds < 12, `two refreshes took ${seconds} s`);
  await page.close();
});

test('on a phone the page is one column and never scrolls sideways', async () => {
  const { page } = await load({ viewport: PHONE });
  const layout = await page.evaluate(() => {
    const cards = [...document.querySelectorAll('main > section.card')].map((s) => s.getBoundingClientRect());
    return { scrollWidth: document.documentElement.scrollWidth, width: innerWidth, lefts: [...new Set(cards.map((r) => Math.round(r.left)))],
      headerHidden: getComputedStyle(document.querySelector('#models thead')).display === 'none',
      label: getComputedStyle(document.querySelector('#models td[data-field="requests"]'), '::before').content };
  });
  assert.ok(layout.scrollWidth <= layout.width, `page is ${layout.scrollWidth}px wide in a ${layout.width}px screen`);
  assert.equal(layout.lefts.length, 1, 'every card starts at the same x');
  assert.ok(layout.headerHidden, 'tables become one card per row');
  assert.equal(layout.label, '"Requests"');
  await page.close();
});

test('dark and light follow the browser\'s colour scheme', async () => {
  const luminance = async (scheme) => {
    const { page } = await load({ scheme });
    const rgb = await page.evaluate(() => getComputedStyle(document.body).backgroundColor);
    await page.close();
    const [r, g, b] = rgb.match(/\d+/g).map(Number);
    return (0.2126 * r + 0.7152 * g + 0.0722 * b) / 255;
  };
  assert.ok(await luminance('light') > 0.8);
  assert.ok(await luminance('dark') < 0.2);
});

test('screenshots for people, when UI_SCREENSHOT_DIR is set', { skip: !process.env.UI_SCREENSHOT_DIR }, async () => {
  for (const [name, viewport] of [['desktop', DESKTOP], ['phone', PHONE]]) {
    for (const scheme of ['light', 'dark']) {
      const { page } = await load({ viewport, scheme });
      await page.screenshot({ path: path.join(process.env.UI_SCREENSHOT_DIR, `ui-${name}-${scheme}.png`), fullPage: true });
      await page.close();
    }
  }
});
