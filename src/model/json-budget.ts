/**
 * Nesting budget for JSON text, checked on the raw bytes before anything parses, clones or
 * stringifies it: `JSON.stringify`, structured clone (`postMessage`) and the SDKs recurse, so a
 * body nested a few thousand levels deep would otherwise overflow the stack wherever it goes next.
 */

const QUOTE = 0x22;
const BACKSLASH = 0x5c;
const OPEN_ARRAY = 0x5b;
const OPEN_OBJECT = 0x7b;
const CLOSE_ARRAY = 0x5d;
const CLOSE_OBJECT = 0x7d;

/** The default nesting limit of request bodies and JSON-RPC messages (objects and arrays). */
export const DEFAULT_MAX_JSON_DEPTH = 64;

/**
 * True when `bytes` (UTF-8 JSON text, valid or not) never nests objects/arrays deeper than
 * `maxDepth`. Strings are skipped with `indexOf` (native memchr), so the scan costs a fraction of a
 * parse. Brackets inside strings do not count.
 */
export function withinJsonDepth(bytes: Uint8Array, maxDepth: number): boolean {
  const buf = Buffer.isBuffer(bytes) ? bytes : Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const n = buf.length;
  let depth = 0;
  for (let i = 0; i < n; i++) {
    const c = buf[i];
    if (c === QUOTE) {
      const end = closingQuote(buf, i);
      if (end === -1) return true;
      i = end;
    } else if (c === OPEN_ARRAY || c === OPEN_OBJECT) {
      if (++depth > maxDepth) return false;
    } else if (c === CLOSE_ARRAY || c === CLOSE_OBJECT) {
      depth--;
    }
  }
  return true;
}

/**
 * Index of the quote that closes the JSON string opened at `open` in UTF-8 bytes, or -1 when the
 * text ends first: quotes are found with `indexOf` (native memchr) and an escaped one is skipped.
 */
export function closingQuote(buf: Buffer, open: number): number {
  let j = open;
  for (;;) {
    j = buf.indexOf(QUOTE, j + 1);
    if (j === -1) return -1;
    let backslashes = 0;
    for (let k = j - 1; buf[k] === BACKSLASH; k--) backslashes++;
    if ((backslashes & 1) === 0) return j;
  }
}

/**
 * Depth of an already-built value, walked without recursion; stops as soon as `maxDepth` is passed.
 * For values that did not come from text (a parsed upstream message about to be re-sent).
 */
export function withinValueDepth(value: unknown, maxDepth: number): boolean {
  const stack: [unknown, number][] = [[value, 0]];
  while (stack.length > 0) {
    const [v, d] = stack.pop()!;
    if (typeof v !== 'object' || v === null) continue;
    if (d + 1 > maxDepth) return false;
    const children = Array.isArray(v) ? v : Object.values(v as Record<string, unknown>);
    for (const child of children) if (typeof child === 'object' && child !== null) stack.push([child, d + 1]);
  }
  return true;
}
