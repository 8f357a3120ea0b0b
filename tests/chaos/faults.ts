/**
 * The fault catalog: every upstream fault and client attack the chaos suite sends, with what a
 * correct answer is. Each fault is one row of the report; its cases are single exchanges judged by
 * `judge()`. Importing this module starts nothing (the vitest file reads the fault names from it).
 */
import { exchange, header, jsonRequest, rawRequest, type ExchangeResult, type RawResponse, type Write } from './raw-http.js';
import { judge, type Expectation, type Secrets, type Verdict } from './judge.js';
import { FAULT_FIRST_BYTE_MS, FAULT_IDLE_MS, MOCK_CONTENT } from './shared.js';

/** What a fault needs of the running gateway (read at call time: the port changes if it is restarted). */
export interface FaultTarget {
  readonly port: number;
  readonly clientKey: string;
  readonly adminToken: string;
  readonly secrets: Secrets;
}

export interface Case {
  label: string;
  run(t: FaultTarget): Promise<Verdict>;
  /** Runs once every other case of its fault has finished (a probe of the state the fault left). */
  after?: boolean;
}

export interface Fault {
  name: string;
  kind: 'upstream' | 'attack';
  /** Fault providers (all pointing at the mock) this fault's requests go to. */
  providers: string[];
  /** Cases in the short (`--short`) or the long form. */
  cases(short: boolean): Case[];
  /** Cases run at once. */
  concurrency(short: boolean): number;
  /**
   * Faults with the same phase run at the same time (their rows share the after-phase health check).
   * Used for faults that mostly wait: stalls, drips, slow clients, and malformed HTTP that uWS holds
   * until its idle timeout.
   */
  phase?: string;
}

const CHAT = '/v1/chat/completions';
const DEFAULT_DEADLINE_MS = 15_000;

function auth(t: FaultTarget): [string, string][] {
  return [['Authorization', `Bearer ${t.clientKey}`]];
}

export function chatBody(model: string, stream: boolean, extra: Record<string, unknown> = {}): string {
  return JSON.stringify({ model, messages: [{ role: 'user', content: 'hi' }], stream, ...extra });
}

function anthropicBody(model: string, extra: Record<string, unknown> = {}): string {
  return JSON.stringify({ model, max_tokens: 16, messages: [{ role: 'user', content: 'hi' }], ...extra });
}

/** One request on its own connection, judged. */
async function send(t: FaultTarget, writes: (Buffer | string | Write)[], exp: Expectation, opts: { deadlineMs?: number; graceMs?: number; writeAfterResponse?: boolean } = {}): Promise<Verdict> {
  const result = await exchange({
    port: t.port, writes, expect: exp.responses ?? 1, deadlineMs: opts.deadlineMs ?? DEFAULT_DEADLINE_MS, graceMs: opts.graceMs,
    writeAfterResponse: opts.writeAfterResponse,
  });
  return judge(result, exp, t.secrets);
}

/** A chat request with the client key for `model`, judged by `exp`. */
function chatCase(label: string, model: string, stream: boolean, exp: Expectation, deadlineMs = DEFAULT_DEADLINE_MS, extra: Record<string, unknown> = {}): Case {
  return {
    label: `${label}${stream ? ' (stream)' : ''}`,
    run: (t) => send(t, [jsonRequest(t.port, 'POST', CHAT, chatBody(model, stream, extra), auth(t))], exp, { deadlineMs }),
  };
}

/** `n` chat cases alternating non-streamed and streamed, cycling through `models`. */
function storm(label: string, provider: string, models: string[], n: number, exp: Expectation, deadlineMs = DEFAULT_DEADLINE_MS): Case[] {
  return Array.from({ length: n }, (_, i) => chatCase(`${label} #${i + 1} ${models[i % models.length]}`, `${provider}/${models[i % models.length]}`, i % 2 === 1, exp, deadlineMs));
}

/** A storm, then (once it is over) two more requests: what the provider's circuit breaker answers afterwards. */
function stormThenProbe(label: string, provider: string, models: string[], n: number, exp: Expectation): Case[] {
  const probes = [false, true].map((stream): Case => ({ ...chatCase(`${label}: after the storm`, `${provider}/${models[0]}`, stream, exp), after: true }));
  return [...storm(label, provider, models, n, exp), ...probes];
}

const upstreamError = (statuses: number[]): Expectation => ({ dialect: 'openai', errorStatuses: statuses, streamError: true });

const n = (short: boolean, s: number, l: number): number => (short ? s : l);

/** A fault row of upstream chat requests. */
function upstream(name: string, provider: string, build: (short: boolean) => Case[], conc: [number, number] = [8, 32], phase?: string): Fault {
  return { name, kind: 'upstream', providers: [provider], cases: build, concurrency: (s) => (s ? conc[0] : conc[1]), phase };
}

function attack(name: string, build: (short: boolean) => Case[], conc: [number, number] = [8, 16], providers: string[] = [], phase?: string): Fault {
  return { name, kind: 'attack', providers, cases: build, concurrency: (s) => (s ? conc[0] : conc[1]), phase };
}

const SLOW_UPSTREAM = 'slow upstreams';
const SLOW_CLIENTS = 'slow clients';
const MALFORMED_HTTP = 'malformed HTTP';

const STALL_DEADLINE = Math.max(FAULT_FIRST_BYTE_MS, FAULT_IDLE_MS) + 10_000;

/**
 * Plain requests through the healthy `canary` provider sent while a fault is under way, one every
 * `everyMs`, each with a 3 s deadline: one bad upstream must not hold up the others (they share the
 * provider actor thread and the ingress).
 */
function canaries(during: string, count: number, everyMs: number): Case[] {
  return Array.from({ length: count }, (_, i) => ({
    label: `canary during ${during} #${i + 1}`,
    run: async (t: FaultTarget) => {
      await new Promise((r) => setTimeout(r, 300 + i * everyMs));
      return send(t, [jsonRequest(t.port, 'POST', CHAT, chatBody('canary/ok', i % 2 === 1), auth(t))], { dialect: 'openai', success: ['chat', 'stream'], content: MOCK_CONTENT }, { deadlineMs: 3000 });
    },
  }));
}

// ---------------------------------------------------------------------------------------------
// Upstream faults

const UPSTREAM: Fault[] = [
  upstream('429 storm, no Retry-After', 'f-429', (s) => stormThenProbe('429', 'f-429', ['status-429'], n(s, 8, 200), upstreamError([429, 503]))),
  upstream('429 storm, Retry-After: 1', 'f-429-ra1', (s) => stormThenProbe('429 ra 1', 'f-429-ra1', ['status-429-ra-1'], n(s, 6, 100), upstreamError([429, 503]))),
  upstream('429 storm, Retry-After: 86400', 'f-429-ra86400', (s) => stormThenProbe('429 ra 86400', 'f-429-ra86400', ['status-429-ra-86400'], n(s, 6, 100), upstreamError([429, 503]))),
  upstream('429 storm, Retry-After: 99999999999', 'f-429-rahuge', (s) => stormThenProbe('429 ra 99999999999', 'f-429-rahuge', ['status-429-ra-99999999999'], n(s, 6, 100), upstreamError([429, 503]))),
  upstream('429 storm, Retry-After: date in 2999', 'f-429-radate', (s) => stormThenProbe('429 ra date', 'f-429-radate', ['status-429-ra-date'], n(s, 6, 100), upstreamError([429, 503]))),
  upstream('5xx storm (500/502/503/504)', 'f-5xx', (s) => stormThenProbe('5xx', 'f-5xx', ['status-500', 'status-502', 'status-503', 'status-504'], n(s, 8, 200), upstreamError([502, 503, 504]))),
  upstream('reset before headers', 'f-reset-before', (s) => stormThenProbe('reset', 'f-reset-before', ['reset-before'], n(s, 4, 60), upstreamError([502, 503]))),
  upstream('reset mid-body / mid-stream', 'f-reset-mid', (s) => storm('reset mid', 'f-reset-mid', ['reset-mid'], n(s, 4, 60), upstreamError([502, 503]))),
  upstream('stall: no headers', 'f-stall-headers', (s) => storm('stall headers', 'f-stall-headers', ['stall-headers'], n(s, 4, 40), upstreamError([502, 503, 504]), STALL_DEADLINE), [4, 40], SLOW_UPSTREAM),
  upstream('stall: headers then silence', 'f-stall-body', (s) => storm('stall body', 'f-stall-body', ['stall-body'], n(s, 4, 40), upstreamError([502, 503, 504]), STALL_DEADLINE), [4, 40], SLOW_UPSTREAM),
  upstream('stall: silence mid-stream', 'f-stall-mid', (s) => storm('stall mid', 'f-stall-mid', ['stall-mid'], n(s, 4, 40), upstreamError([502, 503, 504]), STALL_DEADLINE), [4, 40], SLOW_UPSTREAM),
  upstream('drip 1 byte / 300 ms', 'f-drip', (s) => {
    const bytes = s ? 12 : 150;
    return storm('drip', 'f-drip', [`drip-${bytes}`], n(s, 2, 8),
      { dialect: 'openai', success: ['chat', 'stream'], content: MOCK_CONTENT }, bytes * 300 + 10_000);
  }, [2, 8], SLOW_UPSTREAM),
  upstream('garbage SSE', 'f-garbage', (s) => Array.from({ length: n(s, 3, 40) }, (_, i) =>
    chatCase(`garbage #${i + 1}`, 'f-garbage/garbage-sse', true, upstreamError([502, 503])))),
  upstream('SSE closed without finish_reason/[DONE]', 'f-no-done', (s) => Array.from({ length: n(s, 3, 40) }, (_, i) =>
    chatCase(`no-done #${i + 1}`, 'f-no-done/no-done', true, upstreamError([502, 503])))),
  upstream('huge SSE event (8 MB / 32 MB) + canaries', 'f-huge', (s) => {
    const mb = s ? 8 : 32;
    const events = Array.from({ length: n(s, 1, 4) }, (_, i) => chatCase(`huge event ${mb} MB #${i + 1}`, `f-huge/huge-event-${mb}`, true,
      { ...upstreamError([502, 503]), success: ['stream'], content: 'x'.repeat(mb * 1024 * 1024) }, s ? 15_000 : 60_000));
    return [...events, ...canaries('huge event', n(s, 4, 20), 1000)];
  }, [8, 30]),
  upstream('endless SSE line (72 MB, no newline) + canaries', 'f-endless', (s) => [
    ...Array.from({ length: n(s, 1, 3) }, (_, i) => chatCase(`endless event #${i + 1}`, 'f-endless/endless-event-72', true, upstreamError([502, 503]), 10_000)),
    ...canaries('endless line', n(s, 4, 12), 1000),
  ], [8, 16]),
  upstream('200 text/html', 'f-html', (s) => storm('html', 'f-html', ['html'], n(s, 4, 40), upstreamError([502, 503]))),
  upstream('truncated JSON (200)', 'f-truncated', (s) => storm('truncated', 'f-truncated', ['truncated-json'], n(s, 4, 40), upstreamError([502, 503]))),
  upstream('4xx/5xx echoing Authorization', 'f-echo', (s) => stormThenProbe('echo', 'f-echo', ['echo-401', 'echo-400-text', 'echo-500'], n(s, 6, 60),
    upstreamError([400, 401, 502, 503]))),
  upstream('deeply nested JSON answer', 'f-nested', (s) => storm('nested', 'f-nested', [s ? 'nested-100000' : 'nested-1000000'], n(s, 2, 10),
    { ...upstreamError([502, 503]), success: ['chat', 'stream'] }, 30_000), [2, 4]),
];

// ---------------------------------------------------------------------------------------------
// Attacks

function nestedArray(depth: number): string {
  return '['.repeat(depth) + ']'.repeat(depth);
}

const ROUTE_DIALECT: Record<string, Expectation['dialect']> = {
  '/v1/chat/completions': 'openai', '/v1/messages': 'anthropic', '/v1/responses': 'openai', '/v1/embeddings': 'openai', '/v1/completions': 'openai',
};

function malformedJson(s: boolean): Case[] {
  const bodies: [string, Buffer][] = [
    ['open brace', Buffer.from('{')],
    ['unterminated array', Buffer.from('{"model":"canary/ok","messages":[}')],
    ['bare word', Buffer.from('nul')],
    ['array', Buffer.from('[]')],
    ['string', Buffer.from('"x"')],
    ['trailing garbage', Buffer.from(`${chatBody('canary/ok', false)}garbage`)],
    ['NUL byte', Buffer.from('{"model":"canary/ok",\u0000"messages":[]}')],
    ['empty body', Buffer.alloc(0)],
    ['invalid UTF-8 in a string', Buffer.concat([Buffer.from('{"model":"canary/ok","messages":[{"role":"user","content":"'), Buffer.from([0xff, 0xfe, 0xc3]), Buffer.from('"}]}')])],
    ['lone surrogate escape', Buffer.from('{"model":"canary/ok","messages":[{"role":"user","content":"\\ud800"}]}')],
    ['number overflow', Buffer.from(`{"model":"canary/ok","max_tokens":1e999999,"messages":[{"role":"user","content":"hi"}]}`)],
  ];
  const routes = s ? ['/v1/chat/completions', '/v1/messages', '/v1/responses'] : Object.keys(ROUTE_DIALECT);
  const lenient = new Set(['invalid UTF-8 in a string', 'lone surrogate escape', 'number overflow']);
  const cases: Case[] = [];
  for (const route of routes) {
    for (const [label, body] of bodies) {
      // A lenient decoder may accept these three as valid requests; anything but a crash or a 5xx is fine for them.
      const exp: Expectation = { dialect: ROUTE_DIALECT[route]!, errorStatuses: [400, 413, 415], success: lenient.has(label) ? ['json'] : undefined };
      cases.push({ label: `${route} ${label}`, run: (t) => send(t, [jsonRequest(t.port, 'POST', route, body, auth(t))], exp) });
    }
  }
  return cases;
}

function mcpHeaders(t: FaultTarget): [string, string][] {
  return [...auth(t), ['Accept', 'application/json, text/event-stream'], ['MCP-Protocol-Version', '2025-06-18']];
}

function deepJson(s: boolean): Case[] {
  const depths = s ? [5_000, 100_000] : [5_000, 20_000, 100_000, 1_000_000];
  const cases: Case[] = [];
  for (const d of depths) {
    const deep = nestedArray(d);
    const badRequest = (dialect: Expectation['dialect']): Expectation => ({ dialect, errorStatuses: [400, 413] });
    cases.push(
      { label: `chat, extra field ${d} deep`, run: (t) => send(t, [jsonRequest(t.port, 'POST', CHAT, chatBody('canary/ok', false).replace(/}$/, `,"metadata":${deep}}`), auth(t))], badRequest('openai')) },
      { label: `chat, message content ${d} deep (stream)`, run: (t) => send(t, [jsonRequest(t.port, 'POST', CHAT, `{"model":"canary/ok","stream":true,"messages":[{"role":"user","content":${deep}}]}`, auth(t))], badRequest('openai')) },
      { label: `chat, whole body ${d} deep`, run: (t) => send(t, [jsonRequest(t.port, 'POST', CHAT, deep, auth(t))], badRequest('openai')) },
      { label: `messages, content ${d} deep`, run: (t) => send(t, [jsonRequest(t.port, 'POST', '/v1/messages', `{"model":"canary/ok","max_tokens":16,"messages":[{"role":"user","content":${deep}}]}`, [...auth(t), ['anthropic-version', '2023-06-01']])], badRequest('anthropic')) },
      { label: `messages, tools ${d} deep`, run: (t) => send(t, [jsonRequest(t.port, 'POST', '/v1/messages', anthropicBody('canary/ok').replace(/}$/, `,"tools":[{"name":"x","input_schema":${deep}}]}`), [...auth(t), ['anthropic-version', '2023-06-01']])], badRequest('anthropic')) },
      { label: `mcp initialize, params ${d} deep`, run: (t) => send(t, [jsonRequest(t.port, 'POST', '/mcp', `{"jsonrpc":"2.0","id":1,"method":"initialize","params":{"protocolVersion":"2025-06-18","capabilities":{},"clientInfo":{"name":"chaos","version":"1"},"x":${deep}}}`, mcpHeaders(t))], badRequest('jsonrpc')) },
      { label: `mcp, body ${d} deep (batch)`, run: (t) => send(t, [jsonRequest(t.port, 'POST', '/mcp', deep, mcpHeaders(t))], badRequest('jsonrpc')) },
    );
  }
  return cases;
}

function hugeBodies(s: boolean): Case[] {
  const over = 11 * 1024 * 1024;
  const filler = (size: number): Buffer => {
    const head = Buffer.from('{"model":"canary/ok","messages":[{"role":"user","content":"');
    const tail = Buffer.from('"}]}');
    return Buffer.concat([head, Buffer.alloc(size - head.length - tail.length, 'a'), tail]);
  };
  const big = filler(over);
  const tooLarge = (dialect: Expectation['dialect']): Expectation => ({ dialect, errorStatuses: [413], mustClose: true });
  const host = (t: FaultTarget): [string, string] => ['Host', `127.0.0.1:${t.port}`];
  const cases: Case[] = [
    { label: 'chat, 11 MiB with Content-Length', run: (t) => send(t, [jsonRequest(t.port, 'POST', CHAT, big, auth(t))], tooLarge('openai'), { graceMs: 300 }) },
    {
      label: 'chat, Content-Length 11 MiB announced, 1 KiB sent',
      run: (t) => send(t, [rawRequest('POST', CHAT, [host(t), ...auth(t), ['Content-Type', 'application/json'], ['Content-Length', String(over)]], big.subarray(0, 1024))], tooLarge('openai'), { deadlineMs: 8000, graceMs: 300 }),
    },
    {
      label: 'chat, 11 MiB chunked (no Content-Length)',
      run: (t) => {
        const chunks: Buffer[] = [rawRequest('POST', CHAT, [host(t), ...auth(t), ['Content-Type', 'application/json'], ['Transfer-Encoding', 'chunked']])];
        for (let i = 0; i < big.length; i += 1024 * 1024) {
          const part = big.subarray(i, i + 1024 * 1024);
          chunks.push(Buffer.from(`${part.length.toString(16)}\r\n`), part, Buffer.from('\r\n'));
        }
        chunks.push(Buffer.from('0\r\n\r\n'));
        return send(t, [Buffer.concat(chunks)], tooLarge('openai'), { graceMs: 300 });
      },
    },
    { label: 'messages, 11 MiB', run: (t) => send(t, [jsonRequest(t.port, 'POST', '/v1/messages', big, [...auth(t), ['anthropic-version', '2023-06-01']])], tooLarge('anthropic'), { graceMs: 300 }) },
    { label: 'mcp, 11 MiB', run: (t) => send(t, [jsonRequest(t.port, 'POST', '/mcp', big, mcpHeaders(t))], tooLarge('jsonrpc'), { graceMs: 300 }) },
    { label: 'oauth/token, 1 MiB (limit 64 KiB)', run: (t) => send(t, [jsonRequest(t.port, 'POST', '/oauth/token', filler(1024 * 1024))], tooLarge('oauth'), { graceMs: 300 }) },
  ];
  return s ? cases : [...cases, ...cases, ...cases];
}

/** Cases that dribble a request slowly on `conns` connections, plus canaries that must stay fast meanwhile. */
function slowCases(kind: 'headers' | 'body', s: boolean): Case[] {
  const conns = s ? 20 : 200;
  const dribbleMs = s ? 3_000 : 20_000;
  const stepMs = 250;
  const cases: Case[] = [];
  for (let i = 0; i < conns; i++) {
    cases.push({
      label: `slow ${kind} #${i + 1}`,
      run: (t) => {
        const body = chatBody('canary/ok', false);
        const full = kind === 'headers'
          ? rawRequest('GET', '/health', [['Host', `127.0.0.1:${t.port}`], ['User-Agent', 'chaos-slowloris'], ['X-Padding', 'p'.repeat(200)]])
          : jsonRequest(t.port, 'POST', CHAT, body, auth(t));
        const slowFrom = kind === 'headers' ? 0 : full.length - Buffer.byteLength(body);
        const slowBytes = Math.floor(dribbleMs / stepMs);
        const writes: Write[] = [];
        if (slowFrom > 0) writes.push({ data: full.subarray(0, slowFrom) });
        for (let j = 0; j < slowBytes && slowFrom + j < full.length - 1; j++) writes.push({ data: full.subarray(slowFrom + j, slowFrom + j + 1), delayMs: stepMs });
        const sentSlow = writes.reduce((a, w) => a + Buffer.from(w.data).length, 0);
        writes.push({ data: full.subarray(sentSlow), delayMs: stepMs });
        // Correct: the full request is answered, or the server gave up on the slow client and closed.
        const exp: Expectation = { dialect: 'openai', success: kind === 'headers' ? ['json'] : ['chat'], closeOk: true, content: kind === 'body' ? MOCK_CONTENT : undefined };
        return send(t, writes, exp, { deadlineMs: dribbleMs + 15_000 });
      },
    });
  }
  cases.push(...canaries(`slow ${kind}`, Math.ceil(dribbleMs / 500), 500));
  return cases;
}

const INJECTED_MODELS: [string, string][] = [
  ['CRLF header', 'canary/ok\r\nX-Injected: yes'],
  ['bare LF header', 'canary/ok\nX-Injected: yes'],
  ['bare CR header', 'canary/ok\rX-Injected: yes'],
  ['NUL', 'canary/ok\u0000X-Injected: yes'],
  ['CRLF second response', 'canary/ok\r\nContent-Length: 0\r\n\r\nHTTP/1.1 200 OK\r\nX-Injected: yes\r\nContent-Length: 0\r\n\r\n'],
  ['unicode line separators', 'canary/ok\u2028X-Injected: yes\u0085'],
];

function injectedModels(s: boolean): Case[] {
  const cases: Case[] = [];
  const exp: Expectation = { dialect: 'openai', errorStatuses: [400, 404], success: ['chat', 'stream'] };
  for (const [label, model] of INJECTED_MODELS) {
    cases.push(chatCase(`model: ${label}`, model, false, exp), chatCase(`model: ${label}`, model, true, exp));
    cases.push(chatCase(`models[] fallback: ${label}`, 'f-5xx/status-500', false, exp, DEFAULT_DEADLINE_MS, { models: [model] }));
    cases.push({ label: `messages model: ${label}`, run: (t) => send(t, [jsonRequest(t.port, 'POST', '/v1/messages', anthropicBody(model), [...auth(t), ['anthropic-version', '2023-06-01']])], { dialect: 'anthropic', errorStatuses: [400, 404], success: ['json'] }) });
    cases.push({ label: `responses model: ${label}`, run: (t) => send(t, [jsonRequest(t.port, 'POST', '/v1/responses', JSON.stringify({ model, input: 'hi' }), auth(t))], { dialect: 'openai', errorStatuses: [400, 404], success: ['json'] }) });
    if (!s) cases.push({ label: `embeddings model: ${label}`, run: (t) => send(t, [jsonRequest(t.port, 'POST', '/v1/embeddings', JSON.stringify({ model, input: 'hi' }), auth(t))], { dialect: 'openai', errorStatuses: [400, 404, 502], success: ['json'] }) });
  }
  return cases;
}

function injectedHeaders(_s: boolean): Case[] {
  // Raw bytes: these headers are malformed on purpose. Closing the connection without an answer is a correct reaction.
  const exp: Expectation = { dialect: 'any', errorStatuses: [400, 403, 404, 431], success: ['json', 'chat'], closeOk: true };
  const variants: [string, [string, string][]][] = [
    ['Origin with bare LF', [['Origin', 'http://localhost/\nX-Injected: yes']]],
    ['Origin with bare CR', [['Origin', 'http://localhost/\rX-Injected: yes']]],
    ['Origin with NUL', [['Origin', 'http://localhost/\u0000X-Injected: yes']]],
    ['folded Origin (obs-fold)', [['Origin', 'http://localhost\r\n X-Injected: yes']]],
    ['NUL in a header value', [['X-Chaos', 'a\u0000b']]],
    ['NUL after the key', [['X-Chaos', 'ok']]],
    ['space in a header name', [['X Injected', 'yes']]],
    ['CR in a header name', [['X-Chaos\rX-Injected', 'yes']]],
    ['header without colon', [['X-Chaos-no-colon', '']]],
    ['8 KiB header value with CRLF in the middle', [['X-Chaos', `${'a'.repeat(8192)}\r\nX-Injected: yes`]]],
  ];
  const cases: Case[] = [];
  for (const [label, extra] of variants) {
    for (const [method, path, body] of [['GET', '/v1/models', undefined], ['POST', CHAT, chatBody('canary/ok', false)]] as const) {
      cases.push({
        label: `${method} ${path}: ${label}`,
        run: (t) => {
          const key = label === 'NUL after the key' ? `Bearer ${t.clientKey}\u0000` : `Bearer ${t.clientKey}`;
          const headers: [string, string][] = [['Host', `127.0.0.1:${t.port}`], ['Authorization', key], ...extra];
          if (body !== undefined) headers.push(['Content-Type', 'application/json'], ['Content-Length', String(Buffer.byteLength(body))]);
          let bytes = rawRequest(method, path, headers, body);
          if (label === 'header without colon') bytes = Buffer.from(bytes.toString('latin1').replace('X-Chaos-no-colon: ', 'X-Chaos-no-colon'), 'latin1');
          return send(t, [bytes], exp);
        },
      });
    }
  }
  return cases;
}

function injectedPaths(_s: boolean): Case[] {
  const exp: Expectation = { dialect: 'any', errorStatuses: [400, 401, 404, 414, 431], success: ['json'], closeOk: true };
  const paths: [string, string][] = [
    ['encoded CRLF', '/health%0d%0aX-Injected:%20yes'],
    ['encoded CRLF redirect', '/%0d%0aLocation:%20http://evil.example/%0d%0aX-Injected:%20yes'],
    ['encoded NUL', '/v1/models%00'],
    ['raw NUL', '/he\u0000alth'],
    ['bare CR', '/health\rX-Injected: yes'],
    ['bare LF', '/health\nX-Injected: yes'],
    ['raw tab and space', '/health\tX-Injected: yes'],
    ['100 KiB path', `/v1/${'a'.repeat(100 * 1024)}`],
    ['encoded CRLF in the query', '/v1/models?x=%0d%0aX-Injected:%20yes'],
  ];
  const cases: Case[] = [];
  for (const [label, path] of paths) {
    cases.push({ label: `path: ${label}`, run: (t) => send(t, [rawRequest('GET', path, [['Host', `127.0.0.1:${t.port}`], ...auth(t)])], exp) });
  }
  return cases;
}

function megabyteModel(s: boolean): Case[] {
  const big = 'a'.repeat(1024 * 1024);
  const exp: Expectation = { dialect: 'openai', errorStatuses: [400, 404, 413] };
  const cases: Case[] = [
    chatCase('bare 1 MB model', big, false, exp), chatCase('bare 1 MB model', big, true, exp),
    chatCase('canary/ok + 1 MB model', `canary/ok${big}`, false, exp), chatCase('canary/ok + 1 MB model', `canary/ok${big}`, true, exp),
    chatCase('1 MB provider name', `${big}/ok`, false, exp),
    chatCase('models[] of 1 MB ids', 'f-5xx/status-500', false, exp, DEFAULT_DEADLINE_MS, { models: [`canary/ok${big}`, big] }),
    { label: 'messages 1 MB model', run: (t) => send(t, [jsonRequest(t.port, 'POST', '/v1/messages', anthropicBody(`canary/ok${big}`), [...auth(t), ['anthropic-version', '2023-06-01']])], { dialect: 'anthropic', errorStatuses: [400, 404, 413] }) },
  ];
  return s ? cases : [...cases, ...cases];
}

function pipelining(s: boolean): Case[] {
  const isHealth = (r: RawResponse): string[] => (/"status"/.test(r.body.toString()) ? [] : [`expected the /health answer here, got ${r.status} ${r.body.toString().slice(0, 60)}`]);
  const isChat = (r: RawResponse): string[] => (r.body.toString().includes('choices') ? [] : [`expected a chat answer here, got ${r.status} ${r.body.toString().slice(0, 60)}`]);
  const isModels = (r: RawResponse): string[] => (r.body.toString().includes('"object":"list"') ? [] : [`expected the /v1/models answer here, got ${r.status} ${r.body.toString().slice(0, 60)}`]);
  const ordered = (checks: ((r: RawResponse) => string[])[]) => (res: RawResponse, i: number): string[] => checks[i]?.(res) ?? [];
  // uWebSockets.js serves pipelined requests only while each is answered before the next is parsed;
  // a request arriving behind one still in flight makes it close the connection (its documented
  // refusal of async pipelining, README "Limits"). The in-flight request is aborted upstream and
  // logged as 499, so nothing is lost silently: for those cases the refusal is the correct answer.
  const build = (label: string, reqs: ((t: FaultTarget) => Buffer)[], checks: ((r: RawResponse) => string[])[], refusedAsync = false): Case => ({
    label: refusedAsync ? `${label} (async: refused by closing)` : label,
    run: async (t) => {
      const result = await exchange({ port: t.port, writes: [Buffer.concat(reqs.map((r) => r(t)))], expect: reqs.length, deadlineMs: DEFAULT_DEADLINE_MS, graceMs: 200 });
      const v = judge(result, { dialect: 'openai', success: ['json', 'chat', 'stream'], responses: reqs.length, closeOk: refusedAsync }, t.secrets);
      const order = result.responses.slice(0, reqs.length).flatMap((r, i) => ordered(checks)(r, i));
      return { ...v, correct: v.correct && order.length === 0, problems: [...v.problems, ...order] };
    },
  });
  const health = (t: FaultTarget): Buffer => rawRequest('GET', '/health', [['Host', `127.0.0.1:${t.port}`]]);
  const chat = (stream: boolean) => (t: FaultTarget): Buffer => jsonRequest(t.port, 'POST', CHAT, chatBody('canary/ok', stream), auth(t));
  const models = (t: FaultTarget): Buffer => rawRequest('GET', '/v1/models', [['Host', `127.0.0.1:${t.port}`], ...auth(t)]);
  const cases = [
    build('3 x GET /health', [health, health, health], [isHealth, isHealth, isHealth]),
    build('GET /health + POST chat + GET /v1/models', [health, chat(false), models], [isHealth, isChat, isModels], true),
    build('POST chat (stream) + POST chat + GET /health', [chat(true), chat(false), health], [(r) => (r.body.toString().includes('[DONE]') ? [] : ['expected the stream first']), isChat, isHealth], true),
    build('10 x POST chat', Array.from({ length: 10 }, () => chat(false)), Array.from({ length: 10 }, () => isChat), true),
  ];
  return s ? cases : [...cases, ...cases, ...cases];
}

/** A request whose framing disagrees, with a smuggled request after the shorter reading. */
function smuggle(label: string, headers: (t: FaultTarget, body: string) => [string, string][], body: (smuggled: string) => string, exp: Expectation): Case {
  return {
    label,
    run: (t) => {
      const smuggled = `GET /v1/models HTTP/1.1\r\nHost: 127.0.0.1:${t.port}\r\n\r\n`;
      const b = body(smuggled);
      return send(t, [rawRequest('POST', CHAT, [['Host', `127.0.0.1:${t.port}`], ...auth(t), ['Content-Type', 'application/json'], ...headers(t, b)], b)], exp, { graceMs: 400 });
    },
  };
}

function duplicateContentLength(s: boolean): Case[] {
  const exp: Expectation = { dialect: 'any', errorStatuses: [400], closeOk: true, mustClose: true };
  const json = '{"x":1}';
  const cases: Case[] = [
    smuggle('CL short then long', (_t, b) => [['Content-Length', String(json.length)], ['Content-Length', String(b.length)]], (sm) => json + sm, exp),
    smuggle('CL long then short', (_t, b) => [['Content-Length', String(b.length)], ['Content-Length', String(json.length)]], (sm) => json + sm, exp),
    smuggle('CL list "7, 50"', (_t, b) => [['Content-Length', `${json.length}, ${b.length}`]], (sm) => json + sm, exp),
    smuggle('CL with sign "+7"', () => [['Content-Length', `+${json.length}`]], (sm) => json + sm, exp),
    {
      label: 'identical duplicate CL (valid request)',
      run: (t) => {
        const body = chatBody('canary/ok', false);
        return send(t, [rawRequest('POST', CHAT, [['Host', `127.0.0.1:${t.port}`], ...auth(t), ['Content-Type', 'application/json'], ['Content-Length', String(body.length)], ['Content-Length', String(body.length)]], body)],
          { dialect: 'any', errorStatuses: [400], success: ['chat'], closeOk: true }, { graceMs: 300 });
      },
    },
  ];
  return s ? cases : [...cases, ...cases, ...cases];
}

function transferEncodingAndLength(s: boolean): Case[] {
  // RFC 9112 §6.1: reject, or read by Transfer-Encoding alone; either way close the connection afterwards.
  const exp: Expectation = { dialect: 'any', errorStatuses: [400, 411, 501], success: ['chat', 'json'], closeOk: true, mustClose: true };
  const chunkedOf = (text: string): string => `${Buffer.byteLength(text).toString(16)}\r\n${text}\r\n0\r\n\r\n`;
  const valid = chatBody('canary/ok', false);
  const cases: Case[] = [
    smuggle('TE chunked + CL (CL covers the smuggled request)', (_t, b) => [['Transfer-Encoding', 'chunked'], ['Content-Length', String(b.length)]], (sm) => chunkedOf(valid) + sm, exp),
    smuggle('CL + TE chunked (TE reading leaves a smuggled request)', () => [['Content-Length', '4'], ['Transfer-Encoding', 'chunked']], (sm) => chunkedOf(valid) + sm, exp),
    smuggle('TE "chunked, identity" + CL', (_t, b) => [['Transfer-Encoding', 'chunked, identity'], ['Content-Length', String(b.length)]], (sm) => chunkedOf(valid) + sm, exp),
    smuggle('obfuscated TE "xchunked" + CL', () => [['Transfer-Encoding', 'xchunked'], ['Content-Length', String(Buffer.byteLength(valid))]], (sm) => valid + sm, exp),
    smuggle('TE with a space before the colon', (_t, b) => [['Transfer-Encoding ', 'chunked'], ['Content-Length', String(b.length)]], (sm) => chunkedOf(valid) + sm, exp),
  ];
  return s ? cases : [...cases, ...cases, ...cases];
}

const LLM_ROUTES: [string, string, string | undefined][] = [
  ['GET', '/v1/models', undefined], ['POST', '/v1/chat/completions', chatBody('canary/ok', false)], ['POST', '/v1/embeddings', '{"model":"canary/ok","input":"hi"}'],
  ['POST', '/v1/responses', '{"model":"canary/ok","input":"hi"}'], ['POST', '/v1/completions', '{"model":"canary/ok","prompt":"hi"}'],
  ['POST', '/v1/messages', anthropicBody('canary/ok')], ['POST', '/v1/messages/count_tokens', anthropicBody('canary/ok')], ['GET', '/v1/generation?id=gen-0', undefined],
  ['GET', '/models', undefined], ['POST', '/chat/completions', chatBody('canary/ok', false)], ['POST', '/responses', '{"model":"canary/ok","input":"hi"}'],
  ['POST', '/completions', '{"model":"canary/ok","prompt":"hi"}'], ['POST', '/embeddings', '{"model":"canary/ok","input":"hi"}'], ['GET', '/generation?id=gen-0', undefined],
];
const MCP_ROUTES: [string, string, string | undefined][] = [
  ['POST', '/mcp', '{"jsonrpc":"2.0","id":1,"method":"initialize","params":{"protocolVersion":"2025-06-18","capabilities":{},"clientInfo":{"name":"chaos","version":"1"}}}'],
  ['GET', '/mcp', undefined], ['DELETE', '/mcp', undefined], ['GET', '/sse', undefined], ['POST', '/messages?sessionId=x', '{"jsonrpc":"2.0","id":1,"method":"ping"}'],
  ['GET', '/mcp/sse', undefined], ['POST', '/mcp/messages?sessionId=x', '{"jsonrpc":"2.0","id":1,"method":"ping"}'],
];
const ADMIN_ROUTES = ['/api/stats/summary', '/api/stats/timeseries', '/api/logs', '/api/stats/live', '/api/providers', '/api/mcp/servers'];

function authBypass(s: boolean): Case[] {
  const cases: Case[] = [];
  const deny = (dialect: Expectation['dialect'], statuses = [401, 403]): Expectation => ({ dialect, errorStatuses: statuses, maxErrorBody: 4096 });
  const req = (t: FaultTarget, method: string, path: string, body: string | undefined, extra: [string, string][]): Buffer =>
    jsonRequest(t.port, method, path, body, [...extra, ...(path.startsWith('/mcp') || path === '/sse' ? [['Accept', 'application/json, text/event-stream'] as [string, string]] : [])]);
  const wrongKey = 'lr-' + 'A'.repeat(43);
  // Every route without a key and with a wrong one.
  for (const [method, path, body] of [...LLM_ROUTES, ...MCP_ROUTES]) {
    const dialect: Expectation['dialect'] = path.includes('messages') && !path.includes('sessionId') ? 'anthropic' : path.startsWith('/mcp') || path.startsWith('/sse') || path.startsWith('/messages') ? 'jsonrpc' : 'openai';
    cases.push({ label: `${method} ${path} without a key`, run: (t) => send(t, [req(t, method, path, body, [])], deny(dialect)) });
    cases.push({ label: `${method} ${path} with a wrong key`, run: (t) => send(t, [req(t, method, path, body, [['Authorization', `Bearer ${wrongKey}`]])], deny(dialect)) });
    cases.push({ label: `${method} ${path} with the admin token`, run: (t) => send(t, [req(t, method, path, body, [['Authorization', `Bearer ${t.adminToken}`]])], deny(dialect)) });
  }
  // The client key in places that are not auth.
  const odd: [string, (t: FaultTarget) => { path?: string; headers: [string, string][]; body?: string }][] = [
    ['key in ?api_key=', (t) => ({ path: `${CHAT}?api_key=${t.clientKey}`, headers: [] })],
    ['key in ?key=', (t) => ({ path: `${CHAT}?key=${t.clientKey}`, headers: [] })],
    ['key in ?token= (MCP only)', (t) => ({ path: `${CHAT}?token=${t.clientKey}`, headers: [] })],
    ['key in a cookie', (t) => ({ headers: [['Cookie', `api_key=${t.clientKey}; token=${t.clientKey}`]] })],
    ['key in the body', (t) => ({ headers: [], body: chatBody('canary/ok', false, { api_key: t.clientKey, key: t.clientKey }) })],
    ['Authorization without scheme', (t) => ({ headers: [['Authorization', t.clientKey]] })],
    ['Authorization: Token', (t) => ({ headers: [['Authorization', `Token ${t.clientKey}`]] })],
    ['Authorization: Basic key:', (t) => ({ headers: [['Authorization', `Basic ${Buffer.from(`${t.clientKey}:`).toString('base64')}`]] })],
    ['Authorization: Basic chaos:key', (t) => ({ headers: [['Authorization', `Basic ${Buffer.from(`chaos:${t.clientKey}`).toString('base64')}`]] })],
    ['Proxy-Authorization', (t) => ({ headers: [['Proxy-Authorization', `Bearer ${t.clientKey}`]] })],
    ['x-api-key with a Bearer prefix', (t) => ({ headers: [['x-api-key', `Bearer ${t.clientKey}`]] })],
    ['key prefix only', (t) => ({ headers: [['Authorization', `Bearer ${t.clientKey.slice(0, 12)}`]] })],
    ['key plus a suffix', (t) => ({ headers: [['Authorization', `Bearer ${t.clientKey}x`]] })],
    ['key minus its last character', (t) => ({ headers: [['Authorization', `Bearer ${t.clientKey.slice(0, -1)}`]] })],
    ['wrong key in Authorization, right key in x-api-key', (t) => ({ headers: [['Authorization', `Bearer ${wrongKey}`], ['x-api-key', t.clientKey]] })],
    ['OAuth token without a signature', () => ({ headers: [['Authorization', `Bearer lrt-${Buffer.from('{"c":"c_chaos","k":"0000000000000000","e":9999999999}').toString('base64url')}.`]] })],
    ['JWT alg none', () => ({ headers: [['Authorization', 'Bearer eyJhbGciOiJub25lIiwidHlwIjoiSldUIn0.eyJzdWIiOiJjaGFvcyJ9.']] })],
  ];
  for (const [label, build] of odd) {
    cases.push({
      label: `chat: ${label}`,
      run: (t) => {
        const r = build(t);
        return send(t, [jsonRequest(t.port, 'POST', r.path ?? CHAT, r.body ?? chatBody('canary/ok', false), r.headers)], deny('openai'));
      },
    });
  }
  // Admin routes: no token, a wrong one, the client key (Bearer and x-api-key), the admin token in the query, path tricks.
  for (const route of ADMIN_ROUTES) {
    cases.push(
      { label: `${route} without a token`, run: (t) => send(t, [req(t, 'GET', route, undefined, [])], deny('openai')) },
      { label: `${route} with a wrong token`, run: (t) => send(t, [req(t, 'GET', route, undefined, [['Authorization', 'Bearer lra-wrongwrongwrongwrong']])], deny('openai')) },
      { label: `${route} with the client key`, run: (t) => send(t, [req(t, 'GET', route, undefined, auth(t))], deny('openai')) },
      { label: `${route} with the client key in x-api-key`, run: (t) => send(t, [req(t, 'GET', route, undefined, [['x-api-key', t.clientKey]])], deny('openai')) },
      { label: `${route}?token=<admin token>`, run: (t) => send(t, [req(t, 'GET', `${route}?token=${t.adminToken}`, undefined, [])], deny('openai')) },
      { label: `${route} with a cookie of the admin token`, run: (t) => send(t, [req(t, 'GET', route, undefined, [['Cookie', `token=${t.adminToken}`]])], deny('openai')) },
    );
    for (const variant of [`${route}/`, route.toUpperCase(), `/${route}`, route.replace('/api/', '/api//'), `/v1/..${route}`, route.replace('/api', '/%61pi'), `${route};x`, `${route}%00`, `${route}%2f`]) {
      cases.push({ label: `${variant} with the client key`, run: (t) => send(t, [req(t, 'GET', variant, undefined, auth(t))], deny('any', [400, 401, 403, 404, 405])) });
    }
  }
  cases.push({ label: 'POST /api/stats/summary with the client key', run: (t) => send(t, [req(t, 'POST', '/api/stats/summary', '{}', auth(t))], deny('any', [401, 403, 404, 405])) });
  return s ? cases : [...cases, ...cases];
}

function badHostOrigin(s: boolean): Case[] {
  const forbidden: Expectation = {
    dialect: 'openai', errorStatuses: [400, 403],
    extra: (r) => (header(r, 'access-control-allow-origin') !== undefined ? [`access-control-allow-origin: ${header(r, 'access-control-allow-origin')} on a refused request`] : []),
  };
  const hosts: [string, (port: number) => [string, string][]][] = [
    ['Host: evil.example', () => [['Host', 'evil.example']]],
    ['Host: evil.example:<port>', (p) => [['Host', `evil.example:${p}`]]],
    ['Host: localhost.evil.example', () => [['Host', 'localhost.evil.example']]],
    ['Host: 127.0.0.1.nip.io', () => [['Host', '127.0.0.1.nip.io']]],
    ['Host: localhost@evil.example', () => [['Host', 'localhost@evil.example']]],
    ['Host: evil.example@localhost', () => [['Host', 'evil.example@localhost']]],
    ['Host: [::1].evil.example', () => [['Host', '[::1].evil.example']]],
    ['Host: 0.0.0.0', () => [['Host', '0.0.0.0']]],
    ['Host: 2130706433 (decimal 127.0.0.1)', () => [['Host', '2130706433']]],
    ['empty Host', () => [['Host', '']]],
    ['no Host', () => []],
    ['Host: localhost then Host: evil.example', () => [['Host', 'localhost'], ['Host', 'evil.example']]],
    ['Host: evil.example then Host: localhost', () => [['Host', 'evil.example'], ['Host', 'localhost']]],
  ];
  const origins = ['http://evil.example', 'null', 'http://localhost.evil.example', 'http://127.0.0.1.evil.example', 'http://localhost@evil.example',
    'http://evil.example:3625', 'file://', 'chrome-extension://abcdef', 'http://[::1].evil.example', 'http://localhost%2eevil.example'];
  const cases: Case[] = [];
  for (const [label, hdrs] of hosts) {
    // HTTP/1.1 without Host is malformed HTTP: a close without an answer is accepted for it.
    const exp = { ...forbidden, closeOk: label === 'no Host' };
    cases.push({ label: `GET /v1/models ${label}`, run: (t) => send(t, [rawRequest('GET', '/v1/models', [...hdrs(t.port), ...auth(t)])], exp) });
    cases.push({
      label: `POST chat ${label}`,
      run: (t) => {
        const body = chatBody('canary/ok', false);
        return send(t, [rawRequest('POST', CHAT, [...hdrs(t.port), ...auth(t), ['Content-Type', 'application/json'], ['Content-Length', String(body.length)]], body)], exp);
      },
    });
  }
  cases.push({ label: 'HTTP/1.0 GET /v1/models without Host', run: (t) => send(t, [Buffer.from(`GET /v1/models HTTP/1.0\r\nAuthorization: Bearer ${t.clientKey}\r\n\r\n`)], { ...forbidden, closeOk: true }) });
  for (const origin of origins) {
    cases.push({ label: `POST chat Origin: ${origin}`, run: (t) => send(t, [jsonRequest(t.port, 'POST', CHAT, chatBody('canary/ok', false), [...auth(t), ['Origin', origin]])], forbidden) });
    cases.push({ label: `OPTIONS preflight Origin: ${origin}`, run: (t) => send(t, [rawRequest('OPTIONS', CHAT, [['Host', `127.0.0.1:${t.port}`], ['Origin', origin], ['Access-Control-Request-Method', 'POST'], ['Access-Control-Request-Headers', 'authorization']])], forbidden) });
    cases.push({ label: `GET /api/stats/summary Origin: ${origin} (admin token)`, run: (t) => send(t, [rawRequest('GET', '/api/stats/summary', [['Host', `127.0.0.1:${t.port}`], ['Authorization', `Bearer ${t.adminToken}`], ['Origin', origin]])], forbidden) });
  }
  return s ? cases : [...cases, ...cases];
}

const ATTACKS: Fault[] = [
  attack('malformed JSON', malformedJson),
  attack('nested JSON 5,000+ levels (chat, messages, mcp)', deepJson, [4, 4]),
  attack('huge bodies (over max_body_bytes)', hugeBodies, [2, 2]),
  attack('slowloris: slow headers', (s) => slowCases('headers', s), [40, 300], [], SLOW_CLIENTS),
  attack('slow body', (s) => slowCases('body', s), [40, 300], [], SLOW_CLIENTS),
  attack('CR/LF/NUL in the model name', injectedModels, [8, 16], ['f-5xx']),
  attack('CR/LF/NUL in headers', injectedHeaders, [40, 40], [], MALFORMED_HTTP),
  attack('CR/LF/NUL in paths', injectedPaths, [20, 20], [], MALFORMED_HTTP),
  attack('1 MB model names', megabyteModel, [2, 4], ['f-5xx']),
  attack('HTTP pipelining', pipelining, [4, 8]),
  attack('duplicate conflicting Content-Length', duplicateContentLength, [20, 20], [], MALFORMED_HTTP),
  attack('Transfer-Encoding + Content-Length', transferEncodingAndLength, [20, 20], [], MALFORMED_HTTP),
  attack('bad Host / Origin', badHostOrigin, [80, 80], [], MALFORMED_HTTP),
  attack('auth bypass attempts (every route)', authBypass, [16, 16]),
];

/** Every fault, in the order they run. */
export const FAULTS: Fault[] = [...UPSTREAM, ...ATTACKS];

/** Every fault provider the gateway config needs. */
export function faultProviders(): string[] {
  return [...new Set(FAULTS.flatMap((f) => f.providers))];
}

/** For callers that judge an exchange themselves. */
export type { ExchangeResult };
