// Starts the published llm-proxy binary (LLMPROXY_BINARY, else artifacts/llm-proxy) on a free loopback port and
// stops it again. The environment is built from scratch so nothing of the caller's leaks into the run.
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const here = path.dirname(fileURLToPath(import.meta.url));
export const BINARY = process.env.LLMPROXY_BINARY || path.join(here, '..', '..', '..', 'artifacts', 'llm-proxy');

export const freePort = () => new Promise((resolve, reject) => {
  const s = net.createServer();
  s.once('error', reject);
  s.listen(0, '127.0.0.1', () => { const { port } = s.address(); s.close(() => resolve(port)); });
});

export async function startProxy(env = {}) {
  if (!existsSync(BINARY)) throw new Error(`the published binary is missing at ${BINARY}: run ./build.sh publish first`);
  const port = await freePort();
  const output = [];
  const child = spawn(BINARY, [], {
    env: { PATH: process.env.PATH, HOME: process.env.HOME, HOST: '127.0.0.1', PORT: String(port), LOG_FORMAT: 'json', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  child.stdout.on('data', (c) => output.push(String(c)));
  child.stderr.on('data', (c) => output.push(String(c)));
  const base = `http://127.0.0.1:${port}`;
  const deadline = Date.now() + 15000;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`llm-proxy exited with ${child.exitCode}: ${output.join('')}`);
    try {
      if ((await fetch(`${base}/healthz`)).status < 500) break;
    } catch { /* not listening yet */ }
    if (Date.now() > deadline) { child.kill('SIGKILL'); throw new Error(`llm-proxy did not start: ${output.join('')}`); }
    await new Promise((r) => setTimeout(r, 50));
  }
  return {
    base,
    output,
    stop: () => new Promise((resolve) => {
      if (child.exitCode !== null) return resolve();
      child.once('exit', resolve);
      child.kill('SIGTERM');
    }),
  };
}

/** The samples of a Prometheus text scrape: [{ name, labels: {..}, value }]. */
export function parseScrape(text) {
  const samples = [];
  for (const line of text.split('\n')) {
    if (!line || line.startsWith('#')) continue;
    const m = line.match(/^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})? (\S+)$/);
    if (!m) throw new Error(`not a sample line: ${line}`);
    const labels = {};
    for (const [, k, v] of (m[2] ?? '').matchAll(/([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"/g)) {
      labels[k] = v.replace(/\\(.)/g, (_, c) => (c === 'n' ? '\n' : c));
    }
    samples.push({ name: m[1], labels, value: Number(m[3]) });
  }
  return samples;
}
