/**
 * The members of a JSON body's top-level object, found on the bytes, and edits of them spliced into
 * the bytes: what lets an OpenAI-dialect request go upstream with only its `model` (and the usage
 * option) changed, instead of re-serializing a body that can be megabytes of history and tools.
 *
 * The scan expects text `JSON.parse` has already accepted; it still checks every byte it relies on
 * and gives up (null) on anything unexpected, and also where bytes and parsed value could disagree
 * about a top-level member: a key written twice (`JSON.parse` keeps the last one, some upstreams
 * the first) or a key with an escape (`"mod\u0065l"` is `model` to a parser, not to a byte compare).
 * Callers then serialize the parsed value instead.
 */
import { closingQuote } from '../model/index.js';
import { assertNotGivenBack } from './body-pool.js';

/** JSON's structural bytes, shared with the skim (json-skim.ts). */
export const QUOTE = 0x22;
export const BACKSLASH = 0x5c;
export const COMMA = 0x2c;
export const COLON = 0x3a;
export const OPEN_OBJECT = 0x7b;
export const CLOSE_OBJECT = 0x7d;
export const OPEN_ARRAY = 0x5b;
export const CLOSE_ARRAY = 0x5d;

/** One top-level member: `start` is its key's opening quote, `end` is just past its value. */
export interface TopLevelMember {
  /** The key's bytes as latin1 (exact for ASCII keys; distinct bytes stay distinct otherwise). */
  key: string;
  start: number;
  /** The key's closing quote. */
  keyEnd: number;
  valueStart: number;
  end: number;
}

/** The top-level object of a JSON text. */
export interface TopLevelObject {
  members: TopLevelMember[];
  /** Offset of the closing brace. */
  close: number;
}

/** JSON whitespace (space, tab, LF, CR): what `JSON.parse` skips between tokens. */
function isSpace(c: number | undefined): boolean {
  return c === 0x20 || c === 0x0a || c === 0x0d || c === 0x09;
}

function skipSpace(buf: Buffer, i: number): number {
  while (isSpace(buf[i])) i++;
  return i;
}

/** Just past the value that starts at `i` (strings skipped with `indexOf`), or -1 when the text ends first. */
function skipValue(buf: Buffer, i: number): number {
  const n = buf.length;
  const first = buf[i];
  if (first === QUOTE) {
    const end = closingQuote(buf, i);
    return end === -1 ? -1 : end + 1;
  }
  if (first === OPEN_OBJECT || first === OPEN_ARRAY) {
    let depth = 0;
    for (let j = i; j < n; j++) {
      const c = buf[j];
      if (c === QUOTE) {
        j = closingQuote(buf, j);
        if (j === -1) return -1;
      } else if (c === OPEN_OBJECT || c === OPEN_ARRAY) {
        depth++;
      } else if (c === CLOSE_OBJECT || c === CLOSE_ARRAY) {
        if (--depth === 0) return j + 1;
      }
    }
    return -1;
  }
  // A number, true, false or null: up to the next delimiter.
  let j = i;
  while (j < n) {
    const c = buf[j];
    if (c === COMMA || c === CLOSE_OBJECT || c === CLOSE_ARRAY || isSpace(c)) break;
    j++;
  }
  return j === i ? -1 : j;
}

/**
 * The members of the top-level object of `bytes` (UTF-8 JSON text that `JSON.parse` accepted), or
 * null when the text is not one object, has a top-level key written twice or a key with an escape.
 */
export function scanTopLevel(bytes: Uint8Array): TopLevelObject | null {
  const buf = Buffer.isBuffer(bytes) ? bytes : Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  let i = skipSpace(buf, 0);
  if (buf[i] !== OPEN_OBJECT) return null;
  i = skipSpace(buf, i + 1);
  const members: TopLevelMember[] = [];
  const seen = new Set<string>();
  if (buf[i] === CLOSE_OBJECT) return skipSpace(buf, i + 1) === buf.length ? { members, close: i } : null;
  for (;;) {
    if (buf[i] !== QUOTE) return null;
    const start = i;
    const keyEnd = closingQuote(buf, i);
    if (keyEnd === -1) return null;
    // Escapes, and control characters (which no parser accepts), are left to the parser.
    for (let k = start + 1; k < keyEnd; k++) if (buf[k] === BACKSLASH || buf[k]! < 0x20) return null;
    const key = buf.toString('latin1', start + 1, keyEnd);
    if (seen.has(key)) return null;
    seen.add(key);
    i = skipSpace(buf, keyEnd + 1);
    if (buf[i] !== COLON) return null;
    const valueStart = skipSpace(buf, i + 1);
    const end = skipValue(buf, valueStart);
    if (end === -1) return null;
    members.push({ key, start, keyEnd, valueStart, end });
    i = skipSpace(buf, end);
    if (buf[i] === COMMA) {
      i = skipSpace(buf, i + 1);
      continue;
    }
    if (buf[i] !== CLOSE_OBJECT) return null;
    return skipSpace(buf, i + 1) === buf.length ? { members, close: i } : null;
  }
}

/**
 * `bytes` with top-level members edited: each key of `set` gets that JSON text as its value (in
 * place when the member exists, else appended as the last member, in `set`'s order), and each key
 * of `drop` is removed with the comma that separated it. Everything else is copied as it was, so
 * for text written by `JSON.stringify` the result is what `JSON.stringify` would write for the
 * edited value. The result owns its memory (not a slice of Node's shared pool), so it can be
 * cloned or transferred to a thread without the bytes around it.
 *
 * `inPlace`: the caller owns all of `bytes`' ArrayBuffer and gives it up: when `bytes` starts it,
 * is at least `Buffer.poolSize` long (so never a slice of Node's pool) and the result fits in it,
 * it is spliced there (and `bytes` is overwritten), else into new memory.
 */
export function spliceTopLevel(bytes: Uint8Array, top: TopLevelObject, set: ReadonlyMap<string, string>, drop: readonly string[], inPlace = false): Buffer {
  const buf = Buffer.isBuffer(bytes) ? bytes : Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const { keepFrom, keepTo, insert } = splicePlan(buf, top, set, drop);
  const inserted = insert.map((text) => (text === null ? null : Buffer.from(text, 'utf8')));
  let total = 0;
  for (let i = 0; i < keepFrom.length; i++) total += keepTo[i]! - keepFrom[i]! + (inserted[i]?.length ?? 0);
  // Never into a slice of Node's shared pool (a small buffer), whatever the caller says: other buffers live there.
  if (inPlace && buf.byteOffset === 0 && buf.length >= Buffer.poolSize && total <= buf.buffer.byteLength) return spliceInPlace(buf, total, keepFrom, keepTo, inserted);
  const out = Buffer.allocUnsafeSlow(total);
  let at = 0;
  for (let i = 0; i < keepFrom.length; i++) {
    at += buf.copy(out, at, keepFrom[i]!, keepTo[i]!);
    const bytes = inserted[i];
    if (bytes !== null && bytes !== undefined) at += bytes.copy(out, at);
  }
  return out;
}

/** Byte ranges of the original to keep, in order, each with the text to insert after it (or null). */
interface SplicePlan {
  keepFrom: number[];
  keepTo: number[];
  insert: (string | null)[];
}

function splicePlan(buf: Buffer, top: TopLevelObject, set: ReadonlyMap<string, string>, drop: readonly string[]): SplicePlan {
  const members = top.members;
  const keepFrom: number[] = [];
  const keepTo: number[] = [];
  const insert: (string | null)[] = [];
  let from = 0;
  const removed = members.map((m) => drop.includes(m.key));
  // Removing a member takes the comma before it, or after it when it is the first one kept.
  let firstKept = true;
  for (let i = 0; i < members.length; i++) {
    const m = members[i]!;
    if (removed[i]) {
      if (!firstKept) {
        // From the end of the previous kept member's value (or of the member removed just
        // before this one) up to the end of this one: the comma before it goes with it.
        keepFrom.push(from);
        keepTo.push(Math.max(from, members[lastKeptBefore(removed, i)]!.end));
        insert.push(null);
        from = m.end;
      } else {
        // The first members are dropped: skip up to the next member's key (the comma goes too).
        keepFrom.push(from);
        keepTo.push(m.start);
        insert.push(null);
        const next = members[i + 1];
        from = next !== undefined ? next.start : m.end;
      }
      continue;
    }
    firstKept = false;
    const value = set.get(m.key);
    if (value !== undefined) {
      keepFrom.push(from);
      keepTo.push(m.valueStart);
      insert.push(value);
      from = m.end;
    }
  }
  let appended = '';
  for (const [key, value] of set) {
    if (members.some((m, i) => m.key === key && !removed[i])) continue;
    appended += `${firstKept && appended.length === 0 ? '' : ','}${JSON.stringify(key)}:${value}`;
  }
  if (appended.length > 0) {
    // After the last kept member's value (or right after the brace when none is left).
    const lastKept = lastKeptBefore(removed, members.length);
    // Past members removed after it: their text is skipped already.
    const at = Math.max(from, lastKept === -1 ? top.close : members[lastKept]!.end);
    keepFrom.push(from);
    keepTo.push(at);
    insert.push(appended);
    from = at;
  }
  keepFrom.push(from);
  keepTo.push(buf.length);
  insert.push(null);

  return { keepFrom, keepTo, insert };
}

/**
 * `spliceTopLevel` as text: for a small body, which crosses to a thread more cheaply as a string
 * than as a buffer of its own.
 */
export function spliceTopLevelText(bytes: Uint8Array, top: TopLevelObject, set: ReadonlyMap<string, string>, drop: readonly string[]): string {
  const buf = Buffer.isBuffer(bytes) ? bytes : Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const { keepFrom, keepTo, insert } = splicePlan(buf, top, set, drop);
  let text = '';
  for (let i = 0; i < keepFrom.length; i++) {
    text += buf.toString('utf8', keepFrom[i]!, keepTo[i]!);
    const value = insert[i];
    if (value !== null && value !== undefined) text += value;
  }
  return text;
}

/**
 * The splice done inside `buf`'s own memory (which may run past `buf.length`, up to its
 * ArrayBuffer's end): kept ranges that move left are moved front to back, those that move right
 * back to front, so none is overwritten before it has moved; then the inserts are written. No new
 * memory is touched, which for a large body is most of what a copy costs.
 */
function spliceInPlace(buf: Buffer, total: number, keepFrom: number[], keepTo: number[], inserted: (Buffer | null)[]): Buffer {
  const whole = Buffer.from(buf.buffer, buf.byteOffset, Math.max(total, buf.length));
  const dest = new Array<number>(keepFrom.length);
  let at = 0;
  for (let i = 0; i < keepFrom.length; i++) {
    dest[i] = at;
    at += keepTo[i]! - keepFrom[i]! + (inserted[i]?.length ?? 0);
  }
  for (let i = 0; i < keepFrom.length; i++) if (dest[i]! <= keepFrom[i]!) whole.copyWithin(dest[i]!, keepFrom[i]!, keepTo[i]!);
  for (let i = keepFrom.length - 1; i >= 0; i--) if (dest[i]! > keepFrom[i]!) whole.copyWithin(dest[i]!, keepFrom[i]!, keepTo[i]!);
  for (let i = 0; i < keepFrom.length; i++) inserted[i]?.copy(whole, dest[i]! + keepTo[i]! - keepFrom[i]!);
  return whole.subarray(0, total);
}

/** Index of the last member before `i` that is kept, or -1. */
function lastKeptBefore(removed: readonly boolean[], i: number): number {
  for (let k = i - 1; k >= 0; k--) if (!removed[k]) return k;
  return -1;
}

/** `bytes` with the top-level member `key` set to the JSON text `value`; null when the scan gives up. */
export function withTopLevelValue(bytes: Uint8Array, key: string, value: string): Buffer | null {
  const top = scanTopLevel(bytes);
  return top === null ? null : spliceTopLevel(bytes, top, new Map([[key, value]]), []);
}

/**
 * Arrays at least this long are parsed element by element. V8 puts a string of more than 128 KiB
 * in its large-object space, where each one gets freshly mapped pages: decoding a 1 MB body into
 * one string cost several times what parsing it did. The pieces stay small.
 */
const PIECE_BYTES = 64 * 1024;

/** Thrown inside `parsePieces` when the bytes are not what the scan expected; the caller parses the whole text instead. */
const NOT_PIECEWISE = new Error('not parsed piecewise');

/**
 * The value `JSON.parse` gives for `bytes` (well-formed UTF-8 JSON text whose top level `top`
 * describes), built from pieces: each top-level member's value is parsed on its own, large arrays
 * element by element, so no string as large as the body is ever made. Null when any piece fails to
 * parse or the text between pieces is not exactly JSON's: the caller then parses the whole text,
 * which also gives the parser's own error message. The member `deferred`, and every member whose
 * value spans at least `deferBytes`, is parsed when first read (the bytes were checked already).
 */
export function parseTopLevelPieces(bytes: Uint8Array, top: TopLevelObject, deferred: string | null = null, deferBytes = Infinity): Record<string, unknown> | null {
  const buf = Buffer.isBuffer(bytes) ? bytes : Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const out: Record<string, unknown> = {};
  try {
    for (const m of top.members) {
      // An own `__proto__` data property is what the parser makes; an assignment would set the prototype.
      if (m.key === '__proto__') return null;
      const key = buf.toString('utf8', m.start + 1, m.keyEnd);
      if (key === deferred || m.end - m.valueStart >= deferBytes) defineOnFirstRead(out, key, () => parseJsonSpan(buf, m.valueStart, m.end));
      else out[key] = parseSpan(buf, m.valueStart, m.end);
    }
  } catch {
    return null;
  }
  return out;
}

/**
 * `target[key]` as a property built by `load` when first read (or replaced when first written),
 * then an ordinary data property; it keeps its place among the object's keys.
 */
function defineOnFirstRead(target: Record<string, unknown>, key: string, load: () => unknown): void {
  const settle = (value: unknown): void => {
    Object.defineProperty(target, key, { value, writable: true, enumerable: true, configurable: true });
  };
  Object.defineProperty(target, key, {
    enumerable: true,
    configurable: true,
    get() {
      const value = load();
      settle(value);
      return value;
    },
    set: settle,
  });
}

/**
 * The value of the JSON text at `buf[start, end)`, which a parser or the skim has already accepted;
 * large arrays are parsed element by element (see `PIECE_BYTES`).
 */
export function parseJsonSpan(buf: Buffer, start: number, end: number): unknown {
  assertNotGivenBack(buf);
  try {
    return parseSpan(buf, start, end);
  } catch (err) {
    if (err !== NOT_PIECEWISE) throw err;
    return JSON.parse(buf.toString('utf8', start, end));
  }
}

function parseSpan(buf: Buffer, start: number, end: number): unknown {
  if (end - start < PIECE_BYTES || buf[start] !== OPEN_ARRAY) return JSON.parse(buf.toString('utf8', start, end));
  const items: unknown[] = [];
  let i = skipSpace(buf, start + 1);
  if (buf[i] === CLOSE_ARRAY) {
    if (i + 1 !== end) throw NOT_PIECEWISE;
    return items;
  }
  for (;;) {
    const e = skipValue(buf, i);
    if (e === -1 || e > end) throw NOT_PIECEWISE;
    items.push(parseSpan(buf, i, e));
    i = skipSpace(buf, e);
    if (buf[i] === COMMA) {
      i = skipSpace(buf, i + 1);
      continue;
    }
    if (buf[i] === CLOSE_ARRAY && i + 1 === end) return items;
    throw NOT_PIECEWISE;
  }
}
