/**
 * The featurizer shared by training and serving: prompt text → sparse vector (indices, values).
 * It runs in TypeScript before the ONNX graph, whose inputs are this vector.
 *
 * Version `hash-ngram-v1`:
 * - input: one string, the last user message (as RouteLLM routes on the last turn);
 * - text: when longer than HEAD+TAIL chars, only its head and tail are used (the question of a long
 *   prompt is usually at one end), which bounds the cost; then NFKC and lowercase;
 * - dense slots 0..23: shape of the text (length, lines, digits, maths symbols, multiple-choice
 *   options, negations, compound "X, Y" options, enumerated statements, code marks...), raw values;
 *   slots 24..47 repeat them for prompts without multiple-choice options (0 otherwise), so that free
 *   text questions (GSM8K, chat) get their own length/number weights. Training standardises the
 *   dense slots and folds the scaling into the weights: serving needs no statistics;
 * - hashed blocks (FNV-1a, one seed per block) into 2^18 buckets after the dense slots: word
 *   unigrams and word bigrams, each block sublinear tf (1 + ln count) scaled to unit L2 norm.
 * Any change to what this file computes must bump FEATURIZER_VERSION: the model card records the
 * version a model was trained with, and loading refuses a mismatch.
 */

export const FEATURIZER_VERSION = 'hash-ngram-v1';
const BASE_DENSE = 24;
/** Number of dense slots at the start of the vector. */
export const DENSE = 2 * BASE_DENSE;
export const HASH_BITS = 18;
/** Total input dimension. */
export const FEATURE_DIM = DENSE + (1 << HASH_BITS);

const HEAD = 4000;
const TAIL = 2000;
const HASH_MASK = (1 << HASH_BITS) - 1;
const SEED_WORD = 0x811c9dc5;
const SEED_BIGRAM = 0x01000193;
const FNV_PRIME = 0x01000193;

const BASE_NAMES = [
  'log_chars', 'log_words', 'log_lines', 'digit_frac', 'log_numbers', 'log_math_symbols', 'upper_frac',
  'mc_options', 'mean_word_len', 'log_questions', 'log_max_number_len', 'punct_frac', 'log_long_words',
  'non_ascii_frac', 'log_sentences', 'log_option_chars', 'log_negations', 'paired_option_frac',
  'numeric_option_frac', 'log_parts', 'log_code_marks', 'log_stem_chars', 'log_blanks', 'option_stem_ratio',
] as const;

/** Names of the dense slots, in order (for the model card and debugging). */
export const DENSE_NAMES: readonly string[] = [...BASE_NAMES, ...BASE_NAMES.map((n) => `free_text_${n}`)];

/** A sparse feature vector; indices may repeat (a model sums their contributions). */
export interface SparseFeatures {
  indices: Int32Array;
  values: Float32Array;
}

const WORD_RE = /[\p{L}\p{N}]+/gu;
const OPTION_RE = /^\s*\(?[A-J][.)]\s(.*)$/gm;
const NEGATION_RE = /\b(?:NOT|EXCEPT|LEAST|FALSE|INCORRECT|NEVER|CANNOT)\b/g;
const PAIRED_RE = /^[\w'-]+(?: [\w'-]+)?, [\w'-]+(?: [\w'-]+)?$/;
const NUMERIC_RE = /^[-+$]?[\d.,/ %^*()x×πe-]+$/i;
const PARTS_RE = /\b(?:statement|scenario|premise|passage|case)\s*\d\b|(?:^|\n)\s*(?:I|II|III|IV|V)[.)]\s/gi;
const CODE_RE = /[{};]|=>|==|\bdef |\breturn\b|\bfunction\b|\bint\b/g;
const BLANK_RE = /_{3,}/g;
const FIRST_OPTION_RE = /^\s*\(?A[.)]\s/m;

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

/** Scratch for hashed ids: a typed-array sort is numeric and native, much faster than Array#sort. */
const SCRATCH = new Int32Array(HEAD + TAIL + 8);

/** Sorts scratch[0..n) and appends (index, 1 + ln count) scaled to unit L2 norm. */
function pushBlock(n: number, idx: number[], val: number[]): void {
  if (n === 0) return;
  const ids = SCRATCH.subarray(0, n).sort();
  const start = idx.length;
  let norm2 = 0;
  for (let i = 0; i < n;) {
    let j = i + 1;
    while (j < n && ids[j] === ids[i]) j++;
    const v = 1 + Math.log(j - i);
    idx.push(DENSE + ids[i]!);
    val.push(v);
    norm2 += v * v;
    i = j;
  }
  const inv = 1 / Math.sqrt(norm2);
  for (let i = start; i < val.length; i++) val[i] = val[i]! * inv;
}

/** The BASE_DENSE shape features of `raw` (already capped); `fullLength` is the uncapped length. */
function denseFeatures(raw: string, fullLength: number, words: string[]): number[] {
  const n = raw.length;
  let digits = 0; let upper = 0; let math = 0; let punct = 0; let nonAscii = 0; let lines = 1; let questions = 0;
  let sentences = 0; let numbers = 0; let maxNum = 0; let run = 0;
  for (let i = 0; i < n; i++) {
    const c = raw.charCodeAt(i);
    if (c >= 48 && c <= 57) { digits++; run++; continue; }
    if (run > 0) { numbers++; if (run > maxNum) maxNum = run; run = 0; }
    if (c >= 65 && c <= 90) upper++;
    else if (c === 10) lines++;
    else if (c === 63) { questions++; punct++; }
    else if (c === 46 || c === 33) { sentences++; punct++; }
    else if (c === 43 || c === 45 || c === 42 || c === 47 || c === 61 || c === 94 || c === 60 || c === 62 || c === 37 || c === 36) math++;
    else if (c === 44 || c === 58 || c === 59 || c === 40 || c === 41 || c === 34 || c === 39) punct++;
    else if (c > 127) nonAscii++;
  }
  if (run > 0) { numbers++; if (run > maxNum) maxNum = run; }
  let nOpt = 0; let optionChars = 0; let paired = 0; let numeric = 0;
  OPTION_RE.lastIndex = 0;
  for (let m = OPTION_RE.exec(raw); m !== null; m = OPTION_RE.exec(raw)) {
    const o = m[1]!.trim();
    nOpt++;
    optionChars += m[1]!.length;
    if (PAIRED_RE.test(o)) paired++;
    if (NUMERIC_RE.test(o) && /\d/.test(o)) numeric++;
  }
  let wordChars = 0; let longWords = 0;
  for (const w of words) { wordChars += w.length; if (w.length >= 10) longWords++; }
  const len = Math.max(n, 1);
  const firstOpt = raw.search(FIRST_OPTION_RE);
  const stem = firstOpt > 0 ? firstOpt : n;
  const meanOption = nOpt ? optionChars / nOpt : 0;
  return [
    Math.log1p(fullLength), Math.log1p(words.length), Math.log(lines), digits / len, Math.log1p(numbers), Math.log1p(math),
    upper / len, nOpt, words.length ? wordChars / words.length : 0, Math.log1p(questions),
    Math.log1p(maxNum), punct / len, Math.log1p(longWords), nonAscii / len, Math.log1p(sentences),
    Math.log1p(meanOption), Math.log1p(count(NEGATION_RE, raw)), nOpt ? paired / nOpt : 0,
    nOpt ? numeric / nOpt : 0, Math.log1p(count(PARTS_RE, raw)), Math.log1p(count(CODE_RE, raw)), Math.log1p(stem),
    Math.log1p(count(BLANK_RE, raw)), Math.log1p(meanOption) - Math.log1p(stem),
  ];
}

/** The sparse feature vector of one prompt (deterministic; no state kept between calls). */
export function featurize(prompt: string): SparseFeatures {
  const cut = prompt.length > HEAD + TAIL ? `${prompt.slice(0, HEAD)}\n${prompt.slice(-TAIL)}` : prompt;
  // NFKC and lowercasing can lengthen text (ligatures, dotted İ): cap again so SCRATCH always fits.
  const text = cut.normalize('NFKC').toLowerCase().slice(0, HEAD + TAIL + 1);
  const words = text.match(WORD_RE) ?? [];
  const idx: number[] = [];
  const val: number[] = [];
  const dense = denseFeatures(cut, prompt.length, words);
  const freeText = dense[7] === 0 ? 1 : 0;
  for (let i = 0; i < BASE_DENSE; i++) { idx.push(i); val.push(dense[i]!); }
  for (let i = 0; i < BASE_DENSE; i++) { idx.push(BASE_DENSE + i); val.push(freeText * dense[i]!); }

  let n = 0;
  for (const w of words) SCRATCH[n++] = hashStr(SEED_WORD, w) & HASH_MASK;
  pushBlock(n, idx, val);

  n = 0;
  for (let i = 1; i < words.length; i++) SCRATCH[n++] = hashStr(hashStr(SEED_BIGRAM, words[i - 1]!) ^ 0x20, words[i]!) & HASH_MASK;
  pushBlock(n, idx, val);
  return { indices: Int32Array.from(idx), values: Float32Array.from(val) };
}
