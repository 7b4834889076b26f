// Serves the /ui page from the source tree and a sample /ui/stats.json, for working on the page without a binary:
//   node tests/browser/serve-fixture.mjs [port]     then open http://127.0.0.1:<port>/ui
// The browser tests import startFixtureServer() and switch its mode to act out a proxy that goes away.
import http from 'node:http';
import { readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import path from 'node:path';
import { sampleStats } from './fixtures/sample-stats.mjs';

const here = path.dirname(fileURLToPath(import.meta.url));
export const PAGE_PATH = path.join(here, '..', '..', 'src', 'LlmProxy', 'Operations', 'Ui', 'dashboard.html');

/**
 * mode: 'ok' (the sample), 'error' (503 with a JSON error body), 'drop' (the socket is destroyed: no answer).
 * Every request is recorded in `requests` so a test can check the page asked for nothing else.
 */
export async function startFixtureServer({ port = 0, stats = () => sampleStats() } = {}) {
  const page = await readFile(PAGE_PATH);
  const state = { mode: 'ok', stats, requests: [] };
  const server = http.createServer((req, res) => {
    state.requests.push(req.url);
    const url = new URL(req.url, 'http://x');
    if (url.pathname === '/ui' || url.pathname === '/ui/') {
      res.writeHead(200, { 'Content-Type': 'text/html; charset=utf-8', 'Cache-Control': 'no-cache' });
      return res.end(page);
    }
    if (url.pathname === '/ui/stats.json') {
      if (state.mode === 'drop') return req.socket.destroy();
      if (state.mode === 'error') {
        res.writeHead(503, { 'Content-Type': 'application/json' });
        return res.end('{"error":"Service Unavailable"}');
      }
      res.writeHead(200, { 'Content-Type': 'application/json', 'Cache-Control': 'no-store' });
      return res.end(JSON.stringify(state.stats()));
    }
    res.writeHead(404, { 'Content-Type': 'text/plain' });
    res.end('not found');
  });
  await new Promise((resolve) => server.listen(port, '127.0.0.1', resolve));
  return {
    state,
    base: `http://127.0.0.1:${server.address().port}`,
    close: () => new Promise((resolve) => { server.closeAllConnections(); server.close(resolve); }),
  };
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const { base } = await startFixtureServer({ port: Number(process.argv[2] ?? 8765), stats: () => sampleStats({ now: Date.now() / 1000 }) });
  console.log(`serving ${base}/ui with sample data (Ctrl-C to stop)`);
}
