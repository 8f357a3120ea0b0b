import { createHash } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  ARENA_HARD_ATTRIBUTION, DEFAULT_MODEL_PATH, FEATURE_DIM, FEATURIZER_VERSION, LinearRouter, MODEL_FORMAT_VERSION, ROUTELLM_ATTRIBUTION,
  LOG_CHARS_SLOT, blendScore, cardPathFor, combineHeads, decodeRouterModel, encodeRouterModel, featurize, fitBlend, fitHeads, logCharsOf, readModelCard,
  scoreFeatures, toFloat32Head, type LabeledPrompt, type RouterModel,
} from '../../../src/classifier/index.js';

const PROMPTS = [
  'What is the capital of France?\nA. Paris\nB. Rome\nC. Madrid\nD. Berlin\nAnswer:',
  'A robe takes 2 bolts of blue fiber and half that much white fiber. How many bolts in total does it take?',
  'Write a haiku about routers.',
  'Write a Python function that merges overlapping intervals, with tests.',
  '',
  'Ünïcödé 東京 🚀 '.repeat(50),
  'Explain the difference between a mutex and a semaphore. '.repeat(200),
];

/** A small labelled sample: longer prompts are the ones the weak model fails. */
function sample(n: number): LabeledPrompt[] {
  return Array.from({ length: n }, (_, i) => ({
    prompt: `${i % 2 ? 'Compute' : 'Name'} item ${i} ${'with extra reasoning steps '.repeat(i % 7)}?`,
    weak: i % 7 < 3, strong: i % 5 !== 0, group: `mmlu/s${i % 4}`, contaminated: false,
  }));
}

function randomModel(seed: number, kappa = 0.5): RouterModel {
  let x = seed;
  const next = () => { x = (Math.imul(x, 1103515245) + 12345) >>> 0; return (x / 2 ** 32 - 0.5) * 4; };
  return {
    featurizer: FEATURIZER_VERSION, kappa,
    weakFails: toFloat32Head(Float64Array.from({ length: FEATURE_DIM }, next), 0.25),
    strongFails: toFloat32Head(Float64Array.from({ length: FEATURE_DIM }, next), -0.5),
    blend: { gain: 4.5, logChars: 1.25, bias: -3 },
  };
}

/** A format-1 file (no blend in the header), written out independently of the encoder. */
function formatOneFile(m: RouterModel): Buffer {
  let header = JSON.stringify({ featurizer: m.featurizer, dim: FEATURE_DIM, kappa: m.kappa, heads: ['weak_fails', 'strong_fails'] });
  while ((12 + Buffer.byteLength(header)) % 4 !== 0) header += ' ';
  const h = Buffer.from(header);
  const fixed = Buffer.alloc(12);
  fixed.write('LRRM', 0, 'latin1');
  fixed.writeUInt32LE(1, 4);
  fixed.writeUInt32LE(h.length, 8);
  const head = (x: { weights: Float32Array; bias: number }) => {
    const b = Buffer.alloc(4);
    b.writeFloatLE(x.bias);
    return Buffer.concat([Buffer.from(x.weights.buffer, x.weights.byteOffset, x.weights.byteLength), b]);
  };
  return Buffer.concat([fixed, h, head(m.weakFails), head(m.strongFails)]);
}

/** Sigmoid of a head's dot product in float64, written out independently of the scorer. */
function headP(w: Float32Array, b: number, prompt: string): number {
  const f = featurize(prompt);
  let z = b;
  for (let k = 0; k < f.indices.length; k++) z += f.values[k]! * w[f.indices[k]!]!;
  return 1 / (1 + Math.exp(-z));
}

describe('the shipped router (models/router-hashlr.bin)', () => {
  const card = readModelCard(cardPathFor(DEFAULT_MODEL_PATH));
  const bytes = fs.readFileSync(DEFAULT_MODEL_PATH);

  it('is at most 5 MB, matches its card, and names its data with checksums and attributions', () => {
    expect(bytes.length).toBeLessThanOrEqual(5 * 1024 * 1024);
    expect(card.modelBytes).toBe(bytes.length);
    expect(card.modelSha256).toBe(createHash('sha256').update(bytes).digest('hex'));
    expect(card.featurizer.version).toBe(FEATURIZER_VERSION);
    expect(card.format.version).toBe(MODEL_FORMAT_VERSION);
    expect(card.attribution).toBe(ROUTELLM_ATTRIBUTION);
    expect(card.chatAttribution).toBe(ARENA_HARD_ATTRIBUTION);
    expect(card.data.files.length).toBeGreaterThan(2);
    for (const f of [...card.data.files, ...card.chatData.files]) expect(f.sha256).toMatch(/^[0-9a-f]{64}$/);
    expect(decodeRouterModel(bytes).kappa).toBe(card.training.kappa);
  });

  it('has sorted calibration percentiles (101) per mix and a threshold table the dashboard can plot', () => {
    const { calibration } = card;
    expect(calibration.percentiles).toEqual(calibration.mixes.chat.percentiles);
    for (const arr of [calibration.deciles, calibration.mixes.chat.percentiles, calibration.mixes.benchmark.percentiles]) {
      for (let i = 1; i < arr.length; i++) expect(arr[i]!).toBeGreaterThanOrEqual(arr[i - 1]!);
      expect(arr[0]!).toBeGreaterThanOrEqual(0);
      expect(arr[arr.length - 1]!).toBeLessThanOrEqual(1);
    }
    expect(calibration.mixes.chat.percentiles).toHaveLength(101);
    expect(calibration.deciles).toHaveLength(11);
    expect(calibration.table.length).toBeGreaterThan(5);
    for (let i = 1; i < calibration.table.length; i++) {
      expect(calibration.table[i]!.strongShare).toBeGreaterThan(calibration.table[i - 1]!.strongShare);
      expect(calibration.table[i]!.chatThreshold).toBeLessThanOrEqual(calibration.table[i - 1]!.chatThreshold);
    }
  });

  it('scores every prompt as the two heads combined with the card\'s κ and length blend, and not as a constant', () => {
    const model = decodeRouterModel(bytes);
    expect(model.blend).toEqual(card.training.blend);
    const { gain, logChars, bias } = card.training.blend;
    const router = LinearRouter.load(DEFAULT_MODEL_PATH);
    const scores = PROMPTS.map((p) => router.score(p));
    PROMPTS.forEach((p, i) => {
      const g = combineHeads(headP(model.weakFails.weights, model.weakFails.bias, p), headP(model.strongFails.weights, model.strongFails.bias, p), card.training.kappa);
      const expected = 1 / (1 + Math.exp(-(gain * g + logChars * Math.fround(Math.log1p(p.length) / 8) + bias)));
      expect(scores[i]).toBeCloseTo(expected, 12);
      expect(scores[i]).toBeGreaterThanOrEqual(0);
      expect(scores[i]).toBeLessThanOrEqual(1);
    });
    expect(Math.max(...scores) - Math.min(...scores)).toBeGreaterThan(0.01);
  });
});

describe('the model file format', () => {
  it('round-trips a model exactly, and the same model gives the same bytes', () => {
    const m = randomModel(7, 0.3);
    const bytes = encodeRouterModel(m);
    expect(Buffer.from(encodeRouterModel(m)).equals(Buffer.from(bytes))).toBe(true);
    const back = decodeRouterModel(bytes);
    expect(back.kappa).toBe(0.3);
    expect(back.featurizer).toBe(FEATURIZER_VERSION);
    expect(Buffer.from(back.weakFails.weights.buffer, back.weakFails.weights.byteOffset, back.weakFails.weights.byteLength)
      .equals(Buffer.from(m.weakFails.weights.buffer))).toBe(true);
    expect(back.strongFails.bias).toBe(m.strongFails.bias);
    expect(back.blend).toEqual(m.blend);
    for (const p of PROMPTS) expect(scoreFeatures(back, featurize(p))).toBe(scoreFeatures(m, featurize(p)));
  });

  it('still loads format-1 files (no length blend): their score is the combined gain itself', () => {
    const m = randomModel(11, 0.25);
    const back = decodeRouterModel(formatOneFile(m));
    expect(back.blend).toBeNull();
    for (const p of PROMPTS) {
      const g = combineHeads(headP(m.weakFails.weights, m.weakFails.bias, p), headP(m.strongFails.weights, m.strongFails.bias, p), 0.25);
      expect(scoreFeatures(back, featurize(p))).toBeCloseTo(g, 12);
    }
  });

  it('blends length in: with equal gains the longer prompt scores higher, and the blend is fitted on held-out scores', () => {
    const blend = { gain: 2, logChars: 1.5, bias: -1 };
    expect(blendScore(0.4, 0.9, blend)).toBeGreaterThan(blendScore(0.4, 0.5, blend));
    expect(blendScore(0.6, 0.5, blend)).toBeGreaterThan(blendScore(0.4, 0.5, blend));
    expect(logCharsOf(featurize('x'.repeat(999)))).toBeCloseTo(Math.log(1000) / 8, 6);
    expect(featurize('abc').indices).toContain(LOG_CHARS_SLOT);
    const gains = [0.1, 0.2, 0.3, 0.4, 0.5];
    const lengths = [0.5, 0.4, 0.6, 0.3, 0.7];
    const none = fitBlend(gains, lengths, 0);
    expect(none.logChars).toBe(0);
    expect(blendScore(0.3, 0.6, none)).toBeCloseTo(0.5, 12); // centred on the median
    expect(fitBlend(gains, lengths, 1).logChars).toBeGreaterThan(0);
  });

  it('refuses, with LR_ERR_CLASSIFIER, files that are not a router of this build', () => {
    const good = Buffer.from(encodeRouterModel(randomModel(3)));
    const patched = (f: (b: Buffer) => Buffer): Buffer => f(Buffer.from(good));
    const headerLen = good.readUInt32LE(8);
    const header = good.toString('utf8', 12, 12 + headerLen);
    const withHeader = (h: string): Buffer => {
      const padded = h.padEnd(headerLen, ' ');
      return patched((b) => { b.write(padded, 12, 'utf8'); return b; });
    };
    const cases: [string, Buffer, RegExp][] = [
      ['empty', Buffer.alloc(0), /magic/],
      ['not a router', Buffer.from('not a router file at all'), /magic/],
      ['other version', patched((b) => { b.writeUInt32LE(MODEL_FORMAT_VERSION + 1, 4); return b; }), /file format/],
      ['header past the end', patched((b) => { b.writeUInt32LE(0x7ffffff0, 8); return b; }), /header length/],
      ['truncated', good.subarray(0, good.length - 4), /size/],
      ['other featurizer', withHeader(header.replace(FEATURIZER_VERSION, 'hash-ngram-v0')), /featurizer/],
      ['kappa out of range', withHeader(header.replace(/"kappa":[0-9.]+/, '"kappa":2')), /kappa/],
      ['blend missing', withHeader(header.replace(/,"blend":\{[^}]*\}/, '')), /blend/],
      ['blend incomplete', withHeader(header.replace('"bias"', '"bsas"')), /blend/],
      ['non-finite weight', patched((b) => { b.writeFloatLE(Number.NaN, 12 + headerLen + 40); return b; }), /non-finite/],
    ];
    for (const [name, bytes, message] of cases) {
      expect(() => decodeRouterModel(bytes), name).toThrow(expect.objectContaining({ code: 'LR_ERR_CLASSIFIER', message: expect.stringMatching(message) }));
    }
  });

  it('refuses to load a model whose card names another featurizer version', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'lr-'));
    const modelPath = path.join(dir, 'router-tiny.bin');
    fs.writeFileSync(modelPath, encodeRouterModel(randomModel(1)));
    fs.writeFileSync(cardPathFor(modelPath), JSON.stringify({ name: 'tiny', featurizer: { version: 'hash-ngram-v1' } }));
    expect(() => LinearRouter.load(modelPath)).toThrow(expect.objectContaining({ code: 'LR_ERR_CLASSIFIER' }));
  });
});

describe('training', () => {
  const rows = sample(160);
  const feats = rows.map((r) => featurize(r.prompt));
  const ids = rows.map((_, i) => i);

  it('is deterministic: the same data gives the same weights and the same file', () => {
    const toModel = (h: ReturnType<typeof fitHeads>): RouterModel => ({
      featurizer: FEATURIZER_VERSION, kappa: 0.5,
      weakFails: toFloat32Head(h.weakFails.weights, h.weakFails.bias), strongFails: toFloat32Head(h.strongFails.weights, h.strongFails.bias),
      blend: { gain: 1, logChars: 0, bias: 0 },
    });
    const a = encodeRouterModel(toModel(fitHeads(rows, feats, ids, { l2Weak: 1e-2, l2Strong: 1e-2, l2Shape: 1e-3 })));
    const b = encodeRouterModel(toModel(fitHeads(rows, feats, ids, { l2Weak: 1e-2, l2Strong: 1e-2, l2Shape: 1e-3 })));
    expect(Buffer.from(b).equals(Buffer.from(a))).toBe(true);
  });

  it('each head learns its own label', () => {
    const h = fitHeads(rows, feats, ids, { l2Weak: 1e-4, l2Strong: 1e-4, l2Shape: 1e-4 });
    const p = (head: typeof h.weakFails, prompt: string) => headP(Float32Array.from(head.weights), head.bias, prompt);
    // weak fails on i % 7 >= 3 (longer prompts), strong fails on i % 5 === 0.
    const longer = `Compute item 5 ${'with extra reasoning steps '.repeat(5)}?`;
    const shorter = 'Name item 0 ?';
    expect(p(h.weakFails, longer)).toBeGreaterThan(p(h.weakFails, shorter) + 0.2);
    const strongFailRows = ids.filter((i) => !rows[i]!.strong);
    const strongOkRows = ids.filter((i) => rows[i]!.strong);
    const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;
    expect(mean(strongFailRows.map((i) => p(h.strongFails, rows[i]!.prompt)))).toBeGreaterThan(mean(strongOkRows.map((i) => p(h.strongFails, rows[i]!.prompt))) + 0.2);
  });

  it('κ orders a both-wrong prompt between a strong-only win and a both-right prompt', () => {
    // P(weak fails), P(strong fails) of: strong wins, both wrong, both right.
    const [win, bothWrong, bothRight] = [[0.9, 0.1], [0.9, 0.9], [0.1, 0.1]] as const;
    expect(combineHeads(...win, 0.5)).toBeGreaterThan(combineHeads(...bothWrong, 0.5));
    expect(combineHeads(...bothWrong, 0.5)).toBeGreaterThan(combineHeads(...bothRight, 0.5));
    // κ = 0 routes on the weak model's difficulty alone.
    expect(combineHeads(...win, 0)).toBeCloseTo(combineHeads(...bothWrong, 0), 12);
    // κ = 1 is the 0/1 expected gain: both-wrong and both-right tie.
    expect(combineHeads(...bothWrong, 1)).toBeCloseTo(combineHeads(...bothRight, 1), 12);
  });
});
