// The /ui dashboard of the published binary (LLMPROXY_BINARY, else artifacts/llm-proxy) in headless Chromium.
//  1. With its single OpenAI-compatible server (OPENAI_COMPAT_BASE_URL, the upstream named "ollama") and the stub:
//     traffic in, then the page must show the models with the counts /metrics shows, the totals, the recent requests,
//     the upstream up and then down once its server stops; stats.json carries no secret. Saves a screenshot to
//     docs/ui.png (or UI_SCREENSHOT) for the README.
//  2. With named upstreams (UPSTREAMS, two fake servers): each model on its own upstream, and one upstream shown down
//     while the other stays up. NEEDS a binary that reads UPSTREAMS: until then this part fails at its first step.
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
const OPERATIONS_PATHS = new Set(['/healthz', '/metrics', '/ui', '/ui/stats.json', '/openapi.json']);

const sum = (samples, name, where = () => true) => samples.filter((s) => s.name === name && where(s.labels)).reduce((a, s) => a + s.value, 0);
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

function client(proxy) {
  return {
    async chat(model, { stream = false, requestId } = {}) {
      const res = await fetch(`${proxy.base}/v1/chat/completions`, {
        method: 'POST',
        headers: { 'Content-Type': 'application/json', Authorization: `Bearer ${CLIENT_KEY}`, ...(requestId ? { 'x-request-id': requestId } : {}) },
        body: JSON.stringify({ model, stream, ...(stream ? { stream_options: { include_usage: true } } : {}), messages: [{ role: 'user', content: PROMPT }] }),
      });
      await res.arrayBuffer();
      return res.status;
    },
    async scrape() {
      return parseScrape(await (await fetch(`${proxy.base}/metrics`)).text());
    },
  };
}

describe('the dashboard of the published binary with one OpenAI-compatible server and the stub', () => {
  const LAST_REQUEST_ID = 'ui-test-last-request';
  const statuses = [];
  let local;
  let proxy;
  let chromium;
  let api;

  before(async () => {
    local = await startFakeUpstream({ models: ['llama3.1:8b', 'nomic-embed-text'] });
    proxy = await startProxy({
      LLM_PROVIDER: 'ollama',
      OPENAI_COMPAT_BASE_URL: local.url,
      OPENAI_COMPAT_API_KEY: UPSTREAM_KEY,
      PROXY_API_KEYS: CLIENT_KEY,
      MODEL_PROVIDER_MAP: 'stub-*=stub',
    });
    api = client(proxy);
    chromium = await launchBrowser();
    // Spread over a few 2 s history samples, so the charts have lines to draw.
    for (let round = 0; round < 3; round++) {
      statuses.push(['llama3.1:8b', await api.chat('llama3.1:8b')], ['llama3.1:8b', await api.chat('llama3.1:8b')]);
      statuses.push(['llama3.1:8b stream', await api.chat('llama3.1:8b', { stream: true })]);
      statuses.push(['stub-echo stream', await api.chat('stub-echo', { stream: true })]);
      await sleep(2100);
    }
    statuses.push(['no-such-model', await api.chat('no-such-model')]);
    statuses.push(['stub-echo', await api.chat('stub-echo', { requestId: LAST_REQUEST_ID })]);
  });

  after(async () => {
    await chromium?.close();
    await proxy?.stop();
    await local?.close();
  });

  test('the traffic went to the fake server or the stub, and an unknown model got the server\'s 404', () => {
    const expected = [];
    for (let round = 0; round < 3; round++) {
      expected.push(['llama3.1:8b', 200], ['llama3.1:8b', 200], ['llama3.1:8b stream', 200], ['stub-echo stream', 200]);
    }
    expected.push(['no-such-model', 404], ['stub-echo', 200]);
    assert.deepEqual(statuses, expected);
    assert.equal(local.received.filter((r) => r.url === '/v1/chat/completions').length, 10);
  });

  test('GET /ui answers the page of the source tree as HTML', async () => {
    const res = await fetch(`${proxy.base}/ui`);
    assert.equal(res.status, 200);
    assert.match(res.headers.get('content-type') ?? '', /^text\/html/);
    assert.match(res.headers.get('content-security-policy') ?? '', /frame-ancestors 'none'/);
    assert.equal(await res.text(), await readFile(PAGE_PATH, 'utf8'));
  });

  test('every model that got traffic is listed with the request counts /metrics shows', async () => {
    const { page, errors } = await openPage(chromium.browser);
    await page.goto(`${proxy.base}/ui`);
    await waitForRefreshes(page, 1);
    const samples = await api.scrape();
    const d = await readDashboard(page);
    // A name the server answered with 404 is no real model: it counts under "other" (docs/operations.md, Metrics).
    for (const [model, provider, count] of [['llama3.1:8b', 'ollama', 9], ['stub-echo', 'stub', 4], ['other', 'ollama', 1]]) {
      const row = d.models.find((m) => m.data.model === model);
      assert.ok(row, `${model} is in the model table: ${JSON.stringify(d.models.map((m) => m.data))}`);
      assert.equal(row.data.provider, provider);
      assert.equal(Number(row.cells.requests.value), sum(samples, 'llm_requests_total', (l) => l.model === model));
      assert.equal(row.cells.requests.text, String(count));
    }
    assert.ok(!d.models.some((m) => m.data.model === 'no-such-model'), 'a name the server does not know gets no row of its own');
    assert.equal(d.models[0].data.model, 'llama3.1:8b', 'busiest first');
    const ttft = d.models.find((m) => m.data.model === 'llama3.1:8b').cells.ttft_p50.text;
    assert.match(ttft, /^\d+(\.\d+)? (ms|s)$/, 'a streamed model has a time to first token');
    assert.deepEqual(errors, []);
    await page.close();
  });

  test('the totals match /metrics: API requests, 4xx and tokens', async () => {
    const { page } = await openPage(chromium.browser);
    await page.goto(`${proxy.base}/ui`);
    await waitForRefreshes(page, 1);
    const samples = await api.scrape();
    const d = await readDashboard(page);
    const apiPaths = (l) => !OPERATIONS_PATHS.has(l.path);
    assert.equal(Number(d.tiles.requests.value), sum(samples, 'http_requests_total', apiPaths));
    assert.equal(Number(d.tiles.requests.value), 14);
    assert.equal(Number(d.tiles.tokens.value), sum(samples, 'llm_prompt_tokens_total') + sum(samples, 'llm_completion_tokens_total'));
    assert.match(await page.$eval('[data-stat="requests"] .sub', (e) => e.textContent), /^1 4xx · 0 5xx$/);
    assert.equal(d.tiles.streams_open.text, '0');
    await page.close();
  });

  test('the charts draw the last minutes from the history the proxy samples every 2 s', async () => {
    const { page } = await openPage(chromium.browser);
    await page.goto(`${proxy.base}/ui`);
    await waitForRefreshes(page, 1);
    const d = await readDashboard(page);
    const traffic = d.charts.find((c) => c.id === 'chart-traffic');
    assert.ok(traffic.series.find((s) => s.name === 'requests').points >= 3, JSON.stringify(d.charts));
    assert.ok(Number(d.tiles.requests_per_second.value) > 0);
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
    assert.equal(last.cells.model.text, 'stub-echo');
    assert.equal(last.cells.upstream.text, '—', 'the stub is no upstream');
    assert.equal(last.cells.status.text, '200');
    assert.equal(last.cells.mode.text, 'single');
    assert.equal(beforeLast.cells.model.text, 'no-such-model');
    assert.equal(beforeLast.cells.upstream.text, 'ollama');
    assert.equal(beforeLast.cells.status.text, '404');
    const stream = d.recent.find((r) => r.cells.model.text === 'llama3.1:8b' && r.cells.mode.text === 'stream');
    assert.equal(stream.cells.tokens.text, '7 → 3');
    assert.ok(!d.recent.some((r) => /\/(ui|metrics|healthz)/.test(r.cells.route.text)), 'the dashboard does not list itself');
    await page.close();
  });

  test('stats.json never carries a key, an Authorization value or message content', async () => {
    const res = await fetch(`${proxy.base}/ui/stats.json`);
    assert.equal(res.status, 200);
    assert.match(res.headers.get('content-type') ?? '', /^application\/json/);
    const text = await res.text();
    assert.ok(JSON.parse(text).totals.requests > 0);
    for (const secret of [UPSTREAM_KEY, CLIENT_KEY, 'Bearer', PROMPT]) assert.ok(!text.includes(secret), `stats.json contains ${secret}`);
  });

  test('the upstream is shown up, then down once its server stops', async () => {
    const { page } = await openPage(chromium.browser, { viewport: DESKTOP });
    await page.goto(`${proxy.base}/ui`);
    await waitForRefreshes(page, 1);
    let d = await readDashboard(page);
    assert.deepEqual(d.upstreams.map((u) => [u.data.upstream, u.data.state, u.cells.state.text]), [['ollama', 'up', 'up']]);
    assert.equal(d.upstreams[0].cells.name.text, `ollama${local.url}`);
    await page.screenshot({ path: SCREENSHOT, fullPage: true });

    await local.close();
    assert.equal(await api.chat('llama3.1:8b'), 502);
    await page.waitForFunction(() => document.querySelector('#upstreams tr[data-upstream="ollama"]')?.dataset.state === 'down',
      { timeout: 10000, polling: 100 });
    d = await readDashboard(page);
    assert.equal(d.upstreams[0].cells.state.text, 'down');
    await page.close();
  });
});

describe('the dashboard of the published binary with named upstreams (needs UPSTREAMS in the binary)', () => {
  let local;
  let gpu;
  let proxy;
  let chromium;
  let api;
  const statuses = [];

  before(async () => {
    local = await startFakeUpstream({ models: ['llama3.1:8b', 'nomic-embed-text'] });
    gpu = await startFakeUpstream({ models: ['qwen2.5-coder:7b'] });
    proxy = await startProxy({
      UPSTREAMS: `local=${local.url},gpu=${gpu.url}`,
      UPSTREAM_GPU_API_KEY: UPSTREAM_KEY,
      MODEL_REFRESH_SECONDS: '1',
    });
    api = client(proxy);
    chromium = await launchBrowser();
    for (let i = 0; i < 2; i++) statuses.push(['llama3.1:8b', await api.chat('llama3.1:8b')]);
    statuses.push(['qwen2.5-coder:7b stream', await api.chat('qwen2.5-coder:7b', { stream: true })]);
  });

  after(async () => {
    await chromium?.close();
    await proxy?.stop();
    await local?.close();
    await gpu?.close();
  });

  test('each model went to the upstream whose model list has it', async () => {
    assert.deepEqual(statuses, [['llama3.1:8b', 200], ['llama3.1:8b', 200], ['qwen2.5-coder:7b stream', 200]],
      'the binary does not route UPSTREAMS by model yet');
    const why = 'the binary does not route UPSTREAMS by model yet (every model went to the stub)';
    assert.equal(local.received.filter((r) => r.url === '/v1/chat/completions').length, 2, why);
    assert.equal(gpu.received.filter((r) => r.url === '/v1/chat/completions').length, 1, why);
    const { page } = await openPage(chromium.browser);
    await page.goto(`${proxy.base}/ui`);
    await waitForRefreshes(page, 1);
    const d = await readDashboard(page);
    assert.equal(d.models.find((m) => m.data.model === 'qwen2.5-coder:7b')?.data.provider, 'gpu');
    assert.equal(d.models.find((m) => m.data.model === 'llama3.1:8b')?.data.provider, 'local');
    await page.close();
  });

  test('an upstream whose server stops is shown down while the other stays up', async () => {
    const { page } = await openPage(chromium.browser, { viewport: DESKTOP });
    await page.goto(`${proxy.base}/ui`);
    await waitForRefreshes(page, 1);
    let d = await readDashboard(page);
    assert.deepEqual(d.upstreams.map((u) => [u.data.upstream, u.data.state]), [['local', 'up'], ['gpu', 'up']]);

    await gpu.close();
    // Failed calls (and the model-list probe every second) mark it down.
    for (let i = 0; i < 3; i++) await api.chat('qwen2.5-coder:7b');
    await page.waitForFunction(() => document.querySelector('#upstreams tr[data-upstream="gpu"]')?.dataset.state === 'down',
      { timeout: 15000, polling: 100 });
    d = await readDashboard(page);
    assert.equal(d.upstreams.find((u) => u.data.upstream === 'gpu').cells.state.text, 'down');
    assert.equal(d.upstreams.find((u) => u.data.upstream === 'local').data.state, 'up');
    await page.close();
  });
});
