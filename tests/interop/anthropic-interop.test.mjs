// The official `@anthropic-ai/sdk` against the published llm-proxy binary (docs/anthropic.md), with a fake OpenAI-compatible
// upstream on a loopback port: the proxy translates each Messages API call into a chat completion and the answer back.
// Run by ./build.sh test (npm ci, then node --test).
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import net from 'node:net';
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import path from 'node:path';
import Anthropic from '@anthropic-ai/sdk';

const here = path.dirname(fileURLToPath(import.meta.url));
const binary = process.env.LLMPROXY_BINARY || path.join(here, '..', '..', 'artifacts', 'llm-proxy');
const proxyKey = 'sk-proxy-interop';

let upstream;
let proxy;
let base;
let client;
const seen = []; // requests the upstream received: { method, url, headers, body }

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const chunk = (delta, finish = null) => ({
  id: 'chatcmpl-up', object: 'chat.completion.chunk', created: 1700000000, model: 'up',
  choices: [{ index: 0, delta, finish_reason: finish }],
});
const usageChunk = (prompt, completion) => ({
  id: 'chatcmpl-up', object: 'chat.completion.chunk', created: 1700000000, model: 'up', choices: [],
  usage: { prompt_tokens: prompt, completion_tokens: completion, total_tokens: prompt + completion },
});

// What the fake model server streams for each model name.
const streams = {
  // Plain text, with the empty tool_calls list vLLM and mlx_lm put in text deltas.
  text: [chunk({ role: 'assistant', content: '' }), chunk({ content: 'one' }), chunk({ content: ' two', tool_calls: [] }),
    chunk({ content: ' three' }), chunk({}, 'stop')],
  // A text run, one call whose arguments arrive in pieces (vLLM, llama.cpp), then two whole calls in one chunk (Ollama).
  tools: [chunk({ role: 'assistant', content: 'Checking.' }),
    chunk({ tool_calls: [{ index: 0, id: 'call_a', type: 'function', function: { name: 'get_weather', arguments: '' } }] }),
    chunk({ tool_calls: [{ index: 0, function: { arguments: '{"ci' } }] }),
    chunk({ tool_calls: [{ index: 0, function: { arguments: 'ty": "Pa' } }] }),
    chunk({ tool_calls: [{ index: 0, function: { arguments: 'ris", "unit": "C"}' } }] }),
    chunk({ tool_calls: [
      { index: 1, id: 'call_b', type: 'function', function: { name: 'get_time', arguments: '{"zone":"Europe/Paris"}' } },
      { index: 2, id: 'call_c', type: 'function', function: { name: 'get_weather', arguments: '{"city":"Lyon"}' } }] }),
    chunk({}, 'tool_calls')],
};

function fakeUpstream(req, res) {
  let raw = '';
  req.setEncoding('utf8');
  req.on('data', (c) => { raw += c; });
  req.on('end', async () => {
    seen.push({ method: req.method, url: req.url, headers: req.headers, body: raw });
    const json = (status, body, headers = {}) => { res.writeHead(status, { 'Content-Type': 'application/json', ...headers }); res.end(JSON.stringify(body)); };
    const body = JSON.parse(raw || '{}');
    if (body.model === 'missing') {
      return json(404, { error: { message: `model '${body.model}' not found`, type: 'not_found_error', param: null, code: null } });
    }
    if (body.model === 'busy') {
      return json(429, { error: { message: 'too many requests for this model', type: 'rate_limit_error' } }, { 'Retry-After': '7' });
    }
    if (body.model === 'loading') {
      return json(503, { error: { message: 'the model is loading', type: 'unavailable' } }, { 'Retry-After': '2' });
    }
    if (req.url !== '/v1/chat/completions') return json(500, { error: 'unexpected request' });
    if (!body.stream) {
      const last = body.messages.at(-1);
      const content = last.role === 'tool' ? `The tool said: ${last.content}` : 'Hello from upstream';
      return json(200, {
        id: 'chatcmpl-up', object: 'chat.completion', created: 1700000000, model: body.model,
        choices: [{ index: 0, message: { role: 'assistant', content }, finish_reason: 'stop' }],
        usage: { prompt_tokens: 11, completion_tokens: 4, total_tokens: 15 },
      });
    }
    res.writeHead(200, { 'Content-Type': 'text/event-stream', 'Cache-Control': 'no-cache' });
    const send = (data) => res.write(`data: ${typeof data === 'string' ? data : JSON.stringify(data)}\n\n`);
    for (const event of streams[body.model] ?? streams.text) {
      send(event);
      await sleep(10);
    }
    if (body.model === 'explode') {
      // Ollama / llama.cpp after a failure: an error event, then the connection closes without [DONE].
      send({ error: { message: 'the model runner crashed', type: 'server_error', param: null, code: null } });
      return res.end();
    }
    if (body.stream_options?.include_usage) send(usageChunk(21, 3));
    send('[DONE]');
    res.end();
  });
}

const freePort = () => new Promise((resolve, reject) => {
  const s = net.createServer();
  s.once('error', reject);
  s.listen(0, '127.0.0.1', () => { const { port } = s.address(); s.close(() => resolve(port)); });
});

async function waitHealthy(url, child) {
  const deadline = Date.now() + 15000;
  while (Date.now() < deadline) {
    if (child.exitCode !== null) throw new Error(`llm-proxy exited with ${child.exitCode}`);
    try {
      const r = await fetch(`${url}/healthz`);
      if (r.ok) return;
    } catch { /* not up yet */ }
    await sleep(50);
  }
  throw new Error('llm-proxy did not become healthy');
}

const lastUpstreamBody = () => JSON.parse(seen.findLast((r) => r.url === '/v1/chat/completions').body);

before(async () => {
  assert.ok(existsSync(binary), `the published binary is missing at ${binary}: run ./build.sh publish first`);
  upstream = http.createServer(fakeUpstream);
  await new Promise((r) => upstream.listen(0, '127.0.0.1', r));
  const port = await freePort();
  proxy = spawn(binary, [], {
    env: {
      PATH: process.env.PATH, HOME: process.env.HOME, PORT: String(port), HOST: '127.0.0.1',
      LLM_PROVIDER: 'ollama', OPENAI_COMPAT_BASE_URL: `http://127.0.0.1:${upstream.address().port}/v1`, PROXY_API_KEYS: proxyKey,
    },
    stdio: ['ignore', 'inherit', 'inherit'],
  });
  base = `http://127.0.0.1:${port}`;
  await waitHealthy(base, proxy);
  // apiKey is sent as x-api-key, as Claude Code sends ANTHROPIC_API_KEY.
  client = new Anthropic({ baseURL: base, apiKey: proxyKey, maxRetries: 0, timeout: 20000 });
});

after(async () => {
  proxy?.kill('SIGTERM');
  await new Promise((r) => upstream?.close(r) ?? r());
});

test('messages.create: an Anthropic message from an OpenAI chat completion; the proxy key stays at the proxy', async () => {
  const message = await client.messages.create({
    model: 'llama3', max_tokens: 64, system: 'Be brief.', temperature: 0.2, stop_sequences: ['###'],
    messages: [{ role: 'user', content: 'hi' }],
  });
  assert.equal(message.type, 'message');
  assert.equal(message.role, 'assistant');
  assert.equal(message.model, 'llama3');
  assert.match(message.id, /^msg_/);
  assert.deepEqual(message.content, [{ type: 'text', text: 'Hello from upstream' }]);
  assert.equal(message.stop_reason, 'end_turn');
  assert.equal(message.usage.input_tokens, 11);
  assert.equal(message.usage.output_tokens, 4);

  const received = seen.findLast((r) => r.url === '/v1/chat/completions');
  assert.equal(received.headers['x-api-key'], undefined);
  assert.equal(received.headers.authorization, undefined);
  assert.deepEqual(JSON.parse(received.body), {
    model: 'llama3',
    messages: [{ role: 'system', content: 'Be brief.' }, { role: 'user', content: 'hi' }],
    max_tokens: 64, temperature: 0.2, stop: ['###'],
  });
});

test('messages.stream: text events in order, finalMessage() with the stop reason and the upstream usage', async () => {
  const stream = client.messages.stream({ model: 'text', max_tokens: 64, messages: [{ role: 'user', content: 'count' }] });
  const pieces = [];
  stream.on('text', (delta) => pieces.push(delta));
  const message = await stream.finalMessage();
  assert.deepEqual(pieces, ['one', ' two', ' three']);
  assert.equal(await stream.finalText(), 'one two three');
  assert.deepEqual(message.content, [{ type: 'text', text: 'one two three' }]);
  assert.equal(message.stop_reason, 'end_turn');
  assert.equal(message.usage.input_tokens, 21);
  assert.equal(message.usage.output_tokens, 3);
  const sent = lastUpstreamBody();
  assert.equal(sent.stream, true);
  assert.deepEqual(sent.stream_options, { include_usage: true });
});

test('streaming tool use: arguments in pieces and several calls in one chunk give finalMessage() the parsed inputs', async () => {
  const stream = client.messages.stream({
    model: 'tools', max_tokens: 256,
    tools: [
      { name: 'get_weather', description: 'Weather for a city', input_schema: { type: 'object', properties: { city: { type: 'string' }, unit: { type: 'string' } }, required: ['city'] } },
      { name: 'get_time', input_schema: { type: 'object', properties: { zone: { type: 'string' } } } },
    ],
    tool_choice: { type: 'auto' },
    messages: [{ role: 'user', content: 'Weather in Paris and Lyon, and the time?' }],
  });
  const partials = [];
  stream.on('inputJson', (partial) => partials.push(partial));
  const message = await stream.finalMessage();
  assert.deepEqual(message.content, [
    { type: 'text', text: 'Checking.' },
    { type: 'tool_use', id: 'call_a', name: 'get_weather', input: { city: 'Paris', unit: 'C' } },
    { type: 'tool_use', id: 'call_b', name: 'get_time', input: { zone: 'Europe/Paris' } },
    { type: 'tool_use', id: 'call_c', name: 'get_weather', input: { city: 'Lyon' } },
  ]);
  assert.equal(message.stop_reason, 'tool_use');
  assert.deepEqual(partials.slice(0, 3), ['{"ci', 'ty": "Pa', 'ris", "unit": "C"}']);
  const sent = lastUpstreamBody();
  assert.deepEqual(sent.tools.map((t) => t.function.name), ['get_weather', 'get_time']);
  assert.equal(sent.tool_choice, 'auto');
});

test('a tool_result round trip reaches the upstream as tool_calls and a role tool message', async () => {
  const message = await client.messages.create({
    model: 'llama3', max_tokens: 64,
    tools: [{ name: 'get_weather', input_schema: { type: 'object', properties: { city: { type: 'string' } } } }],
    messages: [
      { role: 'user', content: 'Weather in Paris?' },
      { role: 'assistant', content: [{ type: 'text', text: 'Checking.' }, { type: 'tool_use', id: 'call_a', name: 'get_weather', input: { city: 'Paris' } }] },
      { role: 'user', content: [{ type: 'tool_result', tool_use_id: 'call_a', content: '18 °C and sunny' }] },
    ],
  });
  assert.deepEqual(message.content, [{ type: 'text', text: 'The tool said: 18 °C and sunny' }]);
  const sent = lastUpstreamBody();
  assert.deepEqual(sent.messages.slice(1), [
    { role: 'assistant', content: 'Checking.', tool_calls: [{ id: 'call_a', type: 'function', function: { name: 'get_weather', arguments: '{"city":"Paris"}' } }] },
    { role: 'tool', tool_call_id: 'call_a', content: '18 °C and sunny' },
  ]);
});

test('countTokens (and the beta variant Claude Code calls) answers input_tokens without asking the upstream', async () => {
  const before = seen.length;
  const params = { model: 'llama3', system: 'Be brief.', messages: [{ role: 'user', content: 'How many tokens is this?' }] };
  const count = await client.messages.countTokens(params);
  assert.equal(typeof count.input_tokens, 'number');
  assert.ok(count.input_tokens > 0 && count.input_tokens < 100, `input_tokens ${count.input_tokens}`);
  const beta = await client.beta.messages.countTokens(params);
  assert.equal(beta.input_tokens, count.input_tokens);
  assert.equal(seen.length, before);
});

test('a Bearer token (ANTHROPIC_AUTH_TOKEN) works as well as x-api-key; a wrong key is an AuthenticationError', async () => {
  const bearer = new Anthropic({ baseURL: base, apiKey: null, authToken: proxyKey, maxRetries: 0 });
  const message = await bearer.messages.create({ model: 'llama3', max_tokens: 8, messages: [{ role: 'user', content: 'hi' }] });
  assert.equal(message.content[0].text, 'Hello from upstream');

  const wrong = new Anthropic({ baseURL: base, apiKey: 'sk-wrong', maxRetries: 0 });
  await assert.rejects(wrong.messages.create({ model: 'llama3', max_tokens: 8, messages: [{ role: 'user', content: 'hi' }] }), (error) => {
    assert.ok(error instanceof Anthropic.AuthenticationError, `expected AuthenticationError, got ${error?.constructor?.name}`);
    assert.equal(error.status, 401);
    assert.equal(error.error.error.type, 'authentication_error');
    assert.ok(!JSON.stringify(error.error).includes('sk-wrong'), 'the presented key came back in the error');
    return true;
  });
});

test('typed errors: NotFoundError, RateLimitError with Retry-After, ServiceUnavailableError (overloaded_error), BadRequestError', async () => {
  const ask = (model, extra = {}) => client.messages.create({ model, max_tokens: 8, messages: [{ role: 'user', content: 'hi' }], ...extra });
  await assert.rejects(ask('missing'), (error) => {
    assert.ok(error instanceof Anthropic.NotFoundError, `expected NotFoundError, got ${error?.constructor?.name}`);
    assert.equal(error.error.error.type, 'not_found_error');
    assert.match(error.message, /model 'missing' not found/);
    return true;
  });
  await assert.rejects(ask('busy', { stream: true }), (error) => {
    assert.ok(error instanceof Anthropic.RateLimitError, `expected RateLimitError, got ${error?.constructor?.name}`);
    assert.equal(error.headers.get('retry-after'), '7');
    assert.equal(error.error.error.type, 'rate_limit_error');
    return true;
  });
  await assert.rejects(ask('loading'), (error) => {
    assert.ok(error instanceof Anthropic.ServiceUnavailableError, `expected ServiceUnavailableError, got ${error?.constructor?.name}`);
    assert.equal(error.status, 503);
    assert.equal(error.headers.get('retry-after'), '2');
    assert.equal(error.error.error.type, 'overloaded_error');
    return true;
  });
  await assert.rejects(ask('llama3', { max_tokens: 0 }), (error) => {
    assert.ok(error instanceof Anthropic.BadRequestError, `expected BadRequestError, got ${error?.constructor?.name}`);
    assert.equal(error.error.error.type, 'invalid_request_error');
    assert.match(error.message, /max_tokens/);
    return true;
  });
});

test('an upstream error mid-stream makes the SDK throw an APIError after the text that came before it', async () => {
  const stream = client.messages.stream({ model: 'explode', max_tokens: 64, messages: [{ role: 'user', content: 'hi' }] });
  let text = '';
  stream.on('text', (delta) => { text += delta; });
  await assert.rejects(stream.finalMessage(), (error) => {
    assert.ok(error instanceof Anthropic.APIError, `expected APIError, got ${error?.constructor?.name}`);
    assert.match(error.message, /the model runner crashed/);
    return true;
  });
  assert.equal(text, 'one two three');
});
