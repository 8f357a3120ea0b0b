import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { validateEmbedRequest, validateGenerateRequest } from './mock-gemini-validate.js';
import type { SeenRequest } from './mock-openai.js';

export const MOCK_GEMINI_KEY = 'gm-upstream-test';

export interface MockGemini {
  /** Base URL as a provider's `base_url`: `http://127.0.0.1:<port>/v1beta`. */
  url: string;
  port: number;
  seen: SeenRequest[];
  close(): Promise<void>;
}

const STATUS_NAMES: Record<number, string> = {
  400: 'INVALID_ARGUMENT', 401: 'UNAUTHENTICATED', 403: 'PERMISSION_DENIED', 404: 'NOT_FOUND', 429: 'RESOURCE_EXHAUSTED',
  500: 'INTERNAL', 503: 'UNAVAILABLE', 504: 'DEADLINE_EXCEEDED',
};
const MODELS = [
  { name: 'models/gemini-2.5-flash', displayName: 'Gemini 2.5 Flash', inputTokenLimit: 1048576, outputTokenLimit: 65536, supportedGenerationMethods: ['generateContent', 'countTokens'] },
  { name: 'models/gemini-3-pro-preview', displayName: 'Gemini 3 Pro Preview', inputTokenLimit: 1048576, outputTokenLimit: 65536, supportedGenerationMethods: ['generateContent'] },
  { name: 'models/gemini-embedding-001', displayName: 'Gemini Embedding 001', inputTokenLimit: 2048, outputTokenLimit: 1, supportedGenerationMethods: ['embedContent'] },
];

/**
 * A loopback Gemini API (`/v1beta`) as its public reference documents it: `x-goog-api-key` auth,
 * proto-strict request validation (see mock-gemini-validate.ts), `generateContent`,
 * `streamGenerateContent?alt=sse` (CRLF-framed events, each written in two pieces), embeddings,
 * the model list, and `{"error": {code, message, status}}` failures. The model name picks a behaviour:
 * `error-<status>`, `*tools*` (calls every declared function, first call signed, answers function
 * results), `safety`, `blocked-prompt`, `max-tokens`, `malformed-call`, `stream-error` (an error
 * object after two chunks), `stream-abrupt` (ends without a finish reason), otherwise an echo.
 * Thoughts come back when `includeThoughts` is set; JSON mode answers a value built from the schema.
 */
export async function startMockGemini(): Promise<MockGemini> {
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
        return error(res, 400, 'Invalid JSON payload received. Unexpected token.');
      }
      const entry: SeenRequest = { method: req.method!, url: req.url!, headers: req.headers, body };
      seen.push(entry);
      route(entry, res);
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const port = (server.address() as AddressInfo).port;
  return {
    url: `http://127.0.0.1:${port}/v1beta`, port, seen,
    close: () => new Promise((r) => { server.closeAllConnections(); server.close(() => r()); }),
  };
}

function route(req: SeenRequest, res: http.ServerResponse): void {
  const url = new URL(req.url, 'http://mock');
  const key = req.headers['x-goog-api-key'];
  if (key === undefined) {
    return error(res, 403, 'Method doesn\'t allow unregistered callers (callers without established identity). Please use API Key or other form of API consumer identity to call this API.');
  }
  if (key !== MOCK_GEMINI_KEY) {
    return error(res, 400, 'API key not valid. Please pass a valid API key.', [{ '@type': 'type.googleapis.com/google.rpc.ErrorInfo', reason: 'API_KEY_INVALID', domain: 'googleapis.com' }]);
  }
  if (req.method === 'GET' && url.pathname === '/v1beta/models') return json(res, 200, { models: MODELS });
  const m = /^\/v1beta\/models\/([^/:]+):(generateContent|streamGenerateContent|embedContent|batchEmbedContents)$/.exec(url.pathname);
  if (req.method !== 'POST' || !m) return error(res, 404, `Method not found: ${req.method} ${url.pathname}`);
  const [, model, method] = m as unknown as [string, string, string];
  const status = /^error-(\d{3})$/.exec(model);
  if (status) return error(res, Number(status[1]), `mock failure ${status[1]}`);
  if (method === 'embedContent' || method === 'batchEmbedContents') return embed(req, res, model, method === 'batchEmbedContents');
  if (model.includes('embedding')) return error(res, 404, `models/${model} is not found for API version v1beta, or is not supported for ${method}.`);
  const invalid = validateGenerateRequest(req.body, model);
  if (invalid) return error(res, 400, invalid);
  const answer = respond(req.body, model);
  if (method === 'generateContent') return json(res, 200, answer.at(-1)!.whole);
  if (url.searchParams.get('alt') !== 'sse') return json(res, 200, answer.map((a) => a.chunk));
  return sse(res, answer.map((a) => a.chunk));
}

interface Answer { chunk: object; whole: object }

/** The answer as stream chunks, each with the whole non-streamed response it adds up to. */
function respond(body: any, model: string): Answer[] {
  const gc = body.generationConfig ?? {};
  const contents: any[] = body.contents;
  const last = contents.at(-1);
  const declared: any[] = (body.tools ?? []).flatMap((t: any) => t.functionDeclarations ?? []);
  const mode = body.toolConfig?.functionCallingConfig?.mode ?? 'AUTO';
  const allowed: string[] | undefined = body.toolConfig?.functionCallingConfig?.allowedFunctionNames;
  const thoughts = gc.thinkingConfig?.includeThoughts === true;
  const usage = (out: number, thought: number) => ({
    promptTokenCount: 11, candidatesTokenCount: out, cachedContentTokenCount: 3, totalTokenCount: 11 + out + thought,
    ...(thought ? { thoughtsTokenCount: thought } : {}),
  });
  const base = { modelVersion: model, responseId: 'mockresp1' };
  const thoughtTokens = thoughts ? 5 : 0;

  if (model === 'blocked-prompt') {
    const r = { promptFeedback: { blockReason: 'SAFETY' }, usageMetadata: { promptTokenCount: 11, totalTokenCount: 11 }, ...base };
    return [{ chunk: r, whole: r }];
  }
  const parts: any[] = [];
  if (thoughts) parts.push({ text: 'Let me think about it. ', thought: true });
  const responses = last.parts.filter((p: any) => p.functionResponse).map((p: any) => p.functionResponse);
  if (model.includes('tools') && responses.length > 0) {
    parts.push({ text: `results: ${JSON.stringify(responses.map((r: any) => [r.name, r.response]))}` });
  } else if (model.includes('tools') && declared.length > 0 && mode !== 'NONE') {
    const callable = declared.filter((d) => !allowed || allowed.includes(d.name));
    callable.forEach((d, i) => parts.push({
      functionCall: { name: d.name, args: sample(d.parametersJsonSchema ?? { type: 'object' }) },
      ...(i === 0 ? { thoughtSignature: Buffer.from(`sig-${d.name}`).toString('base64') } : {}),
    }));
  } else if (gc.responseMimeType === 'application/json') {
    parts.push({ text: JSON.stringify(gc.responseJsonSchema ? sample(gc.responseJsonSchema) : { echo: lastText(contents) }) });
  } else {
    parts.push({ text: `echo: ${lastText(contents)}` });
  }
  const finishReason = model === 'safety' ? 'SAFETY' : model === 'max-tokens' ? 'MAX_TOKENS' : model === 'malformed-call' ? 'MALFORMED_FUNCTION_CALL' : 'STOP';
  const kept = model === 'safety' || model === 'malformed-call' ? [] : parts;
  const whole = { candidates: [{ content: { role: 'model', parts: kept }, finishReason, index: 0 }], usageMetadata: usage(7, thoughtTokens), ...base };

  // Streamed: the thought, then the text four characters at a time, calls in one chunk, then the finish.
  const chunks: object[] = [];
  const piece = (p: object) => ({ candidates: [{ content: { role: 'model', parts: [p] }, index: 0 }], usageMetadata: { promptTokenCount: 11, totalTokenCount: 11 }, ...base });
  for (const p of kept) {
    if (p.functionCall) chunks.push(piece(p));
    else for (const t of (p.text as string).match(/.{1,4}/gsu) ?? []) chunks.push(piece({ ...p, text: t }));
  }
  if (model === 'stream-error') return [...chunks.slice(0, 2), { error: { code: 503, message: 'The model is overloaded. Please try again later.', status: 'UNAVAILABLE' } }].map((chunk) => ({ chunk, whole }));
  if (model === 'stream-abrupt') return chunks.slice(0, 3).map((chunk) => ({ chunk, whole }));
  chunks.push({ candidates: [{ content: { role: 'model', parts: [{ text: '' }] }, finishReason, index: 0 }], usageMetadata: usage(7, thoughtTokens), ...base });
  return chunks.map((chunk) => ({ chunk, whole }));
}

/** The text of the last user content, with a note per media part so tests can see them arrive. */
function lastText(contents: any[]): string {
  const user = [...contents].reverse().find((c) => (c.role ?? 'user') === 'user');
  return user.parts.map((p: any) => p.text ?? (p.inlineData ? `[inline ${p.inlineData.mimeType}]` : p.fileData ? `[file ${p.fileData.mimeType ?? '?'} ${p.fileData.fileUri}]` : '')).join('');
}

/** A value matching a (simple) JSON Schema: what a constrained model would produce. */
function sample(schema: any): any {
  if (Array.isArray(schema.enum)) return schema.enum[0];
  if (Array.isArray(schema.anyOf)) return sample(schema.anyOf[0]);
  const type = Array.isArray(schema.type) ? schema.type[0] : schema.type;
  switch (type) {
    case 'object': return Object.fromEntries(Object.entries(schema.properties ?? {}).map(([k, s]) => [k, sample(s)]));
    case 'array': return [sample(schema.items ?? { type: 'string' })];
    case 'integer': case 'number': return 42;
    case 'boolean': return true;
    case 'null': return null;
    default: return 'Paris';
  }
}

function sse(res: http.ServerResponse, chunks: object[]): void {
  res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache' });
  // Gemini frames events with CRLF; every event is written in two pieces to split frames.
  const writes: string[] = [];
  for (const c of chunks) {
    const ev = `data: ${JSON.stringify(c)}\r\n\r\n`;
    const cut = Math.floor(ev.length / 2);
    writes.push(ev.slice(0, cut), ev.slice(cut));
  }
  let i = 0;
  const next = (): void => {
    if (res.destroyed) return;
    if (i >= writes.length) {
      res.end();
      return;
    }
    res.write(writes[i++]);
    setImmediate(next);
  };
  next();
}

function embed(req: SeenRequest, res: http.ServerResponse, model: string, batch: boolean): void {
  if (!model.includes('embedding')) return error(res, 404, `models/${model} is not found for API version v1beta, or is not supported for ${batch ? 'batchEmbedContents' : 'embedContent'}.`);
  const invalid = validateEmbedRequest(req.body, model, batch);
  if (invalid) return error(res, 400, invalid);
  const vector = (r: any) => {
    const text: string = r.content.parts.map((p: any) => p.text).join('');
    return { values: [text.length / 10, 0.5, -0.25, 0.125].slice(0, r.outputDimensionality ?? 4) };
  };
  const body = req.body as any;
  json(res, 200, batch ? { embeddings: body.requests.map(vector) } : { embedding: vector(body) });
}

function json(res: http.ServerResponse, status: number, value: unknown): void {
  const text = JSON.stringify(value);
  res.writeHead(status, { 'content-type': 'application/json; charset=UTF-8', 'content-length': Buffer.byteLength(text) });
  res.end(text);
}

function error(res: http.ServerResponse, code: number, message: string, details?: object[]): void {
  json(res, code, { error: { code, message, status: STATUS_NAMES[code] ?? 'UNKNOWN', ...(details ? { details } : {}) } });
}
