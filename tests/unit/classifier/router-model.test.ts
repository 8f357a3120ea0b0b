import { createHash } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  DEFAULT_MODEL_PATH, FEATURE_DIM, FEATURIZER_VERSION, OnnxRouter, ROUTELLM_ATTRIBUTION, cardPathFor, featurize, readModelCard,
  scoreFeatures, toFloat32Model, type LabeledPrompt,
} from '../../../src/classifier/index.js';
import { fitRouter } from '../../../src/classifier/cross-fit.js';
import { decodeRouterOnnx, encodeRouterOnnx } from '../../../src/classifier/export-onnx.js';

const PROMPTS = [
  'What is the capital of France?\nA. Paris\nB. Rome\nC. Madrid\nD. Berlin\nAnswer:',
  'A robe takes 2 bolts of blue fiber and half that much white fiber. How many bolts in total does it take?',
  'For which of these two scenarios does the main character do something clearly morally wrong? Scenario 1 | I lied. Scenario 2 | I helped.\nA. Wrong, Wrong\nB. Wrong, Not wrong\nC. Not wrong, Wrong\nD. Not wrong, Not wrong\nAnswer:',
  'Write a haiku about routers.',
  '',
  'Ünïcödé 東京 🚀 '.repeat(50),
  'Explain the difference between a mutex and a semaphore. '.repeat(200),
];

/** A small labelled sample: longer prompts are the ones the strong model wins. */
function sample(n: number): LabeledPrompt[] {
  return Array.from({ length: n }, (_, i) => ({
    prompt: `${i % 2 ? 'Compute' : 'Name'} item ${i} ${'with extra reasoning steps '.repeat(i % 7)}?`,
    weak: i % 7 < 3, strong: i % 5 !== 0, group: `mmlu/s${i % 4}`, contaminated: false,
  }));
}

function writeModel(dir: string, bytes: Uint8Array, version = FEATURIZER_VERSION): string {
  const modelPath = path.join(dir, 'router-tiny.onnx');
  fs.writeFileSync(modelPath, bytes);
  fs.writeFileSync(cardPathFor(modelPath), JSON.stringify({ name: 'tiny', featurizer: { version }, calibration: { percentiles: [] } }));
  return modelPath;
}

describe('the shipped router (models/router-hashlr.onnx)', () => {
  const card = readModelCard(cardPathFor(DEFAULT_MODEL_PATH));
  const bytes = fs.readFileSync(DEFAULT_MODEL_PATH);

  it('is at most 5 MB and matches its card', () => {
    expect(bytes.length).toBeLessThanOrEqual(5 * 1024 * 1024);
    expect(card.modelBytes).toBe(bytes.length);
    expect(card.modelSha256).toBe(createHash('sha256').update(bytes).digest('hex'));
    expect(card.featurizer.version).toBe(FEATURIZER_VERSION);
    expect(card.attribution).toBe(ROUTELLM_ATTRIBUTION);
    expect(card.data.files.length).toBeGreaterThan(2);
    for (const f of card.data.files) expect(f.sha256).toMatch(/^[0-9a-f]{64}$/);
  });

  it('has sorted calibration deciles (11) and percentiles (101) within 0..1', () => {
    for (const [arr, len] of [[card.calibration.deciles, 11], [card.calibration.percentiles, 101]] as const) {
      expect(arr).toHaveLength(len);
      for (let i = 1; i < arr.length; i++) expect(arr[i]!).toBeGreaterThanOrEqual(arr[i - 1]!);
      expect(arr[0]!).toBeGreaterThanOrEqual(0);
      expect(arr[arr.length - 1]!).toBeLessThanOrEqual(1);
    }
  });

  it('onnxruntime output equals the TypeScript reference scorer within 1e-5', async () => {
    const { model, metadata } = decodeRouterOnnx(bytes);
    expect(metadata.featurizer).toBe(FEATURIZER_VERSION);
    const router = await OnnxRouter.load(DEFAULT_MODEL_PATH);
    try {
      const spread: number[] = [];
      for (const p of PROMPTS) {
        const ref = scoreFeatures(model, featurize(p));
        const got = await router.score(p);
        expect(Math.abs(got - ref)).toBeLessThan(1e-5);
        spread.push(ref);
      }
      expect(Math.max(...spread) - Math.min(...spread)).toBeGreaterThan(0.01); // not a constant model
    } finally {
      await router.close();
    }
  });
});

describe('training and export', () => {
  const rows = sample(160);
  const feats = rows.map((r) => featurize(r.prompt));
  const ids = rows.map((_, i) => i);

  it('is deterministic: the same data gives the same weights and the same file', () => {
    const a = fitRouter(rows, feats, ids, { l2: 1e-2, l2Dense: 1e-3 }).raw;
    const b = fitRouter(rows, feats, ids, { l2: 1e-2, l2Dense: 1e-3 }).raw;
    expect(b.bias).toBe(a.bias);
    expect(Buffer.from(b.weights.buffer).equals(Buffer.from(a.weights.buffer))).toBe(true);
    const fa = encodeRouterOnnx(toFloat32Model(a.weights, a.bias), { featurizer: FEATURIZER_VERSION });
    const fb = encodeRouterOnnx(toFloat32Model(b.weights, b.bias), { featurizer: FEATURIZER_VERSION });
    expect(Buffer.from(fb).equals(Buffer.from(fa))).toBe(true);
  });

  it('learns the signal in the sample', () => {
    const { raw } = fitRouter(rows, feats, ids, { l2: 1e-3, l2Dense: 1e-4 });
    const m = toFloat32Model(raw.weights, raw.bias);
    const long = scoreFeatures(m, featurize(`Compute item 7 ${'with extra reasoning steps '.repeat(6)}?`));
    const short = scoreFeatures(m, featurize('Name item 7 ?'));
    expect(long).not.toBeCloseTo(short, 3);
  });

  it('a model trained in the test scores the same in onnxruntime as in TypeScript (1e-5)', async () => {
    const { raw } = fitRouter(rows, feats, ids, { l2: 1e-3, l2Dense: 1e-4 });
    const model = toFloat32Model(raw.weights, raw.bias);
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'lr-'));
    const router = await OnnxRouter.load(writeModel(dir, encodeRouterOnnx(model, { featurizer: FEATURIZER_VERSION })));
    try {
      for (const p of [...PROMPTS, ...rows.slice(0, 20).map((r) => r.prompt)]) {
        expect(Math.abs((await router.score(p)) - scoreFeatures(model, featurize(p)))).toBeLessThan(1e-5);
      }
    } finally {
      await router.close();
    }
  });

  it('refuses a model whose card names another featurizer version', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'lr-'));
    const model = toFloat32Model(new Float64Array(FEATURE_DIM), 0);
    const modelPath = writeModel(dir, encodeRouterOnnx(model, {}), 'hash-ngram-v0');
    await expect(OnnxRouter.load(modelPath)).rejects.toMatchObject({ code: 'LR_ERR_CLASSIFIER' });
  });
});
