/**
 * One pass over a chat request's bytes that checks they are one JSON text `JSON.parse` accepts,
 * nested no deeper than the limit, and finds the top-level members and the elements of `messages`,
 * without building any value. A coding agent's request is mostly history: the gateway needs its
 * element count, each element's `role`, whether any content is an array of parts, and the last user
 * message; building every message object only for that cost three times the skim for a 1 MB body.
 *
 * The skim gives up (null) wherever its answer and the parser's could differ: invalid JSON (the
 * parser then gives the error message), a top-level key written twice, with an escape or named
 * `__proto__`. Inside a message, a key with an escape or a `role` with one makes that element
 * "unsure": whoever needs it parses it.
 */
import { JSON_SPECIALS_WASM } from './json-specials-wasm.js';
import {
  BACKSLASH, CLOSE_ARRAY, CLOSE_OBJECT, COLON, COMMA, OPEN_ARRAY, OPEN_OBJECT, QUOTE, type TopLevelMember, type TopLevelObject,
} from './json-top-level.js';

/**
 * What the skim knows of one element of `messages`: `User`, an object whose `role` is the string
 * "user"; `Other`, another string role; `Missing`, not an object or no string `role`; `Unsure`, keys
 * or the role use escapes, so the element must be parsed to know.
 */
export const MessageRole = { User: 0, Other: 1, Missing: 2, Unsure: 3 } as const;
export type MessageRole = (typeof MessageRole)[keyof typeof MessageRole];

/** The elements of the top-level `messages` array, as byte spans. */
export interface MessageSpans {
  starts: number[];
  ends: number[];
  roles: MessageRole[];
  /** The element's `content` is an array (of parts), or the element is unsure. */
  partsContent: boolean[];
}

/** The top level of a skimmed body and, when `messages` is an array, its elements. */
export interface BodySkim {
  top: TopLevelObject;
  messages: MessageSpans | null;
}

/** The skim's answer for a body nested deeper than the limit. */
export const TOO_DEEP = 'too deep';

/** Where the skim stopped: `bad` is set on anything the parser would refuse or the skim does not handle. */
let bad = false;
let tooDeep = false;

/**
 * The top level of `buf` (UTF-8, already checked with `isUtf8`) and the spans of its `messages`
 * elements; `TOO_DEEP` when objects/arrays nest deeper than `maxDepth` (as `withinJsonDepth` counts
 * them); null when the text is not JSON the skim can vouch for. `index` false keeps to the
 * word-at-a-time search whatever the size (the tests hold the two searches to the same answers).
 */
export function skimJsonBody(buf: Buffer, maxDepth: number, index = true): BodySkim | typeof TOO_DEEP | null {
  if (!index || !indexSpecials(buf)) useWords(buf);
  try {
    return skimTopLevel(buf, maxDepth);
  } finally {
    // The view would keep the body's memory alive until the next skim.
    words = NO_WORDS;
    specials = NO_SPECIALS;
    specialCount = -1;
  }
}

function skimTopLevel(buf: Buffer, maxDepth: number): BodySkim | typeof TOO_DEEP | null {
  bad = false;
  tooDeep = false;
  let i = skipSpace(buf, 0);
  if (buf[i] !== OPEN_OBJECT) return null;
  if (maxDepth < 1) return TOO_DEEP;
  i = skipSpace(buf, i + 1);
  const members: TopLevelMember[] = [];
  const seen = new Set<string>();
  let messages: MessageSpans | null = null;
  if (buf[i] !== CLOSE_OBJECT) {
    for (;;) {
      if (buf[i] !== QUOTE) return null;
      const start = i;
      const keyEnd = stringEnd(buf, i);
      if (keyEnd < 0) return null;
      for (let k = start + 1; k < keyEnd; k++) if (buf[k] === BACKSLASH) return null;
      const key = buf.toString('latin1', start + 1, keyEnd);
      if (seen.has(key) || key === '__proto__') return null;
      seen.add(key);
      i = skipSpace(buf, keyEnd + 1);
      if (buf[i] !== COLON) return null;
      const valueStart = skipSpace(buf, i + 1);
      let end: number;
      if (key === 'messages' && buf[valueStart] === OPEN_ARRAY) {
        messages = { starts: [], ends: [], roles: [], partsContent: [] };
        end = skimMessages(buf, valueStart, maxDepth, messages);
      } else {
        end = skipValue(buf, valueStart, 1, maxDepth);
      }
      if (end < 0) return tooDeep ? TOO_DEEP : null;
      members.push({ key, start, keyEnd, valueStart, end });
      i = skipSpace(buf, end);
      if (buf[i] === COMMA) {
        i = skipSpace(buf, i + 1);
        continue;
      }
      if (buf[i] !== CLOSE_OBJECT) return null;
      break;
    }
  }
  const close = i;
  if (skipSpace(buf, close + 1) !== buf.length || bad) return null;
  return { top: { members, close }, messages };
}

/** The `messages` array at `i` (depth 1), each element recorded; the index past it, or -1. */
function skimMessages(buf: Buffer, i: number, maxDepth: number, out: MessageSpans): number {
  if (maxDepth < 2) return deep();
  i = skipSpace(buf, i + 1);
  if (buf[i] === CLOSE_ARRAY) return i + 1;
  for (;;) {
    const start = i;
    const end = buf[i] === OPEN_OBJECT ? skimMessage(buf, i, maxDepth, out) : skipValue(buf, i, 2, maxDepth);
    if (end < 0) return -1;
    if (buf[start] !== OPEN_OBJECT) {
      out.roles.push(MessageRole.Missing);
      out.partsContent.push(false);
    }
    out.starts.push(start);
    out.ends.push(end);
    i = skipSpace(buf, end);
    if (buf[i] === COMMA) {
      i = skipSpace(buf, i + 1);
      continue;
    }
    return buf[i] === CLOSE_ARRAY ? i + 1 : fail();
  }
}

const ROLE = Buffer.from('role', 'latin1');
const CONTENT = Buffer.from('content', 'latin1');
const USER = Buffer.from('"user"', 'latin1');

/** One message object at `i` (depth 2): its role and whether its content is an array are pushed onto `out`. */
function skimMessage(buf: Buffer, i: number, maxDepth: number, out: MessageSpans): number {
  if (maxDepth < 3) return deep();
  let role: MessageRole = MessageRole.Missing;
  let parts = false;
  let unsure = false;
  i = skipSpace(buf, i + 1);
  if (buf[i] !== CLOSE_OBJECT) {
    for (;;) {
      if (buf[i] !== QUOTE) return fail();
      const keyEnd = stringEnd(buf, i);
      if (keyEnd < 0) return -1;
      const keyStart = i + 1;
      if (hasBackslash(buf, keyStart, keyEnd)) unsure = true;
      i = skipSpace(buf, keyEnd + 1);
      if (buf[i] !== COLON) return fail();
      const valueStart = skipSpace(buf, i + 1);
      const end = skipValue(buf, valueStart, 3, maxDepth);
      if (end < 0) return -1;
      // The last `role` wins, as in the parser.
      if (sameBytes(buf, keyStart, keyEnd, ROLE)) {
        if (buf[valueStart] !== QUOTE) role = MessageRole.Missing;
        else if (sameBytes(buf, valueStart, end, USER)) role = MessageRole.User;
        else if (hasBackslash(buf, valueStart, end)) role = MessageRole.Unsure;
        else role = MessageRole.Other;
      } else if (sameBytes(buf, keyStart, keyEnd, CONTENT)) {
        parts = buf[valueStart] === OPEN_ARRAY;
      }
      i = skipSpace(buf, end);
      if (buf[i] === COMMA) {
        i = skipSpace(buf, i + 1);
        continue;
      }
      if (buf[i] !== CLOSE_OBJECT) return fail();
      break;
    }
  }
  out.roles.push(unsure ? MessageRole.Unsure : role);
  out.partsContent.push(unsure || parts);
  return i + 1;
}

function hasBackslash(buf: Buffer, from: number, to: number): boolean {
  for (let k = from; k < to; k++) if (buf[k] === BACKSLASH) return true;
  return false;
}

function sameBytes(buf: Buffer, from: number, to: number, want: Buffer): boolean {
  if (to - from !== want.length) return false;
  for (let k = 0; k < want.length; k++) if (buf[from + k] !== want[k]) return false;
  return true;
}

/** Marks the text as not skimmable; returns -1 for the caller to pass up. */
function fail(): number {
  bad = true;
  return -1;
}

function deep(): number {
  tooDeep = true;
  return -1;
}

/** JSON whitespace (space, tab, LF, CR). */
function skipSpace(buf: Buffer, i: number): number {
  let c = buf[i];
  while (c === 0x20 || c === 0x0a || c === 0x0d || c === 0x09) c = buf[++i];
  return i;
}

/**
 * Just past the value at `i`, which sits `depth` levels down (the top-level object's members are at
 * depth 1), checked as the parser checks it; -1 (with `bad` or `tooDeep` set) otherwise.
 */
function skipValue(buf: Buffer, i: number, depth: number, maxDepth: number): number {
  const c = buf[i];
  if (c === QUOTE) {
    const end = stringEnd(buf, i);
    return end < 0 ? -1 : end + 1;
  }
  if (c === OPEN_OBJECT) return skipObject(buf, i, depth, maxDepth);
  if (c === OPEN_ARRAY) return skipArray(buf, i, depth, maxDepth);
  if (c === 0x74) return literal(buf, i, TRUE);
  if (c === 0x66) return literal(buf, i, FALSE);
  if (c === 0x6e) return literal(buf, i, NULL);
  return skipNumber(buf, i);
}

const TRUE = Buffer.from('true', 'latin1');
const FALSE = Buffer.from('false', 'latin1');
const NULL = Buffer.from('null', 'latin1');

function literal(buf: Buffer, i: number, word: Buffer): number {
  return sameBytes(buf, i, i + word.length, word) ? i + word.length : fail();
}

function skipObject(buf: Buffer, i: number, depth: number, maxDepth: number): number {
  if (depth >= maxDepth) return deep();
  i = skipSpace(buf, i + 1);
  if (buf[i] === CLOSE_OBJECT) return i + 1;
  for (;;) {
    if (buf[i] !== QUOTE) return fail();
    i = stringEnd(buf, i);
    if (i < 0) return -1;
    i = skipSpace(buf, i + 1);
    if (buf[i] !== COLON) return fail();
    i = skipValue(buf, skipSpace(buf, i + 1), depth + 1, maxDepth);
    if (i < 0) return -1;
    i = skipSpace(buf, i);
    if (buf[i] === COMMA) {
      i = skipSpace(buf, i + 1);
      continue;
    }
    return buf[i] === CLOSE_OBJECT ? i + 1 : fail();
  }
}

function skipArray(buf: Buffer, i: number, depth: number, maxDepth: number): number {
  if (depth >= maxDepth) return deep();
  i = skipSpace(buf, i + 1);
  if (buf[i] === CLOSE_ARRAY) return i + 1;
  for (;;) {
    i = skipValue(buf, i, depth + 1, maxDepth);
    if (i < 0) return -1;
    i = skipSpace(buf, i);
    if (buf[i] === COMMA) {
      i = skipSpace(buf, i + 1);
      continue;
    }
    return buf[i] === CLOSE_ARRAY ? i + 1 : fail();
  }
}

function isDigit(c: number | undefined): boolean {
  return c !== undefined && c >= 0x30 && c <= 0x39;
}

/** JSON's number grammar: -?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)? */
function skipNumber(buf: Buffer, i: number): number {
  if (buf[i] === 0x2d) i++;
  if (buf[i] === 0x30) i++;
  else if (isDigit(buf[i]) && buf[i] !== 0x30) while (isDigit(buf[i])) i++;
  else return fail();
  if (buf[i] === 0x2e) {
    i++;
    if (!isDigit(buf[i])) return fail();
    while (isDigit(buf[i])) i++;
  }
  const e = buf[i];
  if (e === 0x65 || e === 0x45) {
    i++;
    if (buf[i] === 0x2b || buf[i] === 0x2d) i++;
    if (!isDigit(buf[i])) return fail();
    while (isDigit(buf[i])) i++;
  }
  return i;
}

function isHex(c: number | undefined): boolean {
  if (c === undefined) return false;
  const l = c | 0x20;
  return (c >= 0x30 && c <= 0x39) || (l >= 0x61 && l <= 0x66);
}

/**
 * The closing quote of the string opened at `open`, checked as the parser checks strings (no raw
 * control characters, only JSON's escapes); -1 with `bad` set otherwise. The text between escapes
 * is passed over four bytes at a time (`nextSpecial`), and only escapes are looked at one by one;
 * in a body the WebAssembly scan listed, the string's end is read from the list (`stringEndIndexed`).
 */
function stringEnd(buf: Buffer, open: number): number {
  if (specialCount >= 0) return stringEndIndexed(buf, open);
  let i = open + 1;
  for (;;) {
    i = nextSpecial(buf, i);
    const c = buf[i];
    if (c === QUOTE) return i;
    if (c === undefined || c < 0x20) return fail();
    // A backslash: JSON's escapes only.
    const e = buf[i + 1];
    if (e === 0x75) {
      if (!isHex(buf[i + 2]) || !isHex(buf[i + 3]) || !isHex(buf[i + 4]) || !isHex(buf[i + 5])) return fail();
      i += 6;
    } else if (e === QUOTE || e === BACKSLASH || e === 0x2f || e === 0x62 || e === 0x66 || e === 0x6e || e === 0x72 || e === 0x74) {
      i += 2;
    } else {
      return fail();
    }
  }
}

/**
 * The body as 32-bit words (`words[k]` holds bytes `wordBase + 4k` to `wordBase + 4k + 3`), set by
 * `skimJsonBody` for the body it skims. A string's text is most of an agent body, and checking it a
 * word at a time costs a quarter of checking it a byte at a time.
 */
const NO_WORDS: Int32Array<ArrayBufferLike> = new Int32Array(0);
let words = NO_WORDS;
let wordBase = 0;

function useWords(buf: Buffer): void {
  wordBase = (4 - (buf.byteOffset & 3)) & 3;
  const count = buf.length > wordBase ? (buf.length - wordBase) >> 2 : 0;
  words = new Int32Array(buf.buffer, buf.byteOffset + wordBase, count);
}

/**
 * The first index from `i` of a byte that ends a run of string text: a quote, a backslash or a
 * control character (below 0x20); `buf.length` if none. A word holds one when, for `x` the word,
 * `(x - 0x20202020) & ~x & 0x80808080` (some byte below 0x20) or the same test for a zero byte of
 * `x ^ 0x22222222` (a quote) or `x ^ 0x5c5c5c5c` (a backslash) is non-zero: each is exact as a
 * yes/no answer, so the bytes of a word that says yes are looked at one by one.
 */
function nextSpecial(buf: Buffer, i: number): number {
  const n = buf.length;
  while (i < n && ((i - wordBase) & 3) !== 0) {
    const c = buf[i]!;
    if (c < 0x20 || c === QUOTE || c === BACKSLASH) return i;
    i++;
  }
  if (i >= n) return n;
  let w = (i - wordBase) >> 2;
  const count = words.length;
  while (w < count) {
    const x = words[w]!;
    const q = x ^ 0x22222222;
    const b = x ^ 0x5c5c5c5c;
    if ((((x - 0x20202020) & ~x) | ((q - 0x01010101) & ~q) | ((b - 0x01010101) & ~b)) & 0x80808080) break;
    w++;
  }
  i = wordBase + (w << 2);
  while (i < n) {
    const c = buf[i]!;
    if (c < 0x20 || c === QUOTE || c === BACKSLASH) return i;
    i++;
  }
  return n;
}

/**
 * Bodies from `INDEX_MIN_BYTES` to `INDEX_MAX_BYTES` have the end of every run of string text found
 * up front by the WebAssembly scan (json-specials.wat, sixteen bytes at a time): unescaped quotes,
 * control bytes, and backslashes that start no valid escape; valid escapes are passed over there.
 * `stringEnd` then takes the first listed byte after a string's opening quote: the closing quote, or
 * an error. The module's memory holds a copy of the body and the list, and keeps the largest size it
 * grew to (about twice `INDEX_MAX_BYTES` at most); larger bodies, and texts whose list would pass a
 * quarter of their length (arrays of short strings), use the word-at-a-time search.
 */
const INDEX_MIN_BYTES = 16 * 1024;
const INDEX_MAX_BYTES = 4 * 1024 * 1024;

interface SpecialsScanner {
  memory: { readonly buffer: ArrayBuffer; grow(pages: number): number };
  specials(start: number, end: number, out: number, cap: number): number;
}

/** The part of the WebAssembly API used here (the project's type libraries do not declare it). */
interface WasmApi {
  Module: new (bytes: Uint8Array) => object;
  Instance: new (module: object) => { exports: unknown };
}

/** Undefined until first needed; null where WebAssembly (with SIMD) is unavailable. */
let scanner: SpecialsScanner | null | undefined;
const NO_SPECIALS = new Int32Array(0);
/** Offsets of the body's listed bytes, ascending; `specialCount` -1 when the body was not indexed. */
let specials: Int32Array = NO_SPECIALS;
let specialCount = -1;
/** Where the last lookup ended: the skim reads strings front to back, so most lookups move it a step. */
let cursor = 0;

function loadScanner(): SpecialsScanner | null {
  if (scanner !== undefined) return scanner;
  try {
    const wasm = (globalThis as unknown as { WebAssembly: WasmApi }).WebAssembly;
    const module = new wasm.Module(Buffer.from(JSON_SPECIALS_WASM, 'base64'));
    scanner = new wasm.Instance(module).exports as SpecialsScanner;
  } catch {
    scanner = null;
  }
  return scanner;
}

/** Lists `buf`'s string ends for `stringEnd`; false when the body is not to be indexed or the list would be too long. */
function indexSpecials(buf: Buffer): boolean {
  const n = buf.length;
  if (n < INDEX_MIN_BYTES || n > INDEX_MAX_BYTES) return false;
  const scan = loadScanner();
  if (scan === null) return false;
  // The scan reads up to 15 bytes past the body.
  const out = (n + 31) & ~15;
  const cap = n >> 2;
  const need = out + cap * 4;
  const have = scan.memory.buffer.byteLength;
  if (need > have) scan.memory.grow(Math.ceil((need - have) / 65536));
  new Uint8Array(scan.memory.buffer, 0, n).set(buf);
  const count = scan.specials(0, n, out, cap);
  if (count < 0) return false;
  specials = new Int32Array(scan.memory.buffer, out, count);
  specialCount = count;
  cursor = 0;
  return true;
}

/** The position in the list of the first listed byte at or after `i`. */
function firstIndexedFrom(i: number): number {
  let k = cursor;
  if (k > 0 && specials[k - 1]! >= i) {
    // Asked about an earlier place: search from the start.
    let lo = 0;
    let hi = k - 1;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (specials[mid]! < i) lo = mid + 1;
      else hi = mid;
    }
    k = lo;
  }
  while (k < specialCount && specials[k]! < i) k++;
  return k;
}

/** `stringEnd` reading the list: the first listed byte after the opening quote ends the string, or is an error. */
function stringEndIndexed(buf: Buffer, open: number): number {
  const k = firstIndexedFrom(open + 1);
  if (k >= specialCount) return fail();
  const i = specials[k]!;
  // A control byte, or a backslash that starts no JSON escape.
  if (buf[i] !== QUOTE) return fail();
  cursor = k + 1;
  return i;
}
