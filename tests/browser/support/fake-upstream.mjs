// A tiny OpenAI-compatible model server on a loopback port: GET /v1/models lists `models`, POST
// /v1/chat/completions answers in both modes with usage (streamed: three deltas, a usage chunk, [DONE]).
// close() stops it and cuts open connections, so the proxy sees a server that went away.
import http from 'node:http';

export async function startFakeUpstream({ models }) {
  const received = [];
  const server = http.createServer((req, res) => {
    let raw = '';
    req.setEncoding('utf8');
    req.on('data', (c) => { raw += c; });
    req.on('end', async () => {
      received.push({ method: req.method, url: req.url, headers: req.headers, body: raw });
      const json = (status, body) => { res.writeHead(status, { 'Content-Type': 'application/json' }); res.end(JSON.stringify(body)); };
      if (req.method === 'GET' && req.url === '/v1/models') {
        return json(200, { object: 'list', data: models.map((id) => ({ id, object: 'model', created: 1700000000, owned_by: 'fake' })) });
      }
      if (req.method !== 'POST' || req.url !== '/v1/chat/completions') return json(404, { error: { message: 'no such route', type: 'invalid_request_error' } });
      let body;
      try { body = JSON.parse(raw); } catch { return json(400, { error: { message: 'bad json', type: 'invalid_request_error' } }); }
      if (!models.includes(body.model)) return json(404, { error: { message: `model '${body.model}' not found`, type: 'not_found_error' } });
      const usage = { prompt_tokens: 7, completion_tokens: 3, total_tokens: 10 };
      const base = { id: 'chatcmpl-fake', created: 1700000000, model: body.model };
      if (!body.stream) {
        return json(200, { ...base, object: 'chat.completion', usage,
          choices: [{ index: 0, message: { role: 'assistant', content: 'one two three' }, finish_reason: 'stop' }] });
      }
      res.writeHead(200, { 'Content-Type': 'text/event-stream', 'Cache-Control': 'no-cache' });
      const send = (d) => res.write(`data: ${typeof d === 'string' ? d : JSON.stringify(d)}\n\n`);
      for (const word of ['one', ' two', ' three']) {
        send({ ...base, object: 'chat.completion.chunk', choices: [{ index: 0, delta: { content: word }, finish_reason: null }] });
        await new Promise((r) => setTimeout(r, 15));
      }
      send({ ...base, object: 'chat.completion.chunk', choices: [], usage });
      send('[DONE]');
      res.end();
    });
  });
  await new Promise((r) => server.listen(0, '127.0.0.1', r));
  return {
    url: `http://127.0.0.1:${server.address().port}/v1`,
    received,
    close: () => new Promise((r) => { server.closeAllConnections(); server.close(r); }),
  };
}
