import { deltaContent } from './mock-payloads.js';

/** Token counts (and `usage.cost`, when the gateway adds it) a client read from one answer. */
export interface UsageSeen {
  prompt: number;
  completion: number;
  cost: number | null;
}

/** Reads OpenAI-dialect `usage` (what the gateway returns on every route). */
export function openAIUsage(u: unknown): UsageSeen | null {
  if (u === null || typeof u !== 'object') return null;
  const { prompt_tokens: prompt, completion_tokens: completion, cost } = u as Record<string, unknown>;
  if (typeof prompt !== 'number' || typeof completion !== 'number') return null;
  return { prompt, completion, cost: typeof cost === 'number' ? cost : null };
}

/** What the load child needs of a stream checker, whichever dialect it reads. */
export interface StreamChecker {
  feed(text: string): void;
  verdict(): StreamVerdict;
  /** The usage the stream reported, once it did. */
  readonly usageSeen: UsageSeen | null;
}

/** What one streamed answer looked like to the client. */
export interface StreamVerdict {
  ok: boolean;
  deltas: number;
  done: boolean;
  usage: boolean;
  /** First thing that was wrong, e.g. `delta 5: expected "t5 " got "t6 "` (a dropped frame). */
  problem: string | null;
}

/** Splits SSE text (any split, LF or CRLF) into events; `rest` is what has not ended yet. */
export class SseFramer {
  #buf = '';

  feed(text: string, onEvent: (event: string) => void): void {
    this.#buf += text;
    if (this.#buf.includes('\r')) {
      // A CR at the very end may be the first half of a CRLF split across reads.
      const keep = this.#buf.endsWith('\r');
      const body = (keep ? this.#buf.slice(0, -1) : this.#buf).replace(/\r\n?/g, '\n');
      this.#buf = keep ? `${body}\r` : body;
    }
    let at: number;
    while ((at = this.#buf.indexOf('\n\n')) !== -1) {
      const event = this.#buf.slice(0, at);
      this.#buf = this.#buf.slice(at + 2);
      onEvent(event);
    }
  }

  get rest(): string {
    return this.#buf;
  }
}

/**
 * Incremental SSE reader that checks a mock stream frame by frame: every event must carry exactly
 * one JSON chunk, content deltas must be `t0 `, `t1 `, ... in order (so a dropped, merged or
 * reordered frame is caught), then an optional usage chunk, then `[DONE]` and nothing after it.
 * Role-only or empty-content chunks are allowed (a gateway may normalize them).
 */
export class SseCheck implements StreamChecker {
  #framer = new SseFramer();
  #expected: number;
  #expectUsage: boolean;
  #onFirstDelta: (() => void) | null;
  deltas = 0;
  done = false;
  usage = false;
  usageSeen: UsageSeen | null = null;
  problem: string | null = null;

  constructor(expectedDeltas: number, expectUsage: boolean, onFirstDelta: (() => void) | null = null) {
    this.#expected = expectedDeltas;
    this.#expectUsage = expectUsage;
    this.#onFirstDelta = onFirstDelta;
  }

  feed(text: string): void {
    this.#framer.feed(text, (event) => this.#event(event));
  }

  #fail(why: string): void {
    this.problem ??= why;
  }

  #event(event: string): void {
    let data: string | null = null;
    for (const line of event.split('\n')) {
      if (!line.startsWith('data:')) continue; // comments, event:, id:, retry:
      const value = line.charCodeAt(5) === 32 ? line.slice(6) : line.slice(5);
      if (data !== null) {
        this.#fail(`two data lines in one event (merged frames): ${JSON.stringify(event.slice(0, 120))}`);
        return;
      }
      data = value;
    }
    if (data === null) return;
    if (this.done) {
      this.#fail(`data after [DONE]: ${data.slice(0, 80)}`);
      return;
    }
    if (data === '[DONE]') {
      this.done = true;
      return;
    }
    let chunk: { error?: { message?: string }; choices?: { delta?: { content?: unknown } }[]; usage?: unknown };
    try {
      chunk = JSON.parse(data);
    } catch {
      this.#fail(`event is not one JSON object (merged or cut frame): ${JSON.stringify(data.slice(0, 120))}`);
      return;
    }
    if (chunk.error) {
      this.#fail(`error event: ${chunk.error.message ?? JSON.stringify(chunk.error)}`);
      return;
    }
    if (Array.isArray(chunk.choices) && chunk.choices.length === 0) {
      if (chunk.usage) {
        this.usage = true;
        this.usageSeen = openAIUsage(chunk.usage);
      }
      return;
    }
    const content = chunk.choices?.[0]?.delta?.content;
    if (typeof content !== 'string' || content === '') return;
    const want = deltaContent(this.deltas);
    if (content !== want) {
      this.#fail(`delta ${this.deltas}: expected ${JSON.stringify(want)}, got ${JSON.stringify(content.slice(0, 40))}`);
    }
    if (this.deltas === 0) this.#onFirstDelta?.();
    this.deltas++;
  }

  /** Call once the body has ended. */
  verdict(): StreamVerdict {
    const rest = this.#framer.rest;
    if (rest.trim() !== '') this.#fail(`unterminated event at end: ${JSON.stringify(rest.slice(0, 80))}`);
    if (this.deltas !== this.#expected) this.#fail(`got ${this.deltas} deltas, expected ${this.#expected}`);
    if (!this.done) this.#fail('no [DONE]');
    if (this.#expectUsage && !this.usage) this.#fail('no usage chunk');
    return { ok: this.problem === null, deltas: this.deltas, done: this.done, usage: this.usage, problem: this.problem };
  }
}
