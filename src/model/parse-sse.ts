/**
 * Incremental Server-Sent Events framing, shared by every provider and the MCP upstream client (none runs regexes over
 * raw stream text). Pure: the caller owns the state object, the parser owns no module state.
 *
 * Linear in the stream's length however it is split: complete lines are parsed once (the event being
 * built is carried in the state), and a line still arriving is kept as parts until its end shows up.
 * An event larger than {@link MAX_SSE_EVENT_CHARS} is refused instead of growing memory without bound.
 */

/** Largest event accepted (its raw text, in UTF-16 code units): far above any real token event. */
export const MAX_SSE_EVENT_CHARS = 16 * 1024 * 1024;

export interface SseState {
  /** The unfinished last line, in parts (a line arriving in many chunks is joined once). */
  lineParts: string[];
  lineChars: number;
  /** Raw text of the complete lines of the event being built. */
  eventRaw: string;
  data: string | null;
  event: string | null;
}

/** One complete event: its exact raw text (blank-line terminator included) and its joined `data:` lines. */
export interface SseEvent {
  raw: string;
  /** `data:` lines joined with "\n" (one leading space stripped); null when the event had no data (comments only). */
  data: string | null;
  /** The `event:` field, when present. */
  event: string | null;
}

export function createSseState(): SseState {
  return { lineParts: [], lineChars: 0, eventRaw: '', data: null, event: null };
}

/**
 * Appends `text` and calls `onEvent` for every event it completes, in order. Line endings may be
 * `\n`, `\r\n` or `\r`, and may be split across calls. Throws when an event passes
 * {@link MAX_SSE_EVENT_CHARS}.
 */
export function feedSse(state: SseState, text: string, onEvent: (ev: SseEvent) => void): void {
  if (text.length === 0) return;
  if (state.lineChars > 0 && text.indexOf('\n') === -1 && text.indexOf('\r') === -1) {
    // The line goes on: nothing to parse yet.
    state.lineParts.push(text);
    state.lineChars += text.length;
    checkSize(state);
    return;
  }
  const buf = state.lineChars === 0 ? text : state.lineParts.join('') + text;
  state.lineParts = [];
  state.lineChars = 0;
  const n = buf.length;
  let lineStart = 0;
  // The next \r is searched once and reused: most streams have none, and rescanning per line is O(n²).
  let cr = buf.indexOf('\r');
  while (lineStart < n) {
    const lf = buf.indexOf('\n', lineStart);
    if (cr !== -1 && cr < lineStart) cr = buf.indexOf('\r', lineStart);
    let lineEnd: number;
    let next: number;
    if (cr !== -1 && (lf === -1 || cr < lf)) {
      // A lone \r at the very end may be the first half of \r\n: wait for more.
      if (cr === n - 1) break;
      lineEnd = cr;
      next = buf.charCodeAt(cr + 1) === 10 ? cr + 2 : cr + 1;
    } else if (lf !== -1) {
      lineEnd = lf;
      next = lf + 1;
    } else {
      break;
    }
    if (lineEnd === lineStart) {
      // Blank line: dispatch the event (an event of only blank lines is skipped).
      if (state.eventRaw.length > 0) {
        const ev: SseEvent = { raw: state.eventRaw + buf.slice(lineStart, next), data: state.data, event: state.event };
        state.eventRaw = '';
        state.data = null;
        state.event = null;
        onEvent(ev);
      }
    } else {
      takeLine(state, buf.slice(lineStart, lineEnd));
      state.eventRaw += buf.slice(lineStart, next);
      checkSize(state);
    }
    lineStart = next;
  }
  if (lineStart < n) {
    const tail = buf.slice(lineStart);
    state.lineParts.push(tail);
    state.lineChars = tail.length;
    checkSize(state);
  }
}

function takeLine(state: SseState, line: string): void {
  if (line.startsWith('data:')) {
    const value = line.charCodeAt(5) === 32 ? line.slice(6) : line.slice(5);
    state.data = state.data === null ? value : state.data + '\n' + value;
  } else if (line.startsWith('event:')) {
    state.event = line.charCodeAt(6) === 32 ? line.slice(7) : line.slice(6);
  }
}

function checkSize(state: SseState): void {
  if (state.eventRaw.length + state.lineChars > MAX_SSE_EVENT_CHARS) {
    throw new Error(`an event is larger than ${MAX_SSE_EVENT_CHARS / (1024 * 1024)} MiB`);
  }
}

/**
 * Called when the stream ends: an unterminated final event (no blank line after it) is still
 * delivered, since some upstreams close without the terminator. Its raw text is what arrived.
 */
export function endSse(state: SseState, onEvent: (ev: SseEvent) => void): void {
  const tail = state.lineParts.join('');
  const rawSoFar = state.eventRaw + tail;
  if (rawSoFar.length === 0) return;
  if (tail.length > 0 && !tail.endsWith('\r')) takeLine(state, tail);
  else if (tail.endsWith('\r') && tail.length > 1) takeLine(state, tail.slice(0, -1));
  const ev: SseEvent = { raw: rawSoFar, data: state.data, event: state.event };
  state.lineParts = [];
  state.lineChars = 0;
  state.eventRaw = '';
  state.data = null;
  state.event = null;
  onEvent(ev);
}
