/**
 * The featurizer shared by training and serving: prompt text → sparse vector (indices, values).
 *
 * Version `hash-ngram-v1`:
 * - text: NFKC, lowercased; when longer than HEAD+TAIL chars, only the head and the tail are
 *   n-grammed (the question of a long prompt is usually at one end), which bounds the cost at ~1 ms;
 * - hashed blocks (FNV-1a, one seed per block): word unigrams, word bigrams, character 3..5-grams
 *   (spaces collapsed); each block is sublinear tf (1 + ln count) scaled to unit L2 norm, so a long
 *   prompt does not outweigh a short one;
 * - dense slots 0..DENSE-1: shape features of the whole text (length, lines, digits, maths symbols,
 *   multiple-choice options...). They are raw here; training standardises them and folds the
 *   scaling into the weights, so serving never needs the statistics.
 * Any change to what this file computes must bump FEATURIZER_VERSION: a model card records the
 * version it was trained with, and loading refuses a mismatch.
 */

export const FEATURIZER_VERSION = 'hash-ngram-v1';
/** Number of dense slots at the start of the vector. */
export const DENSE = 48;
export const HASH_BITS = Number(process.env.LR_FEAT_BITS ?? 18);
export const FEAT_OPTS = { charMin: 9, charMax: 0, bigrams: true, cross: true, shape: false };
/** Total input dimension. */
export const FEATURE_DIM = DENSE + (1 << HASH_BITS);

const HEAD = 4000;
const TAIL = 2000;
const HASH_MASK = (1 << HASH_BITS) - 1;
const SEED_WORD = 0x811c9dc5;
const SEED_BIGRAM = 0x01000193;
const SEED_CHAR = 0x2f6b1c35;
const FNV_PRIME = 0x01000193;

export const DENSE_NAMES = [
  'log_chars', 'log_words', 'log_lines', 'digit_frac', 'log_numbers', 'log_math_symbols', 'upper_frac',
  'mc_options', 'mean_word_len', 'log_questions', 'log_max_number_len', 'punct_frac', 'log_long_words',
  'non_ascii_frac', 'log_sentences', 'log_option_chars',
  'log_negations', 'paired_option_frac', 'numeric_option_frac', 'log_parts', 'log_code_marks', 'log_stem_chars', 'unused_22', 'unused_23',
] as const;

/** A sparse feature vector; indices may repeat (a model sums their contributions). */
export interface SparseFeatures {
  indices: Int32Array;
  values: Float32Array;
}

const WORD_RE = /[\p{L}\p{N}]+/gu;

function hashStr(seed: number, s: string): number {
  let h = seed;
  for (let i = 0; i < s.length; i++) h = Math.imul(h ^ s.charCodeAt(i), FNV_PRIME);
  return h;
}

/**
 * Scratch for hashed ids: typed-array sort is numeric and native, several times faster than
 * Array#sort with a comparator on the ~18k char n-grams of a long prompt. Capacity covers
 * the capped text: at most 3 char n-grams per char.
 */
const SCRATCH = new Int32Array(8 * (HEAD + TAIL + 4));


/** Sorts scratch[0..n), appends (index, 1 + ln count) scaled to unit L2 norm. */
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

function denseFeatures(raw: string, fullLength: number, words: string[], out: number[]): void {
  const n = raw.length;
  let digits = 0; let upper = 0; let math = 0; let punct = 0; let nonAscii = 0; let lines = 1; let questions = 0;
  let sentences = 0; let numbers = 0; let maxNum = 0; let run = 0;
  const scan = n;
  for (let i = 0; i < scan; i++) {
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
  const options = raw.match(/^\s*\(?[A-J][.)]\s/gm);
  let optionChars = 0;
  if (options) {
    for (const m of raw.matchAll(/^\s*\(?[A-J][.)]\s(.*)$/gm)) optionChars += m[1]!.length;
  }
  let wordChars = 0; let longWords = 0;
  for (const w of words) { wordChars += w.length; if (w.length >= 10) longWords++; }
  const len = Math.max(scan, 1);
  out.push(
    Math.log1p(fullLength), Math.log1p(words.length), Math.log(lines), digits / len, Math.log1p(numbers), Math.log1p(math),
    upper / len, options ? options.length : 0, words.length ? wordChars / words.length : 0, Math.log1p(questions),
    Math.log1p(maxNum), punct / len, Math.log1p(longWords), nonAscii / len, Math.log1p(sentences),
    Math.log1p(optionChars / Math.max(1, options ? options.length : 1)),
  );
  // Structure that makes a question compound or tricky, whatever its subject.
  let negations = 0;
  for (const m of raw.matchAll(/\b(NOT|EXCEPT|LEAST|FALSE|INCORRECT|NEVER|CANNOT)\b/g)) if (m[0]) negations++;
  let pairedOptions = 0;
  let numericOptions = 0;
  for (const m of raw.matchAll(/^\s*\(?[A-J][.)]\s(.*)$/gm)) {
    const o = m[1]!.trim();
    if (/^[\w'-]+(?: [\w'-]+)?, [\w'-]+(?: [\w'-]+)?$/.test(o)) pairedOptions++;
    if (/^[-+$]?[\d.,/ %^*()x×πe-]+$/i.test(o) && /\d/.test(o)) numericOptions++;
  }
  const nOpt = options ? options.length : 0;
  const parts = (raw.match(/\b(?:statement|scenario|premise|passage|case)\s*\d\b|(?:^|\n)\s*(?:I|II|III|IV|V)[.)]\s/gi) ?? []).length;
  const code = (raw.match(/[{};]|=>|==|\bdef |\breturn\b|\bfunction\b|\bint\b/g) ?? []).length;
  const firstOpt = raw.search(/^\s*\(?A[.)]\s/m);
  const stem = firstOpt > 0 ? firstOpt : raw.length;
  out.push(
    Math.log1p(negations), nOpt ? pairedOptions / nOpt : 0, nOpt ? numericOptions / nOpt : 0, Math.log1p(parts),
    Math.log1p(code), Math.log1p(stem), 0, 0,
  );
}

/** The sparse feature vector of one prompt (deterministic; no state between calls). */
export function featurize(prompt: string): SparseFeatures {
  const cut = prompt.length > HEAD + TAIL ? `${prompt.slice(0, HEAD)}\n${prompt.slice(-TAIL)}` : prompt;
  // NFKC and lowercasing can lengthen text (ligatures, dotted İ): re-cap so SCRATCH always fits.
  const text = cut.normalize('NFKC').toLowerCase().slice(0, HEAD + TAIL + 1);
  const words = text.match(WORD_RE) ?? [];
  const idx: number[] = [];
  const val: number[] = [];
  const dense: number[] = [];
  denseFeatures(cut, prompt.length, words, dense);
  for (let i = 0; i < 24; i++) { idx.push(i); val.push(dense[i]!); }
  if (FEAT_OPTS.cross) { const mc = dense[7]! > 0 ? 0 : 1; for (let i = 0; i < 24; i++) { idx.push(24 + i); val.push(mc * dense[i]!); } }
  if (FEAT_OPTS.shape) {
    const mc = dense[7]! > 0 ? 1 : 0;
    const lb = Math.min(15, Math.floor(dense[0]! * 2));
    const nb = Math.min(6, Math.floor(dense[4]!* 2));
    const keys = [`l${lb}m${mc}`, `n${nb}m${mc}`, `l${lb}n${nb}m${mc}`, `q${Math.min(3, Math.round(Math.expm1(dense[9]!)))}m${mc}`, `s${Math.min(12, Math.round(Math.expm1(dense[14]!)))}m${mc}`];
    for (const k of keys) { idx.push(DENSE + (hashStr(0x5bd1e995, k) & HASH_MASK)); val.push(1); }
  }

  let n = 0;
  for (const w of words) SCRATCH[n++] = hashStr(SEED_WORD, w) & HASH_MASK;
  pushBlock(n, idx, val);

  n = 0;
  if (FEAT_OPTS.bigrams) for (let i = 1; i < words.length; i++) {
    SCRATCH[n++] = hashStr(hashStr(SEED_BIGRAM, words[i - 1]!) ^ 0x20, words[i]!) & HASH_MASK;
  }
  pushBlock(n, idx, val);

  n = 0;
  const squashed = ` ${words.join(' ')} `;
  for (let i = 0; i + 3 <= squashed.length; i++) {
    let h = SEED_CHAR;
    for (let k = 0; k < FEAT_OPTS.charMax && i + k < squashed.length; k++) {
      h = Math.imul(h ^ squashed.charCodeAt(i + k), FNV_PRIME);
      if (k >= FEAT_OPTS.charMin - 1) SCRATCH[n++] = h & HASH_MASK;
    }
  }
  pushBlock(n, idx, val);
  return { indices: Int32Array.from(idx), values: Float32Array.from(val) };
}
