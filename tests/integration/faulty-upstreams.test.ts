import fs from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RequestOutcome } from '../../src/ingress/index.js';
import { startGatewayFixture, type GatewayFixture } from '../helpers/gateway-fixture.js';

const KEY = 'sk-upstream-test';

/**
 * An OpenAI-style upstream that goes wrong in the ways real ones do; the model name picks how:
 * `limit-day` / `limit-huge` (429 with a Retry-After of a day / ~3,170 years), `broken` (500),
 * `html` (200 text/html), `truncated` (200 JSON cut mid-body), `cut-stream` (SSE that closes without
 * finish_reason or [DONE]), `error-stream` (SSE with an error event mid-answer, then closed), `echo-auth` / `echo-auth-500` (an error body echoing the Authorization
 * header), `drip-stream` / `drip-json` (a byte every 300 ms, forever); anything else answers well.
 */
async function startFaultyUpstream(): Promise<{ url: string; close(): Promise<void> }> {
  const server = http.createServer((req, res) => {
    const parts: Buffer[] = [];
    req.on('data', (c: Buffer) => parts.push(c));
    req.on('end', () => {
      if (req.method === 'GET') return json(res, 200, { object: 'list', data: [{ id: 'ok', object: 'model', created: 1, owned_by: 'faulty' }] });
      const body = JSON.parse(Buffer.concat(parts).toString('utf8')) as { model: string; stream?: boolean };
      const model = body.model;
      if (model === 'limit-day' || model === 'limit-huge') {
        res.setHeader('retry-after', model === 'limit-day' ? '86400' : '99999999999');
        return json(res, 429, { error: { message: 'Rate limit reached', type: 'requests', param: null, code: 'rate_limit_exceeded' } });
      }
      if (model === 'broken') return json(res, 500, { error: { message: 'model crashed', type: 'server_error', param: null, code: null } });
      if (model === 'html') {
        res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' });
        return res.end('<html><body><h1>Welcome to nginx!</h1></body></html>');
      }
      if (model === 'truncated') {
        const text = JSON.stringify(completion(model)).slice(0, 80);
        res.writeHead(200, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text) });
        return res.end(text);
      }
      if (model === 'echo-auth' || model === 'echo-auth-500') {
        const status = model === 'echo-auth' ? 400 : 500;
        return json(res, status, { error: { message: `invalid request; you sent authorization: ${req.headers.authorization}`, type: 'invalid_request_error', param: null, code: null }, headers: req.headers });
      }
      if (model === 'cut-stream') {
        res.writeHead(200, { 'content-type': 'text/event-stream' });
        res.write(chunk(model, { role: 'assistant', content: 'partial' }, null));
        setTimeout(() => res.end(), 20); // a clean close, but the answer was never finished
        return;
      }
      if (model === 'error-stream') {
        res.writeHead(200, { 'content-type': 'text/event-stream' });
        res.write(chunk(model, { role: 'assistant', content: 'partial' }, null));
        res.write('data: {"error":{"message":"The server is overloaded","type":"server_error","param":null,"code":null}}\n\n');
        setTimeout(() => res.end(), 20);
        return;
      }
      if (model === 'drip-stream' || model === 'drip-json') {
        res.writeHead(200, { 'content-type': model === 'drip-stream' ? 'text/event-stream' : 'application/json' });
        if (model === 'drip-stream') res.write(chunk(model, { role: 'assistant', content: 'first' }, null));
        const text = model === 'drip-stream' ? chunk(model, { content: 'x'.repeat(10_000) }, null) : JSON.stringify(completion(model));
        let i = 0;
        const timer = setInterval(() => { res.write(text[i++ % text.length]!); }, 300);
        res.on('close', () => clearInterval(timer));
        return;
      }
      if (body.stream) {
        res.writeHead(200, { 'content-type': 'text/event-stream' });
        res.end(`${chunk(model, { role: 'assistant', content: 'hello' }, null)}${chunk(model, {}, 'stop')}data: [DONE]\n\n`);
        return;
      }
      json(res, 200, completion(model));
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const port = (server.address() as AddressInfo).port;
  return { url: `http://127.0.0.1:${port}/v1`, close: () => new Promise((r) => { server.closeAllConnections(); server.close(() => r()); }) };
}

function completion(model: string): object {
  return {
    id: 'chatcmpl-faulty', object: 'chat.completion', created: 1, model,
    choices: [{ index: 0, message: { role: 'assistant', content: 'hello' }, finish_reason: 'stop' }],
    usage: { prompt_tokens: 3, completion_tokens: 1, total_tokens: 4 },
  };
}

function chunk(model: string, delta: object, finish: string | null): string {
  return `data: ${JSON.stringify({ id: 'c', object: 'chat.completion.chunk', created: 1, model, choices: [{ index: 0, delta, finish_reason: finish }] })}\n\n`;
}

function json(res: http.ServerResponse, status: number, value: unknown): void {
  const text = JSON.stringify(value);
  res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text) });
  res.end(text);
}

let upstream: { url: string; close(): Promise<void> };
let fx: GatewayFixture;
const logs: Record<string, unknown>[] = [];
const rawLogs: string[] = [];
const outcomes: RequestOutcome[] = [];

beforeAll(async () => {
  upstream = await startFaultyUpstream();
  const dead = http.createServer();
  await new Promise<void>((r) => dead.listen(0, '127.0.0.1', r));
  const deadUrl = `http://127.0.0.1:${(dead.address() as AddressInfo).port}/v1`;
  await new Promise((r) => dead.close(r));
  const logger = pino({ level: 'info', base: undefined }, { write: (line: string) => { rawLogs.push(line); logs.push(JSON.parse(line) as Record<string, unknown>); } });
  fx = await startGatewayFixture(upstream.url, {
    logger,
    server: { breaker_failure_threshold: 3, breaker_cooldown_ms: 2000, max_retry_after_ms: 5000, upstream_total_timeout_ms: 1500, sse_heartbeat_ms: 0 },
    // One provider per concern, so that what one test breaks cannot decide another's outcome.
    providers: [
      { name: 'backup', type: 'openai-compatible', base_url: upstream.url },
      { name: 'dead', type: 'openai-compatible', base_url: deadUrl, models: ['a', 'b'] },
      { name: 'answers', type: 'openai-compatible', base_url: upstream.url },
      { name: 'spare', type: 'openai-compatible', base_url: upstream.url },
      { name: 'secrets', type: 'openai-compatible', base_url: upstream.url },
      { name: 'drip', type: 'openai-compatible', base_url: upstream.url, timeouts: { total_ms: 900 } },
      { name: 'slow', type: 'openai-compatible', base_url: upstream.url },
    ],
  });
  const done = fx.gw.state.onRequestDone;
  fx.gw.state.onRequestDone = (o) => { outcomes.push(o); done(o); };
});

afterAll(async () => {
  await fx?.close();
  await upstream?.close();
});

function send(body: object, route = 'chat/completions', signal?: AbortSignal): Promise<Response> {
  return fetch(`${fx.baseURL}/${route}`, {
    method: 'POST', headers: { authorization: `Bearer ${fx.key}`, 'content-type': 'application/json' },
    body: JSON.stringify({ messages: [{ role: 'user', content: 'hi' }], max_tokens: 16, ...body }), signal: signal ?? AbortSignal.timeout(10_000),
  });
}

async function errorCode(res: Response): Promise<string> {
  return ((await res.json()) as { error: { code: string } }).error.code;
}

function lastOutcome(model: string): RequestOutcome {
  const o = outcomes.filter((x) => x.model === model).at(-1);
  if (!o) throw new Error(`no outcome recorded for ${model}`);
  return o;
}

describe('Retry-After and breakers per (provider, model)', () => {
  it('a day-long Retry-After on one model: that model waits at most max_retry_after_ms, the other models keep answering, and the client is told', async () => {
    const limited = await send({ model: 'mock/limit-day' });
    expect(limited.status).toBe(429);
    expect(limited.headers.get('retry-after')).toBe('5'); // capped at server.max_retry_after_ms (5000)

    // The provider's other models are not held hostage by one model's rate limit.
    const other = await send({ model: 'mock/ok' });
    expect(other.status).toBe(200);

    const refused = await send({ model: 'mock/limit-day' });
    expect(refused.status).toBe(503);
    expect(Number(refused.headers.get('retry-after'))).toBeLessThanOrEqual(5);
    expect(await errorCode(refused)).toBe('LR_ERR_NO_PROVIDER_AVAILABLE');
    expect(fx.gw.state.breakers.retryInMs('mock', 'limit-day')).toBeLessThanOrEqual(5000);
    expect(fx.gw.state.breakers.state('mock')).toBe('closed');

    // ~3,170 years is capped the same way.
    const huge = await send({ model: 'mock/limit-huge' });
    expect(huge.status).toBe(429);
    expect(huge.headers.get('retry-after')).toBe('5');
    expect(fx.gw.state.breakers.retryInMs('mock', 'limit-huge')).toBeLessThanOrEqual(5000);

    // Opening is logged at warn, with provider and model.
    expect(logs).toContainEqual(expect.objectContaining({ level: 40, msg: 'circuit breaker opened', provider: 'mock', model: 'limit-day', retry_after_ms: 5000 }));
  });

  it("the 503 of an open breaker is counted against the real provider in /metrics, and the admin API lists the model's breaker", async () => {
    const refused = await send({ model: 'mock/limit-day' });
    expect(refused.status).toBe(503);
    const metrics = await (await fetch(`http://127.0.0.1:${fx.gw.port}/metrics`)).text();
    const lines = metrics.split('\n').filter((l) => l.startsWith('localrouter_requests_total{') && l.includes('status="503"'));
    expect(lines.length).toBeGreaterThan(0);
    expect(lines.some((l) => l.includes('provider="mock"') && l.includes('model="mock/limit-day"'))).toBe(true);
    expect(lines.some((l) => l.includes('provider="none"'))).toBe(false);
    expect(metrics).toMatch(/localrouter_model_breaker_state\{provider="mock",model="limit-day",state="open"\} 1/);

    const token = fs.readFileSync(path.join(fx.home, 'admin-token'), 'utf8').trim();
    const status = await (await fetch(`http://127.0.0.1:${fx.gw.port}/api/providers`, { headers: { authorization: `Bearer ${token}` } })).json() as {
      providers: { name: string; breaker: string; models: { model: string; breaker: string }[] }[];
    };
    const mock = status.providers.find((p) => p.name === 'mock')!;
    expect(mock.breaker).toBe('closed');
    expect(mock.models).toContainEqual(expect.objectContaining({ model: 'limit-day', breaker: 'open' }));
  });

  it("failures of one broken model open its breaker only: the provider's healthy models keep answering", async () => {
    for (let i = 0; i < 5; i++) {
      const res = await send({ model: 'backup/broken' });
      expect([502, 503]).toContain(res.status);
    }
    expect(fx.gw.state.breakers.state('backup', 'broken')).toBe('open');
    expect(fx.gw.state.breakers.state('backup')).toBe('closed');
    const healthy = await send({ model: 'backup/ok' });
    expect(healthy.status).toBe(200);
    expect(logs).toContainEqual(expect.objectContaining({ level: 40, msg: 'circuit breaker opened', provider: 'backup', model: 'broken' }));
  });

  it("connection-level failures open the provider's own breaker, for all its models", async () => {
    for (let i = 0; i < 3; i++) expect((await send({ model: 'dead/a' })).status).toBe(502);
    expect(fx.gw.state.breakers.state('dead')).toBe('open');
    const other = await send({ model: 'dead/b' });
    expect(other.status).toBe(503);
    expect(await errorCode(other)).toBe('LR_ERR_NO_PROVIDER_AVAILABLE');
    expect(logs).toContainEqual(expect.objectContaining({ level: 40, provider: 'dead', model: null, to: 'open' }));
  });
});

describe('broken answers on the OpenAI pass-through', () => {
  it('200 text/html is a 502 LR_ERR_UPSTREAM_BAD_RESPONSE, or falls back to the next candidate', async () => {
    const res = await send({ model: 'answers/html' });
    expect(res.status).toBe(502);
    expect(res.headers.get('content-type')).toContain('application/json');
    expect(await errorCode(res)).toBe('LR_ERR_UPSTREAM_BAD_RESPONSE');

    const fallback = await send({ model: 'answers/html', models: ['spare/ok'] });
    expect(fallback.status).toBe(200);
    expect(fallback.headers.get('x-localrouter-provider')).toBe('spare');
    expect(((await fallback.json()) as { choices: unknown[] }).choices).toHaveLength(1);
  });

  it('a truncated JSON body is a 502 LR_ERR_UPSTREAM_BAD_RESPONSE', async () => {
    const res = await send({ model: 'answers/truncated' });
    expect(res.status).toBe(502);
    expect(await errorCode(res)).toBe('LR_ERR_UPSTREAM_BAD_RESPONSE');
  });

  it('a stream that closes without finish_reason or [DONE] ends with an error event and is recorded as an error', async () => {
    const res = await send({ model: 'answers/cut-stream', stream: true });
    expect(res.status).toBe(200);
    const text = await res.text();
    expect(text).toContain('partial');
    const events = text.split('\n\n').filter((e) => e.startsWith('data: '));
    expect(JSON.parse(events.at(-1)!.slice(6))).toMatchObject({ error: { code: 'LR_ERR_UPSTREAM_BAD_RESPONSE' } });
    const o = lastOutcome('answers/cut-stream');
    expect(o.errorCode).toBe('LR_ERR_UPSTREAM_BAD_RESPONSE');
    expect(o.status).toBeGreaterThanOrEqual(500);
  });

  it("an upstream's error event mid-stream reaches the client once, and the call is recorded with that error", async () => {
    const res = await send({ model: 'answers/error-stream', stream: true });
    expect(res.status).toBe(200);
    const events = (await res.text()).split('\n\n').filter((e) => e.startsWith('data: '));
    // The relayed event is the last one: no gateway error after it, no [DONE].
    expect(events.at(-1)).toBe('data: {"error":{"message":"The server is overloaded","type":"server_error","param":null,"code":null}}');
    expect(events.filter((e) => e.includes('"error"'))).toHaveLength(1);
    const o = lastOutcome('answers/error-stream');
    expect(o.errorCode).toBe('LR_ERR_UPSTREAM_STATUS');
    // Anthropic Messages: one error event in its own shape.
    const anthropic = await (await send({ model: 'answers/error-stream', stream: true }, 'messages')).text();
    expect(anthropic.match(/event: error/g)).toHaveLength(1);
    expect(anthropic).toMatch(/event: error\ndata: \{"type":"error","error":\{"type":"api_error","message":"The server is overloaded"\}\}\n\n$/);
  });

  it("the error event is in the client's dialect (Anthropic Messages)", async () => {
    const res = await send({ model: 'answers/cut-stream', stream: true }, 'messages');
    expect(res.status).toBe(200);
    const text = await res.text();
    expect(text).toMatch(/event: error\ndata: \{"type":"error","error":\{"type":"api_error"/);
    expect(text).not.toContain('message_stop');
  });
});

describe('secrets are never relayed', () => {
  it("an upstream 4xx body echoing the Authorization header reaches the client with the key redacted", async () => {
    const res = await send({ model: 'secrets/echo-auth' });
    expect(res.status).toBe(400);
    const body = await res.text();
    expect(body).not.toContain(KEY);
    expect(body).toContain('[redacted]');
  });

  it('so does a 5xx message built from such a body, and neither reaches the logs', async () => {
    const res = await send({ model: 'secrets/echo-auth-500' });
    expect(res.status).toBe(502);
    const body = await res.text();
    expect(body).not.toContain(KEY);
    expect(body).toContain('[redacted]');
    expect(rawLogs.join('\n')).not.toContain(KEY);
  });
});

describe('whole-response deadline', () => {
  it('a stream dripping a byte every 300 ms ends at timeouts.total_ms with an LR_ERR_UPSTREAM_TIMEOUT error event', async () => {
    const t0 = Date.now();
    const res = await send({ model: 'drip/drip-stream', stream: true });
    expect(res.status).toBe(200);
    const text = await res.text();
    expect(Date.now() - t0).toBeLessThan(5000);
    expect(text).toContain('first');
    const events = text.split('\n\n').filter((e) => e.startsWith('data: '));
    expect(JSON.parse(events.at(-1)!.slice(6))).toMatchObject({ error: { code: 'LR_ERR_UPSTREAM_TIMEOUT' } });
    expect(lastOutcome('drip/drip-stream').errorCode).toBe('LR_ERR_UPSTREAM_TIMEOUT');
  });

  it('a body dripping before anything was sent is a 504 at server.upstream_total_timeout_ms', async () => {
    const t0 = Date.now();
    const res = await send({ model: 'slow/drip-json' });
    expect(res.status).toBe(504);
    expect(await errorCode(res)).toBe('LR_ERR_UPSTREAM_TIMEOUT');
    expect(Date.now() - t0).toBeGreaterThanOrEqual(1400);
    expect(Date.now() - t0).toBeLessThan(5000);
  });
});
