/**
 * The engine interface (`UpstreamEngine` in src/model) as provider frames, both ways: a call and its
 * controls become ingress → actor frames, handler callbacks become actor → ingress frames, and each
 * is turned back on the other side. The only module that builds or reads a provider frame.
 */
import type { Attempt, CallHandler, CallRequest, ClientDialectName, PlainError, ProviderRuntime, Usage } from '../model/index.js';
import {
  CLIENT_DIALECT, FRAME, REQ_FLAG, type AttemptFrame, type FromActorFrame, type MemoryFrame, type ReadyFrame, type RequestFrame, type ToActorFrame,
} from './protocol.js';

/** Dialect names by their flag code. */
const DIALECT_NAMES: readonly ClientDialectName[] = ['chat', 'anthropic', 'responses', 'completions'];

// ---- ingress → actor ----

export function encodeRequest(id: number, request: CallRequest): RequestFrame {
  const list = request.candidates;
  const candidates = new Array<string>(list.length * 2);
  for (let i = 0; i < list.length; i++) {
    candidates[2 * i] = list[i]!.provider;
    candidates[2 * i + 1] = list[i]!.model;
  }
  const flags = (request.stream ? REQ_FLAG.STREAM : 0) | (request.clientWantsUsage ? REQ_FLAG.CLIENT_WANTS_USAGE : 0)
    | (request.testCrash === true ? REQ_FLAG.TEST_CRASH : 0) | (CLIENT_DIALECT[request.dialect] << REQ_FLAG.DIALECT_SHIFT);
  return [FRAME.REQUEST, id, candidates, request.op, request.body, flags, request.meta, request.answerId ?? null];
}

/**
 * The memory a batch of frames hands over instead of copying: request bodies given as bytes (which
 * own their ArrayBuffer, see `CallRequest.body`). Only large ones: a view shorter than half of
 * Node's pool could be a slice of that shared pool, and for small bodies a copy costs nothing.
 */
export function transfersOf(frames: readonly ToActorFrame[]): ArrayBuffer[] | undefined {
  let list: ArrayBuffer[] | undefined;
  for (let i = 0; i < frames.length; i++) {
    const frame = frames[i]!;
    if (frame[0] !== FRAME.REQUEST) continue;
    const body = frame[4];
    if (body === null || typeof body === 'string' || body.byteOffset !== 0 || body.byteLength < TRANSFER_MIN_BYTES) continue;
    if (!(body.buffer instanceof ArrayBuffer)) continue;
    (list ??= []).push(body.buffer);
  }
  return list;
}

const TRANSFER_MIN_BYTES = Buffer.poolSize;

export function encodeCancel(id: number): ToActorFrame {
  return [FRAME.CANCEL, id];
}

export function encodePause(id: number): ToActorFrame {
  return [FRAME.PAUSE, id];
}

export function encodeResume(id: number): ToActorFrame {
  return [FRAME.RESUME, id];
}

export function encodeProviders(providers: ProviderRuntime[]): ToActorFrame {
  return [FRAME.PROVIDERS, 0, providers];
}

/** What an actor does with the frames it receives. */
export interface ActorSide {
  call(id: number, request: CallRequest): void;
  abort(id: number): void;
  pause(id: number): void;
  resume(id: number): void;
  setProviders(providers: ProviderRuntime[]): void;
}

/** Turns one ingress → actor frame into the call it encodes. */
export function applyToActor(frame: ToActorFrame, side: ActorSide): void {
  switch (frame[0]) {
    case FRAME.REQUEST: return side.call(frame[1], decodeRequest(frame));
    case FRAME.CANCEL: return side.abort(frame[1]);
    case FRAME.PAUSE: return side.pause(frame[1]);
    case FRAME.RESUME: return side.resume(frame[1]);
    case FRAME.PROVIDERS: return side.setProviders(frame[2]);
  }
}

export function decodeRequest(frame: RequestFrame): CallRequest {
  const flat = frame[2];
  const candidates = new Array<{ provider: string; model: string }>(flat.length >> 1);
  for (let i = 0; i < candidates.length; i++) candidates[i] = { provider: flat[2 * i]!, model: flat[2 * i + 1]! };
  const flags = frame[5];
  return {
    candidates, op: frame[3], body: frame[4],
    stream: (flags & REQ_FLAG.STREAM) !== 0,
    clientWantsUsage: (flags & REQ_FLAG.CLIENT_WANTS_USAGE) !== 0,
    dialect: DIALECT_NAMES[(flags & REQ_FLAG.DIALECT_MASK) >> REQ_FLAG.DIALECT_SHIFT]!,
    meta: frame[6],
    testCrash: (flags & REQ_FLAG.TEST_CRASH) !== 0,
    answerId: frame[7] ?? undefined,
  };
}

// ---- actor → ingress ----

export const READY_FRAME: ReadyFrame = [FRAME.READY, 0];

export function isReady(frame: FromActorFrame): frame is ReadyFrame {
  return frame[0] === FRAME.READY;
}

export function memoryFrame(memory: ArrayBuffer): MemoryFrame {
  return [FRAME.MEMORY, 0, memory];
}

export function isMemory(frame: FromActorFrame): frame is MemoryFrame {
  return frame[0] === FRAME.MEMORY;
}

/** The memory a batch of actor frames hands back (MEMORY frames), to be transferred, not copied. */
export function transfersFromActor(frames: readonly FromActorFrame[]): ArrayBuffer[] | undefined {
  let list: ArrayBuffer[] | undefined;
  for (let i = 0; i < frames.length; i++) {
    const frame = frames[i]!;
    if (frame[0] === FRAME.MEMORY) (list ??= []).push(frame[2]);
  }
  return list;
}

/** The call a frame belongs to (0 for READY). */
export function callIdOf(frame: FromActorFrame): number {
  return frame[1];
}

/** True for the frames that end a call: END, FULL, ERROR. */
export function endsCall(frame: FromActorFrame): boolean {
  const kind = frame[0];
  return kind === FRAME.END || kind === FRAME.FULL || kind === FRAME.ERROR;
}

/** Calls the handler callback an actor → ingress frame encodes. */
export function deliverFrame(frame: FromActorFrame, handler: CallHandler): void {
  switch (frame[0]) {
    case FRAME.ATTEMPT: return handler.onAttempt(decodeAttempt(frame));
    case FRAME.HEAD: return handler.onStart(frame[2], frame[3]);
    case FRAME.CHUNK: return handler.onChunk(frame[2]);
    case FRAME.END: return handler.onEnd(frame[2], frame[3], frame[4]);
    case FRAME.FULL: return handler.onResponse(frame[2], frame[3], frame[4], frame[5], frame[6], frame[7]);
    case FRAME.ERROR: return handler.onError(frame[2]);
  }
}

function decodeAttempt(f: AttemptFrame): Attempt {
  return { provider: f[2], model: f[3], status: f[4], code: f[5], durationMs: f[6], retryAfterMs: f[7], connectionLevel: f[8] };
}

/**
 * The actor side of one call: a handler whose callbacks become frames for the ingress. `onDone`
 * runs once, when the call ends.
 */
export class FrameEncoder implements CallHandler {
  readonly id: number;
  ended = false;
  #push: (frame: FromActorFrame) => void;
  #onDone: (id: number) => void;

  constructor(id: number, push: (frame: FromActorFrame) => void, onDone: (id: number) => void) {
    this.id = id;
    this.#push = push;
    this.#onDone = onDone;
  }

  onAttempt(a: Attempt): void {
    this.#push([FRAME.ATTEMPT, this.id, a.provider, a.model, a.status, a.code, a.durationMs, a.retryAfterMs, a.connectionLevel]);
  }

  onStart(status: number, contentType: string): void {
    this.#push([FRAME.HEAD, this.id, status, contentType]);
  }

  onChunk(text: string): void {
    this.#push([FRAME.CHUNK, this.id, text]);
  }

  onEnd(usage: Usage | null, costUsd: number | null, upstreamId: string | null = null): void {
    this.#end();
    this.#push([FRAME.END, this.id, usage, costUsd, upstreamId]);
  }

  onResponse(status: number, contentType: string, body: string, usage: Usage | null, costUsd: number | null, upstreamId: string | null = null): void {
    this.#end();
    this.#push([FRAME.FULL, this.id, status, contentType, body, usage, costUsd, upstreamId]);
  }

  onError(error: PlainError): void {
    this.#end();
    this.#push([FRAME.ERROR, this.id, error]);
  }

  #end(): void {
    this.ended = true;
    this.#onDone(this.id);
  }
}

/** Folds a CHUNK into the CHUNK queued just before it for the same call, so they travel (and are written) as one. */
export function mergeChunks(last: FromActorFrame, next: FromActorFrame): boolean {
  if (last[0] !== FRAME.CHUNK || next[0] !== FRAME.CHUNK || last[1] !== next[1]) return false;
  last[2] += next[2];
  return true;
}
