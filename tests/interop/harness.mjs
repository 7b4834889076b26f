// What every interop suite shares: a fake OpenAI-compatible upstream on a loopback port, and the published llm-proxy
// binary started in front of it (docs/contributing.md, test layers). The fake answers by model name:
//   missing     404 in Ollama's /v1 wording (an unknown model)
//   explode     a stream that fails after three deltas (an error event, then the connection closes without [DONE])
//   tool-model  a tool call (get_weather {"city":"Paris"}), streamed in pieces; after a tool result, a text answer
//   anything    "Hello from upstream", or the stream "one", " two", " three" (+ usage when asked)
import http from 'node:http';
import net from 'node:net';
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import path from 'node:path';

const here = path.dirname(fileURLToPath(import.meta.url));
export const binary = process.env.LLMPROXY_BINARY || path.join(here, '..', '..', 'artifacts', 'llm-proxy');

/** Requests the upstream received: { method, url, headers, body }. */
export const seen = [];

const completion = (model, message, finish = 'stop') => ({
  id: 'chatcmpl-up', object: 'chat.completion', created: 1700000000, model,
  choices: [{ index: 0, message: { role: 'assistant', ...message }, finish_reason: finish }],
  usage: { prompt_tokens: 3, completion_tokens: 4, total_tokens: 7 },
});
const chunk = (model, delta, finish = null) => ({
  id: 'chatcmpl-up', object: 'chat.completion.chunk', created: 1700000000, model,
  choices: [{ index: 0, delta, finish_reason: finish }],
});
const weatherCall = { id: 'call_w1', type: 'function', function: { name: 'get_weather', arguments: '{"city":"Paris"}' } };

async function fakeUpstream(req, res) {
  let raw = '';
  req.setEncoding('utf8');
  for await (const c of req) raw += c;
  seen.push({ method: req.method, url: req.url, headers: req.headers, body: raw });
  const json = (status, body) => { res.writeHead(status, { 'Content-Type': 'application/json' }); res.end(JSON.stringify(body)); };
  if (req.method === 'GET' && req.url === '/v1/models') {
    return json(200, { object: 'list', data: [
      { id: 'llama3:latest', object: 'model', created: 1700000000, owned_by: 'library' },
      { id: 'nomic-embed-text:latest', object: 'model', created: 1700000001, owned_by: 'library' },
    ] });
  }
  const body = JSON.parse(raw || '{}');
  if (body.model === 'missing') {
    // Ollama's answer to an unknown model.
    return json(404, { error: { message: `model '${body.model}' not found`, type: 'not_found_error', param: null, code: null } });
  }
  if (req.url === '/v1/embeddings') {
    const inputs = Array.isArray(body.input) ? body.input : [body.input];
    return json(200, { object: 'list', model: body.model,
      data: inputs.map((_, index) => ({ object: 'embedding', index, embedding: [0.25 + index, -0.5, 1] })),
      usage: { prompt_tokens: 2 * inputs.length, total_tokens: 2 * inputs.length } });
  }
  if (req.url !== '/v1/chat/completions') return json(500, { error: 'unexpected request' });

  const toolTurn = body.model === 'tool-model' && body.messages?.at(-1)?.role !== 'tool';
  const toolAnswer = body.model === 'tool-model' && !toolTurn;
  if (!body.stream) {
    if (toolTurn) return json(200, completion(body.model, { content: null, tool_calls: [weatherCall] }, 'tool_calls'));
    return json(200, completion(body.model, { content: toolAnswer ? 'It is 21 degrees in Paris' : 'Hello from upstream' }));
  }
  res.writeHead(200, { 'Content-Type': 'text/event-stream', 'Cache-Control': 'no-cache' });
  const send = (data) => res.write(`data: ${typeof data === 'string' ? data : JSON.stringify(data)}\n\n`);
  send(chunk(body.model, { role: 'assistant', content: '' }));
  if (toolTurn) {
    // As OpenAI servers stream a call: id and name first, then the arguments text in pieces.
    send(chunk(body.model, { tool_calls: [{ index: 0, id: weatherCall.id, type: 'function', function: { name: 'get_weather', arguments: '' } }] }));
    for (const piece of ['{"ci', 'ty":"Pa', 'ris"}']) send(chunk(body.model, { tool_calls: [{ index: 0, function: { arguments: piece } }] }));
    send(chunk(body.model, {}, 'tool_calls'));
  } else {
    for (const word of toolAnswer ? ['It is 21 degrees in Paris'] : ['one', ' two', ' three']) {
      send(chunk(body.model, { content: word }));
      await new Promise((r) => setTimeout(r, 20));
    }
    if (body.model === 'explode') {
      // Ollama / llama.cpp after a failure: an error event, then the connection closes without [DONE].
      send({ error: { message: 'the model runner crashed', type: 'server_error', param: null, code: null } });
      return res.end();
    }
    send(chunk(body.model, {}, 'stop'));
  }
  if (body.stream_options?.include_usage) {
    send({ id: 'chatcmpl-up', object: 'chat.completion.chunk', created: 1700000000, model: body.model, choices: [],
      usage: { prompt_tokens: 5, completion_tokens: 3, total_tokens: 8 } });
  }
  send('[DONE]');
  res.end();
}

/** The fake upstream on a free loopback port: { url (its /v1 base), close() }. */
export async function startUpstream() {
  const server = http.createServer((req, res) => { fakeUpstream(req, res).catch((e) => { res.destroy(e); }); });
  await new Promise((r) => server.listen(0, '127.0.0.1', r));
  return { url: `http://127.0.0.1:${server.address().port}/v1`, close: () => new Promise((r) => server.close(r)) };
}

const freePort = () => new Promise((resolve, reject) => {
  const s = net.createServer();
  s.once('error', reject);
  s.listen(0, '127.0.0.1', () => { const { port } = s.address(); s.close(() => resolve(port)); });
});

async function waitHealthy(base, child) {
  const deadline = Date.now() + 15000;
  while (Date.now() < deadline) {
    if (child.exitCode !== null) throw new Error(`llm-proxy exited with ${child.exitCode}`);
    try {
      const r = await fetch(`${base}/healthz`);
      if (r.ok) return;
    } catch { /* not up yet */ }
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error('llm-proxy did not become healthy');
}

/** The binary on a free loopback port in front of upstreamUrl, with extra settings: { base, stop() }. */
export async function startProxy(upstreamUrl, env = {}) {
  if (!existsSync(binary)) throw new Error(`the published binary is missing at ${binary}: run ./build.sh publish first`);
  const port = await freePort();
  const child = spawn(binary, [], {
    env: {
      PATH: process.env.PATH, HOME: process.env.HOME, PORT: String(port), HOST: '127.0.0.1',
      LLM_PROVIDER: 'ollama', OPENAI_COMPAT_BASE_URL: upstreamUrl, MODEL_PROVIDER_MAP: 'house-model=ollama', ...env,
    },
    stdio: ['ignore', 'inherit', 'inherit'],
  });
  const base = `http://127.0.0.1:${port}`;
  await waitHealthy(base, child);
  return { base, stop: () => child.kill('SIGTERM') };
}
