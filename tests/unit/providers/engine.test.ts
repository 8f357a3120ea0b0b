import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { CallController, CallHandler, CallRequest, ProviderRuntime, UpstreamEngine } from '../../../src/model/index.js';
import { ProviderEngine } from '../../../src/providers/provider-engine.js';
import { ActorPool } from '../../../src/workers/index.js';
import { startMockOpenAI, type MockOpenAI } from '../../helpers/mock-openai.js';

/** One event a handler heard, with what varies from run to run (durations) left out. */
type Event =
  | ['attempt', string, string, number, string | null]
  | ['start', number, string]
  | ['chunk', string]
  | ['end', unknown, number | null]
  | ['response', number, string, string, unknown, number | null]
  | ['error', string];

/** A handler that records what it hears; `done` resolves with the events when the call ends. */
class Recorder implements CallHandler {
  events: Event[] = [];
  ended = 0;
  done: Promise<Event[]>;
  #resolve!: (events: Event[]) => void;
  #onChunk: ((text: string) => void) | null;

  constructor(onChunk: ((text: string) => void) | null = null) {
    this.#onChunk = onChunk;
    this.done = new Promise((r) => { this.#resolve = r; });
  }

  onAttempt(a: Parameters<CallHandler['onAttempt']>[0]): void {
    this.events.push(['attempt', a.provider, a.model, a.status, a.code]);
  }

  onStart(status: number, contentType: string): void {
    this.events.push(['start', status, contentType]);
  }

  onChunk(text: string): void {
    this.events.push(['chunk', text]);
    this.#onChunk?.(text);
  }

  onEnd(usage: unknown, costUsd: number | null): void {
    this.events.push(['end', usage, costUsd]);
    this.#end();
  }

  onResponse(status: number, contentType: string, body: string, usage: unknown, costUsd: number | null): void {
    this.events.push(['response', status, contentType, body, usage, costUsd]);
    this.#end();
  }

  onError(error: { code: string }): void {
    this.events.push(['error', error.code]);
    this.#end();
  }

  /** Event kinds with runs of chunks folded into one (chunk boundaries differ between modes). */
  shape(): string[] {
    return this.events.map((e) => e[0]).filter((k, i, all) => k !== 'chunk' || all[i - 1] !== 'chunk');
  }

  text(): string {
    return this.events.filter((e) => e[0] === 'chunk').map((e) => e[1]).join('');
  }

  #end(): void {
    this.ended++;
    this.#resolve(this.events);
  }
}

const USAGE = { input: 11, output: 7, cacheRead: 3, cacheWrite: 0, reasoning: 2 };
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

function chat(model: string | string[], opts: { stream?: boolean; provider?: string; content?: string } = {}): CallRequest {
  const models = Array.isArray(model) ? model : [model];
  const stream = opts.stream ?? false;
  const body: Record<string, unknown> = { model: models[0], messages: [{ role: 'user', content: opts.content ?? 'hi' }], stream };
  if (stream) body.stream_options = { include_usage: true };
  return {
    candidates: models.map((m) => ({ provider: opts.provider ?? 'mock', model: m })), op: 'chat', body: JSON.stringify(body),
    stream, clientWantsUsage: stream, dialect: 'chat', meta: null,
  };
}

let mock: MockOpenAI;
let providers: ProviderRuntime[];

beforeAll(async () => {
  mock = await startMockOpenAI();
  providers = [{
    name: 'mock', type: 'openai-compatible', protocol: 'openai', prices: { echo: { input_per_mtok: 1, output_per_mtok: 2 } }, baseUrl: mock.url,
    apiKey: 'sk-upstream-test', headers: {}, connectTimeoutMs: 2000, maxConnections: 8, firstByteTimeoutMs: 5000, idleTimeoutMs: 5000,
  }];
});
afterAll(async () => { await mock.close(); });

const MODES: [string, () => UpstreamEngine][] = [
  ['inline (ProviderEngine)', () => new ProviderEngine(providers)],
  ['workers (ActorPool)', () => new ActorPool({ actors: 1, providers })],
];

describe.each(MODES)('UpstreamEngine, %s', (_name, create) => {
  let engine: UpstreamEngine;
  beforeAll(async () => {
    engine = create();
    await engine.ready();
  });
  afterAll(async () => { await engine.close(); });

  it('streams: onAttempt → onStart → onChunk... → onEnd with usage and cost', async () => {
    const rec = new Recorder();
    engine.call(chat('echo', { stream: true }), rec);
    await rec.done;
    expect(rec.shape()).toEqual(['attempt', 'start', 'chunk', 'end']);
    expect(rec.events[0]).toEqual(['attempt', 'mock', 'echo', 200, null]);
    expect(rec.events[1]).toEqual(['start', 200, 'text/event-stream; charset=utf-8']);
    expect(rec.text()).toContain('"content":"echo"');
    expect(rec.text()).toContain('"prompt_tokens":11');
    expect(rec.text().endsWith('data: [DONE]\n\n')).toBe(true);
    expect(rec.events.at(-1)).toEqual(['end', USAGE, (11 * 1 + 7 * 2) / 1e6]);
    expect(rec.ended).toBe(1);
    expect(engine.stats().inflight).toBe(0);
  });

  it('answers a call that is not streamed with one onResponse', async () => {
    const rec = new Recorder();
    engine.call(chat('echo'), rec);
    const events = await rec.done;
    expect(events.map((e) => e[0])).toEqual(['attempt', 'response']);
    const [, status, contentType, body, usage] = events[1] as Extract<Event, ['response', ...unknown[]]>;
    expect([status, contentType, usage]).toEqual([200, 'application/json', USAGE]);
    expect(JSON.parse(body).choices[0].message.content).toBe('echo: hi');
  });

  it("removes the provider's API key from an answer it relays", async () => {
    const rec = new Recorder();
    engine.call(chat('echo', { content: 'the key is sk-upstream-test' }), rec);
    const [, answer] = await rec.done;
    expect(answer![3]).not.toContain('sk-upstream-test');
    expect(JSON.parse(answer![3] as string).choices[0].message.content).toBe('echo: the key is [redacted]');
  });

  it('falls back to the next candidate: one onAttempt per try, then the answer', async () => {
    const rec = new Recorder();
    engine.call(chat(['error-500', 'echo']), rec);
    const events = await rec.done;
    expect(events.map((e) => e.slice(0, 5))).toEqual([
      ['attempt', 'mock', 'error-500', 500, 'LR_ERR_UPSTREAM_STATUS'],
      ['attempt', 'mock', 'echo', 200, null],
      ['response', 200, 'application/json', events[2]![3], USAGE],
    ]);
    const seen = mock.seen.slice(-2).map((r) => r.body.model);
    expect(seen).toEqual(['error-500', 'echo']);
  });

  it('ends with onError (after the failed attempt) when no candidate is left', async () => {
    const rec = new Recorder();
    engine.call(chat('x', { provider: 'nowhere' }), rec);
    expect(await rec.done).toEqual([['attempt', 'nowhere', 'x', 0, 'LR_ERR_MODEL_NOT_FOUND'], ['error', 'LR_ERR_MODEL_NOT_FOUND']]);
  });

  it('abort: the handler hears nothing more and the upstream request is aborted', async () => {
    const before = mock.aborted.length;
    let controller: CallController | null = null;
    let chunksAtAbort = -1;
    const rec = new Recorder(() => {
      if (chunksAtAbort !== -1) return;
      chunksAtAbort = rec.events.length;
      controller!.abort();
    });
    controller = engine.call(chat('slow-stream', { stream: true }), rec);
    await expect.poll(() => mock.aborted.length, { timeout: 5000 }).toBe(before + 1);
    await sleep(200);
    expect(rec.events.length).toBe(chunksAtAbort);
    expect(rec.ended).toBe(0);
    controller.abort(); // a second abort is harmless
    await expect.poll(() => engine.stats().inflight).toBe(0);
  });

  it('pause holds the stream back until resume; then it ends complete', async () => {
    let controller: CallController | null = null;
    let paused = false;
    const rec = new Recorder(() => {
      if (paused) return;
      paused = true;
      controller!.pause();
    });
    // 20 deltas, 50 ms apart: about 1 s unpaused.
    controller = engine.call(chat('medium-stream', { stream: true }), rec);
    await expect.poll(() => paused).toBe(true);
    await sleep(400);
    const held = rec.events.length;
    await sleep(600);
    expect(rec.events.length).toBe(held);
    expect(rec.ended).toBe(0);
    controller.resume();
    await rec.done;
    expect(rec.shape()).toEqual(['attempt', 'start', 'chunk', 'end']);
    for (let i = 0; i < 20; i++) expect(rec.text()).toContain(`"content":"t${i} "`);
  });
});

describe('both modes give the same callbacks', () => {
  it('for a stream, a whole answer and a fallback', async () => {
    const runs: { shape: string[]; text: string; events: Event[] }[][] = [];
    for (const [, create] of MODES) {
      const engine = create();
      await engine.ready();
      const out: { shape: string[]; text: string; events: Event[] }[] = [];
      // The answer's id is the caller's (the gateway's generation id): the same one in both modes.
      const answerId = 'gen-00000000000000000000000000000001';
      for (const req of [chat('echo', { stream: true }), chat('echo'), chat(['error-429', 'echo'])]) {
        const rec = new Recorder();
        engine.call({ ...req, answerId }, rec);
        await rec.done;
        const answer = rec.text() + rec.events.filter((e) => e[0] === 'response').map((e) => e[3]).join('');
        expect(answer).toContain(`"id":"${answerId}"`);
        expect(answer).toContain('"model":"mock/echo"');
        out.push({ shape: rec.shape(), text: rec.text(), events: rec.events.filter((e) => e[0] !== 'chunk') });
      }
      await engine.close();
      runs.push(out);
    }
    expect(runs[1]).toEqual(runs[0]);
  });
});

describe('ActorPool crash', () => {
  it('a call on an actor that dies ends with onError(LR_ERR_ACTOR_CRASHED), and the actor is restarted', async () => {
    const pool = new ActorPool({ actors: 1, providers, testHooks: true });
    try {
      await pool.ready();
      const rec = new Recorder();
      pool.call({ ...chat('echo'), testCrash: true }, rec);
      expect(await rec.done).toEqual([['error', 'LR_ERR_ACTOR_CRASHED']]);
      expect(pool.stats().restarts).toBe(1);
      const after = new Recorder();
      pool.call(chat('echo'), after);
      expect((await after.done).map((e) => e[0])).toEqual(['attempt', 'response']);
    } finally {
      await pool.close();
    }
  });
});

/** An upstream that writes a whole stream as 30 HTTP chunks in one socket write (one read at the gateway). */
async function burstUpstream(): Promise<{ server: Server; url: string }> {
  const server = createServer((req, res) => {
    req.resume();
    req.on('end', () => {
      res.writeHead(200, { 'content-type': 'text/event-stream' });
      res.socket!.cork();
      for (let i = 0; i < 30; i++) {
        res.write(`data: {"id":"u1","object":"chat.completion.chunk","created":1,"model":"m","choices":[{"index":0,"delta":{"content":"t${i} "},"finish_reason":null}]}\n\n`);
      }
      res.write('data: {"id":"u1","object":"chat.completion.chunk","created":1,"model":"m","choices":[{"index":0,"delta":{},"finish_reason":"stop"}]}\n\n');
      res.write('data: [DONE]\n\n');
      res.socket!.uncork();
      res.end();
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return { server, url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/v1` };
}

describe.each(MODES)('UpstreamEngine, %s, an upstream that sends many HTTP chunks at once', (_name, create) => {
  it('hands the events of one read on as one chunk, complete and in order', async () => {
    const { server, url } = await burstUpstream();
    const engine = create === MODES[0]![1]
      ? new ProviderEngine([{ ...providers[0]!, baseUrl: url }])
      : new ActorPool({ actors: 1, providers: [{ ...providers[0]!, baseUrl: url }] });
    try {
      await engine.ready();
      const rec = new Recorder();
      engine.call(chat('m', { stream: true }), rec);
      await rec.done;
      expect(rec.shape()).toEqual(['attempt', 'start', 'chunk', 'end']);
      const text = rec.text();
      for (let i = 0; i < 30; i++) expect(text.indexOf(`"t${i} "`)).toBeGreaterThan(i === 0 ? -1 : text.indexOf(`"t${i - 1} "`));
      expect(text.endsWith('data: [DONE]\n\n')).toBe(true);
      // Each chunk is a client write; one per HTTP chunk would be 32 here.
      expect(rec.events.filter((e) => e[0] === 'chunk').length).toBeLessThanOrEqual(3);
    } finally {
      await engine.close();
      server.close();
    }
  });
});
