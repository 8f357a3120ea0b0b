import { createHash } from 'node:crypto';
import http from 'node:http';
import net from 'node:net';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { bodyPoolStats, dropFreeBodies } from '../../src/providers/index.js';
import { startTestGateway, type GatewayFixture } from '../helpers/gateway-fixture.js';

/**
 * Large request bodies are read into memory the gateway lends again once a request is over
 * (src/providers/body-pool.ts). These tests hold it to what matters: every upstream receives
 * exactly its own request's bytes, including from an upstream that answers before it has read the
 * body, while the gateway's write of that body is still pending. In workers mode the memory crosses
 * to a provider actor with the call and comes back once the actor's writes are done.
 */

const ANSWER = JSON.stringify({
  id: 'chatcmpl-1', object: 'chat.completion', created: 1, model: 'm',
  choices: [{ index: 0, message: { role: 'assistant', content: 'ok' }, finish_reason: 'stop' }],
  usage: { prompt_tokens: 1, completion_tokens: 1, total_tokens: 2 },
});

/** An upstream that answers each request with the sha256 of the body it received, in the answer's text. */
async function startEchoHashUpstream(): Promise<{ url: string; close(): Promise<void> }> {
  const server = http.createServer((req, res) => {
    const parts: Buffer[] = [];
    req.on('data', (c: Buffer) => parts.push(c));
    req.on('end', () => {
      const body = Buffer.concat(parts);
      const text = req.method === 'GET' ? '' : createHash('sha256').update(body).digest('hex');
      const answer = JSON.parse(ANSWER) as { choices: { message: { content: string } }[] };
      answer.choices[0]!.message.content = text;
      const out = JSON.stringify(answer);
      res.writeHead(200, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(out) });
      res.end(out);
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/v1`, close: () => new Promise((r) => { server.closeAllConnections(); server.close(() => r()); }) };
}

/**
 * An upstream that answers a POST 200 as soon as it has the request's head, then reads nothing for
 * `stallMs`, then reads the rest: the gateway's write of the body is still pending when its
 * exchange ends. `received()` is every byte that came after that head. A GET (the gateway's model
 * discovery) gets an empty model list at once.
 */
async function startEarlyAnswerUpstream(stallMs: number): Promise<{ url: string; received(): Promise<Buffer>; close(): Promise<void> }> {
  const got: Buffer[] = [];
  let settle!: () => void;
  const finished = new Promise<void>((r) => { settle = r; });
  const server = net.createServer((socket) => {
    let head = Buffer.alloc(0);
    let posted = false;
    socket.on('data', (chunk: Buffer) => {
      if (posted) {
        got.push(chunk);
        return;
      }
      head = Buffer.concat([head, chunk]);
      for (let end = head.indexOf('\r\n\r\n'); end >= 0 && !posted; end = head.indexOf('\r\n\r\n')) {
        const rest = head.subarray(end + 4);
        if (head.subarray(0, 4).toString() === 'GET ') {
          const list = '{"object":"list","data":[]}';
          socket.write(`HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: ${list.length}\r\n\r\n${list}`);
          head = rest;
          continue;
        }
        posted = true;
        got.push(rest);
        socket.write(`HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: ${Buffer.byteLength(ANSWER)}\r\n\r\n${ANSWER}`);
        socket.pause();
        setTimeout(() => socket.resume(), stallMs);
      }
    });
    socket.on('close', () => { if (posted) settle(); });
    socket.on('error', () => {});
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/v1`,
    received: async () => { await finished; return Buffer.concat(got); },
    close: () => new Promise((r) => server.close(() => r())),
  };
}

/**
 * An upstream that goes wrong once it has a POST's head: `reset` destroys the connection with the
 * body still coming, `garbage` reads the body and answers bytes that are not HTTP. A GET (the
 * gateway's model discovery) gets an empty model list.
 */
async function startBrokenUpstream(kind: 'reset' | 'garbage'): Promise<{ url: string; close(): Promise<void> }> {
  const sockets = new Set<net.Socket>();
  const server = net.createServer((socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
    socket.on('error', () => {});
    let head = Buffer.alloc(0);
    let length = -1;
    let got = 0;
    socket.on('data', (chunk: Buffer) => {
      if (length >= 0) {
        got += chunk.length;
        if (got >= length) socket.end('\u0000\r\nnot http at all\r\n\r\n\u0000');
        return;
      }
      head = Buffer.concat([head, chunk]);
      const end = head.indexOf('\r\n\r\n');
      if (end < 0) return;
      if (head.subarray(0, 4).toString() === 'GET ') {
        const list = '{"object":"list","data":[]}';
        socket.write(`HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: ${list.length}\r\n\r\n${list}`);
        head = head.subarray(end + 4);
        return;
      }
      if (kind === 'reset') return void socket.resetAndDestroy();
      length = Number(/content-length: (\d+)/i.exec(head.subarray(0, end).toString())?.[1] ?? 0);
      got = head.length - end - 4;
      if (got >= length) socket.end('\u0000not http');
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/v1`,
    close: () => new Promise((r) => { for (const s of sockets) s.destroy(); server.close(() => r()); }),
  };
}

/** A chat body of about `bytes`, its text made of `letter`, with a marker that tells requests apart. */
function bodyOf(model: string, letter: string, bytes: number, marker: string): string {
  const content = `${marker} ${letter.repeat(bytes)}`;
  return JSON.stringify({ model, messages: [{ role: 'system', content: 'You are terse.' }, { role: 'user', content }] });
}

/** The sha256 of the bytes the upstream should receive for `body`: the client's body with `model` set to the upstream's id. */
function expectedHash(body: string, upstreamModel: string): string {
  const value = JSON.parse(body) as Record<string, unknown>;
  value.model = upstreamModel;
  return createHash('sha256').update(JSON.stringify(value)).digest('hex');
}

async function post(fx: GatewayFixture, body: string): Promise<{ status: number; text: string }> {
  const res = await fetch(`${fx.baseURL}/chat/completions`, { method: 'POST', headers: { authorization: `Bearer ${fx.key}`, 'content-type': 'application/json' }, body });
  const json = await res.json() as { choices?: { message: { content: string } }[] };
  return { status: res.status, text: json.choices?.[0]?.message.content ?? JSON.stringify(json) };
}

describe.each(['inline', 'workers'] as const)('large request bodies on lent memory (%s)', (execution) => {
  let echo: Awaited<ReturnType<typeof startEchoHashUpstream>>;
  let early: Awaited<ReturnType<typeof startEarlyAnswerUpstream>>;
  let reset: Awaited<ReturnType<typeof startBrokenUpstream>>;
  let garbage: Awaited<ReturnType<typeof startBrokenUpstream>>;
  let fx: GatewayFixture;

  beforeAll(async () => {
    echo = await startEchoHashUpstream();
    early = await startEarlyAnswerUpstream(1500);
    reset = await startBrokenUpstream('reset');
    garbage = await startBrokenUpstream('garbage');
    fx = await startTestGateway({
      execution,
      server: { max_body_bytes: 32 * 1024 * 1024 },
      providers: [
        { name: 'echo', type: 'openai-compatible', base_url: echo.url, key: 'sk-upstream-test' },
        { name: 'early', type: 'openai-compatible', base_url: early.url, key: 'sk-upstream-test' },
        { name: 'reset', type: 'openai-compatible', base_url: reset.url, key: 'sk-upstream-test' },
        { name: 'garbage', type: 'openai-compatible', base_url: garbage.url, key: 'sk-upstream-test' },
      ],
    });
  });

  afterAll(async () => {
    await fx?.close();
    await echo?.close();
    await early?.close();
    await reset?.close();
    await garbage?.close();
  });

  it('every upstream receives exactly its own body, one after another and many at once', async () => {
    const sizes = [20_000, 70_000, 200_000, 9_000, 210_000, 90_000, 1_000_000, 21_000, 205_000];
    for (const [i, size] of sizes.entries()) {
      const body = bodyOf('echo/m', 'abcdefghi'[i]!, size, `request-${i}`);
      const res = await post(fx, body);
      expect(res.status).toBe(200);
      expect(res.text).toBe(expectedHash(body, 'm'));
    }
    // The memory of those requests came back (from the actor thread, in workers mode) and is lent again.
    await vi.waitFor(() => expect(bodyPoolStats().free).toBeGreaterThan(0));
    const bodies = Array.from({ length: 24 }, (_, i) => bodyOf('echo/m', String.fromCharCode(0x61 + (i % 26)), i % 2 ? 15_000 + i * 500 : 150_000 + (i % 5) * 20_000, `parallel-${i}`));
    const answers = await Promise.all(bodies.map((b) => post(fx, b)));
    answers.forEach((a, i) => {
      expect(a.status).toBe(200);
      expect(a.text).toBe(expectedHash(bodies[i]!, 'm'));
    });
  });

  it("a large body broken near its end gets the parser's 400 (its memory lent again), and the next one is exact", async () => {
    const good = bodyOf('echo/m', 'é😀x', 100_000, 'after-bad');
    const raw = (text: string): string => `${good.slice(0, -12)}${text}${good.slice(-11)}`;
    for (const broken of [good.slice(0, -1), raw('\u0001'), raw('\u0000'), raw('\r\n'), good.replace('after-bad ', 'after-bad \\q')]) {
      const res = await post(fx, broken);
      expect(res.status).toBe(400);
      expect(res.text).toMatch(/not valid JSON/);
    }
    const res = await post(fx, good);
    expect(res.status).toBe(200);
    expect(res.text).toBe(expectedHash(good, 'm'));
  });

  it('upstreams that reset mid-body or answer garbage, many at once beside good calls: errors for those, exact bodies for the rest', async () => {
    const good = Array.from({ length: 12 }, (_, i) => bodyOf('echo/m', 'g', 30_000 + i * 40_000, `good-${i}`));
    const bad = Array.from({ length: 12 }, (_, i) => bodyOf(i % 2 ? 'reset/m' : 'garbage/m', 'b', 30_000 + i * 40_000, `bad-${i}`));
    const answers = await Promise.all([...good, ...bad].map((b) => post(fx, b)));
    answers.slice(0, 12).forEach((a, i) => {
      expect(a.status).toBe(200);
      expect(a.text).toBe(expectedHash(good[i]!, 'm'));
    });
    for (const a of answers.slice(12)) expect(a.status).toBeGreaterThanOrEqual(500);
    // And after them, one at a time, in memory those calls used.
    for (const [i, size] of [500_000, 40_000, 900_000].entries()) {
      const body = bodyOf('echo/m', 'z', size, `after-${i}`);
      const res = await post(fx, body);
      expect(res.status).toBe(200);
      expect(res.text).toBe(expectedHash(body, 'm'));
    }
  });

  it("an upstream that answers before reading the body never receives another request's bytes", async () => {
    // Larger than the socket buffers take at once: the write of A is still pending when its answer is complete.
    const size = 12 * 1024 * 1024;
    dropFreeBodies(); // room in the pool for A's memory, so B would get it if A's write were ignored
    const a = bodyOf('early/m', 'A', size, 'request-A');
    const resA = await post(fx, a);
    expect(resA.status).toBe(200);
    // B, of the same size, arrives while A's bytes are still on their way to the stalled upstream.
    const b = bodyOf('echo/m', 'B', size, 'request-B');
    const resB = await post(fx, b);
    expect(resB.status).toBe(200);
    expect(resB.text).toBe(expectedHash(b, 'm'));
    const got = await early.received();
    // What the stalled upstream got is A's body (or the start of it, if the connection was cut), never B's.
    expect(got.length).toBeGreaterThan(0);
    expect(got.includes('request-B')).toBe(false);
    expect(got.includes('BBBBBBBB')).toBe(false);
    const sent = Buffer.from(JSON.stringify({ ...JSON.parse(a) as object, model: 'm' }));
    expect(got.equals(sent.subarray(0, got.length))).toBe(true);
  }, 30_000);
});
