import { LocalRouterError } from '../../errors/index.js';
import type { Usage } from '../../model/index.js';
import { usageOf } from './usage.js';

/**
 * What one pass over an OpenAI body or stream event found: its usage and the members a stream
 * relay acts on ({@link SCAN}), or why it is not a whole JSON object.
 */
export type BodyScan = { ok: true; usage: Usage | null; found: number } | { ok: false; reason: string };

/** Bits of `BodyScan.found`: members found as members (a key, then a colon), never text inside a string. */
export const SCAN = {
  /** A `finish_reason` member (at any depth) whose value is a string. */
  FINISH: 1,
  /** A top-level `error` member whose value is an object. */
  ERROR_OBJECT: 2,
  /** A top-level `usage` member whose value is an object. */
  USAGE_OBJECT: 4,
  /** A top-level `usage` member whose value is `null`. */
  USAGE_NULL: 8,
  /**
   * With {@link RangeScan.identity}: the top-level `id` or `model` cannot be spliced at the spans
   * found (written twice, not a string, or a top-level key written with an escape, which may spell
   * either).
   */
  IDENTITY_ODD: 16,
} as const;

/** Longest raw top-level key looked at for an escape: `model` written with six-character escapes is 30. */
const ESCAPED_KEY_MAX = 30;

/** Characters that may stand outside strings in JSON: structure, whitespace, numbers, true/false/null. */
const BARE = new Uint8Array(128);
for (const ch of ' \t\r\n{}[],:0123456789+-.eEtrufalsn') BARE[ch.charCodeAt(0)] = 1;

/**
 * What {@link scanJsonRange} found, in an object the caller keeps and reuses (a stream scans every
 * event with one). Positions are offsets into the scanned text.
 */
export interface RangeScan {
  /** {@link SCAN} bits. */
  found: number;
  /** The top-level `usage` object's braces, or -1. */
  usageOpen: number;
  usageClose: number;
  /** With `SCAN.USAGE_NULL`: the opening quote of that `usage` key. */
  usageNullAt: number;
  /** Why the text is not one JSON object, when the scan returned false. */
  reason: string;
  /**
   * Set by the owner: also note the value spans of the top-level `id` and `model` strings (quotes
   * included; -1 when absent), or `SCAN.IDENTITY_ODD` when they cannot be spliced there.
   */
  readonly identity: boolean;
  idStart: number;
  idEnd: number;
  modelStart: number;
  modelEnd: number;
}

export function createRangeScan(identity = false): RangeScan {
  return { found: 0, usageOpen: -1, usageClose: -1, usageNullAt: -1, reason: '', identity, idStart: -1, idEnd: -1, modelStart: -1, modelEnd: -1 };
}

/** The scan {@link scanOpenAIBody} reuses: it runs to completion and copies out what it returns. */
const SCRATCH = createRangeScan();
/** The scan {@link scanPassedBody} reuses, with the identity spans. */
const IDENTITY_SCRATCH = createRangeScan(true);

/**
 * One cheap pass over a whole JSON body: strings are skipped with `indexOf`, so the cost is mostly
 * the structure, not the text. It checks what a broken upstream gets wrong (an empty, HTML or
 * truncated body, an unterminated string, unbalanced brackets, stray characters, trailing data)
 * without building the object, and on the way finds the top-level `usage` object, the only part
 * parsed. Not a full validator: a misplaced comma or a malformed number inside the structure passes.
 */
export function scanOpenAIBody(body: string): BodyScan {
  const scan = SCRATCH;
  if (!scanJsonRange(body, 0, body.length, false, scan)) return { ok: false, reason: scan.reason };
  if (scan.usageOpen === -1) return { ok: true, usage: null, found: scan.found };
  try {
    return { ok: true, usage: usageOf(JSON.parse(body.slice(scan.usageOpen, scan.usageClose + 1)) as Parameters<typeof usageOf>[0]), found: scan.found | SCAN.USAGE_OBJECT };
  } catch {
    return { ok: false, reason: 'the usage object is not valid JSON' };
  }
}

/**
 * The pass of {@link scanOpenAIBody} over `text[from, to)`, without slicing it out: true when that
 * range is one JSON object (whitespace around it allowed), with what it found in `out`. `resume`
 * scans the rest of an object whose start (up to and including a top-level member's value, with no
 * watched member in it) was checked before: the scan starts inside it, at depth 1. The usage
 * object's span is noted, not parsed (`found` gets `SCAN.USAGE_OBJECT` only once it is parsed).
 * Offsets in `out.reason` count from `origin`.
 */
export function scanJsonRange(text: string, from: number, to: number, resume: boolean, out: RangeScan, origin = from): boolean {
  out.found = 0;
  out.usageOpen = -1;
  out.usageClose = -1;
  out.usageNullAt = -1;
  const identity = out.identity;
  if (identity) {
    out.idStart = -1;
    out.idEnd = -1;
    out.modelStart = -1;
    out.modelEnd = -1;
  }
  let i = from;
  let depth = 1;
  if (!resume) {
    i = skipWhitespace(text, from, to);
    if (i >= to) return fail(out, 'the body is empty');
    if (text.charCodeAt(i) !== 123 /* { */) return fail(out, 'the body is not a JSON object');
    depth = 0;
  }
  let usageKeyEnd = -1;
  let found = 0;
  for (; i < to; i++) {
    const c = text.charCodeAt(i);
    if (c === 34 /* " */) {
      const end = stringEnd(text, i, to);
      if (end === -1) return fail(out, 'a string is not terminated (truncated body?)');
      // Only strings as long as a watched key are looked at: the rest cost one length check.
      const length = end - i - 1;
      if (identity && depth === 1 && length <= ESCAPED_KEY_MAX) found |= watchIdentity(text, i, end, to, out);
      if (length === 5 && depth === 1) {
        if (text.startsWith('usage"', i + 1)) {
          usageKeyEnd = end + 1;
          const v = memberValueAt(text, end + 1, to);
          if (v !== -1 && text.startsWith('null', v)) {
            found |= SCAN.USAGE_NULL;
            out.usageNullAt = i;
          }
        } else if (text.startsWith('error"', i + 1)) {
          const v = memberValueAt(text, end + 1, to);
          if (v !== -1 && text.charCodeAt(v) === 123 /* { */) found |= SCAN.ERROR_OBJECT;
        }
      } else if (length === 13 && text.startsWith('finish_reason"', i + 1)) {
        const v = memberValueAt(text, end + 1, to);
        if (v !== -1 && text.charCodeAt(v) === 34 /* " */) found |= SCAN.FINISH;
      }
      i = end;
    } else if (c === 123 /* { */ || c === 91 /* [ */) {
      if (depth === 1 && c === 123 && usageKeyEnd !== -1 && onlyColonBetween(text, usageKeyEnd, i)) {
        out.usageOpen = i;
        out.usageClose = -1;
      }
      depth++;
    } else if (c === 125 /* } */ || c === 93 /* ] */) {
      depth--;
      if (depth === 1 && out.usageOpen !== -1 && out.usageClose === -1) out.usageClose = i;
      if (depth === 0) break;
    } else if (c >= 128 || BARE[c] === 0) {
      return fail(out, `unexpected character ${JSON.stringify(text[i])} at offset ${i - origin}`);
    }
  }
  if (depth !== 0) return fail(out, 'the JSON object is not closed (truncated body?)');
  if (skipWhitespace(text, i + 1, to) !== to) return fail(out, 'data follows the JSON object');
  if (out.usageClose === -1) out.usageOpen = -1;
  out.found = found;
  return true;
}

/**
 * For the top-level string at `[open, end]`: when it is the key `id` or `model` with a string value,
 * notes the value's span; returns `SCAN.IDENTITY_ODD` when that key was seen before or its value is
 * not a string, or when the string is a key written with an escape; else 0.
 */
function watchIdentity(text: string, open: number, end: number, to: number, out: RangeScan): number {
  const length = end - open - 1;
  const isId = length === 2 && text.startsWith('id"', open + 1);
  const isModel = !isId && length === 5 && text.startsWith('model"', open + 1);
  if (!isId && !isModel) return hasBackslash(text, open + 1, end) && memberValueAt(text, end + 1, to) !== -1 ? SCAN.IDENTITY_ODD : 0;
  const v = memberValueAt(text, end + 1, to);
  // A value, not a key (a member whose value is the string "id").
  if (v === -1) return 0;
  if ((isId ? out.idStart : out.modelStart) !== -1 || text.charCodeAt(v) !== 34 /* " */) return SCAN.IDENTITY_ODD;
  const valueEnd = stringEnd(text, v, to);
  // Unterminated: the scan fails on it next.
  if (valueEnd === -1) return 0;
  if (isId) {
    out.idStart = v;
    out.idEnd = valueEnd + 1;
  } else {
    out.modelStart = v;
    out.modelEnd = valueEnd + 1;
  }
  return 0;
}

function hasBackslash(text: string, from: number, to: number): boolean {
  for (let k = from; k < to; k++) if (text.charCodeAt(k) === 92 /* \ */) return true;
  return false;
}

function fail(out: RangeScan, reason: string): false {
  out.reason = reason;
  return false;
}

/** A whole OpenAI-shaped body relayed as it is: its usage, or LR_ERR_UPSTREAM_BAD_RESPONSE when it is not one JSON object. */
export function passedBodyUsage(body: string, provider: string): Usage | null {
  const scan = scanOpenAIBody(body);
  if (!scan.ok) throw badBody(provider, scan.reason);
  return scan.usage;
}

/**
 * A whole OpenAI-shaped body relayed with the gateway's identity: one pass finds its usage (parsed),
 * the usage object's braces and the top-level `id` / `model` value spans (see {@link RangeScan}).
 * Throws LR_ERR_UPSTREAM_BAD_RESPONSE when it is not one JSON object. The scan is shared: read it
 * before the next call.
 */
export function scanPassedBody(body: string, provider: string): { scan: RangeScan; usage: Usage | null } {
  const scan = IDENTITY_SCRATCH;
  if (!scanJsonRange(body, 0, body.length, false, scan)) throw badBody(provider, scan.reason);
  if (scan.usageOpen === -1) return { scan, usage: null };
  try {
    return { scan, usage: usageOf(JSON.parse(body.slice(scan.usageOpen, scan.usageClose + 1)) as Parameters<typeof usageOf>[0]) };
  } catch {
    throw badBody(provider, 'the usage object is not valid JSON');
  }
}

function badBody(provider: string, reason: string): LocalRouterError {
  return new LocalRouterError('LR_ERR_UPSTREAM_BAD_RESPONSE', `provider "${provider}" sent a body that is not valid JSON: ${reason}`);
}

/** Index of the quote closing the string opened at `open`; -1 when the range ends first. */
function stringEnd(text: string, open: number, to: number): number {
  let j = open;
  for (;;) {
    j = text.indexOf('"', j + 1);
    if (j === -1 || j >= to) return -1;
    let backslashes = 0;
    for (let k = j - 1; text.charCodeAt(k) === 92 /* \ */; k--) backslashes++;
    if ((backslashes & 1) === 0) return j;
  }
}

/** Where the value of the member whose key ends before `from` starts (after the colon), or -1 when the string at hand is not a key. */
function memberValueAt(text: string, from: number, to: number): number {
  const colon = skipWhitespace(text, from, to);
  if (colon >= to || text.charCodeAt(colon) !== 58 /* : */) return -1;
  const v = skipWhitespace(text, colon + 1, to);
  return v >= to ? -1 : v;
}

function onlyColonBetween(text: string, from: number, to: number): boolean {
  let colons = 0;
  for (let k = from; k < to; k++) {
    const c = text.charCodeAt(k);
    if (c === 58 /* : */) colons++;
    else if (c !== 32 && c !== 9 && c !== 10 && c !== 13) return false;
  }
  return colons === 1;
}

/** True when `text[from, to)` is only JSON whitespace (or empty). */
export function onlyWhitespace(text: string, from: number, to: number): boolean {
  return skipWhitespace(text, from, to) >= to;
}

function skipWhitespace(text: string, from: number, to: number): number {
  let i = from;
  while (i < to) {
    const c = text.charCodeAt(i);
    if (c !== 32 && c !== 9 && c !== 10 && c !== 13) break;
    i++;
  }
  return i;
}
