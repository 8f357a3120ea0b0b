/**
 * Incremental Server-Sent Events framing, shared by every provider (no provider runs regexes over
 * raw stream text). Pure: the caller owns the state object, the parser owns no module state.
 */

export interface SseState {
  /** Text received but not yet part of a complete event. */
  pending: string;
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
  return { pending: '' };
}

/**
 * Appends `text` and calls `onEvent` for every event it completes, in order. Line endings may be
 * `\n`, `\r\n` or `\r`, and may be split across calls.
 */
export function feedSse(state: SseState, text: string, onEvent: (ev: SseEvent) => void): void {
  const buf = state.pending.length === 0 ? text : state.pending + text;
  let eventStart = 0;
  let lineStart = 0;
  let data: string | null = null;
  let event: string | null = null;
  const n = buf.length;
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
      if (lineStart > eventStart) {
        onEvent({ raw: buf.slice(eventStart, next), data, event });
      }
      eventStart = next;
      data = null;
      event = null;
    } else {
      const line = buf.slice(lineStart, lineEnd);
      if (line.startsWith('data:')) {
        const value = line.charCodeAt(5) === 32 ? line.slice(6) : line.slice(5);
        data = data === null ? value : data + '\n' + value;
      } else if (line.startsWith('event:')) {
        event = line.charCodeAt(6) === 32 ? line.slice(7) : line.slice(6);
      }
    }
    lineStart = next;
  }
  state.pending = buf.slice(eventStart);
}

/**
 * Called when the stream ends: an unterminated final event (no blank line after it) is still
 * delivered, since some upstreams close without the terminator.
 */
export function endSse(state: SseState, onEvent: (ev: SseEvent) => void): void {
  if (state.pending.length === 0) return;
  const tail = state.pending;
  state.pending = '';
  const terminated = tail.endsWith('\n') || tail.endsWith('\r') ? tail : tail + '\n';
  feedSse(state, terminated + '\n', (ev) => onEvent({ ...ev, raw: tail }));
  state.pending = '';
}
