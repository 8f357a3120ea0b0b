import { LocalRouterError } from '../../errors/index.js';
import { createSseState, endSse, feedSse, MAX_SSE_EVENT_CHARS, type SseEvent, type SseState } from '../../model/index.js';
import type { PlainError, Usage } from '../../model/index.js';
import { relayedError, streamError } from './from-openai-chunks.js';
import { createRangeScan, SCAN, scanJsonRange, scanOpenAIBody, type RangeScan } from './scan-body.js';
import { injectCost, usageOf } from './usage.js';
import type { AnswerIdentity, CostOf } from '../adapter.js';
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
  /** Whether the rest of an event after `head` may be scanned alone (the head holds no member the relay acts on). */
  headResumes: boolean;
  /** The scan every event reuses. */
  scan: RangeScan;
  /** Where {@link passPlainEvents} stopped in the text it was given. */
  plainEnd: number;
  /** Prices the usage a client is handed: its chunk's usage object gets the `cost`. */
  costOf: CostOf | null;
}

export function createOpenAIStreamState(clientWantsUsage: boolean, provider = 'upstream', answer: AnswerIdentity | null = null, costOf: CostOf | null = null): OpenAIStreamState {
  return {
    sse: createSseState(), clientWantsUsage, usage: null, sawDone: false, sawFinish: false, provider, failedWith: null, answer, upstreamId: null,
    head: '', headOut: '', headResumes: false, scan: createRangeScan(), plainEnd: 0, costOf,
  };
}

/** Feeds upstream text; returns the text to forward to the client (possibly empty). */
export function passOpenAIStream(state: OpenAIStreamState, text: string): string {
  let out = '';
  let from = 0;
  if (idle(state.sse) && text.indexOf('\r') === -1) {
    out = passPlainEvents(state, text);
    from = state.plainEnd;
  }
  if (from < text.length) feedSse(state.sse, from === 0 ? text : text.slice(from), (ev) => { out += forwardEvent(state, ev); });
  return out;
}

/** No line or event of the SSE framing is waiting for more text. */
function idle(sse: SseState): boolean {
  return sse.lineChars === 0 && sse.eventRaw.length === 0;
}

/**
 * The common shape of a chat stream, relayed without the generic SSE framing: whole events of one
 * `data: ` line ended by a blank line, `\n` only (the caller checked the text has no `\r`). Each is
 * checked as {@link forwardEvent} does, on the text where it lies (no event object, no copy of its
 * data); a chunk that starts with the head of the last rewritten one gets the rewritten head, and
 * only the rest of it is scanned. Returns the text for the client; `state.plainEnd` is where the
 * first event of any other shape, or an incomplete one, starts: the generic framing takes the text
 * from there.
 */
function passPlainEvents(state: OpenAIStreamState, text: string): string {
  const scan = state.scan;
  const n = text.length;
  let out = '';
  let pos = 0;
  while (pos < n) {
    const lf = text.indexOf('\n', pos);
    // Incomplete, not one `data: ` line and a blank line, or too large: the generic framing decides.
    if (lf === -1 || lf + 1 >= n || text.charCodeAt(lf + 1) !== 0x0a || !text.startsWith('data: ', pos) || lf - pos > MAX_SSE_EVENT_CHARS) break;
    const next = lf + 2;
    const head = state.head;
    if (state.headResumes && text.startsWith(head, pos)) {
      if (!scanJsonRange(text, pos + head.length, lf, true, scan, pos + 6)) throw badEvent(state, scan.reason);
      const found = scan.found;
      // An error object or a usage object (the last chunks) goes the general way: it is parsed there.
      if ((found & SCAN.ERROR_OBJECT) !== 0 || scan.usageOpen !== -1) {
        out += forwardEvent(state, { raw: text.slice(pos, next), data: text.slice(pos + 6, lf), event: null });
      } else {
        if ((found & SCAN.FINISH) !== 0) state.sawFinish = true;
        const at = (found & SCAN.USAGE_NULL) !== 0 && !state.clientWantsUsage ? scan.usageNullAt : -1;
        out += state.headOut + (at === -1 ? text.slice(pos + head.length, next) : withoutUsageNull(text, pos + head.length, at, next));
      }
    } else if (text.startsWith('[DONE]', pos + 6) && lf === pos + 12) {
      state.sawDone = true;
      out += text.slice(pos, next);
    } else {
      out += forwardEvent(state, { raw: text.slice(pos, next), data: text.slice(pos + 6, lf), event: null });
    }
    pos = next;
  }
  state.plainEnd = pos;
  return out;
}

/** `text[from, to)` without the `"usage":null` member whose key starts at `at` (and one comma beside it), when written compactly. */
function withoutUsageNull(text: string, from: number, at: number, to: number): string {
  if (text.startsWith(',"usage":null', at - 1) && at - 1 >= from) return text.slice(from, at - 1) + text.slice(at + 12, to);
  if (text.startsWith('"usage":null,', at)) return text.slice(from, at) + text.slice(at + 13, to);
  return text.slice(from, to);
}

function badEvent(state: OpenAIStreamState, reason: string): LocalRouterError {
  return new LocalRouterError('LR_ERR_UPSTREAM_BAD_RESPONSE', `provider "${state.provider}" sent a stream event that is not a JSON object (${reason})`);
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
  if (!scan.ok) throw badEvent(state, scan.reason);
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
        state.headResumes = resumable(state.head);
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
 * Whether the rest of an event after `head` can be scanned alone: the head (`data: {` up to the later
 * of `id` and `model`'s values, all top-level members) names no member the relay acts on.
 */
function resumable(head: string): boolean {
  return head.startsWith('data: {') && !head.includes('"usage"') && !head.includes('"error"') && !head.includes('"finish_reason"');
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
  if (state.clientWantsUsage) return priced(state, state.answer === null ? ev.raw : withIdentity(state, state.answer, ev.raw, data));
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

/** A chunk that hands the client its usage, with the cost of the usage known then in its usage object. */
function priced(state: OpenAIStreamState, event: string): string {
  const cost = state.costOf === null || state.usage === null ? null : state.costOf(state.usage);
  return cost === null ? event : injectCost(event, cost);
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
