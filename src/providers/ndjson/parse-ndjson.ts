/**
 * Incremental newline-delimited JSON framing (Ollama's streams, Cohere's default stream), shared like
 * the SSE framer next door: providers never split raw stream text themselves. Pure: the caller owns
 * the state object. Text comes in already decoded (the exchange's StringDecoder keeps multi-byte
 * characters whole), so only line boundaries can fall between two calls.
 */

export interface NdjsonState {
  /** Text received after the last line break: the start of a line not complete yet. */
  pending: string;
}

export function createNdjsonState(): NdjsonState {
  return { pending: '' };
}

/**
 * Appends `text` and calls `onLine` with every line it completes, in order, without its line break
 * (`\n` or `\r\n`). Blank lines are skipped; lines are not parsed (the caller decides what a bad line
 * means).
 */
export function feedNdjson(state: NdjsonState, text: string, onLine: (line: string) => void): void {
  const nl = text.indexOf('\n');
  if (nl === -1) {
    // Only the new text can hold a line break: a long line split into many chunks stays O(n).
    state.pending += text;
    return;
  }
  let start = 0;
  let end = nl;
  let head = state.pending;
  state.pending = '';
  while (end !== -1) {
    let line = head.length === 0 ? text.slice(start, end) : head + text.slice(start, end);
    head = '';
    if (line.charCodeAt(line.length - 1) === 13 /* \r */) line = line.slice(0, -1);
    if (!isBlank(line)) onLine(line);
    start = end + 1;
    end = text.indexOf('\n', start);
  }
  state.pending = text.slice(start);
}

/** The stream ended: a last line without its line break is still delivered. */
export function endNdjson(state: NdjsonState, onLine: (line: string) => void): void {
  let line = state.pending;
  state.pending = '';
  if (line.charCodeAt(line.length - 1) === 13) line = line.slice(0, -1);
  if (!isBlank(line)) onLine(line);
}

function isBlank(line: string): boolean {
  for (let i = 0; i < line.length; i++) {
    const c = line.charCodeAt(i);
    if (c !== 32 && c !== 9 && c !== 13) return false;
  }
  return true;
}
