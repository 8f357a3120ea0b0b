import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { validateMessagesRequest } from './mock-anthropic-validate.js';
import type { SeenRequest } from './mock-openai.js';

export const MOCK_ANTHROPIC_KEY = 'sk-ant-test';

export interface MockAnthropic {
  /** Base URL as the preset has it (`.../v1`). */
  url: string;
  seen: SeenRequest[];
  close(): Promise<void>;
}

/** Usage every answer reports: 20 uncached input tokens, 5 read from the cache, 3 written to it, 9 output. */
export const MOCK_USAGE = { input_tokens: 20, cache_creation_input_tokens: 3, cache_read_input_tokens: 5, output_tokens: 9 };

const ERROR_TYPES: Record<number, string> = {
  400: 'invalid_request_error', 401: 'authentication_error', 403: 'permission_error', 404: 'not_found_error',
  413: 'request_too_large', 429: 'rate_limit_error', 500: 'api_error', 529: 'overloaded_error',
};

type Block = Record<string, any>;

/**
 * A loopback Messages API (`POST /v1/messages`, `GET /v1/models`) that checks requests like the real
 * one (`x-api-key`, `anthropic-version`, `max_tokens`, roles, tool_use/tool_result pairing, ...) and
 * answers by model name: `error-<status>`; `*tools*` calls the first tool (`*parallel*` twice), and
 * answers `tool said: ...` once given the result; `*refuse*` refuses; `*max*` stops at max_tokens;
 * `*midstream-error*` streams an `overloaded_error` event after the first delta; `*truncated*` ends
 * the stream without `message_delta`/`message_stop`. Requested thinking adds a thinking block; an
 * `output_config.format` gets JSON for its schema; otherwise the last user text is echoed and images
 * are described. Streams carry a ping and are written in 13-byte pieces (splitting UTF-8 characters).
 */
export async function startMockAnthropic(): Promise<MockAnthropic> {
  const seen: SeenRequest[] = [];
  const server = http.createServer((req, res) => {
    const parts: Buffer[] = [];
    req.on('data', (c: Buffer) => parts.push(c));
    req.on('end', () => {
      const raw = Buffer.concat(parts).toString('utf8');
      let body: unknown = null;
      try {
        body = raw ? JSON.parse(raw) : null;
      } catch {
        return error(res, 400, 'There was an issue with your request body: invalid JSON');
      }
      seen.push({ method: req.method!, url: req.url!, headers: req.headers, body });
      route(req, body, res);
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const port = (server.address() as AddressInfo).port;
  return {
    url: `http://127.0.0.1:${port}/v1`, seen,
    close: () => new Promise((r) => { server.closeAllConnections(); server.close(() => r()); }),
  };
}

function route(req: http.IncomingMessage, body: any, res: http.ServerResponse): void {
  if (req.headers['x-api-key'] !== MOCK_ANTHROPIC_KEY) return error(res, 401, 'invalid x-api-key');
  if (!req.headers['anthropic-version']) return error(res, 400, 'anthropic-version: header is required');
  if (req.method === 'GET' && req.url?.startsWith('/v1/models')) {
    const data = [
      { type: 'model', id: 'claude-sonnet-4-5-20250929', display_name: 'Claude Sonnet 4.5', created_at: '2025-09-29T00:00:00Z', max_input_tokens: 200000, max_tokens: 64000 },
      { type: 'model', id: 'claude-echo', display_name: 'Echo', created_at: '2025-01-01T00:00:00Z' },
    ];
    return json(res, 200, { data, has_more: false, first_id: data[0]!.id, last_id: data[1]!.id });
  }
  if (req.method === 'POST' && req.url === '/v1/messages/count_tokens') return countTokens(body, res);
  if (req.method !== 'POST' || req.url !== '/v1/messages') return error(res, 404, `Not found: ${req.method} ${req.url}`);
  if (!/^application\/json/.test(req.headers['content-type'] ?? '')) return error(res, 400, 'content-type must be application/json');
  const invalid = validateMessagesRequest(body);
  if (invalid) return error(res, 400, invalid);
  const m = /^error-(\d{3})$/.exec(body.model);
  if (m) return error(res, Number(m[1]), `mock failure ${m[1]}`);
  if (!String(body.model).startsWith('claude')) return error(res, 404, `model: ${body.model}`);
  const answer = compose(body);
  if (body.stream === true) return stream(res, body, answer);
  json(res, 200, {
    id: 'msg_mock01', type: 'message', role: 'assistant', model: body.model, content: answer.content,
    stop_reason: answer.stopReason, stop_sequence: answer.stopSequence, usage: usage(answer),
  });
}

interface Answer {
  content: Block[];
  stopReason: string;
  stopSequence: string | null;
}

function usage(a: Answer): Record<string, unknown> {
  const thinking = a.content.some((b) => b.type === 'thinking');
  return thinking ? { ...MOCK_USAGE, output_tokens_details: { thinking_tokens: 4 } } : { ...MOCK_USAGE };
}

function compose(body: any): Answer {
  const content: Block[] = [];
  if (body.thinking && body.thinking.type !== 'disabled') {
    content.push({ type: 'thinking', thinking: 'Let me think… 🤔 step by step.', signature: 'sig-mock-Ew8KBhgC' });
  }
  const last = body.messages[body.messages.length - 1];
  const blocks: Block[] = typeof last.content === 'string' ? [{ type: 'text', text: last.content }] : last.content;
  const results = blocks.filter((b) => b.type === 'tool_result');
  const model = String(body.model);
  if (results.length > 0) {
    const said = results.map((r) => (typeof r.content === 'string' ? r.content : (r.content ?? []).map((c: Block) => c.text ?? `[${c.type}]`).join(''))).join(' | ');
    content.push({ type: 'text', text: `tool said: ${said}` });
    return { content, stopReason: 'end_turn', stopSequence: null };
  }
  if (model.includes('tools') && Array.isArray(body.tools) && body.tools.length > 0 && body.tool_choice?.type !== 'none') {
    const name = body.tool_choice?.type === 'tool' ? body.tool_choice.name : body.tools[0].name;
    const count = model.includes('parallel') && !body.tool_choice?.disable_parallel_tool_use ? 2 : 1;
    for (let i = 0; i < count; i++) content.push({ type: 'tool_use', id: `toolu_mock${i}`, name, input: { city: i === 0 ? 'Paris' : 'Zürich' } });
    return { content, stopReason: 'tool_use', stopSequence: null };
  }
  if (model.includes('refuse')) {
    content.push({ type: 'text', text: "I can't help with that." });
    return { content, stopReason: 'refusal', stopSequence: null };
  }
  if (body.output_config?.format) {
    content.push({ type: 'text', text: JSON.stringify(exampleFor(body.output_config.format.schema)) });
    return { content, stopReason: 'end_turn', stopSequence: null };
  }
  let text = `echo: ${blocks.map(describe).join(' ')}`;
  let stopReason = model.includes('max') ? 'max_tokens' : 'end_turn';
  let stopSequence: string | null = null;
  for (const seq of body.stop_sequences ?? []) {
    const at = text.indexOf(seq);
    if (at !== -1) {
      text = text.slice(0, at);
      stopReason = 'stop_sequence';
      stopSequence = seq;
      break;
    }
  }
  content.push({ type: 'text', text });
  return { content, stopReason, stopSequence };
}

function describe(b: Block): string {
  if (b.type === 'text') return b.text;
  if (b.type === 'image') return b.source.type === 'url' ? `[image url ${b.source.url}]` : `[image ${b.source.media_type} ${Buffer.from(b.source.data, 'base64').length} bytes]`;
  if (b.type === 'document') return `[document ${b.source.type}]`;
  return `[${b.type}]`;
}

function exampleFor(schema: any): unknown {
  if (schema?.type === 'object') {
    return Object.fromEntries(Object.entries(schema.properties ?? {}).map(([k, v]) => [k, exampleFor(v)]));
  }
  if (schema?.type === 'array') return [exampleFor(schema.items)];
  if (schema?.type === 'number' || schema?.type === 'integer') return 42;
  if (schema?.type === 'boolean') return true;
  return 'Paris';
}

function stream(res: http.ServerResponse, body: any, answer: Answer): void {
  res.writeHead(200, { 'content-type': 'text/event-stream; charset=utf-8', 'cache-control': 'no-cache' });
  const model = String(body.model);
  const ev = (type: string, data: object): string => `event: ${type}\ndata: ${JSON.stringify({ type, ...data })}\n\n`;
  let sse = ev('message_start', {
    message: { id: 'msg_mock01', type: 'message', role: 'assistant', model, content: [], stop_reason: null, stop_sequence: null, usage: { ...MOCK_USAGE, output_tokens: 1 } },
  });
  sse += ev('ping', {});
  let deltas = 0;
  const cut = (): boolean => model.includes('midstream-error') && deltas > 0;
  outer: for (const [index, block] of answer.content.entries()) {
    const start = block.type === 'text' ? { type: 'text', text: '' }
      : block.type === 'thinking' ? { type: 'thinking', thinking: '', signature: '' }
      : { type: 'tool_use', id: block.id, name: block.name, input: {} };
    sse += ev('content_block_start', { index, content_block: start });
    const pieces: [string, object][] = block.type === 'text' ? chop(block.text).map((text) => ['text_delta', { text }])
      : block.type === 'thinking' ? [...chop(block.thinking).map((thinking): [string, object] => ['thinking_delta', { thinking }]), ['signature_delta', { signature: block.signature }]]
      : chop(JSON.stringify(block.input)).map((partial_json) => ['input_json_delta', { partial_json }]);
    for (const [type, fields] of pieces) {
      if (cut()) break outer;
      sse += ev('content_block_delta', { index, delta: { type, ...fields } });
      deltas++;
      if (model.includes('truncated') && deltas >= 2) break outer;
    }
    sse += ev('content_block_stop', { index });
  }
  if (cut()) {
    sse += ev('error', { error: { type: 'overloaded_error', message: 'Overloaded' } });
  } else if (!model.includes('truncated')) {
    sse += ev('message_delta', { delta: { stop_reason: answer.stopReason, stop_sequence: answer.stopSequence }, usage: { output_tokens: MOCK_USAGE.output_tokens } });
    sse += ev('message_stop', {});
  }
  const bytes = Buffer.from(sse, 'utf8');
  let at = 0;
  const next = (): void => {
    if (res.destroyed) return;
    if (at >= bytes.length) { res.end(); return; }
    res.write(bytes.subarray(at, at + 13));
    at += 13;
    setImmediate(next);
  };
  next();
}

/** Splits text into pieces of three code points. */
function chop(text: string): string[] {
  const chars = [...text];
  const out: string[] = [];
  for (let i = 0; i < chars.length; i += 3) out.push(chars.slice(i, i + 3).join(''));
  return out.length > 0 ? out : [''];
}

function error(res: http.ServerResponse, status: number, message: string): void {
  json(res, status, { type: 'error', error: { type: ERROR_TYPES[status] ?? 'api_error', message }, request_id: 'req_mock' });
}

function json(res: http.ServerResponse, status: number, value: unknown): void {
  const text = JSON.stringify(value);
  res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text) });
  res.end(text);
}

/** Like the real endpoint: no sampling fields allowed; answers one token per 4 characters of text. */
function countTokens(body: any, res: http.ServerResponse): void {
  const allowed = new Set(['model', 'messages', 'system', 'tools', 'tool_choice', 'thinking', 'output_config', 'mcp_servers']);
  const extra = Object.keys(body ?? {}).find((k) => !allowed.has(k));
  if (extra) return error(res, 400, `${extra}: Extra inputs are not permitted`);
  if (!Array.isArray(body.messages) || body.messages.length === 0) return error(res, 400, 'messages: Field required');
  const text = JSON.stringify([body.system ?? '', body.messages.map((m: any) => typeof m.content === 'string' ? m.content : JSON.stringify(m.content))]);
  json(res, 200, { input_tokens: Math.ceil(text.length / 4) });
}
