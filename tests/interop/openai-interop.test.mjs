// The official `openai` npm client against the published llm-proxy binary (docs/api.md: OpenAI routes, Errors, Streaming), with a fake
// OpenAI-compatible upstream on a loopback port. Run by ./build.sh test (npm ci, then node --test).
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import net from 'node:net';
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import path from 'node:path';
import OpenAI from 'openai';

const here = path.dirname(fileURLToPath(import.meta.url));
const binary = process.env.LLMPROXY_BINARY || path.join(here, '..', '..', 'artifacts', 'llm-proxy');

let upstream;
let proxy;
let client;
const seen = []; // requests the upstream received: { method, url, headers, body }

const completion = (model, content) => ({
  id: 'chatcmpl-up', object: 'chat.completion', created: 1700000000, model,
  choices: [{ index: 0, message: { role: 'assistant', content }, finish_reason: 'stop' }],
  usage: { prompt_tokens: 3, completion_tokens: 4, total_tokens: 7 },
});
const chunk = (model, content) => ({
  id: 'chatcmpl-up', object: 'chat.completion.chunk', created: 1700000000, model,
  choices: [{ index: 0, delta: { content }, finish_reason: null }],
});

function fakeUpstream(req, res) {
  let raw = '';
  req.setEncoding('utf8');
  req.on('data', (c) => { raw += c; });
  req.on('end', async () => {
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
      return json(200, { object: 'list', model: body.model, data: [{ object: 'embedding', index: 0, embedding: [0.25, -0.5, 1] }],
        usage: { prompt_tokens: 2, total_tokens: 2 } });
    }
    if (req.url === '/v1/chat/completions' && !body.stream) {
      return json(200, completion(body.model, 'Hello from upstream'));
    }
    if (req.url === '/v1/chat/completions') {
      res.writeHead(200, { 'Content-Type': 'text/event-stream', 'Cache-Control': 'no-cache' });
      const send = (data) => res.write(`data: ${typeof data === 'string' ? data : JSON.stringify(data)}\n\n`);
      for (const word of ['one', ' two', ' three']) {
        send(chunk(body.model, word));
        await new Promise((r) => setTimeout(r, 20));
      }
      if (body.model === 'explode') {
        // Ollama / llama.cpp after a failure: an error event, then the connection closes without [DONE].
        send({ error: { message: 'the model runner crashed', type: 'server_error', param: null, code: null } });
        return res.end();
      }
      if (body.stream_options?.include_usage) {
        send({ id: 'chatcmpl-up', object: 'chat.completion.chunk', created: 1700000000, model: body.model, choices: [],
          usage: { prompt_tokens: 5, completion_tokens: 3, total_tokens: 8 } });
      }
      send('[DONE]');
      return res.end();
    }
    json(500, { error: 'unexpected request' });
  });
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

before(async () => {
  assert.ok(existsSync(binary), `the published binary is missing at ${binary}: run ./build.sh publish first`);
  upstream = http.createServer(fakeUpstream);
  await new Promise((r) => upstream.listen(0, '127.0.0.1', r));
  const upstreamUrl = `http://127.0.0.1:${upstream.address().port}/v1`;
  const port = await freePort();
  proxy = spawn(binary, [], {
    env: {
      PATH: process.env.PATH, HOME: process.env.HOME, PORT: String(port), HOST: '127.0.0.1',
      LLM_PROVIDER: 'ollama', OPENAI_COMPAT_BASE_URL: upstreamUrl, MODEL_PROVIDER_MAP: 'house-model=ollama',
    },
    stdio: ['ignore', 'inherit', 'inherit'],
  });
  const base = `http://127.0.0.1:${port}`;
  await waitHealthy(base, proxy);
  client = new OpenAI({ baseURL: `${base}/v1`, apiKey: 'sk-interop', maxRetries: 0, timeout: 20000 });
});

after(async () => {
  proxy?.kill('SIGTERM');
  await new Promise((r) => upstream?.close(r) ?? r());
});

test('non-streaming chat completion, body forwarded as the SDK sent it', async () => {
  const params = { model: 'llama3', messages: [{ role: 'user', content: 'hi' }], temperature: 0.2, response_format: { type: 'text' } };
  const result = await client.chat.completions.create(params);
  assert.equal(result.object, 'chat.completion');
  assert.equal(result.choices[0].message.content, 'Hello from upstream');
  assert.equal(result.usage.total_tokens, 7);
  const received = seen.findLast((r) => r.url === '/v1/chat/completions');
  assert.deepEqual(JSON.parse(received.body), params);
  assert.equal(received.headers.authorization, 'Bearer sk-interop');
  assert.match(received.headers['x-request-id'], /^[A-Za-z0-9._:-]{1,128}$/);
});

test('streaming with include_usage: deltas in order, usage chunk at the end', async () => {
  const stream = await client.chat.completions.create({
    model: 'llama3', messages: [{ role: 'user', content: 'count' }], stream: true, stream_options: { include_usage: true },
  });
  let text = '';
  let usage = null;
  for await (const part of stream) {
    text += part.choices[0]?.delta?.content ?? '';
    if (part.usage) usage = part.usage;
  }
  assert.equal(text, 'one two three');
  assert.deepEqual(usage, { prompt_tokens: 5, completion_tokens: 3, total_tokens: 8 });
});

test('models.list merges the map and the upstream list', async () => {
  const ids = [];
  for await (const model of client.models.list()) {
    ids.push(model.id);
    assert.equal(model.object, 'model');
    assert.equal(typeof model.created, 'number');
    assert.equal(typeof model.owned_by, 'string');
  }
  assert.deepEqual(ids.sort(), ['house-model', 'llama3:latest', 'nomic-embed-text:latest']);
});

test('an unknown model raises NotFoundError with code model_not_found', async () => {
  await assert.rejects(
    client.chat.completions.create({ model: 'missing', messages: [{ role: 'user', content: 'hi' }] }),
    (error) => {
      assert.ok(error instanceof OpenAI.NotFoundError, `expected NotFoundError, got ${error?.constructor?.name}`);
      assert.equal(error.status, 404);
      assert.equal(error.code, 'model_not_found');
      assert.match(error.message, /model 'missing' not found/);
      return true;
    });
});

test('an upstream error mid-stream raises an exception in the SDK', async () => {
  const stream = await client.chat.completions.create({ model: 'explode', messages: [{ role: 'user', content: 'hi' }], stream: true });
  let text = '';
  await assert.rejects(
    (async () => { for await (const part of stream) text += part.choices[0]?.delta?.content ?? ''; })(),
    (error) => {
      assert.ok(error instanceof OpenAI.APIError, `expected APIError, got ${error?.constructor?.name}`);
      assert.match(error.message, /the model runner crashed/);
      return true;
    });
  assert.equal(text, 'one two three');
});

test('embeddings.create returns the upstream vector', async () => {
  const result = await client.embeddings.create({ model: 'nomic-embed-text', input: 'hello', encoding_format: 'float' });
  assert.deepEqual(result.data[0].embedding, [0.25, -0.5, 1]);
  assert.equal(result.usage.prompt_tokens, 2);
});
