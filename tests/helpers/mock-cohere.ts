import http from 'node:http';
import type { AddressInfo } from 'node:net';
import type { SeenRequest } from './mock-openai.js';

export interface MockCohere {
  /** The server root; the preset's base URL is this plus `/v2`. */
  url: string;
  seen: SeenRequest[];
  close(): Promise<void>;
}

export const COHERE_KEY = 'co-test-key';

const CHAT_MODELS = new Set(['command-a-03-2025', 'command-a-vision-07-2025', 'command-a-reasoning-08-2025', 'tools', 'unicode',
  'midstream-error', 'cut-stream', 'timeout']);
const EMBED_MODELS = new Set(['embed-v4.0']);
const CHAT_FIELDS = new Set(['model', 'messages', 'stream', 'tools', 'strict_tools', 'documents', 'citation_options', 'response_format',
  'safety_mode', 'max_tokens', 'stop_sequences', 'temperature', 'seed', 'frequency_penalty', 'presence_penalty', 'k', 'p', 'logprobs',
  'tool_choice', 'thinking', 'raw_prompting']);
const USAGE = { billed_units: { input_tokens: 21, output_tokens: 9 }, tokens: { input_tokens: 186, output_tokens: 9 } };

/**
 * A loopback Cohere speaking API v2 as docs.cohere.com/reference documents it: Bearer auth,
 * `{"message": ...}` errors, the request checks the real API makes (unknown fields, `p` range, at most
 * five stop sequences, tool results that answer a known call, `input_type` for embed v3+). Streams
 * are SSE when `text/event-stream` is accepted and NDJSON otherwise, written in uneven slices.
 * The model picks a behaviour: `command-a-03-2025` echoes, `command-a-reasoning-08-2025` thinks
 * unless thinking is disabled, `command-a-vision-07-2025` counts its images, `tools` calls the first
 * tool (and answers from tool results), `unicode` streams multi-byte text, `midstream-error` and
 * `timeout` end with `ERROR`/`TIMEOUT`, `cut-stream` stops before `message-end`, `error-<status>` fails.
 */
export async function startMockCohere(): Promise<MockCohere> {
  const seen: SeenRequest[] = [];
  const server = http.createServer((req, res) => {
    const parts: Buffer[] = [];
    req.on('data', (c: Buffer) => parts.push(c));
    req.on('end', () => {
      const raw = Buffer.concat(parts).toString('utf8');
      let body: any = null;
      try {
        body = raw ? JSON.parse(raw) : null;
      } catch {
        return json(res, 400, { id: 'err', message: 'invalid request: body is not valid JSON' });
      }
      const entry: SeenRequest = { method: req.method!, url: req.url!, headers: req.headers, body };
      seen.push(entry);
      if (req.headers.authorization !== `Bearer ${COHERE_KEY}`) return json(res, 401, { id: 'err', message: 'invalid api token' });
      route(entry, res);
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const port = (server.address() as AddressInfo).port;
  return {
    url: `http://127.0.0.1:${port}`, seen,
    close: () => new Promise((r) => { server.closeAllConnections(); server.close(() => r()); }),
  };
}

function route(req: SeenRequest, res: http.ServerResponse): void {
  // The raw path, as sent: no dot-segment clean-up a proxy in front might or might not do.
  const [pathname, query] = req.url.split('?') as [string, string | undefined];
  if (req.method === 'GET' && pathname === '/v1/models') {
    const size = Number(new URLSearchParams(query ?? '').get('page_size') ?? '20');
    if (!(size >= 1 && size <= 1000)) return json(res, 400, { id: 'err', message: 'invalid request: page_size must be between 1 and 1000' });
    const models = [
      { name: 'command-a-03-2025', endpoints: ['generate', 'chat', 'summarize'], finetuned: false, context_length: 256000 },
      { name: 'embed-v4.0', endpoints: ['embed'], finetuned: false, context_length: 128000 },
      { name: 'rerank-v3.5', endpoints: ['rerank'], finetuned: false, context_length: 4096 },
    ];
    return json(res, 200, { models: models.slice(0, size), next_page_token: null });
  }
  if (req.method === 'POST' && pathname === '/v2/chat') return chat(req, res);
  if (req.method === 'POST' && pathname === '/v2/embed') return embed(req.body, res);
  json(res, 404, { id: 'err', message: `no route for ${req.method} ${pathname}` });
}

/** The request checks Cohere makes; returns the error message or null. */
function invalidChat(b: any): string | null {
  if (typeof b?.model !== 'string') return 'invalid request: model must be a string';
  if (!Array.isArray(b.messages) || b.messages.length === 0) return 'invalid request: messages must not be empty';
  for (const k of Object.keys(b)) if (!CHAT_FIELDS.has(k)) return `invalid request: unknown field: parameter ${k} is not a valid field`;
  const callIds = new Set<string>();
  for (const m of b.messages) {
    if (!['system', 'user', 'assistant', 'tool'].includes(m?.role)) return `invalid request: invalid role ${m?.role}`;
    const items = typeof m.content === 'string' || m.content === undefined ? [] : m.content;
    if (!Array.isArray(items)) return 'invalid request: content must be a string or a list of content blocks';
    for (const c of items) {
      const allowed = m.role === 'user' ? ['text', 'image_url', 'document'] : m.role === 'assistant' ? ['text', 'thinking'] : m.role === 'tool' ? ['text', 'document'] : ['text'];
      if (!allowed.includes(c?.type)) return `invalid request: content type ${c?.type} is not allowed for role ${m.role}`;
      if (c.type === 'image_url' && !/^(https?:\/\/|data:image\/(png|jpeg|gif|webp);base64,)/.test(c.image_url?.url ?? '')) return 'invalid request: invalid image url';
    }
    if (m.role === 'assistant') {
      if (m.tool_plan !== undefined && typeof m.tool_plan !== 'string') return 'invalid request: tool_plan must be a string';
      for (const t of m.tool_calls ?? []) {
        if (typeof t?.id !== 'string' || t.type !== 'function' || typeof t.function?.name !== 'string' || typeof t.function.arguments !== 'string') {
          return 'invalid request: invalid tool call';
        }
        callIds.add(t.id);
      }
    }
    if (m.role === 'tool' && !callIds.has(m.tool_call_id)) return `invalid request: tool_call_id ${m.tool_call_id} does not match any tool call`;
  }
  if (b.p !== undefined && !(b.p >= 0.01 && b.p <= 0.99)) return 'invalid request: p must be between 0.01 and 0.99';
  if (b.temperature !== undefined && !(b.temperature >= 0)) return 'invalid request: temperature must be non-negative';
  if (b.stop_sequences !== undefined && (!Array.isArray(b.stop_sequences) || b.stop_sequences.length > 5)) return 'invalid request: stop_sequences can have at most 5 items';
  if (b.tool_choice !== undefined && !['REQUIRED', 'NONE'].includes(b.tool_choice)) return 'invalid request: tool_choice must be REQUIRED or NONE';
  if (b.tool_choice !== undefined && !Array.isArray(b.tools)) return 'invalid request: tool_choice requires tools';
  for (const t of b.tools ?? []) if (t?.type !== 'function' || typeof t.function?.name !== 'string') return 'invalid request: invalid tool';
  if (b.response_format !== undefined) {
    const rf = b.response_format;
    if (!['text', 'json_object'].includes(rf?.type)) return 'invalid request: response_format.type must be text or json_object';
    if (rf.type === 'text' && rf.json_schema !== undefined) return 'invalid request: json_schema requires type json_object';
  }
  if (b.thinking !== undefined) {
    if (!['enabled', 'disabled'].includes(b.thinking?.type)) return 'invalid request: thinking.type must be enabled or disabled';
    if (b.thinking.token_budget !== undefined && !(Number.isInteger(b.thinking.token_budget) && b.thinking.token_budget > 0)) return 'invalid request: token_budget must be a positive integer';
  }
  return null;
}

interface Answer { thinking?: string; plan?: string; text: string; calls?: { id: string; name: string; arguments: string }[]; finish: string; error?: string }

function answer(b: any): Answer {
  const last = b.messages[b.messages.length - 1];
  const lastText = typeof last.content === 'string' ? last.content : (last.content ?? []).filter((c: any) => c.type === 'text').map((c: any) => c.text).join(' ');
  const a: Answer = { text: `echo: ${lastText}`, finish: 'COMPLETE' };
  if (b.model === 'command-a-reasoning-08-2025' && b.thinking?.type !== 'disabled') a.thinking = `Budget ${b.thinking?.token_budget ?? 'default'}: let me think.`;
  if (b.model === 'command-a-vision-07-2025') {
    const urls = b.messages.flatMap((m: any) => (Array.isArray(m.content) ? m.content : []).filter((c: any) => c.type === 'image_url').map((c: any) => c.image_url.url));
    a.text = `I see ${urls.length} image(s): ${urls.map((u: string) => (u.startsWith('data:') ? 'inline' : u)).join(', ')}`;
  }
  if (b.model === 'tools') {
    if (last.role === 'tool') a.text = `The tool said: ${lastText}`;
    else if (Array.isArray(b.tools) && b.tools.length > 0 && b.tool_choice !== 'NONE') {
      a.text = '';
      a.plan = 'I will check the weather.';
      a.calls = b.tools.slice(0, 2).map((t: any, i: number) => ({ id: `${t.function.name}_${i}abc`, name: t.function.name, arguments: JSON.stringify({ city: i === 0 ? 'Paris' : 'Tōkyō' }) }));
      a.finish = 'TOOL_CALL';
    }
  }
  if (b.response_format?.type === 'json_object') a.text = JSON.stringify(b.response_format.json_schema ? { name: 'Ada', age: 36 } : { ok: true });
  if (b.model === 'unicode') a.text = 'héllo wörld 🌍 — 日本語';
  if (b.model === 'midstream-error') { a.finish = 'ERROR'; a.error = 'internal model failure'; }
  if (b.model === 'timeout') a.finish = 'TIMEOUT';
  if (typeof b.max_tokens === 'number' && b.max_tokens < 5) a.finish = 'MAX_TOKENS';
  return a;
}

function chat(req: SeenRequest, res: http.ServerResponse): void {
  const b = req.body;
  const invalid = invalidChat(b);
  if (invalid) return json(res, 400, { id: 'err', message: invalid });
  const status = /^error-(\d{3})$/.exec(b.model);
  if (status) return json(res, Number(status[1]), { id: 'err', message: `mock failure ${status[1]}` });
  if (!CHAT_MODELS.has(b.model)) return json(res, 404, { id: 'err', message: `model '${b.model}' not found, make sure the correct model ID was used and that you have access to the model.` });
  const a = answer(b);
  if (b.stream !== true) {
    const content: any[] = [];
    if (a.thinking) content.push({ type: 'thinking', thinking: a.thinking });
    if (a.text) content.push({ type: 'text', text: a.text });
    const message: any = { role: 'assistant', content };
    if (a.plan) message.tool_plan = a.plan;
    if (a.calls) message.tool_calls = a.calls.map((c) => ({ id: c.id, type: 'function', function: { name: c.name, arguments: c.arguments } }));
    return json(res, 200, { id: 'c14c80c3-18eb-4519-9460-6c92edd8cfb4', message, finish_reason: a.finish, usage: USAGE });
  }
  const events: object[] = [{ id: 'a8fc192e-4bb8-4e15-ae1f-a174e8b02ae8', type: 'message-start', delta: { message: { role: 'assistant', content: [], tool_plan: '', tool_calls: [], citations: [] } } }];
  let index = 0;
  const block = (type: 'thinking' | 'text', value: string): void => {
    events.push({ type: 'content-start', index, delta: { message: { content: { type, [type]: '' } } } });
    for (const piece of value.match(/.{1,4}/gsu) ?? []) events.push({ type: 'content-delta', index, delta: { message: { content: { [type]: piece } } } });
    events.push({ type: 'content-end', index });
    index++;
  };
  if (a.thinking) block('thinking', a.thinking);
  if (a.plan) for (const piece of a.plan.match(/.{1,5}/gs)!) events.push({ type: 'tool-plan-delta', delta: { message: { tool_plan: piece } } });
  (a.calls ?? []).forEach((c, i) => {
    events.push({ type: 'tool-call-start', index: i, delta: { message: { tool_calls: { id: c.id, type: 'function', function: { name: c.name, arguments: '' } } } } });
    for (const piece of c.arguments.match(/.{1,3}/gsu)!) events.push({ type: 'tool-call-delta', index: i, delta: { message: { tool_calls: { function: { arguments: piece } } } } });
    events.push({ type: 'tool-call-end', index: i });
  });
  if (a.text) block('text', a.text);
  if (b.model === 'midstream-error') events.splice(5);
  if (b.model !== 'cut-stream') events.push({ type: 'message-end', delta: { finish_reason: a.finish, ...(a.error ? { error: a.error } : {}), usage: USAGE } });
  const sse = String(req.headers.accept ?? '').includes('text/event-stream');
  res.writeHead(200, { 'content-type': sse ? 'text/event-stream' : 'application/stream+json' });
  const text = events.map((e: any) => (sse ? `event: ${e.type}\ndata: ${JSON.stringify(e)}\n\n` : `${JSON.stringify(e)}\n`)).join('');
  writeSplit(res, Buffer.from(text, 'utf8'));
}

/** Writes in uneven slices (5, 11, 5, 11... bytes) so events and characters straddle writes. */
function writeSplit(res: http.ServerResponse, bytes: Buffer): void {
  let at = 0;
  let n = 0;
  const next = (): void => {
    if (res.destroyed) return;
    if (at >= bytes.length) { res.end(); return; }
    const size = n++ % 2 === 0 ? 5 : 11;
    res.write(bytes.subarray(at, at + size));
    at += size;
    setImmediate(next);
  };
  next();
}

function embed(b: any, res: http.ServerResponse): void {
  if (!EMBED_MODELS.has(b?.model)) return json(res, 404, { id: 'err', message: `model '${b?.model}' not found` });
  if (!['search_document', 'search_query', 'classification', 'clustering', 'image'].includes(b.input_type)) {
    return json(res, 400, { id: 'err', message: 'invalid request: input_type is required for Embed models v3 and higher.' });
  }
  if (!Array.isArray(b.texts) || b.texts.length > 96 || b.texts.some((t: unknown) => typeof t !== 'string')) return json(res, 400, { id: 'err', message: 'invalid request: texts must be a list of at most 96 strings' });
  if (!Array.isArray(b.embedding_types)) return json(res, 400, { id: 'err', message: 'invalid request: embedding_types is required' });
  const dims = typeof b.output_dimension === 'number' ? b.output_dimension : 4;
  const vectors = b.texts.map((t: string) => Array.from({ length: dims }, (_, i) => (t.length - i) / 4));
  json(res, 200, {
    id: 'da6e531f-54c6-4a73-bf92-f60566d8d753', texts: b.texts, response_type: 'embeddings_by_type',
    embeddings: Object.fromEntries(b.embedding_types.map((t: string) => [t, vectors])),
    meta: { api_version: { version: '2' }, billed_units: { input_tokens: b.texts.length * 2 } },
  });
}

function json(res: http.ServerResponse, status: number, value: unknown): void {
  const text = JSON.stringify(value);
  res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text) });
  res.end(text);
}
