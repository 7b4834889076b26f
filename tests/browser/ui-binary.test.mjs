// The /ui dashboard of the published binary (LLMPROXY_BINARY, else artifacts/llm-proxy) in headless Chromium, in
// front of two fake OpenAI-compatible upstreams: traffic in, then the page must show the models, the counts that
// /metrics shows, the recent requests, and an upstream going down once its server is stopped.
// NEEDS the binary to serve /ui and /ui/stats.json and to read UPSTREAMS: until then every case fails at its first step.
// Saves a screenshot to docs/ui.png (or UI_SCREENSHOT) for the README.
import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { startProxy, parseScrape } from './support/proxy.mjs';
import { startFakeUpstream } from './support/fake-upstream.mjs';
import { launchBrowser, openPage, waitForRefreshes, readDashboard, DESKTOP } from './support/browser.mjs';
import { PAGE_PATH } from './serve-fixture.mjs';

const here = path.dirname(fileURLToPath(import.meta.url));
const SCREENSHOT = process.env.UI_SCREENSHOT || path.join(here, '..', '..', 'docs', 'ui.png');
const UPSTREAM_KEY = 'sk-upstream-key-never-shown-7f3a';
const CLIENT_KEY = 'sk-client-token-never-shown-91bc';
const PROMPT = 'a prompt the dashboard must never show 5d2e';
// Routes of the proxy itself: not API traffic, so not in the dashboard's request totals (docs/observability.md).
const OPERATIONS_PATHS = new Set(['/healthz', '/metrics', '/ui', '/ui/stats.json', '/openapi.json', '/docs', '/redoc']);

let local;
let gpu;
let proxy;
let chromium;
const LAST_REQUEST_ID = 'ui-test-last-request';
const statuses = []; // [what, status] of the traffic sent before the tests

async function chat(model, { stream = false, requestId } = {}) {
  const res = await fetch(`${proxy.base}/v1/chat/completions`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json', Authorization: `Bearer ${CLIENT_KEY}`, ...(requestId ? { 'x-request-id': requestId } : {}) },
    body: JSON.stringify({ model, stream, ...(stream ? { stream_options: { include_usage: true } } : {}), messages: [{ role: 'user', content: PROMPT }] }),
  });
  await res.arrayBuffer();
  return res.status;
}

async function scrape() {
  return parseScrape(await (await fetch(`${proxy.base}/metrics`)).text());
}

const sum = (samples, name, where = () => true) => samples.filter((s) => s.name === name && where(s.labels)).reduce((a, s) => a + s.value, 0);

describe('the dashboard of the published binary (needs /ui, /ui/stats.json and UPSTREAMS in the binary)', () => {
  before(async () => {
    local = await startFakeUpstream({ models: ['llama3.1:8b', 'nomic-embed-text'] });
    gpu = await startFakeUpstream({ models: ['qwen2.5-coder:7b'] });
    proxy = await startProxy({
      UPSTREAMS: `local=${local.url},gpu=${gpu.url}`,
      UPSTREAM_GPU_API_KEY: UPSTREAM_KEY,
      MODEL_REFRESH_SECONDS: '1',
    });
    chromium = await launchBrowser();
    for (let i = 0; i < 4; i++) statuses.push(['llama3.1:8b', await chat('llama3.1:8b')]);
    for (let i = 0; i < 3; i++) statuses.push(['llama3.1:8b stream', await chat('llama3.1:8b', { stream: true })]);
    statuses.push(['no-such-model', await chat('no-such-model')]);
    statuses.push(['qwen2.5-coder:7b stream', await chat('qwen2.5-coder:7b', { stream: true })]);
    statuses.push(['qwen2.5-coder:7b', await chat('qwen2.5-coder:7b', { requestId: LAST_REQUEST_ID })]);
  });

  after(async () => {
    await chromium?.close();
    await proxy?.stop();
    await local?.close();
    await gpu?.close();
  });

  test('the traffic reached the fake upstreams through UPSTREAMS, an unknown model got 404', async () => {
    assert.deepEqual(statuses, [
      ...Array(4).fill(['llama3.1:8b', 200]), ...Array(3).fill(['llama3.1:8b stream', 200]), ['no-such-model', 404],
      ['qwen2.5-coder:7b stream', 200], ['qwen2.5-coder:7b', 200]], 'the binary does not route UPSTREAMS by model yet');
    assert.equal(local.received.filter((r) => r.url === '/v1/chat/completions').length, 7);
    assert.equal(gpu.received.filter((r) => r.url === '/v1/chat/completions').length, 2);
  });

  test('GET /ui answers the page of the source tree as HTML', async () => {
    const res = await fetch(`${proxy.base}/ui`);
    assert.equal(res.status, 200, 'the binary does not serve /ui yet');
    assert.match(res.headers.get('content-type') ?? '', /^text\/html/);
    assert.equal(await res.text(), await readFile(PAGE_PATH, 'utf8'));
  });

  test('every model that got traffic is listed with the request counts /metrics shows', async () => {
    const { page } = await openPage(chromium.browser);
    await page.goto(`${proxy.base}/ui`);
    await waitForRefreshes(page, 1);
    const samples = await scrape();
    const d = await readDashboard(page);
    for (const [model, provider] of [['llama3.1:8b', 'local'], ['qwen2.5-coder:7b', 'gpu']]) {
      const row = d.models.find((m) => m.data.model === model);
      assert.ok(row, `${model} is in the model table: ${JSON.stringify(d.models.map((m) => m.data))}`);
      assert.equal(row.data.provider, provider);
      const expected = sum(samples, 'llm_requests_total', (l) => l.model === model);
      assert.ok(expected > 0);
      assert.equal(Number(row.cells.requests.value), expected);
    }
    assert.equal(d.models.find((m) => m.data.model === 'llama3.1:8b').cells.requests.text, '7');
    const ttft = d.models.find((m) => m.data.model === 'llama3.1:8b').cells.ttft_p50.text;
    assert.match(ttft, /^\d+(\.\d+)? (ms|s)$/, 'a streamed model has a time to first token');
    await page.close();
  });

  test('the totals match /metrics: API requests, errors and tokens', async () => {
    const { page } = await openPage(chromium.browser);
    await page.goto(`${proxy.base}/ui`);
    await waitForRefreshes(page, 1);
    const samples = await scrape();
    const d = await readDashboard(page);
    const api = (l) => !OPERATIONS_PATHS.has(l.path);
    assert.equal(Number(d.tiles.requests.value), sum(samples, 'http_requests_total', api));
    assert.equal(Number(d.tiles.tokens.value), sum(samples, 'llm_prompt_tokens_total') + sum(samples, 'llm_completion_tokens_total'));
    assert.equal(Number(d.tiles.tokens.value), 9 * 10, 'nine answers of 7 + 3 tokens');
    assert.equal(d.tiles.streams_open.text, '0');
    await page.close();
  });

  test('the recent requests list the traffic newest first with route, model, upstream and status', async () => {
    const { page } = await openPage(chromium.browser);
    await page.goto(`${proxy.base}/ui`);
    await waitForRefreshes(page, 1);
    const d = await readDashboard(page);
    const [last, beforeLast] = d.recent;
    assert.equal(last.data.requestId, LAST_REQUEST_ID);
    assert.equal(last.cells.route.text, 'POST /v1/chat/completions');
    assert.equal(last.cells.model.text, 'qwen2.5-coder:7b');
    assert.equal(last.cells.upstream.text, 'gpu');
    assert.equal(last.cells.status.text, '200');
    assert.equal(last.cells.tokens.text, '7 → 3');
    assert.equal(beforeLast.cells.mode.text, 'stream');
    assert.ok(d.recent.some((r) => r.cells.model.text === 'no-such-model' && r.cells.status.text === '404'));
    await page.close();
  });

  test('stats.json never carries a key, an Authorization value or message content', async () => {
    const res = await fetch(`${proxy.base}/ui/stats.json`);
    assert.equal(res.status, 200, 'the binary does not serve /ui/stats.json yet');
    assert.match(res.headers.get('content-type') ?? '', /^application\/json/);
    const text = await res.text();
    assert.ok(JSON.parse(text).totals.requests > 0);
    for (const secret of [UPSTREAM_KEY, CLIENT_KEY, 'Bearer', PROMPT]) assert.ok(!text.includes(secret), `stats.json contains ${secret}`);
  });

  test('an upstream whose server stops is shown down while the other stays up', async () => {
    const { page } = await openPage(chromium.browser, { viewport: DESKTOP });
    await page.goto(`${proxy.base}/ui`);
    await waitForRefreshes(page, 1);
    let d = await readDashboard(page);
    assert.deepEqual(d.upstreams.map((u) => [u.data.upstream, u.data.state]), [['local', 'up'], ['gpu', 'up']]);

    await gpu.close();
    // Failed calls (and the model-list probe every second) mark it down.
    for (let i = 0; i < 3; i++) await chat('qwen2.5-coder:7b');
    await page.waitForFunction(() => document.querySelector('#upstreams tr[data-upstream="gpu"]')?.dataset.state === 'down',
      { timeout: 15000, polling: 100 });
    d = await readDashboard(page);
    assert.equal(d.upstreams.find((u) => u.data.upstream === 'gpu').cells.state.text, 'down');
    assert.equal(d.upstreams.find((u) => u.data.upstream === 'local').data.state, 'up');
    await page.screenshot({ path: SCREENSHOT, fullPage: true });
    await page.close();
  });
});
