import http from 'node:http';
import type { AddressInfo } from 'node:net';

/** A request the mock received, for assertions on what the gateway sent upstream. */
export interface SeenRequest {
  method: string;
  url: string;
  headers: http.IncomingHttpHeaders;
  body: any;
}

export interface MockOpenAI {
  url: string;
  port: number;
  seen: SeenRequest[];
  /** Requests whose client connection closed before the response finished (aborted by the gateway). */
  aborted: SeenRequest[];
  close(): Promise<void>;
}

const KNOWN_MODELS = new Set(['gpt-test', 'echo', 'tools', 'slow-stream', 'medium-stream', 'slow-first']);
const USAGE = { prompt_tokens: 11, completion_tokens: 7, total_tokens: 18, prompt_tokens_details: { cached_tokens: 3 }, completion_tokens_details: { reasoning_tokens: 2 } };

/**
 * A loopback upstream speaking OpenAI chat completions as the public API reference documents it.
 * The model name picks a behaviour: `error-<status>`, `slow-stream` (one delta every 50 ms for 10 s),
 * `medium-stream` (20 deltas, 50 ms apart),
 * `tools` (answers with a tool call), `echo` (default: repeats the last user message).
 */
export async function startMockOpenAI(): Promise<MockOpenAI> {
  const seen: SeenRequest[] = [];
  const aborted: SeenRequest[] = [];
  const server = http.createServer((req, res) => {
    const parts: Buffer[] = [];
    req.on('data', (c: Buffer) => parts.push(c));
    req.on('end', () => {
      const raw = Buffer.concat(parts).toString('utf8');
      const entry: SeenRequest = { method: req.method!, url: req.url!, headers: req.headers, body: raw ? JSON.parse(raw) : null };
      seen.push(entry);
      res.on('close', () => { if (!res.writableFinished) aborted.push(entry); });
      route(entry, res);
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const port = (server.address() as AddressInfo).port;
  return {
    url: `http://127.0.0.1:${port}/v1`, port, seen, aborted,
    close: () => new Promise((r) => { server.closeAllConnections(); server.close(() => r()); }),
  };
}

function route(req: SeenRequest, res: http.ServerResponse): void {
  if (req.method === 'GET' && req.url === '/v1/models') {
    return json(res, 200, { object: 'list', data: [{ id: 'gpt-test', object: 'model', created: 1, owned_by: 'mock' }, { id: 'echo', object: 'model', created: 1, owned_by: 'mock' }] });
  }
  if (req.method === 'POST' && req.url === '/v1/embeddings') return embeddings(req, res);
  if (req.method !== 'POST' || req.url !== '/v1/chat/completions') return json(res, 404, { error: { message: 'not found', type: 'invalid_request_error', param: null, code: null } });
  if (req.headers.authorization !== 'Bearer sk-upstream-test') {
    return json(res, 401, { error: { message: 'Incorrect API key provided', type: 'invalid_request_error', param: null, code: 'invalid_api_key' } });
  }
  const body = req.body;
  if (typeof body?.model !== 'string' || !Array.isArray(body.messages) || body.messages.length === 0) {
    return json(res, 400, { error: { message: "'messages' is a required property", type: 'invalid_request_error', param: 'messages', code: null } });
  }
  if (body.model === 'hang') return; // never answers: first-byte timeouts
  if (body.model === 'error-context') {
    return json(res, 400, { error: { message: "This model's maximum context length is 8192 tokens.", type: 'invalid_request_error', param: 'messages', code: 'context_length_exceeded' } });
  }
  if (body.model === 'error-429') {
    res.setHeader('retry-after', '7');
    return json(res, 429, { error: { message: 'Rate limit reached', type: 'requests', param: null, code: 'rate_limit_exceeded' } });
  }
  if (body.model === 'break-stream') {
    res.writeHead(200, { 'content-type': 'text/event-stream' });
    res.write(`data: ${JSON.stringify({ id: 'x', object: 'chat.completion.chunk', created: 1, model: 'break-stream', choices: [{ index: 0, delta: { content: 'partial' }, finish_reason: null }] })}\n\n`);
    setTimeout(() => res.socket?.destroy(), 50);
    return;
  }
  const m = /^error-(\d{3})$/.exec(body.model);
  if (m) {
    const status = Number(m[1]);
    return json(res, status, { error: { message: `mock failure ${status}`, type: status < 500 ? 'invalid_request_error' : 'server_error', param: null, code: null } });
  }
  if (!KNOWN_MODELS.has(body.model)) {
    return json(res, 404, { error: { message: `The model \`${body.model}\` does not exist or you do not have access to it.`, type: 'invalid_request_error', param: null, code: 'model_not_found' } });
  }
  const last = body.messages[body.messages.length - 1];
  const text = body.model === 'tools' ? null : `echo: ${typeof last.content === 'string' ? last.content : JSON.stringify(last.content)}`;
  const toolCalls = body.model === 'tools'
    ? [{ id: 'call_1', type: 'function', function: { name: body.tools?.[0]?.function?.name ?? 'none', arguments: '{"city":"Paris"}' } }]
    : undefined;
  if (body.stream === true) return stream(res, body, text, toolCalls);
  json(res, 200, {
    id: 'chatcmpl-mock', object: 'chat.completion', created: 1700000000, model: body.model,
    choices: [{ index: 0, message: { role: 'assistant', content: text, ...(toolCalls ? { tool_calls: toolCalls } : {}), refusal: null }, logprobs: null, finish_reason: toolCalls ? 'tool_calls' : 'stop' }],
    usage: USAGE,
  });
}

function stream(res: http.ServerResponse, body: any, text: string | null, toolCalls: unknown[] | undefined): void {
  const includeUsage = body.stream_options?.include_usage === true;
  const head = (): void => { if (!res.headersSent) res.writeHead(200, { 'content-type': 'text/event-stream; charset=utf-8', 'cache-control': 'no-cache' }); };
  const base = { id: 'chatcmpl-mock', object: 'chat.completion.chunk', created: 1700000000, model: body.model, system_fingerprint: null };
  const usageField = includeUsage ? { usage: null } : {};
  const chunk = (delta: object, finish: string | null) => `data: ${JSON.stringify({ ...base, choices: [{ index: 0, delta, logprobs: null, finish_reason: finish }], ...usageField })}\n\n`;
  const count = body.model === 'slow-stream' ? 200 : body.model === 'medium-stream' ? 20 : 0;
  const pieces = count > 0 ? Array.from({ length: count }, (_, i) => `t${i} `) : (text ?? '').match(/.{1,4}/gs) ?? [];
  const events: string[] = [chunk({ role: 'assistant', content: '' }, null)];
  if (toolCalls) events.push(chunk({ tool_calls: toolCalls.map((t, index) => ({ index, ...(t as object) })) }, null));
  for (const p of pieces) events.push(chunk({ content: p }, null));
  events.push(chunk({}, toolCalls ? 'tool_calls' : 'stop'));
  if (includeUsage) events.push(`data: ${JSON.stringify({ ...base, choices: [], usage: USAGE })}\n\n`);
  events.push('data: [DONE]\n\n');
  const gap = count > 0 ? 50 : 0;
  // `slow-first` holds its response headers and first token back for 450 ms.
  const firstDelay = body.model === 'slow-first' ? 450 : 0;
  let i = 0;
  const next = (): void => {
    if (res.destroyed) return;
    head();
    if (i >= events.length) { res.end(); return; }
    res.write(events[i++]);
    if (gap > 0) setTimeout(next, gap);
    else setImmediate(next);
  };
  if (firstDelay > 0) setTimeout(next, firstDelay);
  else next();
}

function json(res: http.ServerResponse, status: number, value: unknown): void {
  const text = JSON.stringify(value);
  res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text) });
  res.end(text);
}

function embeddings(req: SeenRequest, res: http.ServerResponse): void {
  const input = req.body?.input;
  const inputs = typeof input === 'string' ? [input] : Array.isArray(input) ? input : null;
  if (!inputs || typeof req.body.model !== 'string') {
    return json(res, 400, { error: { message: "'input' is a required property", type: 'invalid_request_error', param: 'input', code: null } });
  }
  const tokens = inputs.reduce((n: number, s: string) => n + String(s).split(' ').length, 0);
  json(res, 200, {
    object: 'list', model: req.body.model,
    data: inputs.map((s: string, index: number) => ({ object: 'embedding', index, embedding: [s.length / 10, 0.5, -0.25] })),
    usage: { prompt_tokens: tokens, total_tokens: tokens },
  });
}
