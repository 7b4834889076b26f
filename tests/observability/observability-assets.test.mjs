// The observability assets in docs/: the Prometheus alert rules (promtool check + unit tests), the Grafana dashboard
// (structure, PromQL syntax through promtool), and every metric name either queries, checked against a real /metrics
// scrape of the published binary (LLMPROXY_BINARY, else artifacts/llm-proxy). Names the binary does not export yet are
// listed in not-yet-exported.txt; the check fails when that list is wrong in either direction.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, readFileSync, mkdtempSync, writeFileSync, rmSync } from 'node:fs';
import http from 'node:http';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import YAML from 'yaml';
import { metricNames, withGrafanaVariablesFilled, exportedNames } from './promql.mjs';

const here = path.dirname(fileURLToPath(import.meta.url));
const root = path.join(here, '..', '..');
const RULES = path.join(root, 'docs', 'prometheus', 'alerts.yml');
const RULE_TESTS = path.join(root, 'docs', 'prometheus', 'alerts.test.yml');
const DASHBOARD = path.join(root, 'docs', 'grafana', 'llm-proxy.json');
const BINARY = process.env.LLMPROXY_BINARY || path.join(root, 'artifacts', 'llm-proxy');
const PROMTOOL = process.env.PROMTOOL || 'promtool';

const dashboard = JSON.parse(readFileSync(DASHBOARD, 'utf8'));
const rules = YAML.parse(readFileSync(RULES, 'utf8'));
const ruleTests = YAML.parse(readFileSync(RULE_TESTS, 'utf8'));
const pending = new Set(readFileSync(path.join(here, 'not-yet-exported.txt'), 'utf8')
  .split('\n').map((l) => l.trim()).filter((l) => l && !l.startsWith('#')));

const panels = dashboard.panels.flatMap((p) => [p, ...(p.panels ?? [])]);
const queryPanels = panels.filter((p) => p.type !== 'row');
const dashboardExprs = queryPanels.flatMap((p) => p.targets.map((t) => ({ where: `panel "${p.title}" ${t.refId}`, expr: t.expr })));
const variableQueries = dashboard.templating.list.filter((v) => v.type === 'query')
  .map((v) => ({ where: `variable $${v.name}`, expr: typeof v.query === 'string' ? v.query : v.query.query }));
const alertRules = rules.groups.flatMap((g) => g.rules);

function promtool(...args) {
  const run = spawnSync(PROMTOOL, args, { encoding: 'utf8', cwd: path.dirname(RULES) });
  if (run.error) throw new Error(`${PROMTOOL} could not run (apt-get install prometheus): ${run.error.message}`);
  return run;
}

/** A family name as queried: histogram series names map back to their family for the not-yet-exported list. */
const family = (name) => name.replace(/_(bucket|sum|count)$/, '');

// --- a real scrape --------------------------------------------------------------------------------------------
let scrape = '';
let proxy;
let upstream;

const freePort = () => new Promise((resolve, reject) => {
  const s = net.createServer();
  s.once('error', reject);
  s.listen(0, '127.0.0.1', () => { const { port } = s.address(); s.close(() => resolve(port)); });
});

before(async () => {
  assert.ok(existsSync(BINARY), `the published binary is missing at ${BINARY}: run ./build.sh publish first`);
  // A minimal OpenAI-compatible upstream, so per-upstream families have something to report.
  upstream = http.createServer((req, res) => {
    req.resume();
    req.on('end', () => {
      res.writeHead(200, { 'Content-Type': 'application/json' });
      res.end(req.url === '/v1/models'
        ? JSON.stringify({ object: 'list', data: [{ id: 'llama3', object: 'model', created: 0, owned_by: 'fake' }] })
        : JSON.stringify({ id: 'c', object: 'chat.completion', created: 0, model: 'llama3',
          choices: [{ index: 0, message: { role: 'assistant', content: 'hi' }, finish_reason: 'stop' }],
          usage: { prompt_tokens: 1, completion_tokens: 1, total_tokens: 2 } }));
    });
  });
  await new Promise((r) => upstream.listen(0, '127.0.0.1', r));
  const port = await freePort();
  const closedPort = await freePort(); // nothing listens: the shared store is configured but down
  proxy = spawn(BINARY, [], {
    env: {
      PATH: process.env.PATH, HOME: process.env.HOME, HOST: '127.0.0.1', PORT: String(port),
      UPSTREAMS: `local=http://127.0.0.1:${upstream.address().port}/v1`,
      REDIS_URL: `redis://127.0.0.1:${closedPort}`, RATE_LIMIT_ENABLED: 'true',
    },
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let stderr = '';
  proxy.stderr.on('data', (c) => { stderr += c; });
  const base = `http://127.0.0.1:${port}`;
  const deadline = Date.now() + 15000;
  for (;;) {
    if (proxy.exitCode !== null) throw new Error(`llm-proxy exited with ${proxy.exitCode}: ${stderr}`);
    try { if ((await fetch(`${base}/healthz`)).status < 500) break; } catch { /* starting */ }
    if (Date.now() > deadline) throw new Error(`llm-proxy did not start: ${stderr}`);
    await new Promise((r) => setTimeout(r, 50));
  }
  for (const stream of [false, true]) {
    const res = await fetch(`${base}/v1/chat/completions`, {
      method: 'POST', headers: { 'Content-Type': 'application/json', Authorization: 'Bearer sk-check' },
      body: JSON.stringify({ model: 'llama3', stream, messages: [{ role: 'user', content: 'hi' }] }),
    });
    await res.arrayBuffer();
  }
  scrape = await (await fetch(`${base}/metrics`)).text();
});

after(async () => {
  proxy?.kill('SIGTERM');
  await new Promise((r) => (upstream ? upstream.close(r) : r()));
});

// --- alert rules --------------------------------------------------------------------------------------------------
test('promtool check rules accepts docs/prometheus/alerts.yml', () => {
  const run = promtool('check', 'rules', RULES);
  assert.equal(run.status, 0, run.stdout + run.stderr);
  assert.match(run.stdout, new RegExp(`SUCCESS: ${alertRules.length} rules found`));
});

test('promtool test rules: every alert fires when its case says and not before', () => {
  const run = promtool('test', 'rules', RULE_TESTS);
  assert.equal(run.status, 0, run.stdout + run.stderr);
});

test('every alert rule has a unit test case in which it fires', () => {
  const firing = new Set(ruleTests.tests.flatMap((t) => t.alert_rule_test ?? [])
    .filter((c) => (c.exp_alerts ?? []).length > 0).map((c) => c.alertname));
  for (const rule of alertRules) assert.ok(firing.has(rule.alert), `${rule.alert} is never shown firing in alerts.test.yml`);
  for (const rule of alertRules) {
    assert.ok(rule.labels?.severity, `${rule.alert} has a severity`);
    assert.ok(rule.annotations?.summary && rule.annotations?.description, `${rule.alert} has a summary and a description`);
  }
});

// --- dashboard ------------------------------------------------------------------------------------------------------
test('the dashboard has a stable uid, a title, and panels that fit a 24-column grid without overlapping', () => {
  assert.equal(dashboard.uid, 'llm-proxy');
  assert.ok(dashboard.title);
  assert.ok(Number.isInteger(dashboard.schemaVersion) && dashboard.schemaVersion >= 36);
  const ids = panels.map((p) => p.id);
  assert.equal(new Set(ids).size, ids.length, 'panel ids are unique');
  const boxes = panels.map((p) => ({ title: p.title, ...p.gridPos }));
  for (const b of boxes) {
    assert.ok(b.x >= 0 && b.w > 0 && b.x + b.w <= 24 && b.h > 0 && b.y >= 0, `"${b.title}" fits the grid: ${JSON.stringify(b)}`);
  }
  for (let i = 0; i < boxes.length; i++) {
    for (let j = i + 1; j < boxes.length; j++) {
      const a = boxes[i], b = boxes[j];
      const overlap = a.x < b.x + b.w && b.x < a.x + a.w && a.y < b.y + b.h && b.y < a.y + a.h;
      assert.ok(!overlap, `"${a.title}" and "${b.title}" overlap`);
    }
  }
});

test('every dashboard panel queries Prometheus through the data source variable', () => {
  assert.ok(dashboard.templating.list.some((v) => v.name === 'datasource' && v.type === 'datasource' && v.query === 'prometheus'));
  for (const p of queryPanels) {
    assert.ok(p.targets?.length > 0, `"${p.title}" has queries`);
    for (const t of [p, ...p.targets]) assert.deepEqual(t.datasource, { type: 'prometheus', uid: '${datasource}' }, `"${p.title}"`);
    const refs = p.targets.map((t) => t.refId);
    assert.equal(new Set(refs).size, refs.length, `"${p.title}" has unique refIds`);
  }
});

test('every template variable a query uses is defined', () => {
  const defined = new Set(dashboard.templating.list.map((v) => v.name));
  for (const { where, expr } of [...dashboardExprs, ...variableQueries]) {
    for (const [, name] of expr.matchAll(/\$\{?([A-Za-z_][A-Za-z0-9_]*)\}?/g)) {
      if (name.startsWith('__')) continue; // Grafana's own ($__rate_interval)
      assert.ok(defined.has(name), `${where} uses $${name}, which is not defined`);
    }
  }
});

test('every dashboard query is valid PromQL (promtool, as recording rules)', () => {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'llm-proxy-dashboard-'));
  try {
    const file = path.join(dir, 'dashboard-queries.yml');
    const recording = dashboardExprs.map(({ expr }, i) => ({ record: `dashboard:query_${i}`, expr: withGrafanaVariablesFilled(expr) }));
    writeFileSync(file, YAML.stringify({ groups: [{ name: 'dashboard', rules: recording }] }));
    const run = promtool('check', 'rules', file);
    assert.equal(run.status, 0, run.stdout + run.stderr);
    assert.match(run.stdout, new RegExp(`SUCCESS: ${recording.length} rules found`));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

// --- metric names against the binary ---------------------------------------------------------------------------------
function queried() {
  const byName = new Map();
  const add = (where, expr) => {
    for (const name of metricNames(expr)) byName.set(name, [...(byName.get(name) ?? []), where]);
  };
  for (const { where, expr } of dashboardExprs) add(`dashboard ${where}`, expr);
  for (const { where, expr } of variableQueries) {
    for (const [, name] of expr.matchAll(/label_values\(\s*([a-zA-Z_:][a-zA-Z0-9_:]*)/g)) byName.set(name, [...(byName.get(name) ?? []), `dashboard ${where}`]);
  }
  for (const rule of alertRules) add(`alert ${rule.alert}`, rule.expr);
  return byName;
}

test('the assets query the metrics a user expects: traffic, errors, TTFT, tokens, upstream health and queues', () => {
  const names = new Set([...queried().keys()].map(family));
  for (const name of ['http_requests_total', 'llm_requests_total', 'llm_time_to_first_token_seconds', 'llm_completion_tokens_total',
    'llm_prompt_tokens_total', 'llm_upstream_up', 'llm_upstream_queue_depth', 'llm_upstream_queue_wait_seconds', 'llm_streams_in_flight']) {
    assert.ok(names.has(name), `nothing queries ${name}`);
  }
});

test('every metric the dashboard and the alert rules query is in a real scrape of the binary, or listed as not yet exported', () => {
  const exported = exportedNames(scrape);
  assert.ok(exported.has('http_requests_total'), 'the scrape is a real one');
  const missing = [...queried()].filter(([name]) => !exported.has(name) && !pending.has(family(name)));
  assert.deepEqual(missing.map(([name, where]) => `${name} (${[...new Set(where)].join('; ')})`), []);
});

test('the metrics listed as not yet exported are still missing from the scrape (delete a line once its metric ships)', () => {
  const exported = exportedNames(scrape);
  const shipped = [...pending].filter((name) => exported.has(name));
  assert.deepEqual(shipped, [], 'these now exist: remove them from tests/observability/not-yet-exported.txt');
  const used = new Set([...queried().keys()].map(family));
  const unused = [...pending].filter((name) => !used.has(name));
  assert.deepEqual(unused, [], 'these are listed but nothing queries them');
});
