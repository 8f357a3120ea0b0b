/**
 * The identity an answer carries to the client, written into upstream JSON text without
 * re-serializing it: the gateway's generation id as `id` and the `provider/model` that served it as
 * `model`, as OpenRouter does (its answers carry `gen-…` ids, which `/api/v1/generation?id=` takes,
 * and `model` is the routed `provider/model` slug; see openrouter.ai/docs/api-reference). The
 * upstream's own id is read on the way, so the generation record keeps it.
 *
 * Works on text (stream events arrive as strings): one pass over the object's top level, strings
 * skipped with `indexOf`, and only the two values spliced. A text the scan does not expect (a key
 * with an escape, a key written twice, not an object) is parsed and serialized instead.
 */
import type { AnswerIdentity } from './adapter.js';

/** Text with its identity rewritten, and the upstream's id found there (null when it had none, or not a string). */
export interface RewrittenText {
  text: string;
  upstreamId: string | null;
  /**
   * When both members were found as strings: where the later one's value ends in the input. Any
   * text that starts with the same bytes up to there is rewritten the same way (the scan decided
   * on those bytes alone), so a stream whose chunks share that head can reuse the rewritten head.
   */
  headEnd?: number;
}

const QUOTE = 0x22;
const BACKSLASH = 0x5c;
const COLON = 0x3a;
const COMMA = 0x2c;
const OPEN_OBJECT = 0x7b;
const CLOSE_OBJECT = 0x7d;
const OPEN_ARRAY = 0x5b;
const CLOSE_ARRAY = 0x5d;

function isSpace(c: number): boolean {
  return c === 0x20 || c === 0x0a || c === 0x0d || c === 0x09;
}

function skipSpace(text: string, i: number): number {
  while (i < text.length && isSpace(text.charCodeAt(i))) i++;
  return i;
}

/** The closing quote of the string whose opening quote is at `i`, or -1. */
function closingQuote(text: string, i: number): number {
  let j = i;
  for (;;) {
    j = text.indexOf('"', j + 1);
    if (j === -1) return -1;
    let backslashes = 0;
    for (let k = j - 1; text.charCodeAt(k) === BACKSLASH; k--) backslashes++;
    if ((backslashes & 1) === 0) return j;
  }
}

/** Just past the value at `i`, or -1. */
function skipValue(text: string, i: number): number {
  const first = text.charCodeAt(i);
  if (first === QUOTE) {
    const end = closingQuote(text, i);
    return end === -1 ? -1 : end + 1;
  }
  if (first === OPEN_OBJECT || first === OPEN_ARRAY) {
    let depth = 0;
    for (let j = i; j < text.length; j++) {
      const c = text.charCodeAt(j);
      if (c === QUOTE) {
        j = closingQuote(text, j);
        if (j === -1) return -1;
      } else if (c === OPEN_OBJECT || c === OPEN_ARRAY) {
        depth++;
      } else if (c === CLOSE_OBJECT || c === CLOSE_ARRAY) {
        if (--depth === 0) return j + 1;
      }
    }
    return -1;
  }
  let j = i;
  while (j < text.length) {
    const c = text.charCodeAt(j);
    if (c === COMMA || c === CLOSE_OBJECT || c === CLOSE_ARRAY || isSpace(c)) break;
    j++;
  }
  return j === i ? -1 : j;
}

function keyIs(text: string, start: number, keyEnd: number, key: string): boolean {
  return keyEnd - start - 1 === key.length && text.startsWith(key, start + 1);
}

/**
 * Value spans `[idStart, idEnd, modelStart, modelEnd]` of the object's top-level `id` and `model`
 * members (-1 when absent), for the object that opens at `open`; null when the scan gives up.
 */
function identitySpans(text: string, open: number, untilFound: boolean): number[] | null {
  if (text.charCodeAt(open) !== OPEN_OBJECT) return null;
  const spans = [-1, -1, -1, -1];
  let i = skipSpace(text, open + 1);
  if (text.charCodeAt(i) === CLOSE_OBJECT) return spans;
  for (;;) {
    if (text.charCodeAt(i) !== QUOTE) return null;
    const keyEnd = closingQuote(text, i);
    if (keyEnd === -1) return null;
    for (let k = i + 1; k < keyEnd; k++) if (text.charCodeAt(k) === BACKSLASH) return null;
    const isId = keyIs(text, i, keyEnd, 'id');
    const isModel = !isId && keyIs(text, i, keyEnd, 'model');
    i = skipSpace(text, keyEnd + 1);
    if (text.charCodeAt(i) !== COLON) return null;
    const valueStart = skipSpace(text, i + 1);
    const end = skipValue(text, valueStart);
    if (end === -1) return null;
    const at = isId ? 0 : isModel ? 2 : -1;
    if (at !== -1) {
      // Written twice: a parser keeps the last, a byte splice would have to agree.
      if (spans[at] !== -1) return null;
      spans[at] = valueStart;
      spans[at + 1] = end;
      if (untilFound && spans[0] !== -1 && spans[2] !== -1) return spans;
    }
    i = skipSpace(text, end);
    const c = text.charCodeAt(i);
    if (c === COMMA) {
      i = skipSpace(text, i + 1);
      continue;
    }
    return c === CLOSE_OBJECT ? spans : null;
  }
}

/** The string value at `[start, end)` (quotes included), or null when it is not a string. */
function stringAt(text: string, start: number, end: number): string | null {
  if (start === -1 || text.charCodeAt(start) !== QUOTE) return null;
  const inner = text.slice(start + 1, end - 1);
  if (inner.indexOf('\\') === -1) return detached(inner);
  try {
    return JSON.parse(text.slice(start, end)) as string;
  } catch {
    return null;
  }
}

/**
 * `s` as a string of its own. A slice of 13 characters or more is a view into its parent in V8, so
 * an id sliced from an answer would keep the whole answer alive for as long as the request log
 * holds the id; slicing a short concatenation copies the characters into a new string first.
 */
function detached(s: string): string {
  return (` ${s}`).slice(1);
}

/** How much of the object a rewrite scans, and what it reads. */
export interface RewriteOptions {
  /**
   * Stop at the second of `id` and `model` (stream chunks, where they come first): the rest of the
   * object is not checked, so a key written twice after them goes unseen (the upstream's own bytes,
   * already checked to be a JSON object). Default: the whole object is scanned.
   */
  untilFound?: boolean;
  /** Read the upstream's id (default true); a stream needs it once. */
  readUpstreamId?: boolean;
}

/** `identity`'s values as JSON text, for the last identity seen (one per call, used for every chunk). */
let lastIdentity: AnswerIdentity | null = null;
let lastJson: [id: string, model: string] = ['', ''];

function identityJson(identity: AnswerIdentity): [id: string, model: string] {
  if (identity !== lastIdentity) {
    lastIdentity = identity;
    lastJson = [JSON.stringify(identity.id), JSON.stringify(identity.model)];
  }
  return lastJson;
}

/**
 * `text` (a JSON object, or one inside a larger text starting at `open`) with its top-level `id`
 * and `model` values replaced by `identity`'s; members it lacks are not added. Null when the text
 * is not a JSON object at all (or, inside a larger text, not one the scan takes).
 */
export function rewriteIdentity(text: string, identity: AnswerIdentity, open = 0, options: RewriteOptions = {}): RewrittenText | null {
  const spans = identitySpans(text, open, options.untilFound === true);
  if (spans === null) return open === 0 ? reserialized(text, identity) : null;
  const [idStart, idEnd, modelStart, modelEnd] = spans as [number, number, number, number];
  const upstreamId = options.readUpstreamId === false ? null : stringAt(text, idStart, idEnd);
  if (idStart === -1 && modelStart === -1) return { text, upstreamId };
  const [id, model] = identityJson(identity);
  if (idStart === -1) return { text: text.slice(0, modelStart) + model + text.slice(modelEnd), upstreamId };
  if (modelStart === -1) return { text: text.slice(0, idStart) + id + text.slice(idEnd), upstreamId };
  const out = idStart < modelStart
    ? text.slice(0, idStart) + id + text.slice(idEnd, modelStart) + model + text.slice(modelEnd)
    : text.slice(0, modelStart) + model + text.slice(modelEnd, idStart) + id + text.slice(idEnd);
  const strings = text.charCodeAt(idEnd - 1) === QUOTE && text.charCodeAt(modelEnd - 1) === QUOTE && text.charCodeAt(idStart) === QUOTE && text.charCodeAt(modelStart) === QUOTE;
  return strings ? { text: out, upstreamId, headEnd: Math.max(idEnd, modelEnd) } : { text: out, upstreamId };
}

/** Where a whole answer's identity and one insertion go: value spans from a scan ({@link RangeScan}'s), -1 when absent. */
export interface IdentitySplice {
  idStart: number;
  idEnd: number;
  modelStart: number;
  modelEnd: number;
  /** Where `insert` goes (-1: nowhere); inside neither value. */
  insertAt: number;
  insert: string;
}

/**
 * `text` with the string values at the spans replaced by `identity`'s and `insert` placed, built in
 * one concatenation: a scan that already walked the text found the spans, so nothing is scanned
 * again. The upstream's id is read from its span.
 */
export function spliceIdentity(text: string, identity: AnswerIdentity, at: IdentitySplice): RewrittenText {
  const upstreamId = stringAt(text, at.idStart, at.idEnd);
  const [id, model] = identityJson(identity);
  const edits: [start: number, end: number, value: string][] = [];
  if (at.idStart !== -1) edits.push([at.idStart, at.idEnd, id]);
  if (at.modelStart !== -1) edits.push([at.modelStart, at.modelEnd, model]);
  if (at.insertAt !== -1) edits.push([at.insertAt, at.insertAt, at.insert]);
  if (edits.length === 0) return { text, upstreamId };
  edits.sort(byStart);
  let out = '';
  let from = 0;
  for (const [start, end, value] of edits) {
    out += text.slice(from, start) + value;
    from = end;
  }
  return { text: out + text.slice(from), upstreamId };
}

function byStart(a: [number, number, string], b: [number, number, string]): number {
  return a[0] - b[0];
}

/** The rare text the scan gives up on: parsed, its identity set, serialized. */
function reserialized(text: string, identity: AnswerIdentity): RewrittenText | null {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return null;
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return null;
  const object = value as Record<string, unknown>;
  const upstreamId = typeof object.id === 'string' ? object.id : null;
  if ('id' in object) object.id = identity.id;
  if ('model' in object) object.model = identity.model;
  return { text: JSON.stringify(object), upstreamId };
}

/**
 * The start of the value of top-level member `key` of the JSON object `text` (Anthropic's
 * `message_start` keeps the message under `message`), or -1.
 */
export function memberValueStart(text: string, key: string): number {
  let i = skipSpace(text, 0);
  if (text.charCodeAt(i) !== OPEN_OBJECT) return -1;
  i = skipSpace(text, i + 1);
  while (text.charCodeAt(i) === QUOTE) {
    const keyEnd = closingQuote(text, i);
    if (keyEnd === -1) return -1;
    const match = keyIs(text, i, keyEnd, key);
    i = skipSpace(text, keyEnd + 1);
    if (text.charCodeAt(i) !== COLON) return -1;
    const valueStart = skipSpace(text, i + 1);
    if (match) return valueStart;
    const end = skipValue(text, valueStart);
    if (end === -1) return -1;
    i = skipSpace(text, end);
    if (text.charCodeAt(i) !== COMMA) return -1;
    i = skipSpace(text, i + 1);
  }
  return -1;
}
