import { describe, expect, it } from 'vitest';
import type { Attempt, CallHandler, CallRequest, ClientDialectName, PlainError, ProviderRuntime, Usage } from '../../../src/model/index.js';
import type { FromActorFrame, ToActorFrame } from '../../../src/workers/protocol.js';
import {
  applyToActor, deliverFrame, encodeCancel, encodePause, encodeProviders, encodeRequest, encodeResume, endsCall, FrameEncoder, mergeChunks,
  transfersOf, type ActorSide,
} from '../../../src/workers/provider-codec.js';

/** What postMessage does to a frame on its way across the thread. */
const overThread = <T>(frame: T): T => structuredClone(frame);

type Event = [string, ...unknown[]];

function recordingHandler(events: Event[]): CallHandler {
  return {
    onAttempt: (a) => events.push(['attempt', a]),
    onStart: (status, contentType) => events.push(['start', status, contentType]),
    onChunk: (text) => events.push(['chunk', text]),
    onEnd: (usage, cost, upstreamId) => events.push(['end', usage, cost, upstreamId ?? null]),
    onResponse: (status, contentType, body, usage, cost, upstreamId) => events.push(['response', status, contentType, body, usage, cost, upstreamId ?? null]),
    onError: (error) => events.push(['error', error]),
  };
}

function recordingSide(events: Event[]): ActorSide {
  return {
    call: (id, request) => events.push(['call', id, request]),
    abort: (id) => events.push(['abort', id]),
    pause: (id) => events.push(['pause', id]),
    resume: (id) => events.push(['resume', id]),
    setProviders: (providers) => events.push(['providers', providers]),
  };
}

const USAGE: Usage = { input: 11, output: 7, cacheRead: 3, cacheWrite: 1, reasoning: 2 };
const ATTEMPT_FAILED: Attempt = { provider: 'a', model: 'm1', status: 429, code: 'LR_ERR_UPSTREAM_STATUS', durationMs: 1.25, retryAfterMs: 7000, connectionLevel: false };
const ATTEMPT_OK: Attempt = { provider: 'b', model: 'm2', status: 200, code: null, durationMs: 3.5, retryAfterMs: 0, connectionLevel: false };
const ERROR: PlainError = { code: 'LR_ERR_UPSTREAM_TIMEOUT', message: 'provider "b" did not answer', status: 504, retryAfterMs: 1000 };

function request(over: Partial<CallRequest> = {}): CallRequest {
  return {
    candidates: [{ provider: 'a', model: 'm1' }, { provider: 'b', model: 'm2' }], op: 'chat', body: '{"model":"m1","messages":[]}',
    stream: false, clientWantsUsage: false, dialect: 'chat', meta: null, testCrash: false, ...over,
  };
}

describe('provider codec: calls as frames and back', () => {
  it('a request survives encode → thread → decode, for every dialect and flag', () => {
    const dialects: ClientDialectName[] = ['chat', 'anthropic', 'responses', 'completions'];
    for (const dialect of dialects) {
      for (let bits = 0; bits < 8; bits++) {
        const req = request({ dialect, stream: (bits & 1) !== 0, clientWantsUsage: (bits & 2) !== 0, testCrash: (bits & 4) !== 0, meta: bits === 3 ? '{"responsesEcho":{}}' : null, ...(bits === 5 ? { answerId: 'gen-0123456789abcdef0123456789abcdef' } : {}) });
        const events: Event[] = [];
        applyToActor(overThread(encodeRequest(42, req)), recordingSide(events));
        expect(events).toEqual([['call', 42, req]]);
      }
    }
    const models = request({ candidates: [{ provider: 'p', model: '' }], op: 'models', body: null });
    const events: Event[] = [];
    applyToActor(overThread(encodeRequest(7, models)), recordingSide(events));
    expect(events).toEqual([['call', 7, models]]);
  });

  it('a body given as bytes crosses as bytes; a large one is transferred, never a small one (it may be a slice of Node\'s pool)', () => {
    const large = Buffer.allocUnsafeSlow(20_000).fill(0x20);
    large.write('{"model":"m1","messages":[]}');
    const small = Buffer.from('{"model":"m1","messages":[]}');
    const frames = [encodeRequest(1, request({ body: large })), encodeRequest(2, request({ body: small })), encodeRequest(3, request()), encodeCancel(1)];
    expect(transfersOf(frames)).toEqual([large.buffer]);
    expect(transfersOf([encodeRequest(4, request({ body: large.subarray(1) }))])).toBeUndefined();
    const events: Event[] = [];
    const { port1 } = new MessageChannel();
    port1.postMessage(frames, transfersOf(frames));
    port1.close();
    expect(large.buffer.byteLength).toBe(0);
    applyToActor(overThread(encodeRequest(2, request({ body: small }))), recordingSide(events));
    const body = (events[0]![2] as CallRequest).body as Uint8Array;
    expect(Buffer.from(body).toString()).toBe('{"model":"m1","messages":[]}');
  });

  it('a request frame keeps its compact wire shape: flattened candidates and a flag word', () => {
    const frame = encodeRequest(65, request({ stream: true, clientWantsUsage: true, dialect: 'responses', meta: '{}', answerId: 'gen-1' }));
    // STREAM 1 | CLIENT_WANTS_USAGE 2 | dialect code 2 << 3; the answer's id last
    expect(frame).toEqual([1, 65, ['a', 'm1', 'b', 'm2'], 'chat', '{"model":"m1","messages":[]}', 1 | 2 | (2 << 3), '{}', 'gen-1']);
    expect(encodeRequest(1, request())[7]).toBeNull();
    expect(encodeRequest(1, request({ testCrash: undefined, dialect: 'anthropic' }))[5]).toBe(1 << 3);
    expect(encodeRequest(1, request({ testCrash: true }))[5]).toBe(4);
  });

  it('controls and provider tables survive the trip', () => {
    const providers: ProviderRuntime[] = [{
      name: 'p', type: 'openai', protocol: 'openai', prices: { m: { input_per_mtok: 1, output_per_mtok: 2 } }, baseUrl: 'http://127.0.0.1:1/v1',
      apiKey: 'sk-x', headers: { 'x-a': 'b' }, connectTimeoutMs: 1, maxConnections: 2, firstByteTimeoutMs: 3, idleTimeoutMs: 4, totalTimeoutMs: 5,
    }];
    const frames: ToActorFrame[] = [encodePause(3), encodeResume(3), encodeCancel(3), encodeProviders(providers)];
    const events: Event[] = [];
    for (const f of frames) applyToActor(overThread(f), recordingSide(events));
    expect(events).toEqual([['pause', 3], ['resume', 3], ['abort', 3], ['providers', providers]]);
  });

  it('every handler callback survives encode → thread → decode, in order', () => {
    const sequences: ((h: CallHandler) => void)[] = [
      (h) => { h.onAttempt(ATTEMPT_FAILED); h.onAttempt(ATTEMPT_OK); h.onStart(200, 'text/event-stream; charset=utf-8'); h.onChunk('data: a\n\n'); h.onChunk('data: b\n\n'); h.onEnd(USAGE, 0.0042, 'chatcmpl-up1'); },
      (h) => { h.onAttempt(ATTEMPT_OK); h.onStart(200, 'text/event-stream'); h.onEnd(null, null); },
      (h) => { h.onAttempt(ATTEMPT_OK); h.onResponse(200, 'application/json', '{"ok":true}', USAGE, null, 'msg_up2'); },
      (h) => { h.onAttempt(ATTEMPT_FAILED); h.onResponse(400, 'application/json', '{"error":{}}', null, null); },
      (h) => { h.onAttempt({ ...ATTEMPT_FAILED, status: 0, code: 'LR_ERR_UPSTREAM_UNREACHABLE', connectionLevel: true }); h.onError(ERROR); },
      (h) => { h.onAttempt(ATTEMPT_OK); h.onStart(200, 'text/event-stream'); h.onChunk('x'); h.onError({ code: 'LR_ERR_ACTOR_CRASHED', message: 'gone', status: 502 }); },
    ];
    for (const play of sequences) {
      const direct: Event[] = [];
      play(recordingHandler(direct));
      const frames: FromActorFrame[] = [];
      const done: number[] = [];
      const encoder = new FrameEncoder(9, (f) => frames.push(overThread(f)), (id) => done.push(id));
      play(encoder);
      expect(frames.every((f) => Array.isArray(f) && f[1] === 9)).toBe(true);
      const decoded: Event[] = [];
      const handler = recordingHandler(decoded);
      for (const f of frames) deliverFrame(f, handler);
      expect(decoded).toEqual(direct);
      // Exactly the last frame ends the call, and the encoder said so once.
      expect(frames.map(endsCall)).toEqual(frames.map((_, i) => i === frames.length - 1));
      expect(done).toEqual([9]);
      expect(encoder.ended).toBe(true);
    }
  });

  it('consecutive chunks of one call merge into one frame; other calls and kinds do not', () => {
    const chunk = (id: number, text: string): FromActorFrame => [21, id, text];
    const a = chunk(1, 'ab');
    expect(mergeChunks(a, chunk(1, 'cd'))).toBe(true);
    expect(a).toEqual([21, 1, 'abcd']);
    expect(mergeChunks(a, chunk(2, 'x'))).toBe(false);
    expect(mergeChunks([20, 1, 200, 'text/event-stream'], chunk(1, 'x'))).toBe(false);
    expect(mergeChunks(a, [22, 1, null, null, null])).toBe(false);
  });
});
