import http from 'node:http';
import type { AddressInfo } from 'node:net';
import type { SeenRequest } from './mock-openai.js';

export interface MockOllama {
  /** The server root, as Ollama's base URL is (`http://127.0.0.1:<port>`). */
  url: string;
  seen: SeenRequest[];
  close(): Promise<void>;
}

/** Models the mock has "pulled"; anything else is 404 like a real server. */
const MODELS = ['llama3.2:latest', 'qwen3:8b', 'llava:latest', 'tools:latest', 'nomic-embed-text:latest', 'unicode:latest',
  'midstream-error:latest', 'cut-stream:latest', 'long:latest'];
const ROLES = new Set(['system', 'user', 'assistant', 'tool']);
const OPTION_TYPES: Record<string, string> = {
  temperature: 'number', top_p: 'number', top_k: 'number', min_p: 'number', num_predict: 'number', seed: 'number',
  presence_penalty: 'number', frequency_penalty: 'number', repeat_penalty: 'number', num_ctx: 'number',
};

/**
 * A loopback Ollama speaking the native API as docs/api.md and docs/openapi.yaml document it, with
 * the validation the real server does (Go's JSON decoding: a wrong type is a 400). The model picks a
 * behaviour: `llama3.2` echoes, `qwen3` thinks when asked, `tools` calls the first tool (and
 * answers from a tool result), `llava` describes its images, `unicode` streams multi-byte text cut
 * inside characters, `midstream-error` fails after two lines, `cut-stream` ends without `done`,
 * `long` stops on `num_predict`, `error-<status>` fails with that status. Streams are written with
 * lines split across writes and several lines per write.
 */
export async function startMockOllama(): Promise<MockOllama> {
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
        return json(res, 400, { error: 'invalid character in request body' });
      }
      const entry: SeenRequest = { method: req.method!, url: req.url!, headers: req.headers, body };
      seen.push(entry);
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
  if (req.method === 'GET' && req.url === '/api/tags') {
    return json(res, 200, {
      models: MODELS.map((name) => ({
        name, model: name, modified_at: '2025-10-03T23:34:03.409490317-07:00', size: 4_000_000_000,
        digest: 'c6eb396dbd5992bbe3f5cdb947e8bbc0ee413d7c17e2beaae69f5d569cf982eb',
        details: { format: 'gguf', family: 'llama', families: ['llama'], parameter_size: '3.2B', quantization_level: 'Q4_K_M' },
      })),
    });
  }
  if (req.method === 'POST' && req.url === '/api/chat') return chat(req.body, res);
  if (req.method === 'POST' && req.url === '/api/embed') return embed(req.body, res);
  json(res, 404, { error: '404 page not found' });
}

/** Checks a chat body the way Ollama's decoder and handler would; returns the error message or null. */
function invalidChat(b: any): string | null {
  if (typeof b?.model !== 'string' || b.model === '') return 'model is required';
  if (!Array.isArray(b.messages)) return 'json: cannot unmarshal messages';
  for (const m of b.messages) {
    if (!ROLES.has(m?.role)) return `invalid role: ${m?.role}`;
    if (typeof m.content !== 'string') return 'json: cannot unmarshal array into Go struct field Message.messages.content of type string';
    if (m.images !== undefined && (!Array.isArray(m.images) || m.images.some((i: unknown) => typeof i !== 'string' || !/^[A-Za-z0-9+/]+=*$/.test(i)))) {
      return 'illegal base64 data at input byte 0';
    }
    for (const c of m.tool_calls ?? []) {
      if (typeof c?.function?.name !== 'string' || typeof c.function.arguments !== 'object' || c.function.arguments === null || Array.isArray(c.function.arguments)) {
        return 'json: cannot unmarshal string into Go struct field ToolCallFunction.messages.tool_calls.function.arguments';
      }
    }
    if (m.tool_name !== undefined && typeof m.tool_name !== 'string') return 'json: cannot unmarshal tool_name';
  }
  if (b.stream !== undefined && typeof b.stream !== 'boolean') return 'json: cannot unmarshal stream';
  if (b.format !== undefined && b.format !== 'json' && (typeof b.format !== 'object' || b.format === null)) return 'invalid format';
  if (b.think !== undefined && typeof b.think !== 'boolean' && !['low', 'medium', 'high'].includes(b.think)) return `invalid think value: ${JSON.stringify(b.think)}`;
  if (b.options !== undefined) {
    if (typeof b.options !== 'object' || b.options === null) return 'json: cannot unmarshal options';
    for (const [k, v] of Object.entries(b.options)) {
      if (k === 'stop' ? !Array.isArray(v) : OPTION_TYPES[k] !== undefined && typeof v !== OPTION_TYPES[k]) return `option "${k}" must be of type ${OPTION_TYPES[k] ?? 'array'}`;
    }
  }
  for (const t of b.tools ?? []) {
    if (t?.type !== 'function' || typeof t.function?.name !== 'string' || typeof t.function.parameters !== 'object') return 'invalid tool definition';
  }
  return null;
}

function chat(b: any, res: http.ServerResponse): void {
  const invalid = invalidChat(b);
  if (invalid) return json(res, 400, { error: invalid });
  const status = /^error-(\d{3})$/.exec(b.model);
  if (status) return json(res, Number(status[1]), { error: `mock failure ${status[1]}` });
  const model = b.model.includes(':') ? b.model : `${b.model}:latest`;
  if (!MODELS.includes(model)) return json(res, 404, { error: `model "${b.model}" not found, try pulling it first` });
  const family = model.split(':')[0];
  const last = b.messages[b.messages.length - 1];
  let content = `echo: ${last?.content ?? ''}`;
  let thinking: string | undefined;
  let toolCalls: unknown[] | undefined;
  let doneReason = 'stop';
  if (family === 'qwen3' && b.think !== undefined && b.think !== false) thinking = `Thinking (${String(b.think)}) about it.`;
  if (family === 'tools') {
    if (last.role === 'tool') content = `The tool ${last.tool_name ?? '(unnamed)'} said: ${last.content}`;
    else if (Array.isArray(b.tools) && b.tools.length > 0) {
      content = '';
      toolCalls = b.tools.slice(0, 2).map((t: any, index: number) => ({ function: { index, name: t.function.name, arguments: { city: index === 0 ? 'Paris' : 'Tōkyō' } } }));
    }
  }
  if (family === 'llava') {
    const images = b.messages.flatMap((m: any) => m.images ?? []);
    content = `I see ${images.length} image(s), ${images.map((i: string) => Buffer.from(i, 'base64').length).join('+')} bytes`;
  }
  if (b.format !== undefined && family === 'llama3.2') content = JSON.stringify(b.format === 'json' ? { ok: true } : { name: 'Ada', age: 36 });
  if (family === 'unicode') content = 'héllo wörld 🌍 — 日本語';
  if (family === 'long') {
    content = 'one two three';
    if (typeof b.options?.num_predict === 'number') doneReason = 'length';
  }
  const final = {
    model: b.model, created_at: '2025-10-17T23:14:07.414671Z', done: true, done_reason: doneReason,
    total_duration: 174560334, load_duration: 101397084, prompt_eval_count: 12, prompt_eval_duration: 13074791,
    eval_count: 7, eval_duration: 52479709,
  };
  if (b.stream === false) {
    const message: any = { role: 'assistant', content };
    if (thinking) message.thinking = thinking;
    if (toolCalls) message.tool_calls = toolCalls;
    return json(res, 200, { ...final, message });
  }
  const lines: string[] = [];
  const line = (message: object, extra: object = {}): void => {
    lines.push(JSON.stringify({ model: b.model, created_at: '2025-10-17T23:14:07.414671Z', message: { role: 'assistant', ...message }, done: false, ...extra }) + '\n');
  };
  if (thinking) for (const t of thinking.match(/.{1,6}/gs)!) line({ content: '', thinking: t });
  for (const piece of Array.from(content).reduce<string[]>((acc, ch, i) => { if (i % 3 === 0) acc.push(ch); else acc[acc.length - 1] += ch; return acc; }, [])) {
    line({ content: piece });
  }
  if (toolCalls) line({ content: '', tool_calls: toolCalls });
  if (family === 'midstream-error') {
    lines.splice(2);
    lines.push('{"error":"an error was encountered while running the model"}\n');
  } else if (family !== 'cut-stream') {
    lines.push(JSON.stringify({ ...final, message: { role: 'assistant', content: '' } }) + '\n');
  }
  res.writeHead(200, { 'content-type': 'application/x-ndjson' });
  writeSplit(res, Buffer.from(lines.join(''), 'utf8'));
}

/** Writes in uneven slices (7, 13, 7, 13... bytes) so lines and characters straddle writes. */
function writeSplit(res: http.ServerResponse, bytes: Buffer): void {
  let at = 0;
  let n = 0;
  const next = (): void => {
    if (res.destroyed) return;
    if (at >= bytes.length) { res.end(); return; }
    const size = n++ % 2 === 0 ? 7 : 13;
    res.write(bytes.subarray(at, at + size));
    at += size;
    setImmediate(next);
  };
  next();
}

function embed(b: any, res: http.ServerResponse): void {
  if (typeof b?.model !== 'string' || b.model === '') return json(res, 400, { error: 'model is required' });
  const model = b.model.includes(':') ? b.model : `${b.model}:latest`;
  if (!MODELS.includes(model)) return json(res, 404, { error: `model "${b.model}" not found, try pulling it first` });
  const inputs = typeof b.input === 'string' ? [b.input] : Array.isArray(b.input) && b.input.every((s: unknown) => typeof s === 'string') ? b.input : null;
  if (!inputs) return json(res, 400, { error: 'invalid input type' });
  const dims = typeof b.dimensions === 'number' ? b.dimensions : 4;
  json(res, 200, {
    model: b.model,
    embeddings: inputs.map((s: string) => Array.from({ length: dims }, (_, i) => (s.length + i) / 8)),
    total_duration: 14143917, load_duration: 1019500, prompt_eval_count: inputs.length * 3,
  });
}

function json(res: http.ServerResponse, status: number, value: unknown): void {
  const text = JSON.stringify(value);
  res.writeHead(status, { 'content-type': 'application/json; charset=utf-8', 'content-length': Buffer.byteLength(text) });
  res.end(text);
}
