import fs from 'node:fs';
import http from 'node:http';
import diagnostics from 'node:diagnostics_channel';
import type { AddressInfo } from 'node:net';
import { expect, vi } from 'vitest';
import type { Attempt, CallHandler, CallRequest, ClientDialectName, Operation, PlainError, Usage, WireProtocol } from '../../src/model/index.js';
import { getPreset } from '../../src/providers/index.js';
import { ProviderEngine } from '../../src/providers/provider-engine.js';
import { anthropicFront, chatFront, completionsFront, embeddingsFront, responsesFront, type LlmFront } from '../../src/llm-api/index.js';

/**
 * One shared golden runner: a recorded upstream answer is replayed from a loopback HTTP server
 * through the real `ProviderEngine` (undici pool, exchange, adapter, client dialect, key redaction,
 * pricing), and what a client would see is compared with an `*.expected.*` file.
 *
 * Why a loopback server and not undici's MockAgent: the engine owns one `new Pool(origin)` per
 * provider and dispatches on it directly, so the global dispatcher (where a MockAgent sits) is never
 * consulted. A real socket also lets the runner cut the body into pieces at chosen byte offsets and
 * wait until the engine received each piece before sending the next, so each split really reaches
 * the engine as its own chunk (checked through undici's `bodyChunkReceived` diagnostics channel).
 *
 * `UPDATE_GOLDENS=1` rewrites expected files instead of comparing them.
 */

export const GOLDEN_DIR = new URL('../golden/', import.meta.url);
export const updatingGoldens = process.env.UPDATE_GOLDENS === '1';

/** A recorded upstream answer: status, headers and the body file (relative to tests/golden/). */
export interface RecordedAnswer {
  file: string;
  /** Default 200. */
  status?: number;
  /** Default: a content type from the file's extension (`.sse`, `.ndjson`, `.json`). */
  headers?: Record<string, string>;
  /** Sends the body in pieces of this many bytes, each received by the engine before the next goes. */
  pieceBytes?: number;
  /** Sends this many bytes of the body, then resets the connection (a transport failure mid-answer). */
  resetAfter?: number;
}

export interface GoldenCase {
  /** The upstream's preset type (`openai`, `anthropic`, `gemini`, `ollama`, `cohere`, ...): it picks the wire protocol and base path. */
  providerType: string;
  /** The provider's configured name; error messages carry it. Default `golden`. */
  providerName?: string;
  /** The model id the upstream knows. */
  model: string;
  /** The client-facing API the answer is written for. */
  dialect: ClientDialectName;
  /** Default `chat`. */
  op?: Extract<Operation, 'chat' | 'embeddings'>;
  /**
   * The client's request body in its own dialect. It goes through the same front the ingress uses
   * (`parse`), so `stream`, the usage flag and the dialect's meta come from it exactly as in the gateway.
   */
  request: Record<string, unknown>;
  upstream: RecordedAnswer;
  /**
   * Wall clock the translators read (ms), so `created` fields are stable. The runner mocks `Date`
   * for the call (`vi.setSystemTime`) and restores real timers after it.
   */
  clock: number;
}

export interface UpstreamRequestSeen {
  method: string;
  path: string;
  headers: http.IncomingHttpHeaders;
  body: string;
}

/** What one call produced, as a client would see it. */
export interface GoldenRun {
  /** What the runner handed to the engine. */
  call: CallRequest;
  upstreamRequest: UpstreamRequestSeen | null;
  /** Handler events in order, runs of chunks folded into one `chunk`. */
  events: string[];
  attempts: Omit<Attempt, 'durationMs'>[];
  /** The HTTP status the client gets (the stream's, the response's, or the error's). */
  status: number;
  contentType: string;
  /**
   * The client-visible body: the stream's chunks (plus the dialect's error event when the call
   * failed after the stream began), the response body, or the error body. Generated ids
   * (`<prefix><24 hex>`) are numbered in order of appearance: `chatcmpl-1`, `call_2`...
   */
  body: string;
  usage: Usage | null;
  costUsd: number | null;
  /** The id the upstream gave its answer (the client saw {@link GOLDEN_ANSWER_ID}), as the generation record keeps it. */
  upstreamId: string | null;
  error: PlainError | null;
  /** Sizes of the upstream body chunks the engine received, in order. */
  received: number[];
}

/** The generation id the runner gives every call, as the ingress does: the client's answer carries it. */
export const GOLDEN_ANSWER_ID = 'gen-018bcfe5680000000000000000000001';

/** The API key every golden provider is configured with; it must never reach `body`. */
export const GOLDEN_API_KEY = 'sk-golden-upstream-key';

const FRONTS: Record<ClientDialectName, LlmFront> = {
  chat: chatFront, anthropic: anthropicFront, responses: responsesFront, completions: completionsFront,
};

const CONTENT_TYPES: Record<string, string> = {
  sse: 'text/event-stream; charset=utf-8',
  ndjson: 'application/x-ndjson',
  json: 'application/json',
};

interface Pending {
  answer: RecordedAnswer;
  body: Buffer;
  seen: UpstreamRequestSeen | null;
}

/** Records handler events; `done` resolves when the call ends. */
class RunRecorder implements CallHandler {
  events: string[] = [];
  attempts: Omit<Attempt, 'durationMs'>[] = [];
  chunks: string[] = [];
  status = 0;
  contentType = '';
  response: string | null = null;
  usage: Usage | null = null;
  costUsd: number | null = null;
  upstreamId: string | null = null;
  error: PlainError | null = null;
  ended = 0;
  readonly done: Promise<void>;
  #resolve!: () => void;

  constructor() {
    this.done = new Promise((r) => { this.#resolve = r; });
  }

  onAttempt(a: Attempt): void {
    const { durationMs: _ignored, ...rest } = a;
    this.attempts.push(rest);
    this.#event('attempt');
  }

  onStart(status: number, contentType: string): void {
    this.status = status;
    this.contentType = contentType;
    this.#event('start');
  }

  onChunk(text: string): void {
    this.chunks.push(text);
    if (this.events.at(-1) !== 'chunk') this.#event('chunk');
  }

  onEnd(usage: Usage | null, costUsd: number | null, upstreamId: string | null = null): void {
    this.usage = usage;
    this.costUsd = costUsd;
    this.upstreamId = upstreamId;
    this.#event('end');
    this.#end();
  }

  onResponse(status: number, contentType: string, body: string, usage: Usage | null, costUsd: number | null, upstreamId: string | null = null): void {
    this.status = status;
    this.contentType = contentType;
    this.response = body;
    this.usage = usage;
    this.costUsd = costUsd;
    this.upstreamId = upstreamId;
    this.#event('response');
    this.#end();
  }

  onError(error: PlainError): void {
    this.error = error;
    this.#event('error');
    this.#end();
  }

  #event(kind: string): void {
    if (this.ended > 0) this.events.push(`${kind} (after the end)`);
    else this.events.push(kind);
  }

  #end(): void {
    this.ended++;
    this.#resolve();
  }
}

/**
 * Runs golden cases one at a time against one loopback upstream. `start()` before the first run,
 * `close()` after the last.
 */
export class GoldenRunner {
  #server: http.Server | null = null;
  #origin = '';
  #pending: Pending | null = null;
  /** Body bytes the engine has received for the current call, and who waits for a count. */
  #receivedBytes = 0;
  #received: number[] = [];
  #waiters: { bytes: number; resolve: () => void }[] = [];
  #onChunk = (message: unknown): void => {
    const { request, chunk } = message as { request: { origin?: unknown }; chunk: Buffer };
    if (String(request.origin) !== this.#origin) return;
    this.#receivedBytes += chunk.length;
    this.#received.push(chunk.length);
    this.#waiters = this.#waiters.filter((w) => {
      if (this.#receivedBytes < w.bytes) return true;
      w.resolve();
      return false;
    });
  };

  async start(): Promise<void> {
    const server = http.createServer((req, res) => { void this.#serve(req, res); });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    this.#server = server;
    this.#origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    diagnostics.subscribe('undici:request:bodyChunkReceived', this.#onChunk);
  }

  async close(): Promise<void> {
    diagnostics.unsubscribe('undici:request:bodyChunkReceived', this.#onChunk);
    const server = this.#server;
    this.#server = null;
    if (server) {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    }
  }

  /** Runs one case through a fresh engine and returns what the client would see. */
  async run(c: GoldenCase): Promise<GoldenRun> {
    if (!this.#server) throw new Error('GoldenRunner.start() was not called');
    const preset = getPreset(c.providerType);
    if (!preset) throw new Error(`no provider preset "${c.providerType}"`);
    const protocol: WireProtocol = preset.protocol;
    const basePath = preset.base_url === null ? '/v1' : new URL(preset.base_url).pathname.replace(/\/+$/, '');
    const name = c.providerName ?? 'golden';
    const engine = new ProviderEngine([{
      name, type: c.providerType, protocol, prices: {}, baseUrl: this.#origin + basePath, apiKey: GOLDEN_API_KEY,
      headers: { ...preset.default_headers }, connectTimeoutMs: 2000, maxConnections: 4, firstByteTimeoutMs: 10_000, idleTimeoutMs: 10_000,
    }]);
    const front = c.op === 'embeddings' ? embeddingsFront : FRONTS[c.dialect];
    const call = callFor(front, c, name);
    const recorded = fs.readFileSync(new URL(c.upstream.file, GOLDEN_DIR));
    // An id in the recording shaped like a generated one would be renumbered in the output too.
    if (numberIds(recorded.toString('utf8')) !== recorded.toString('utf8')) throw new Error(`${c.upstream.file} holds an id shaped like a generated one (<prefix><24 hex>)`);
    this.#pending = { answer: c.upstream, body: recorded, seen: null };
    this.#receivedBytes = 0;
    this.#received = [];
    this.#waiters = [];
    const rec = new RunRecorder();
    vi.setSystemTime(c.clock);
    try {
      engine.call(call, rec);
      await endsWithin(rec.done, CALL_TIMEOUT_MS);
    } finally {
      vi.useRealTimers();
      await engine.close();
    }
    const seen = this.#pending.seen;
    this.#pending = null;
    return {
      call, upstreamRequest: seen, events: rec.events, attempts: rec.attempts, ...clientView(front, rec),
      usage: rec.usage, costUsd: rec.costUsd, upstreamId: rec.upstreamId, error: rec.error, received: this.#received,
    };
  }

  async #serve(req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
    const parts: Buffer[] = [];
    for await (const part of req) parts.push(part as Buffer);
    const pending = this.#pending;
    if (!pending) {
      res.writeHead(500).end('no recording is armed');
      return;
    }
    pending.seen = { method: req.method ?? '', path: req.url ?? '', headers: req.headers, body: Buffer.concat(parts).toString('utf8') };
    const { answer, body } = pending;
    const ext = answer.file.slice(answer.file.lastIndexOf('.') + 1);
    const headers = answer.headers ?? { 'content-type': CONTENT_TYPES[ext] ?? 'application/octet-stream' };
    const end = answer.resetAfter ?? body.length;
    const piece = answer.pieceBytes ?? 0;
    if (piece <= 0 && answer.resetAfter === undefined) {
      res.writeHead(answer.status ?? 200, { ...headers, 'content-length': String(body.length) });
      res.end(body);
      return;
    }
    let closed = false;
    const whenClosed = new Promise<void>((resolve) => res.once('close', () => { closed = true; resolve(); }));
    res.writeHead(answer.status ?? 200, headers);
    res.flushHeaders();
    const step = piece > 0 ? piece : end;
    for (let from = 0; from < end && !closed; from += step) {
      const to = Math.min(from + step, end);
      res.write(body.subarray(from, to));
      // The next piece goes only once the engine has this one, so it cannot arrive coalesced.
      await Promise.race([this.#receivedAt(to), whenClosed]);
    }
    if (closed) return;
    if (answer.resetAfter !== undefined) res.socket?.destroy();
    else res.end();
  }

  #receivedAt(bytes: number): Promise<void> {
    if (this.#receivedBytes >= bytes) return Promise.resolve();
    return new Promise((resolve) => { this.#waiters.push({ bytes, resolve }); });
  }
}

/** Longer than any recording takes to replay, shorter than the test's own timeout. */
const CALL_TIMEOUT_MS = 10_000;

async function endsWithin(done: Promise<void>, ms: number): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<never>((_resolve, reject) => {
    timer = setTimeout(() => reject(new Error(`the call did not end within ${ms} ms (no onEnd, onResponse or onError)`)), ms);
  });
  try {
    await Promise.race([done, late]);
  } finally {
    clearTimeout(timer);
  }
}

/** The engine call the ingress would make for this client request (llm-request.ts `proceed`). */
function callFor(front: LlmFront, c: GoldenCase, provider: string): CallRequest {
  const request = front.parse(structuredClone(c.request), { maxMessages: 1000 });
  const body = request.body;
  body.model = c.model;
  delete body.models;
  if (request.stream) {
    const options = typeof body.stream_options === 'object' && body.stream_options !== null ? body.stream_options : {};
    body.stream_options = { ...options, include_usage: true };
  }
  return {
    candidates: [{ provider, model: c.model }], op: front.op, body: JSON.stringify(body), stream: request.stream,
    clientWantsUsage: request.wantsUsage, dialect: front.dialect, meta: request.meta ?? null, answerId: GOLDEN_ANSWER_ID,
  };
}

/** Status, content type and body as the ingress writes them (llm-request.ts `LlmExchange`). */
function clientView(front: LlmFront, rec: RunRecorder): Pick<GoldenRun, 'status' | 'contentType' | 'body'> {
  if (rec.response !== null) {
    // An upstream 4xx arrives already in the client's dialect.
    return { status: rec.status, contentType: rec.contentType, body: numberIds(rec.response) };
  }
  const error = rec.error;
  if (error !== null && !rec.events.includes('start')) {
    return { status: error.status, contentType: 'application/json', body: numberIds(front.errorBody(error)) };
  }
  // A relayed error reached the client as the upstream's own event: no second terminal event.
  const tail = error !== null && error.relayed !== true ? front.errorEvent(error) : '';
  return { status: rec.status, contentType: rec.contentType, body: numberIds(rec.chunks.join('') + tail) };
}

/**
 * The engine makes ids as `<prefix>` + 24 random hex digits; each distinct one becomes
 * `<prefix><n>`, numbered in order of first appearance (the unit goldens' counting id source).
 */
export function numberIds(text: string): string {
  const seen = new Map<string, number>();
  return text.replace(/(?<![0-9A-Za-z])([A-Za-z]+[-_])([0-9a-f]{24})(?![0-9A-Za-z])/g, (_m, prefix: string, hex: string) => {
    let n = seen.get(hex);
    if (n === undefined) {
      n = seen.size + 1;
      seen.set(hex, n);
    }
    return `${prefix}${n}`;
  });
}

/**
 * Compares `actual` with the expected file (relative to tests/golden/). Under UPDATE_GOLDENS=1 a
 * file the caller `owned` is rewritten instead; a file shared with another test (a unit golden
 * reused because the output is the same) is always compared, so that an update never moves another
 * test's oracle. A `.json` file may hold its JSON pretty-printed: it matches an actual body that is
 * exactly its compact form (same keys, same order, same values), or else the file's exact bytes.
 */
export function expectGolden(actual: string, file: string, opts: { owned: boolean }): void {
  const url = new URL(file, GOLDEN_DIR);
  if (updatingGoldens && opts.owned) {
    fs.writeFileSync(url, file.endsWith('.json') && isCompactJson(actual) ? JSON.stringify(JSON.parse(actual), null, 2) + '\n' : actual);
    return;
  }
  if (!fs.existsSync(url)) throw new Error(`golden file ${file} does not exist; run with UPDATE_GOLDENS=1 to create it`);
  const expected = fs.readFileSync(url, 'utf8');
  if (file.endsWith('.json') && actual !== expected && isCompactJson(actual)) {
    expect(actual, file).toBe(JSON.stringify(JSON.parse(expected)));
    return;
  }
  expect(actual, file).toBe(expected);
}

function isCompactJson(text: string): boolean {
  try {
    return JSON.stringify(JSON.parse(text)) === text;
  } catch {
    return false;
  }
}
