/**
 * The featurizer shared by training and serving (`router score`, the gateway's classifier thread):
 * prompt text → sparse vector (indices, values).
 *
 * Version `hash-ngram-v4`. Every feature means the same on every kind of prompt: nothing here is
 * tied to one data source's format (no multiple-choice structure, no "free text only" block: those
 * were fitted on the benchmark that happened to have that format and misfired on chat).
 * - input: one string, the last user message (as RouteLLM routes on the last turn);
 * - text: when longer than HEAD+TAIL chars, only its head and tail are used (the question of a long
 *   prompt is usually at one end), which bounds the cost; then NFKC and lowercase;
 * - shape slots 0..SHAPE-1: coarse one-hot buckets of length, line count, code marks, count of
 *   numbers and non-ASCII share, then crosses that mean the same on every kind of prompt: coarse
 *   length × code marks, coarse length × digit share, digit share × maths marks, the first word
 *   when it is a question or instruction word, and the shape of a multi-step quantitative request:
 *   count of quantities (numbers, number words, percent signs), count of sentences, count of
 *   quantity marks (percent, currency, fractions, decimals), and coarse sentences × quantities
 *   (one slot per group, value 1/√groups so the block has unit norm). A maths question in chat has
 *   these as a word problem has them; they say "how many steps", not "which benchmark". Buckets, not raw values: a weight per bucket cannot extrapolate a slope fitted on
 *   one benchmark's range; then one continuous slot, ln(1 + chars) / 8: longer requests are harder
 *   on every kind of traffic;
 * - hashed blocks (FNV-1a, one seed per block) into 2^18 buckets after the shape slots: word
 *   unigrams, word bigrams, and character 4-grams of the text with whitespace runs collapsed (they
 *   see symbols, code and notation that the word tokenizer drops), each block sublinear tf
 *   (1 + ln count) scaled to unit L2 norm.
 * Any change to what this file computes must bump FEATURIZER_VERSION: the model file records the
 * version a model was trained with, and loading refuses a mismatch.
 */

export const FEATURIZER_VERSION = 'hash-ngram-v4';
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
/** Coarse buckets for the crosses. */
const COARSE_LENGTH_BOUNDS = [128, 512, 2048];
const COARSE_CODE_BOUNDS = [1, 3];
const DIGIT_SHARE_BOUNDS = [1e-9, 0.005, 0.02, 0.05, 0.1];
const MATH_BOUNDS = [1, 3, 10];
/** First words that say what kind of request a prompt is (any other first word is `other`). */
const FIRST_WORDS = [
  'what', 'which', 'how', 'why', 'who', 'when', 'where', 'write', 'explain', 'calculate', 'compute', 'find', 'solve', 'prove',
  'create', 'generate', 'implement', 'describe', 'give', 'is', 'can', 'please', 'i', 'the', 'a', 'if', 'in', 'let',
];
/** Quantities, sentences and quantity marks: how many steps a request may take, on any prompt. */
const QUANTITY_BOUNDS = [1, 2, 3, 4, 5, 6, 8, 10, 14, 20];
const SENTENCE_BOUNDS = [1, 2, 3, 4, 5, 6, 8, 12, 24];
const QUANTITY_MARK_BOUNDS = [1, 2, 4, 8];
const COARSE_SENTENCE_BOUNDS = [2, 4, 7];
const COARSE_QUANTITY_BOUNDS = [2, 4, 7];
const FIRST_WORD_SLOT = new Map(FIRST_WORDS.map((w, i) => [w, i] as const));

/** The raw measurements of a prompt the shape groups bucket. */
interface Shape {
  chars: number;
  lines: number;
  codeMarks: number;
  numbers: number;
  nonAsciiShare: number;
  digitShare: number;
  mathMarks: number;
  firstWord: string;
  quantities: number;
  sentences: number;
  quantityMarks: number;
}

/** One shape group: slot names (relative) and the slot of a prompt. */
interface ShapeGroup {
  names: readonly string[];
  slot: (s: Shape) => number;
}

function bucketNames(name: string, bounds: readonly number[]): string[] {
  return [...bounds.map((b, i) => `${name}<${b}${i > 0 ? ` (>=${bounds[i - 1]})` : ''}`), `${name}>=${bounds[bounds.length - 1]}`];
}

function bucketGroup(name: string, bounds: readonly number[], value: (s: Shape) => number): ShapeGroup {
  return { names: bucketNames(name, bounds), slot: (s) => bucket(bounds, value(s)) };
}

/** The cross of two bucketings: one slot per pair. */
function crossGroup(name: string, a: readonly number[], av: (s: Shape) => number, b: readonly number[], bv: (s: Shape) => number): ShapeGroup {
  const names: string[] = [];
  for (const x of bucketNames('', a)) for (const y of bucketNames('', b)) names.push(`${name}:${x}|${y}`);
  return { names, slot: (s) => bucket(a, av(s)) * (b.length + 1) + bucket(b, bv(s)) };
}

const GROUPS: readonly ShapeGroup[] = [
  bucketGroup('chars', LENGTH_BOUNDS, (s) => s.chars),
  bucketGroup('lines', LINE_BOUNDS, (s) => s.lines),
  bucketGroup('code_marks', CODE_BOUNDS, (s) => s.codeMarks),
  bucketGroup('numbers', NUMBER_BOUNDS, (s) => s.numbers),
  bucketGroup('non_ascii_share', NON_ASCII_BOUNDS, (s) => s.nonAsciiShare),
  crossGroup('chars_x_code', COARSE_LENGTH_BOUNDS, (s) => s.chars, COARSE_CODE_BOUNDS, (s) => s.codeMarks),
  crossGroup('chars_x_digit_share', COARSE_LENGTH_BOUNDS, (s) => s.chars, DIGIT_SHARE_BOUNDS, (s) => s.digitShare),
  crossGroup('digit_share_x_math_marks', DIGIT_SHARE_BOUNDS, (s) => s.digitShare, MATH_BOUNDS, (s) => s.mathMarks),
  { names: [...FIRST_WORDS.map((w) => `first_word=${w}`), 'first_word=other'], slot: (s) => FIRST_WORD_SLOT.get(s.firstWord) ?? FIRST_WORDS.length },
  bucketGroup('quantities', QUANTITY_BOUNDS, (s) => s.quantities),
  bucketGroup('sentences', SENTENCE_BOUNDS, (s) => s.sentences),
  bucketGroup('quantity_marks', QUANTITY_MARK_BOUNDS, (s) => s.quantityMarks),
  crossGroup('sentences_x_quantities', COARSE_SENTENCE_BOUNDS, (s) => s.sentences, COARSE_QUANTITY_BOUNDS, (s) => s.quantities),
];

/** ln(1 + chars) / 8 is about 1 for a 3,000-character prompt. */
const LOG_CHARS_SCALE = 8;
/** Where each group's slots start. */
const GROUP_BASE = GROUPS.map((_, g) => GROUPS.slice(0, g).reduce((n, x) => n + x.names.length, 0));
/** Number of shape slots at the start of the vector: the buckets, then log length. */
export const SHAPE = GROUPS.reduce((n, g) => n + g.names.length, 0) + 1;
/** The `log_chars/8` slot (the last shape slot): the router's length blend reads it. */
export const LOG_CHARS_SLOT = SHAPE - 1;
/** Total input dimension. */
export const FEATURE_DIM = SHAPE + (1 << HASH_BITS);

/** Names of the shape slots, in order (for the model card and debugging). */
export const SHAPE_NAMES: readonly string[] = GROUPS.flatMap((g) => g.names).concat(`log_chars/${LOG_CHARS_SCALE}`);

/** A sparse feature vector; indices may repeat (a model sums their contributions). */
export interface SparseFeatures {
  indices: Int32Array;
  values: Float32Array;
}

const WORD_RE = /[\p{L}\p{N}]+/gu;
const SPACES_RE = /\s+/g;
const CODE_RE = /[{};]|=>|==|```|\bdef |\breturn\b|\bfunction\b|\bimport\b|\bclass\b/g;
/** Maths notation: operators and relations, ×, ÷, ∑, ∫, √, LaTeX fractions and dollar-delimited formulas. */
const MATH_RE = /[=+*^<>\u00d7\u00f7\u2211\u222b\u221a]|\\frac|\$/g;
const FIRST_WORD_RE = /^[\p{L}\p{N}]+/u;
/** Quantities written as words (numbers as digits are counted in the character scan). */
const NUMBER_WORD_RE = /\b(?:one|two|three|four|five|six|seven|eight|nine|ten|eleven|twelve|fifteen|twenty|thirty|forty|fifty|hundred|thousand|million|half|twice|double|triple|third|quarter|dozen)\b/gi;
/** Ends of sentences: . ? ! followed by whitespace or the end (not the point of 3.5 or of a URL). */
const SENTENCE_END_RE = /[.?!](?=\s|$)/g;
/** Percent, currency, fractions (3/4) and decimals (2.5). */
const QUANTITY_MARK_RE = /[%$\u20ac\u00a3\u00a5]|\d\/\d|\d\.\d/g;
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

/** The slot of each shape group. `raw` is the capped text, `fullLength` the uncapped length. */
function shapeSlots(raw: string, fullLength: number): number[] {
  let lines = 1;
  let nonAscii = 0;
  let numbers = 0;
  let percents = 0;
  let digits = 0;
  let inNumber = false;
  for (let i = 0; i < raw.length; i++) {
    const c = raw.charCodeAt(i);
    const digit = c >= 48 && c <= 57;
    if (digit) digits++;
    if (digit && !inNumber) numbers++;
    inNumber = digit;
    if (c === 10) lines++;
    else if (c === 37) percents++;
    else if (c > 127) nonAscii++;
  }
  const n = Math.max(raw.length, 1);
  const shape: Shape = {
    chars: fullLength, lines, codeMarks: count(CODE_RE, raw), numbers, nonAsciiShare: nonAscii / n,
    digitShare: digits / n, mathMarks: count(MATH_RE, raw), firstWord: (FIRST_WORD_RE.exec(raw.trimStart())?.[0] ?? '').toLowerCase(),
    quantities: numbers + count(NUMBER_WORD_RE, raw) + percents, sentences: count(SENTENCE_END_RE, raw), quantityMarks: count(QUANTITY_MARK_RE, raw),
  };
  return GROUPS.map((g, i) => GROUP_BASE[i]! + g.slot(shape));
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
