import { deltaContent } from './mock-payloads.js';
import { SseFramer, type StreamChecker, type StreamVerdict, type UsageSeen } from './sse-check.js';

interface AnthropicEvent {
  type?: string;
  message?: { usage?: Record<string, unknown> };
  delta?: { type?: string; text?: unknown; stop_reason?: unknown };
  usage?: Record<string, unknown>;
  error?: { message?: string };
}

const count = (v: unknown): number => (typeof v === 'number' && Number.isFinite(v) ? v : 0);

/**
 * The Anthropic-dialect twin of `SseCheck`, for direct calls to the mock's Messages mode: each event
 * one JSON object, `message_start` first, text deltas `t0 `, `t1 `, ... in order, then
 * `message_delta` with the stop reason and usage, then `message_stop` and nothing after it.
 * `ping`s and unknown event types are skipped, as the Messages streaming docs ask.
 */
export class AnthropicSseCheck implements StreamChecker {
  #framer = new SseFramer();
  #expected: number;
  #onFirstDelta: (() => void) | null;
  #started = false;
  #input = 0;
  deltas = 0;
  done = false;
  usage = false;
  usageSeen: UsageSeen | null = null;
  problem: string | null = null;

  constructor(expectedDeltas: number, onFirstDelta: (() => void) | null = null) {
    this.#expected = expectedDeltas;
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
      if (!line.startsWith('data:')) continue; // event:, comments
      if (data !== null) {
        this.#fail(`two data lines in one event (merged frames): ${JSON.stringify(event.slice(0, 120))}`);
        return;
      }
      data = line.charCodeAt(5) === 32 ? line.slice(6) : line.slice(5);
    }
    if (data === null) return;
    if (this.done) {
      this.#fail(`data after message_stop: ${data.slice(0, 80)}`);
      return;
    }
    let ev: AnthropicEvent;
    try {
      ev = JSON.parse(data) as AnthropicEvent;
    } catch {
      this.#fail(`event is not one JSON object (merged or cut frame): ${JSON.stringify(data.slice(0, 120))}`);
      return;
    }
    if (ev.type !== 'message_start' && ev.type !== 'ping' && ev.type !== 'error' && !this.#started) {
      this.#fail(`${String(ev.type)} before message_start`);
      return;
    }
    switch (ev.type) {
      case 'message_start': {
        this.#started = true;
        const u = ev.message?.usage ?? {};
        this.#input = count(u.input_tokens) + count(u.cache_read_input_tokens) + count(u.cache_creation_input_tokens);
        return;
      }
      case 'content_block_delta': {
        if (ev.delta?.type !== 'text_delta' || typeof ev.delta.text !== 'string' || ev.delta.text === '') return;
        const want = deltaContent(this.deltas);
        if (ev.delta.text !== want) this.#fail(`delta ${this.deltas}: expected ${JSON.stringify(want)}, got ${JSON.stringify(ev.delta.text.slice(0, 40))}`);
        if (this.deltas === 0) this.#onFirstDelta?.();
        this.deltas++;
        return;
      }
      case 'message_delta':
        if (typeof ev.delta?.stop_reason !== 'string') this.#fail('message_delta without a stop_reason');
        if (ev.usage) {
          this.usage = true;
          this.usageSeen = { prompt: this.#input, completion: count(ev.usage.output_tokens), cost: null };
        }
        return;
      case 'message_stop':
        this.done = true;
        return;
      case 'error':
        this.#fail(`error event: ${ev.error?.message ?? data.slice(0, 120)}`);
        return;
      default:
        // ping, content_block_start/stop, and event types added later
    }
  }

  /** Call once the body has ended. */
  verdict(): StreamVerdict {
    const rest = this.#framer.rest;
    if (rest.trim() !== '') this.#fail(`unterminated event at end: ${JSON.stringify(rest.slice(0, 80))}`);
    if (this.deltas !== this.#expected) this.#fail(`got ${this.deltas} deltas, expected ${this.#expected}`);
    if (!this.done) this.#fail('no message_stop');
    if (!this.usage) this.#fail('no usage in message_delta');
    return { ok: this.problem === null, deltas: this.deltas, done: this.done, usage: this.usage, problem: this.problem };
  }
}
