import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { parse, stringify } from 'yaml';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { generateClientKey } from '../../src/secrets/index.js';
import { startGatewayFixture, type GatewayFixture } from '../helpers/gateway-fixture.js';
import { startMockOpenAI, type MockOpenAI } from '../helpers/mock-openai.js';

let mock: MockOpenAI;
let fx: GatewayFixture;
let base: string;

beforeAll(async () => {
  mock = await startMockOpenAI();
  fx = await startGatewayFixture(mock.url, { server: { max_body_bytes: 64 * 1024, max_messages: 100 } });
  base = `http://127.0.0.1:${fx.gw.port}`;
});
afterAll(async () => {
  await fx?.close();
  await mock?.close();
});

const chatBody = JSON.stringify({ model: 'mock/echo', messages: [{ role: 'user', content: 'hi' }] });

function post(pathname: string, body: string | Buffer, headers: Record<string, string> = {}): Promise<Response> {
  return fetch(base + pathname, { method: 'POST', headers: { 'content-type': 'application/json', authorization: `Bearer ${fx.key}`, ...headers }, body });
}

async function expectError(res: Response, status: number, code: string): Promise<{ message: string; type: string; param: string | null; code: string }> {
  expect(res.status).toBe(status);
  const body = await res.json() as { error: { message: string; type: string; param: string | null; code: string } };
  expect(Object.keys(body.error).sort()).toEqual(['code', 'message', 'param', 'type']);
  expect(body.error.code).toBe(code);
  return body.error;
}

/** The server still answers a good request after whatever the test did. */
async function expectStillServing(): Promise<void> {
  const res = await post('/v1/chat/completions', chatBody);
  expect(res.status).toBe(200);
  expect(((await res.json()) as { choices: { message: { content: string } }[] }).choices[0]!.message.content).toBe('echo: hi');
}

function rewriteConfig(mutate: (cfg: any) => void): void {
  const file = path.join(fx.home, 'config.yaml');
  const cfg = parse(fs.readFileSync(file, 'utf8'));
  mutate(cfg);
  fs.writeFileSync(`${file}.edit`, stringify(cfg));
  fs.renameSync(`${file}.edit`, file);
}

describe('routes', () => {
  it('GET /health gives status, version and uptime without auth', async () => {
    const res = await fetch(`${base}/health`);
    expect(res.status).toBe(200);
    const body = await res.json() as { status: string; version: string; uptime_s: number };
    expect(body.status).toBe('ok');
    expect(body.version).toMatch(/^\d+\.\d+\.\d+/);
    expect(body.uptime_s).toBeGreaterThanOrEqual(0);
  });

  it('serves every /v1 route without the prefix too', async () => {
    const res = await post('/chat/completions', chatBody);
    expect(res.status).toBe(200);
    const models = await fetch(`${base}/models`, { headers: { authorization: `Bearer ${fx.key}` } });
    expect(models.status).toBe(200);
  });

  it('unknown route → 404, wrong method → 405 with Allow, both OpenAI-shaped', async () => {
    await expectError(await fetch(`${base}/v1/nope`), 404, 'LR_ERR_NOT_FOUND');
    const res = await fetch(`${base}/v1/chat/completions`, { headers: { authorization: `Bearer ${fx.key}` } });
    expect(res.headers.get('allow')).toBe('POST');
    await expectError(res, 405, 'LR_ERR_METHOD_NOT_ALLOWED');
  });
});

describe('auth', () => {
  it('no key, wrong key → 401', async () => {
    const e1 = await expectError(await post('/v1/chat/completions', chatBody, { authorization: '' }), 401, 'LR_ERR_UNAUTHORIZED');
    expect(e1.type).toBe('authentication_error');
    expect(e1.message).toContain('missing API key');
    const wrong = generateClientKey().key;
    const e2 = await expectError(await post('/v1/chat/completions', chatBody, { authorization: `Bearer ${wrong}` }), 401, 'LR_ERR_UNAUTHORIZED');
    expect(e2.message).toBe('invalid API key');
    await expectError(await fetch(`${base}/v1/models`), 401, 'LR_ERR_UNAUTHORIZED');
  });

  it('accepts x-api-key', async () => {
    const res = await post('/v1/chat/completions', chatBody, { authorization: '', 'x-api-key': fx.key });
    expect(res.status).toBe(200);
  });

  it('a disabled key → 401, re-enabled → 200, rotated → old key 401 and new key 200 (live reload)', async () => {
    rewriteConfig((cfg) => { cfg.clients[0].enabled = false; });
    await expect.poll(async () => (await post('/v1/chat/completions', chatBody)).status, { timeout: 2000, interval: 50 }).toBe(401);
    const e = await expectError(await post('/v1/chat/completions', chatBody), 401, 'LR_ERR_UNAUTHORIZED');
    expect(e.message).toContain('disabled');
    rewriteConfig((cfg) => { cfg.clients[0].enabled = true; });
    await expect.poll(async () => (await post('/v1/chat/completions', chatBody)).status, { timeout: 2000, interval: 50 }).toBe(200);

    const oldKey = fx.key;
    const next = generateClientKey();
    rewriteConfig((cfg) => { cfg.clients[0].key_hash = next.hash; cfg.clients[0].key_prefix = next.prefix; });
    await expect.poll(async () => (await post('/v1/chat/completions', chatBody, { authorization: `Bearer ${next.key}` })).status, { timeout: 2000, interval: 50 }).toBe(200);
    await expectError(await post('/v1/chat/completions', chatBody, { authorization: `Bearer ${oldKey}` }), 401, 'LR_ERR_UNAUTHORIZED');
    fx.key = next.key;
  });

  it('limits models to the client allow list, in the list and on use', async () => {
    const k = generateClientKey();
    rewriteConfig((cfg) => {
      cfg.clients.push({ id: 'c_restricted01', name: 'restricted', key_hash: k.hash, key_prefix: k.prefix, enabled: true, created_at: new Date().toISOString(), allowed_models: ['mock/gpt-*'] });
    });
    const headers = { authorization: `Bearer ${k.key}` };
    await expect.poll(async () => (await fetch(`${base}/v1/models`, { headers })).status, { timeout: 2000, interval: 50 }).toBe(200);
    const list = await (await fetch(`${base}/v1/models`, { headers })).json() as { data: { id: string }[] };
    expect(list.data.map((m) => m.id)).toEqual(['mock/gpt-test']);
    const e = await expectError(await post('/v1/chat/completions', chatBody, headers), 403, 'LR_ERR_FORBIDDEN');
    expect(e.message).toContain('mock/echo');
    const ok = await post('/v1/chat/completions', JSON.stringify({ model: 'mock/gpt-test', messages: [{ role: 'user', content: 'a' }] }), headers);
    expect(ok.status).toBe(200);
  });
});

describe('bad input gets a clear 4xx and the server keeps serving', () => {
  it('malformed JSON → 400', async () => {
    const e = await expectError(await post('/v1/chat/completions', '{"model": "mock/echo", '), 400, 'LR_ERR_BAD_JSON');
    expect(e.type).toBe('invalid_request_error');
    await expectStillServing();
  });

  it('body over the limit → 413 (declared and streamed without a length)', async () => {
    const big = JSON.stringify({ model: 'mock/echo', messages: [{ role: 'user', content: 'x'.repeat(100 * 1024) }] });
    await expectError(await post('/v1/chat/completions', big), 413, 'LR_ERR_BODY_TOO_LARGE');
    const chunked = new ReadableStream({ start(c) { c.enqueue(new TextEncoder().encode(big)); c.close(); } });
    const res = await fetch(`${base}/v1/chat/completions`, { method: 'POST', headers: { 'content-type': 'application/json', authorization: `Bearer ${fx.key}` }, body: chunked, duplex: 'half' } as RequestInit);
    await expectError(res, 413, 'LR_ERR_BODY_TOO_LARGE');
    await expectStillServing();
  });

  it('wrong content type → 415', async () => {
    await expectError(await post('/v1/chat/completions', chatBody, { 'content-type': 'text/plain' }), 415, 'LR_ERR_UNSUPPORTED_MEDIA_TYPE');
    await expectStillServing();
  });

  it('missing model or messages → 400 naming the parameter', async () => {
    const e1 = await expectError(await post('/v1/chat/completions', JSON.stringify({ messages: [{ role: 'user', content: 'a' }] })), 400, 'LR_ERR_BAD_REQUEST');
    expect(e1.param).toBe('model');
    const e2 = await expectError(await post('/v1/chat/completions', JSON.stringify({ model: 'mock/echo' })), 400, 'LR_ERR_BAD_REQUEST');
    expect(e2.param).toBe('messages');
    const e3 = await expectError(await post('/v1/chat/completions', JSON.stringify({ model: 'mock/echo', messages: [{ content: 'no role' }] })), 400, 'LR_ERR_BAD_REQUEST');
    expect(e3.param).toBe('messages[0]');
    await expectError(await post('/v1/chat/completions', '[1,2]'), 400, 'LR_ERR_BAD_REQUEST');
    await expectStillServing();
  });

  it('a huge number of messages → 400', async () => {
    const messages = Array.from({ length: 101 }, () => ({ role: 'user', content: 'a' }));
    const e = await expectError(await post('/v1/chat/completions', JSON.stringify({ model: 'mock/echo', messages })), 400, 'LR_ERR_BAD_REQUEST');
    expect(e.message).toContain('101');
    await expectStillServing();
  });

  it('unknown model → 404 saying where to look; unknown provider prefix too', async () => {
    const e = await expectError(await post('/v1/chat/completions', JSON.stringify({ model: 'nobody/none', messages: [{ role: 'user', content: 'a' }] })), 404, 'LR_ERR_MODEL_NOT_FOUND');
    expect(e.message).toContain('/v1/models');
  });

  it('garbage on the socket does not disturb the server', async () => {
    await new Promise<void>((resolve) => {
      const s = net.connect(fx.gw.port, '127.0.0.1', () => s.end('NOT HTTP AT ALL\r\n\r\n\u0000\u0001'));
      s.on('close', () => resolve());
      s.on('error', () => resolve());
      s.resume();
    });
    await expectStillServing();
  });
});

describe('Host and Origin checks (DNS rebinding, CORS)', () => {
  function rawRequest(headers: string): Promise<string> {
    return new Promise((resolve, reject) => {
      const s = net.connect(fx.gw.port, '127.0.0.1', () => s.write(`GET /health HTTP/1.1\r\n${headers}\r\n`));
      let out = '';
      s.on('data', (d) => { out += d.toString(); if (out.includes('\r\n\r\n')) { s.destroy(); resolve(out); } });
      s.on('error', reject);
    });
  }

  it('refuses a foreign Host header with 403', async () => {
    const out = await rawRequest('Host: evil.example:3625\r\n');
    expect(out.startsWith('HTTP/1.1 403')).toBe(true);
    const ok = await rawRequest('Host: localhost:3625\r\n');
    expect(ok.startsWith('HTTP/1.1 200')).toBe(true);
  });

  it('refuses a foreign Origin with 403 and answers loopback origins with CORS headers', async () => {
    await expectError(await fetch(`${base}/health`, { headers: { origin: 'https://evil.example' } }), 403, 'LR_ERR_BAD_ORIGIN');
    const res = await fetch(`${base}/health`, { headers: { origin: 'http://localhost:5173' } });
    expect(res.status).toBe(200);
    expect(res.headers.get('access-control-allow-origin')).toBe('http://localhost:5173');
    const pre = await fetch(`${base}/v1/chat/completions`, { method: 'OPTIONS', headers: { origin: 'http://127.0.0.1:8080', 'access-control-request-method': 'POST' } });
    expect(pre.status).toBe(204);
    expect(pre.headers.get('access-control-allow-headers')).toContain('authorization');
  });
});

describe('config hot reload', () => {
  it('an invalid hand edit is rejected and the previous config stays in force', async () => {
    const file = path.join(fx.home, 'config.yaml');
    const good = fs.readFileSync(file, 'utf8');
    fs.writeFileSync(file, 'providers: [ {name: broken');
    await new Promise((r) => setTimeout(r, 400));
    await expectStillServing();
    fs.writeFileSync(file, good);
  });
});

describe('metrics', () => {
  it('counts finished requests and upstream tokens in /metrics', async () => {
    const read = async (): Promise<string> => (await fetch(`${base}/metrics`)).text();
    // Samples carry client/provider/model labels: sum every sample of `name` with the `where` label.
    const count = (text: string, name: string, where: string): number => text.split('\n')
      .filter((l) => l.startsWith(`${name}{`) && l.includes(where)).reduce((n, l) => n + Number(l.slice(l.lastIndexOf(' ') + 1)), 0);
    const before = await read();
    for (let i = 0; i < 5; i++) await expectStillServing();
    const after = await read();
    expect(count(after, 'localrouter_requests_total', 'status="200"') - count(before, 'localrouter_requests_total', 'status="200"')).toBe(5);
    expect(count(after, 'localrouter_tokens_total', 'kind="prompt"') - count(before, 'localrouter_tokens_total', 'kind="prompt"')).toBe(55);
    expect(count(after, 'localrouter_tokens_total', 'kind="completion"') - count(before, 'localrouter_tokens_total', 'kind="completion"')).toBe(35);
  });
});
