// The official `openai` npm client against the published llm-proxy binary (docs/api.md: OpenAI routes, Errors, Streaming), with a fake
// OpenAI-compatible upstream on a loopback port (harness.mjs). Run by ./build.sh test (npm ci, then node --test).
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import OpenAI from 'openai';
import { seen, startProxy, startUpstream } from './harness.mjs';

let upstream;
let proxy;
let client;

before(async () => {
  upstream = await startUpstream();
  proxy = await startProxy(upstream.url);
  client = new OpenAI({ baseURL: `${proxy.base}/v1`, apiKey: 'sk-interop', maxRetries: 0, timeout: 20000 });
});

after(async () => {
  proxy?.stop();
  await upstream?.close();
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
