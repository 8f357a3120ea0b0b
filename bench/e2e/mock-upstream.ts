/**
 * Mock LLM upstream, run as its own process so it never shares a CPU budget with what is measured.
 * It speaks two wire formats on the same port, chosen by path:
 *
 * - `POST /v1/chat/completions`: OpenAI chat completions;
 * - `POST /v1/messages`: the Anthropic Messages API (requires `x-api-key` and `anthropic-version`,
 *   and `max_tokens` and `messages` in the body, as the real one does);
 * - `POST /fault/<429|500|reset>/v1/...`: either of the above, always answering with that fault, so a
 *   gateway provider whose base URL is `.../fault/500/v1` fails while `.../v1` on the same mock works.
 *
 * Settings come from env (undici's benchmark server does the same):
 *
 * - MOCK_PORT         port to bind on 127.0.0.1 (0: any; the port is printed)
 * - MOCK_TTFB_MS      delay before the first byte of every answer (default 0)
 * - MOCK_DELTA_MS     delay between stream deltas (default 0: all deltas in one write)
 * - MOCK_DELTAS       content deltas per stream (default 64)
 * - MOCK_FAULT        none | 429 | 500 | refused | reset  (reset: cut the connection mid-stream,
 *                     or before any byte for non-streamed requests; refused: nothing listens)
 * - MOCK_FAULT_EVERY  inject the fault on every n-th request only (default 1: all)
 *
 * Prints `mock listening on <port>` once ready. `GET /__mock/stats` returns its counters, including
 * the usage it reported per dialect (what a gateway's token accounting must add up to).
 */
import net from 'node:net';
import uWS from 'uWebSockets.js';
import { FAULT_BODIES, COMPLETION_TOKENS, completionBody, modelsBody, promptTokens, streamEvents } from './mock-payloads.js';
import { ANTHROPIC_FAULT_BODIES, anthropicModelsBody, messageBody, messageStreamEvents } from './mock-payloads-anthropic.js';

const FAULTS = ['none', '429', '500', 'refused', 'reset'] as const;
type Fault = (typeof FAULTS)[number];
/** Faults a path can ask for (`refused` needs a port nobody listens on, so it is env only). */
const PATH_FAULTS: readonly Fault[] = ['429', '500', 'reset'];
type Dialect = 'openai' | 'anthropic';

interface MockSettings {
  port: number;
  ttfbMs: number;
  deltaMs: number;
  deltas: number;
  fault: Fault;
  faultEvery: number;
}

function readSettings(env: NodeJS.ProcessEnv): MockSettings {
  const int = (name: string, fallback: number, min: number): number => {
    const raw = env[name];
    const n = raw === undefined || raw === '' ? fallback : Number(raw);
    if (!Number.isInteger(n) || n < min) throw new Error(`${name} must be an integer >= ${min}, got "${raw}"`);
    return n;
  };
  const fault = (env.MOCK_FAULT ?? 'none') as Fault;
  if (!FAULTS.includes(fault)) throw new Error(`MOCK_FAULT must be one of ${FAULTS.join(', ')}, got "${fault}"`);
  return {
    port: int('MOCK_PORT', 0, 0),
    ttfbMs: int('MOCK_TTFB_MS', 0, 0),
    deltaMs: int('MOCK_DELTA_MS', 0, 0),
    deltas: int('MOCK_DELTAS', 64, 1),
    fault,
    faultEvery: int('MOCK_FAULT_EVERY', 1, 1),
  };
}

interface Exchange {
  aborted: boolean;
  timer: NodeJS.Timeout | undefined;
}

const settings = readSettings(process.env);
const usageTotals = (): { answers: number; prompt: number; completion: number } => ({ answers: 0, prompt: 0, completion: 0 });
const stats = {
  requests: 0, streams: 0, faults: 0, aborted: 0, badRequests: 0, anthropicRequests: 0,
  /** Usage the mock put in its answers, per dialect (streams without a usage chunk add nothing). */
  usage: { openai: usageTotals(), anthropic: usageTotals() },
};
let seq = 0;

const SSE_TYPE = 'text/event-stream; charset=utf-8';
const JSON_TYPE = 'application/json';

const STATUS_LINES = { 400: '400 Bad Request', 401: '401 Unauthorized', 429: '429 Too Many Requests', 500: '500 Internal Server Error' } as const;

function respondFault(res: uWS.HttpResponse, status: 429 | 500 | 400 | 401, dialect: Dialect): void {
  res.cork(() => {
    res.writeStatus(STATUS_LINES[status]).writeHeader('content-type', JSON_TYPE);
    if (status === 429) res.writeHeader('retry-after', '1');
    res.end(dialect === 'anthropic' ? ANTHROPIC_FAULT_BODIES[status] : FAULT_BODIES[status === 401 ? 400 : status]);
  });
}

function countUsage(dialect: Dialect, prompt: number, completion: number): void {
  const u = stats.usage[dialect];
  u.answers++;
  u.prompt += prompt;
  u.completion += completion;
}

function respondStream(res: uWS.HttpResponse, ex: Exchange, events: string[], resetAfter: number): void {
  const contentEvents = settings.deltas;
  const writeHead = (): void => {
    res.writeStatus('200 OK').writeHeader('content-type', SSE_TYPE).writeHeader('cache-control', 'no-cache');
  };
  if (settings.deltaMs === 0) {
    const last = resetAfter >= 0 ? resetAfter : events.length;
    res.cork(() => {
      writeHead();
      for (let i = 0; i < last; i++) res.write(events[i]);
      if (resetAfter < 0) res.end();
    });
    if (resetAfter >= 0) {
      // Closing in the same turn could discard the corked bytes; the point is a cut *after* some deltas.
      ex.timer = setTimeout(() => {
        if (!ex.aborted) res.close();
      }, 10);
    }
    return;
  }
  let next = 0;
  const tick = (): void => {
    ex.timer = undefined;
    if (ex.aborted) return;
    if (next === resetAfter) {
      res.close();
      return;
    }
    res.cork(() => {
      if (next === 0) writeHead();
      res.write(events[next++]);
      if (next === contentEvents) {
        // What ends the stream follows the last delta at once, as both APIs send it (OpenAI: the
        // usage chunk and [DONE]; Anthropic: content_block_stop, message_delta, message_stop).
        while (next < events.length) res.write(events[next++]);
        res.end();
      }
    });
    if (next < events.length) ex.timer = setTimeout(tick, settings.deltaMs);
  };
  tick();
}

/** What the route saw before the body arrived (uWS request objects die when the handler returns). */
interface Incoming {
  dialect: Dialect;
  /** A fault the path asked for; `null`: the env settings decide. */
  pathFault: Fault | null;
  /** Anthropic only: the headers the real API insists on were present. */
  authed: boolean;
}

type Body = {
  model?: unknown; stream?: unknown; stream_options?: { include_usage?: unknown }; max_tokens?: unknown; messages?: unknown;
};

/**
 * Agent-sized bodies (P15) are not parsed in full: `JSON.parse` of 1 MB costs the mock several ms,
 * which would be noise in every target's latency alike. The fields the mock answers by are found
 * as bytes instead (bodies come from JSON.stringify, so without spaces; the generated history
 * never contains these keys). Every `FULL_PARSE_EVERY`-th request is still parsed in full, so a hop
 * that corrupts large bodies gets 400s.
 */
const SCAN_FROM_BYTES = 64 * 1024;
const FULL_PARSE_EVERY = 8;

function scanBody(raw: Buffer): Body {
  if (raw[0] !== 0x7b || raw[raw.length - 1] !== 0x7d) throw new SyntaxError('not a JSON object');
  const at = raw.indexOf('"model":"');
  const model = at < 0 ? undefined : raw.toString('utf8', at + 9, raw.indexOf('"', at + 9));
  const maxAt = raw.indexOf('"max_tokens":');
  return {
    model,
    stream: raw.includes('"stream":true'),
    stream_options: { include_usage: raw.includes('"include_usage":true') },
    max_tokens: maxAt < 0 ? undefined : Number.parseInt(raw.toString('latin1', maxAt + 13, maxAt + 24), 10),
    messages: raw.includes('"messages":[{') ? [{}] : undefined,
  };
}

function handle(res: uWS.HttpResponse, ex: Exchange, raw: Buffer, inc: Incoming): void {
  const n = ++seq;
  stats.requests++;
  const { dialect } = inc;
  if (dialect === 'anthropic') stats.anthropicRequests++;
  let body: Body;
  try {
    body = raw.length >= SCAN_FROM_BYTES && n % FULL_PARSE_EVERY !== 0 ? scanBody(raw) : JSON.parse(raw.toString('utf8'));
  } catch {
    stats.badRequests++;
    respondFault(res, 400, dialect);
    return;
  }
  if (dialect === 'anthropic' && (!inc.authed || typeof body.max_tokens !== 'number' || !Array.isArray(body.messages) || body.messages.length === 0)) {
    // A gateway that sends what the real API rejects must not look fast here.
    stats.badRequests++;
    respondFault(res, inc.authed ? 400 : 401, dialect);
    return;
  }
  const model = typeof body.model === 'string' ? body.model : 'bench-model';
  const stream = body.stream === true;
  const envFault: Fault = settings.fault !== 'none' && n % settings.faultEvery === 0 ? settings.fault : 'none';
  const fault = inc.pathFault ?? envFault;
  const bytes = raw.length;
  const act = (): void => {
    ex.timer = undefined;
    if (ex.aborted) return;
    if (fault !== 'none') stats.faults++;
    if (fault === '429' || fault === '500') {
      respondFault(res, fault === '429' ? 429 : 500, dialect);
      return;
    }
    if (!stream) {
      if (fault === 'reset') {
        res.close();
        return;
      }
      const out = dialect === 'anthropic' ? messageBody(`msg_mock${n}`, model, bytes) : completionBody(`chatcmpl-mock${n}`, model, bytes);
      countUsage(dialect, promptTokens(bytes), COMPLETION_TOKENS);
      res.cork(() => {
        res.writeStatus('200 OK').writeHeader('content-type', JSON_TYPE).end(out);
      });
      return;
    }
    stats.streams++;
    let events: string[];
    if (dialect === 'anthropic') {
      events = messageStreamEvents(`msg_mock${n}`, model, settings.deltas, bytes);
      if (fault !== 'reset') countUsage(dialect, promptTokens(bytes), settings.deltas);
    } else {
      const includeUsage = body.stream_options?.include_usage === true;
      events = streamEvents(`chatcmpl-mock${n}`, model, settings.deltas, includeUsage, bytes);
      if (includeUsage && fault !== 'reset') countUsage(dialect, promptTokens(bytes), settings.deltas);
    }
    respondStream(res, ex, events, fault === 'reset' ? Math.floor(settings.deltas / 2) : -1);
  };
  if (settings.ttfbMs > 0) ex.timer = setTimeout(act, settings.ttfbMs);
  else act();
}

/** Reads the body (uWS hands it over in chunks) and passes it to `handle`. */
function post(res: uWS.HttpResponse, inc: Incoming): void {
  const ex: Exchange = { aborted: false, timer: undefined };
  res.onAborted(() => {
    ex.aborted = true;
    stats.aborted++;
    if (ex.timer) clearTimeout(ex.timer);
  });
  let parts: Buffer[] | null = null;
  res.onData((chunk, isLast) => {
    if (isLast) {
      // uWS neuters the ArrayBuffer after this callback; a single-chunk body is read right here.
      const view = Buffer.from(chunk);
      handle(res, ex, parts === null ? view : Buffer.concat([...parts, view]), inc);
      parts = null;
    } else {
      (parts ??= []).push(Buffer.from(Buffer.from(chunk)));
    }
  });
}

function anthropicAuthed(req: uWS.HttpRequest): boolean {
  return req.getHeader('x-api-key') !== '' && req.getHeader('anthropic-version') !== '';
}

function pathFault(req: uWS.HttpRequest): Fault | null {
  const f = req.getParameter(0) as Fault;
  return PATH_FAULTS.includes(f) ? f : null;
}

function startRefusing(): void {
  // A port that was just free and is closed again: connecting to it is refused.
  const probe = net.createServer();
  probe.listen(settings.port, '127.0.0.1', () => {
    const { port } = probe.address() as net.AddressInfo;
    probe.close(() => {
      console.log(`mock listening on ${port}`);
      console.error(`mock: MOCK_FAULT=refused, nothing listens on ${port}`);
      setInterval(() => {}, 1 << 30);
    });
  });
}

function start(): void {
  if (typeof (uWS as unknown as Record<string, unknown>).SSLApp !== 'function') {
    // The JS fallback would make the mock the bottleneck and void every ratio.
    console.error('mock: uWebSockets.js native binary not loaded (JS fallback); refusing to run');
    process.exit(1);
  }
  const app = uWS.App();
  app.post('/v1/chat/completions', (res) => post(res, { dialect: 'openai', pathFault: null, authed: true }));
  app.post('/v1/messages', (res, req) => post(res, { dialect: 'anthropic', pathFault: null, authed: anthropicAuthed(req) }));
  app.post('/fault/:fault/v1/chat/completions', (res, req) => post(res, { dialect: 'openai', pathFault: pathFault(req), authed: true }));
  app.post('/fault/:fault/v1/messages', (res, req) => post(res, { dialect: 'anthropic', pathFault: pathFault(req), authed: anthropicAuthed(req) }));
  app.get('/v1/models', (res, req) => {
    // Gateways list models at start; answer in the dialect that asked.
    const anthropic = req.getHeader('anthropic-version') !== '';
    res.writeHeader('content-type', JSON_TYPE).end(anthropic ? anthropicModelsBody() : modelsBody());
  });
  app.get('/__mock/stats', (res) => {
    res.writeHeader('content-type', JSON_TYPE).end(JSON.stringify({ ...stats, settings }));
  });
  app.any('/*', (res) => {
    res.writeStatus('404 Not Found').writeHeader('content-type', JSON_TYPE)
      .end('{"error":{"message":"not found (mock)","type":"invalid_request_error","param":null,"code":null}}');
  });
  app.listen('127.0.0.1', settings.port, (token) => {
    if (!token) {
      console.error(`mock: cannot listen on 127.0.0.1:${settings.port}`);
      process.exit(1);
    }
    console.log(`mock listening on ${uWS.us_socket_local_port(token)}`);
  });
}

for (const sig of ['SIGINT', 'SIGTERM'] as const) process.on(sig, () => process.exit(0));
if (settings.fault === 'refused') startRefusing();
else start();
