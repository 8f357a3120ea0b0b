/**
 * The featurizer shared by training and serving (`router score`, the gateway's classifier thread):
 * prompt text → sparse vector (indices, values).
 *
 * Version `hash-ngram-v2`. Every feature means the same on every kind of prompt: nothing here is
 * tied to one data source's format (no multiple-choice structure, no "free text only" block: those
 * were fitted on the benchmark that happened to have that format and misfired on chat).
 * - input: one string, the last user message (as RouteLLM routes on the last turn);
 * - text: when longer than HEAD+TAIL chars, only its head and tail are used (the question of a long
 *   prompt is usually at one end), which bounds the cost; then NFKC and lowercase;
 * - shape slots 0..SHAPE-1: coarse one-hot buckets of length, line count, code marks and non-ASCII
 *   share (one slot per group, value 1/√groups so the block has unit norm). Buckets, not raw values:
 *   a weight per bucket cannot extrapolate a slope fitted on one benchmark's range; then one
 *   continuous slot, ln(1 + chars) / 8: longer requests are harder on every kind of traffic;
 * - hashed blocks (FNV-1a, one seed per block) into 2^18 buckets after the shape slots: word
 *   unigrams, word bigrams, and character 4-grams of the text with whitespace runs collapsed (they
 *   see symbols, code and notation that the word tokenizer drops), each block sublinear tf
 *   (1 + ln count) scaled to unit L2 norm.
 * Any change to what this file computes must bump FEATURIZER_VERSION: the model file records the
 * version a model was trained with, and loading refuses a mismatch.
 */

export const FEATURIZER_VERSION = 'hash-ngram-v2';
export const HASH_BITS = 18;

const HEAD = 4000;
const TAIL = 2000;
const HASH_MASK = (1 << HASH_BITS) - 1;
const SEED_WORD = 0x811c9dc5;
const SEED_BIGRAM = 0x01000193;
const SEED_CHAR = 0x3b9aca07;
const FNV_PRIME = 0x01000193;
const CHAR_N = 4;

/** Upper bounds (exclusive) of each bucket; a value at or above the last bound is the last bucket. */
const LENGTH_BOUNDS = [16, 32, 64, 96, 128, 192, 256, 384, 512, 768, 1024, 1536, 2048, 4096];
const LINE_BOUNDS = [2, 4, 8, 16, 32];
const CODE_BOUNDS = [1, 3, 10];
const NUMBER_BOUNDS = [1, 2, 3, 4, 6, 8, 12, 20];
const NON_ASCII_BOUNDS = [1e-9, 0.1];
const GROUPS = [LENGTH_BOUNDS, LINE_BOUNDS, CODE_BOUNDS, NUMBER_BOUNDS, NON_ASCII_BOUNDS] as const;
const GROUP_NAMES = ['chars', 'lines', 'code_marks', 'numbers', 'non_ascii_share'] as const;

/** ln(1 + chars) / 8 is about 1 for a 3,000-character prompt. */
const LOG_CHARS_SCALE = 8;
/** Number of shape slots at the start of the vector: the buckets, then log length. */
export const SHAPE = GROUPS.reduce((n, b) => n + b.length + 1, 0) + 1;
/** The `log_chars/8` slot (the last shape slot): the router's length blend reads it. */
export const LOG_CHARS_SLOT = SHAPE - 1;
/** Total input dimension. */
export const FEATURE_DIM = SHAPE + (1 << HASH_BITS);

/** Names of the shape slots, in order (for the model card and debugging). */
export const SHAPE_NAMES: readonly string[] = GROUPS.flatMap((bounds, g) => [
  ...bounds.map((b, i) => `${GROUP_NAMES[g]}<${b}${i > 0 ? ` (>=${bounds[i - 1]})` : ''}`),
  `${GROUP_NAMES[g]}>=${bounds[bounds.length - 1]}`,
]).concat(`log_chars/${LOG_CHARS_SCALE}`);

/** A sparse feature vector; indices may repeat (a model sums their contributions). */
export interface SparseFeatures {
  indices: Int32Array;
  values: Float32Array;
}

const WORD_RE = /[\p{L}\p{N}]+/gu;
const SPACES_RE = /\s+/g;
const CODE_RE = /[{};]|=>|==|```|\bdef |\breturn\b|\bfunction\b|\bimport\b|\bclass\b/g;
const SHAPE_VALUE = 1 / Math.sqrt(GROUPS.length);

function hashStr(seed: number, s: string): number {
  let h = seed;
  for (let i = 0; i < s.length; i++) h = Math.imul(h ^ s.charCodeAt(i), FNV_PRIME);
  return h;
}

function count(re: RegExp, s: string): number {
  re.lastIndex = 0;
  let n = 0;
  while (re.exec(s) !== null) n++;
  return n;
}

function bucket(bounds: readonly number[], x: number): number {
  let i = 0;
  while (i < bounds.length && x >= bounds[i]!) i++;
  return i;
}

/** Scratch for hashed ids: a typed-array sort is numeric and native, much faster than Array#sort. */
const SCRATCH = new Int32Array(HEAD + TAIL + 8);
/** The vector being built (typed scratch: no per-entry garbage); at most the shape slots and three blocks of one id per char. */
const OUT_IDX = new Int32Array(GROUPS.length + 1 + 3 * (HEAD + TAIL + 8));
const OUT_VAL = new Float64Array(OUT_IDX.length);

/** Sorts scratch[0..n) and appends (index, 1 + ln count) scaled to unit L2 norm at `at`; returns the new end. */
function pushBlock(n: number, at: number): number {
  if (n === 0) return at;
  const ids = SCRATCH.subarray(0, n).sort();
  const start = at;
  let norm2 = 0;
  for (let i = 0; i < n;) {
    let j = i + 1;
    while (j < n && ids[j] === ids[i]) j++;
    const v = 1 + Math.log(j - i);
    OUT_IDX[at] = SHAPE + ids[i]!;
    OUT_VAL[at++] = v;
    norm2 += v * v;
    i = j;
  }
  const inv = 1 / Math.sqrt(norm2);
  for (let i = start; i < at; i++) OUT_VAL[i] = OUT_VAL[i]! * inv;
  return at;
}

/** The bucket of each shape group, as slot indices. `raw` is the capped text, `fullLength` the uncapped length. */
function shapeSlots(raw: string, fullLength: number): number[] {
  let lines = 1;
  let nonAscii = 0;
  let numbers = 0;
  let inNumber = false;
  for (let i = 0; i < raw.length; i++) {
    const c = raw.charCodeAt(i);
    const digit = c >= 48 && c <= 57;
    if (digit && !inNumber) numbers++;
    inNumber = digit;
    if (c === 10) lines++;
    else if (c > 127) nonAscii++;
  }
  const values = [fullLength, lines, count(CODE_RE, raw), numbers, nonAscii / Math.max(raw.length, 1)];
  const slots: number[] = [];
  let base = 0;
  GROUPS.forEach((bounds, g) => {
    slots.push(base + bucket(bounds, values[g]!));
    base += bounds.length + 1;
  });
  return slots;
}

/** The sparse feature vector of one prompt (deterministic; no state kept between calls). */
export function featurize(prompt: string): SparseFeatures {
  const cut = prompt.length > HEAD + TAIL ? `${prompt.slice(0, HEAD)}\n${prompt.slice(-TAIL)}` : prompt;
  // NFKC and lowercasing can lengthen text (ligatures, dotted İ): cap again so SCRATCH always fits.
  const text = cut.normalize('NFKC').toLowerCase().slice(0, HEAD + TAIL + 1);
  const words = text.match(WORD_RE) ?? [];
  let at = 0;
  for (const slot of shapeSlots(cut, prompt.length)) { OUT_IDX[at] = slot; OUT_VAL[at++] = SHAPE_VALUE; }
  OUT_IDX[at] = LOG_CHARS_SLOT;
  OUT_VAL[at++] = Math.log1p(prompt.length) / LOG_CHARS_SCALE;

  let n = 0;
  for (const w of words) SCRATCH[n++] = hashStr(SEED_WORD, w) & HASH_MASK;
  at = pushBlock(n, at);

  n = 0;
  for (let i = 1; i < words.length; i++) SCRATCH[n++] = hashStr(hashStr(SEED_BIGRAM, words[i - 1]!) ^ 0x20, words[i]!) & HASH_MASK;
  at = pushBlock(n, at);

  const flat = text.replace(SPACES_RE, ' ');
  n = 0;
  for (let i = 0; i + CHAR_N <= flat.length; i++) {
    let h = SEED_CHAR;
    for (let j = 0; j < CHAR_N; j++) h = Math.imul(h ^ flat.charCodeAt(i + j), FNV_PRIME);
    SCRATCH[n++] = h & HASH_MASK;
  }
  at = pushBlock(n, at);
  return { indices: OUT_IDX.slice(0, at), values: Float32Array.from(OUT_VAL.subarray(0, at)) };
}
