// The official `ollama` npm client against the published llm-proxy binary (docs/ollama.md), in front of a fake
// OpenAI-compatible upstream (harness.mjs): the proxy translates every call to the upstream's /v1 and back.
// Run by ./build.sh test (npm ci, then node --test).
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { Ollama } from 'ollama';
import { seen, startProxy, startUpstream } from './harness.mjs';

let upstream;
let proxy;
let keyed;
let ollama;

const lastChatSent = () => JSON.parse(seen.findLast((r) => r.url === '/v1/chat/completions').body);
const weatherTool = {
  type: 'function',
  function: { name: 'get_weather', description: 'Current weather', parameters: { type: 'object', properties: { city: { type: 'string' } }, required: ['city'] } },
};

before(async () => {
  upstream = await startUpstream();
  proxy = await startProxy(upstream.url);
  keyed = await startProxy(upstream.url, { PROXY_API_KEYS: 'sk-ollama-interop' });
  ollama = new Ollama({ host: proxy.base });
});

after(async () => {
  proxy?.stop();
  keyed?.stop();
  await upstream?.close();
});

test('list: the upstream models and the map names, in Ollama shape', async () => {
  const { models } = await ollama.list();
  assert.deepEqual(models.map((m) => m.name).sort(), ['house-model', 'llama3:latest', 'nomic-embed-text:latest']);
  for (const model of models) {
    assert.equal(model.model, model.name);
    assert.equal(model.size, 0);
    assert.ok(!Number.isNaN(Date.parse(model.modified_at)), `modified_at ${model.modified_at}`);
    assert.equal(typeof model.details, 'object');
  }
});

test('version, show and ps answer as Ollama does', async () => {
  assert.equal((await ollama.version()).version, '0.9.0');
  const shown = await ollama.show({ model: 'llama3' });
  assert.deepEqual(shown.capabilities, ['completion']);
  assert.deepEqual((await ollama.ps()).models, []);
});

test('chat without streaming: one answer with counts, sent upstream as an OpenAI chat request', async () => {
  const response = await ollama.chat({
    model: 'llama3',
    messages: [{ role: 'system', content: 'be brief' }, { role: 'user', content: 'hi' }],
    options: { temperature: 0.3, num_predict: 32, num_ctx: 8192 },
  });
  assert.equal(response.model, 'llama3');
  assert.equal(response.message.role, 'assistant');
  assert.equal(response.message.content, 'Hello from upstream');
  assert.equal(response.done, true);
  assert.equal(response.done_reason, 'stop');
  assert.equal(response.prompt_eval_count, 3);
  assert.equal(response.eval_count, 4);
  assert.ok(response.total_duration > 0);

  const sent = lastChatSent();
  assert.equal(sent.stream, false);
  assert.deepEqual(sent.messages, [{ role: 'system', content: 'be brief' }, { role: 'user', content: 'hi' }]);
  assert.equal(sent.temperature, 0.3);
  assert.equal(sent.max_tokens, 32);
  assert.equal(sent.num_ctx, undefined);
});

test('chat streaming: the parts in order, one done part last with the usage counts', async () => {
  const parts = [];
  for await (const part of await ollama.chat({ model: 'llama3', messages: [{ role: 'user', content: 'count' }], stream: true })) {
    parts.push(part);
  }
  assert.equal(parts.map((p) => p.message.content).join(''), 'one two three');
  assert.equal(parts.filter((p) => p.done).length, 1);
  const last = parts.at(-1);
  assert.equal(last.done, true);
  assert.equal(last.done_reason, 'stop');
  assert.equal(last.prompt_eval_count, 5);
  assert.equal(last.eval_count, 3);
  assert.equal(lastChatSent().stream_options.include_usage, true);
});

test('generate in both modes: system and prompt become the chat messages', async () => {
  const whole = await ollama.generate({ model: 'llama3', system: 'you are terse', prompt: 'why is the sky blue?' });
  assert.equal(whole.response, 'Hello from upstream');
  assert.equal(whole.done, true);
  assert.deepEqual(lastChatSent().messages, [{ role: 'system', content: 'you are terse' }, { role: 'user', content: 'why is the sky blue?' }]);

  let text = '';
  let done = 0;
  for await (const part of await ollama.generate({ model: 'llama3', prompt: 'count', stream: true })) {
    text += part.response;
    if (part.done) done += 1;
  }
  assert.equal(text, 'one two three');
  assert.equal(done, 1);
});

test('embed and the older embeddings: the upstream vectors, in input order', async () => {
  const embedded = await ollama.embed({ model: 'nomic-embed-text', input: ['first', 'second'] });
  assert.equal(embedded.model, 'nomic-embed-text');
  assert.deepEqual(embedded.embeddings, [[0.25, -0.5, 1], [1.25, -0.5, 1]]);
  assert.equal(embedded.prompt_eval_count, 4);
  const sent = JSON.parse(seen.findLast((r) => r.url === '/v1/embeddings').body);
  assert.deepEqual(sent.input, ['first', 'second']);

  const legacy = await ollama.embeddings({ model: 'nomic-embed-text', prompt: 'hello' });
  assert.deepEqual(legacy.embedding, [0.25, -0.5, 1]);
});

test('tools: a call comes back with its arguments as an object, streamed or not', async () => {
  const messages = [{ role: 'user', content: 'weather in Paris?' }];
  const whole = await ollama.chat({ model: 'tool-model', messages, tools: [weatherTool] });
  assert.deepEqual(whole.message.tool_calls.map((c) => c.function), [{ index: 0, name: 'get_weather', arguments: { city: 'Paris' } }]);
  assert.deepEqual(lastChatSent().tools, [weatherTool]);

  const calls = [];
  for await (const part of await ollama.chat({ model: 'tool-model', messages, tools: [weatherTool], stream: true })) {
    calls.push(...(part.message.tool_calls ?? []));
  }
  assert.equal(calls.length, 1);
  assert.equal(calls[0].function.name, 'get_weather');
  assert.deepEqual(calls[0].function.arguments, { city: 'Paris' });
});

test('tools: a tool result goes back upstream answering the call it belongs to', async () => {
  const first = await ollama.chat({ model: 'tool-model', messages: [{ role: 'user', content: 'weather in Paris?' }], tools: [weatherTool] });
  const answer = await ollama.chat({
    model: 'tool-model',
    tools: [weatherTool],
    messages: [
      { role: 'user', content: 'weather in Paris?' },
      first.message,
      { role: 'tool', content: '21 degrees', tool_name: 'get_weather' },
    ],
  });
  assert.equal(answer.message.content, 'It is 21 degrees in Paris');

  const [, assistant, tool] = lastChatSent().messages;
  assert.equal(assistant.role, 'assistant');
  assert.equal(assistant.tool_calls.length, 1);
  assert.equal(assistant.tool_calls[0].type, 'function');
  assert.equal(assistant.tool_calls[0].function.name, 'get_weather');
  assert.deepEqual(JSON.parse(assistant.tool_calls[0].function.arguments), { city: 'Paris' });
  assert.equal(tool.role, 'tool');
  assert.equal(tool.content, '21 degrees');
  assert.equal(tool.tool_call_id, assistant.tool_calls[0].id);
});

test('an unknown model raises ResponseError with status 404 and Ollama wording', async () => {
  await assert.rejects(
    ollama.chat({ model: 'missing', messages: [{ role: 'user', content: 'hi' }] }),
    (error) => {
      assert.equal(error.name, 'ResponseError');
      assert.equal(error.status_code, 404);
      assert.equal(error.error, "model 'missing' not found");
      return true;
    });
  await assert.rejects(ollama.show({ model: 'ghost' }), (error) => error.name === 'ResponseError' && error.status_code === 404);
});

test('an upstream failure mid-stream ends the stream with its message as an error', async () => {
  let text = '';
  await assert.rejects(
    (async () => {
      for await (const part of await ollama.chat({ model: 'explode', messages: [{ role: 'user', content: 'hi' }], stream: true })) {
        text += part.message.content;
      }
    })(),
    /the model runner crashed/);
  assert.equal(text, 'one two three');
});

test('with API keys configured, the client passes its key as a header and is refused without it', async () => {
  await assert.rejects(
    new Ollama({ host: keyed.base }).list(),
    (error) => error.name === 'ResponseError' && error.status_code === 401);
  const authorized = new Ollama({ host: keyed.base, headers: { Authorization: 'Bearer sk-ollama-interop' } });
  const response = await authorized.generate({ model: 'llama3', prompt: 'hi' });
  assert.equal(response.response, 'Hello from upstream');
  // The proxy's key is its own: it is not forwarded to the upstream.
  assert.equal(seen.at(-1).headers.authorization, undefined);
});
