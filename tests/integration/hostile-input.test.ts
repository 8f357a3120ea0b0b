import net from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startGatewayFixture, type GatewayFixture } from '../helpers/gateway-fixture.js';
import { startMockOpenAI, type MockOpenAI } from '../helpers/mock-openai.js';

let mock: MockOpenAI;
let fx: GatewayFixture;
let port: number;

beforeAll(async () => {
  mock = await startMockOpenAI();
  fx = await startGatewayFixture(mock.url, { server: { max_body_bytes: 2 * 1024 * 1024, body_timeout_ms: 1000 } });
  port = fx.gw.port;
});
afterAll(async () => {
  await fx?.close();
  await mock?.close();
});

/**
 * Sends raw bytes and returns everything the server wrote until it closed or went quiet: what a
 * client on the wire sees, with no HTTP library in between to hide a forged header or response.
 */
function raw(request: string | Buffer, quietMs = 400): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = net.connect(port, '127.0.0.1');
    let out = '';
    let timer: NodeJS.Timeout | undefined;
    const done = (): void => { clearTimeout(timer); socket.destroy(); resolve(out); };
    const arm = (): void => { clearTimeout(timer); timer = setTimeout(done, quietMs); };
    socket.on('data', (d) => { out += d.toString('latin1'); arm(); });
    socket.on('end', done);
    socket.on('error', (e) => (out ? done() : reject(e)));
    socket.write(request);
    arm();
  });
}

function postRaw(path: string, body: string, extraHeaders = ''): Promise<string> {
  const len = Buffer.byteLength(body);
  return raw(`POST ${path} HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer ${fx.key}\r\nContent-Type: application/json\r\nContent-Length: ${len}\r\n${extraHeaders}\r\n${body}`);
}

function post(path: string, body: unknown): Promise<Response> {
  return fetch(`http://127.0.0.1:${port}${path}`, {
    method: 'POST', headers: { 'content-type': 'application/json', authorization: `Bearer ${fx.key}` },
    body: typeof body === 'string' ? body : JSON.stringify(body),
  });
}

const deep = (levels: number): string => `${'['.repeat(levels)}${']'.repeat(levels)}`;
const chat = (model: string, extra: Record<string, unknown> = {}) => ({ model, messages: [{ role: 'user', content: 'hi' }], ...extra });

async function expectStillServing(): Promise<void> {
  const res = await post('/v1/chat/completions', chat('mock/echo'));
  expect(res.status).toBe(200);
}

describe('nesting budget', () => {
  it.each(['/v1/chat/completions', '/v1/messages', '/v1/embeddings', '/v1/responses', '/v1/completions'])('%s: 5,000 levels deep → 400 naming the limit, and the gateway keeps serving', async (path) => {
    const body = `{"model":"mock/echo","messages":[{"role":"user","content":"hi"}],"max_tokens":5,"input":"x","prompt":"x","x":${deep(5000)}}`;
    const res = await post(path, body);
    expect(res.status).toBe(400);
    const text = await res.text();
    expect(text).toContain('deeper than 64 levels');
    await expectStillServing();
  });

  it('a realistic nested tool schema (30 levels) passes', async () => {
    let schema: Record<string, unknown> = { type: 'string' };
    for (let i = 0; i < 14; i++) schema = { type: 'object', properties: { a: schema } };
    const res = await post('/v1/chat/completions', chat('mock/echo', { tools: [{ type: 'function', function: { name: 'f', parameters: schema } }] }));
    expect(res.status).toBe(200);
  });

  it('brackets inside strings do not count', async () => {
    const res = await post('/v1/chat/completions', { model: 'mock/echo', messages: [{ role: 'user', content: '['.repeat(10_000) + '\\"{{{' }] });
    expect(res.status).toBe(200);
  });
});

describe('model names never reach a header unchecked', () => {
  const forged = ['mock/ok\r\nSet-Cookie: pwned=1', 'mock/ok\r\n\r\nHTTP/1.1 200 OK\r\nX-Forged: 1\r\n\r\n', 'mock/ok\u0000nul', 'mock/ok\nX-Evil: 1'];

  it.each(forged)('chat, plain and streaming: %j → 400 on param model, nothing forged on the wire', async (model) => {
    for (const stream of [false, true]) {
      const out = await postRaw('/v1/chat/completions', JSON.stringify(chat(model, { stream })));
      expect(out.startsWith('HTTP/1.1 400 ')).toBe(true);
      expect(out).toContain('"param":"model"');
      expect(out).not.toMatch(/\r\n(set-cookie|x-forged|x-evil):/i);
      expect(out.match(/HTTP\/1\.1 /g)).toHaveLength(1);
    }
  });

  it('inside models: [...] and on /v1/messages too', async () => {
    const inList = await postRaw('/v1/chat/completions', JSON.stringify(chat('mock/echo', { models: ['mock/x\r\nSet-Cookie: a=1'] })));
    expect(inList.startsWith('HTTP/1.1 400 ')).toBe(true);
    expect(inList).toContain('"param":"models[0]"');
    expect(inList).not.toMatch(/\r\nset-cookie:/i);
    const messages = await postRaw('/v1/messages', JSON.stringify({ model: 'mock/ok\r\nSet-Cookie: b=1', max_tokens: 5, messages: [{ role: 'user', content: 'hi' }] }));
    expect(messages.startsWith('HTTP/1.1 400 ')).toBe(true);
    expect(messages).toContain('"type":"invalid_request_error"');
    expect(messages).not.toMatch(/\r\nset-cookie:/i);
  });

  it('a 1 MB model name is refused before it costs anything, with the limit in the message', async () => {
    const before = mock.seen.length;
    const res = await post('/v1/chat/completions', chat(`mock/${'a'.repeat(1024 * 1024)}`));
    expect(res.status).toBe(400);
    const body = await res.json() as { error: { message: string; param: string } };
    expect(body.error.param).toBe('model');
    expect(body.error.message).toMatch(/at most 256 are accepted/);
    expect(body.error.message.length).toBeLessThan(300);
    expect(mock.seen.length).toBe(before);
  });

  it('ordinary provider ids keep working (slashes, colons, dots, @)', async () => {
    for (const model of ['mock/echo', 'mock/meta-llama/Llama-3.1-8B-Instruct:free', 'mock/qwen2.5:7b', 'mock/gpt-4o@2024-08-06']) {
      const res = await post('/v1/chat/completions', chat(model));
      expect(res.status, model).not.toBe(400);
    }
  });
});

describe('body framing', () => {
  it('conflicting Content-Length headers → 400, not "first wins"', async () => {
    const body = JSON.stringify(chat('mock/echo'));
    const out = await postRaw('/v1/chat/completions', body, `Content-Length: ${Buffer.byteLength(body) + 5}\r\n`);
    expect(out).toMatch(/^HTTP\/1\.1 400 /);
    expect(out).not.toContain('echo: hi');
    await expectStillServing();
  });

  it('a request smuggled behind conflicting Content-Length headers is never served', async () => {
    const smuggled = `GET /v1/models HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer ${fx.key}\r\n\r\n`;
    const body = `{"x":1}${smuggled}`;
    const out = await raw(`POST /v1/chat/completions HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer ${fx.key}\r\nContent-Type: application/json\r\nContent-Length: 7\r\nContent-Length: ${body.length}\r\n\r\n${body}`);
    expect(out.match(/HTTP\/1\.1 /g)?.length ?? 0).toBeLessThanOrEqual(1);
    expect(out).not.toContain('"object":"list"');
    await expectStillServing();
  });

  it('two Host headers → 400 (RFC 9112), even when the first is allowed', async () => {
    const out = await raw(`GET /v1/models HTTP/1.1\r\nHost: localhost\r\nHost: evil.example\r\nAuthorization: Bearer ${fx.key}\r\n\r\n`);
    expect(out).toMatch(/^HTTP\/1\.1 400 /);
    expect(out).toContain('more than one Host header');
  });

  it('a body over the limit gets its 413 even while the client is still sending it', async () => {
    const big = Buffer.alloc(3 * 1024 * 1024, 0x20);
    const res = await fetch(`http://127.0.0.1:${port}/v1/chat/completions`, {
      method: 'POST', headers: { 'content-type': 'application/json', authorization: `Bearer ${fx.key}` }, body: big,
    });
    expect(res.status).toBe(413);
    expect(((await res.json()) as { error: { code: string } }).error.code).toBe('LR_ERR_BODY_TOO_LARGE');
  });

  it('a chunked body that passes the limit and then stalls gets 413, not 408', { timeout: 15_000 }, async () => {
    const socket = net.connect(port, '127.0.0.1');
    let out = '';
    socket.on('data', (d) => { out += d.toString('latin1'); });
    const closed = new Promise<void>((r) => socket.on('close', () => r()));
    socket.on('error', () => {});
    socket.write(`POST /v1/chat/completions HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer ${fx.key}\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n`);
    const piece = Buffer.alloc(512 * 1024, 0x20);
    for (let i = 0; i < 6; i++) socket.write(Buffer.concat([Buffer.from(`${piece.length.toString(16)}\r\n`), piece, Buffer.from('\r\n')]));
    // 3 MiB sent against a 2 MiB limit, and then nothing more.
    await Promise.race([closed, new Promise((r) => setTimeout(r, 8_000))]);
    socket.destroy();
    expect(out).toMatch(/^HTTP\/1\.1 413 /);
    expect(out).toContain('LR_ERR_BODY_TOO_LARGE');
  });

  it('Content-Length with Transfer-Encoding → refused', async () => {
    const body = JSON.stringify(chat('mock/echo'));
    const out = await postRaw('/v1/chat/completions', body, 'Transfer-Encoding: chunked\r\n');
    // uWS's own parser may already close such a connection unanswered; either way nothing is served.
    expect(out === '' || out.startsWith('HTTP/1.1 400 ')).toBe(true);
    expect(out).not.toContain('echo: hi');
    await expectStillServing();
  });
});

describe('credentials in odd shapes', () => {
  it('OAuth Basic credentials with a malformed percent-escape get 401, and the gateway keeps serving', async () => {
    const res = await fetch(`http://127.0.0.1:${port}/oauth/token`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded', authorization: `Basic ${Buffer.from('c_testclient01:%E0%A4%A').toString('base64')}` },
      body: 'grant_type=client_credentials',
    });
    expect(res.status).toBe(401);
    await expectStillServing();
  });
});

describe('slow clients', () => {
  it('a body dripping one byte at a time gets 408 at the deadline and the connection is closed', { timeout: 15_000 }, async () => {
    const body = JSON.stringify(chat('mock/echo'));
    const socket = net.connect(port, '127.0.0.1');
    let out = '';
    let closed = false;
    socket.on('data', (d) => { out += d.toString('latin1'); });
    socket.on('close', () => { closed = true; });
    socket.on('error', () => {});
    socket.write(`POST /v1/chat/completions HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer ${fx.key}\r\nContent-Type: application/json\r\nContent-Length: ${body.length}\r\n\r\n${body.slice(0, 5)}`);
    const started = Date.now();
    let i = 5;
    const drip = setInterval(() => { if (!closed && i < body.length - 1) socket.write(body[i++]!); }, 200);
    while (!closed && Date.now() - started < 8_000) await new Promise((r) => setTimeout(r, 50));
    clearInterval(drip);
    socket.destroy();
    expect(closed).toBe(true);
    expect(out).toMatch(/^HTTP\/1\.1 408 /);
    expect(out).toContain('LR_ERR_REQUEST_TIMEOUT');
    expect(Date.now() - started).toBeLessThan(4_000);
    await expectStillServing();
  });
});

describe('large chat bodies (skimmed on their bytes, messages never built)', () => {
  /** An agent-sized history: `count` messages of about 3 KB, roles alternating, the last one the user's. */
  function history(count: number): Array<Record<string, unknown>> {
    return Array.from({ length: count }, (_, i) => ({ role: i % 2 === 0 ? 'user' : 'assistant', content: `turn ${i} ü😀 ${'lorem ipsum '.repeat(250)}` }));
  }

  it('a 300 KB body goes upstream as the client sent it, with only the model changed', async () => {
    const messages = history(100);
    messages.push({ role: 'user', content: 'the last question' });
    const body = { model: 'mock/echo', messages, temperature: 0.25, tools: [{ type: 'function', function: { name: 'f', parameters: { type: 'object' } } }] };
    const before = mock.seen.length;
    const res = await post('/v1/chat/completions', body);
    expect(res.status).toBe(200);
    expect(((await res.json()) as { choices: Array<{ message: { content: string } }> }).choices[0]!.message.content).toBe('echo: the last question');
    const seen = mock.seen.slice(before).find((r) => r.url.endsWith('/chat/completions'))!;
    expect(seen.body).toEqual({ ...body, model: 'echo' });
  });

  it('invalid JSON deep in the history gets the parser\'s 400, as a small body does', async () => {
    const text = JSON.stringify({ model: 'mock/echo', messages: history(100) }).replace('turn 57', 'turn\u000157');
    const res = await post('/v1/chat/completions', text);
    expect(res.status).toBe(400);
    const err = ((await res.json()) as { error: { code: string; message: string } }).error;
    expect(err.code).toBe('LR_ERR_BAD_JSON');
    expect(err.message).toMatch(/^request body is not valid JSON: Bad control character in string literal/);
  });

  it('a message without a string role is named by its index; nesting inside the history is counted', async () => {
    const messages = history(100);
    delete messages[57]!.role;
    const res = await post('/v1/chat/completions', { model: 'mock/echo', messages });
    expect(res.status).toBe(400);
    expect(((await res.json()) as { error: { message: string; param: string } }).error).toMatchObject({ param: 'messages[57]' });
    const nested = history(100);
    let value: unknown[] = [];
    for (let i = 0; i < 200; i++) value = [value];
    nested[57]!.content = value;
    const deepRes = await post('/v1/chat/completions', { model: 'mock/echo', messages: nested });
    expect(deepRes.status).toBe(400);
    expect(await deepRes.text()).toContain('deeper than 64 levels');
    await expectStillServing();
  });
});
