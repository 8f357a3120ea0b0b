import { LocalRouterError } from '../../errors/index.js';
import { createSseState, endSse, feedSse, type SseEvent, type SseState } from '../../model/index.js';
import type { PlainError, Usage } from '../../model/index.js';
import { relayedError, streamError } from './from-openai-chunks.js';
import { SCAN, scanOpenAIBody } from './scan-body.js';
import { usageOf } from './usage.js';
import type { AnswerIdentity } from '../adapter.js';
import { rewriteIdentity } from '../answer-identity.js';

/**
 * Same-dialect pass-through of an OpenAI chat-completions SSE stream: events are forwarded byte for
 * byte, while the upstream's real usage is read on the way. The gateway always asks upstream for
 * usage (`stream_options.include_usage`); when the client did not, the usage chunk and the
 * `"usage":null` fields it causes are removed so the client sees what it asked for. A stream that
 * closes before a `finish_reason` or `data: [DONE]` was cut short, and an event that is not a JSON
 * object is garbage: both end the stream with an error. After an upstream error event (relayed as it
 * came) the call fails with that error, marked as relayed, so the client gets no second one.
 */
export interface OpenAIStreamState {
  sse: SseState;
  clientWantsUsage: boolean;
  usage: Usage | null;
  sawDone: boolean;
  /** A choice reported its `finish_reason`. */
  sawFinish: boolean;
  /** Named in the error of a stream cut short. */
  provider: string;
  /** The error the upstream reported in an event, relayed to the client as it came. */
  failedWith: PlainError | null;
  /** The `id` and `model` every chunk carries to the client instead of the upstream's; null keeps the upstream's. */
  answer: AnswerIdentity | null;
  /** The upstream's own id, from its first chunk that has one. */
  upstreamId: string | null;
  /**
   * The head of the last spliced event up to its `id` and `model` (`data: {"id":…,"model":"…"`), and
   * that head rewritten: chunks of one stream share it, so the next one that starts with the same
   * bytes gets the rewritten head without a scan.
   */
  head: string;
  headOut: string;
}

export function createOpenAIStreamState(clientWantsUsage: boolean, provider = 'upstream', answer: AnswerIdentity | null = null): OpenAIStreamState {
  return { sse: createSseState(), clientWantsUsage, usage: null, sawDone: false, sawFinish: false, provider, failedWith: null, answer, upstreamId: null, head: '', headOut: '' };
}

/** Feeds upstream text; returns the text to forward to the client (possibly empty). */
export function passOpenAIStream(state: OpenAIStreamState, text: string): string {
  let out = '';
  feedSse(state.sse, text, (ev) => { out += forwardEvent(state, ev); });
  return out;
}

/**
 * Call at upstream end: forwards an unterminated last event, if any. Throws
 * LR_ERR_UPSTREAM_BAD_RESPONSE when the stream never said it was finished.
 */
export function endOpenAIStream(state: OpenAIStreamState): string {
  let out = '';
  endSse(state.sse, (ev) => { out += forwardEvent(state, ev); });
  if (!state.sawDone && !state.sawFinish) {
    // The client has the upstream's error event already: the call fails with it, and nothing more is sent.
    if (state.failedWith !== null) throw relayedError(state.failedWith);
    throw new LocalRouterError('LR_ERR_UPSTREAM_BAD_RESPONSE', `provider "${state.provider}" ended the stream before a finish_reason or [DONE]`);
  }
  return out;
}

function forwardEvent(state: OpenAIStreamState, ev: SseEvent): string {
  const data = ev.data;
  if (data === null) return ev.raw;
  if (data === '[DONE]') {
    state.sawDone = true;
    return ev.raw;
  }
  // Bytes pass through unparsed, but an event the client's SDK could not parse is never relayed:
  // one structural pass (strings skipped natively) is far cheaper than a parse.
  const scan = scanOpenAIBody(data);
  if (!scan.ok) {
    throw new LocalRouterError('LR_ERR_UPSTREAM_BAD_RESPONSE', `provider "${state.provider}" sent a stream event that is not a JSON object (${scan.reason})`);
  }
  // The scan's pass noted the members acted on here: no further search of the event's text.
  const found = scan.found;
  if ((found & SCAN.FINISH) !== 0) state.sawFinish = true;
  // Only an event carrying an error object is parsed: a chunk with `"error":null` stays on the fast path.
  if (state.failedWith === null && (found & SCAN.ERROR_OBJECT) !== 0) state.failedWith = errorOfEvent(data);
  if ((found & SCAN.USAGE_OBJECT) !== 0) return usageEvent(state, ev, data);
  const raw = state.answer === null ? ev.raw : withIdentity(state, state.answer, ev.raw, data);
  if (!state.clientWantsUsage && (found & SCAN.USAGE_NULL) !== 0) {
    return raw.replace(',"usage":null', '').replace('"usage":null,', '');
  }
  return raw;
}

/**
 * The event with the gateway's `id` and `model` spliced into its data (every other byte as it
 * came), the upstream's id noted. The usual event is one `data: ` line, rewritten where it lies,
 * scanning only up to `id` and `model`; any other shape (data on several lines, other fields) has
 * its data rewritten whole and written back on one `data:` line.
 */
function withIdentity(state: OpenAIStreamState, answer: AnswerIdentity, raw: string, data: string): string {
  const at = oneDataLineAt(raw, data);
  if (at !== -1) {
    if (state.head.length > 0 && raw.startsWith(state.head)) return state.headOut + raw.slice(state.head.length);
    const spliced = rewriteIdentity(raw, answer, at, { untilFound: true, readUpstreamId: state.upstreamId === null });
    if (spliced !== null) {
      state.upstreamId ??= spliced.upstreamId;
      if (spliced.headEnd !== undefined) {
        state.head = raw.slice(0, spliced.headEnd);
        state.headOut = spliced.text.slice(0, spliced.headEnd + spliced.text.length - raw.length);
      }
      return spliced.text;
    }
  }
  const rewritten = rewriteIdentity(data, answer);
  if (rewritten === null) return raw;
  state.upstreamId ??= rewritten.upstreamId;
  return rewritten.text === data ? raw : `data: ${rewritten.text}\n\n`;
}

/**
 * Where `data` starts in `raw` when the event is `data:` (one optional space) + `data` + its end (a
 * blank line, at most 4 characters), else -1: anything more (a second data line adds at least 6,
 * another field more) does not fit in what is left.
 */
function oneDataLineAt(raw: string, data: string): number {
  if (!raw.startsWith('data:')) return -1;
  const at = raw.charCodeAt(5) === 0x20 ? 6 : 5;
  const after = at + data.length;
  if (raw.length - after > 4 || raw.length <= after) return -1;
  const c = raw.charCodeAt(after);
  return c === 0x0a || c === 0x0d ? at : -1;
}

function usageEvent(state: OpenAIStreamState, ev: SseEvent, data: string): string {
  let chunk: { usage?: unknown; choices?: unknown[] };
  try {
    chunk = JSON.parse(data) as typeof chunk;
  } catch {
    return ev.raw;
  }
  state.usage = usageOf(chunk.usage as Parameters<typeof usageOf>[0]) ?? state.usage;
  if (state.clientWantsUsage) return state.answer === null ? ev.raw : withIdentity(state, state.answer, ev.raw, data);
  // The dedicated usage chunk has no choices: drop it. A content chunk that also carries usage keeps its content.
  if (!Array.isArray(chunk.choices) || chunk.choices.length === 0) return '';
  delete chunk.usage;
  if (state.answer !== null) {
    const c = chunk as Record<string, unknown>;
    if (typeof c.id === 'string') state.upstreamId ??= c.id;
    if ('id' in c) c.id = state.answer.id;
    if ('model' in c) c.model = state.answer.model;
  }
  return `data: ${JSON.stringify(chunk)}\n\n`;
}

/** The upstream's error when the event is an error object (`{"error": {...}}`), else null. */
function errorOfEvent(data: string): PlainError | null {
  try {
    const e = (JSON.parse(data) as { error?: unknown }).error;
    return typeof e === 'object' && e !== null && !Array.isArray(e) ? streamError(e as Parameters<typeof streamError>[0]) : null;
  } catch {
    return null;
  }
}
