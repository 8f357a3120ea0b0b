import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { PassThrough, Readable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import {
  DEFAULT_MODEL_PATH, LinearRouter, cardPathFor, readModelCard, runCalibrateCommand, runEvalCommand, runScoreCommand,
  thresholdForShare,
} from '../../../src/classifier/index.js';

function sink(): { stream: PassThrough; text: () => string } {
  const stream = new PassThrough();
  const chunks: Buffer[] = [];
  stream.on('data', (c: Buffer) => chunks.push(c));
  return { stream, text: () => Buffer.concat(chunks).toString('utf8') };
}

const PROMPTS = [
  'What is 2+2?',
  'Which of the following is NOT a prime?\nA. 2\nB. 3\nC. 4\nD. 5\nAnswer:',
  'Natalia sold clips to 48 of her friends in April, and then she sold half as many clips in May. How many clips did Natalia sell altogether in April and May?',
];

describe('router score', () => {
  it('writes one {"score"} line per input line, in order, and flags bad lines', async () => {
    const input = Readable.from([`${JSON.stringify({ prompt: PROMPTS[0] })}\n`, '\n', 'not json\n', `${JSON.stringify({ prompt: PROMPTS[1] })}\n${JSON.stringify({ prompt: PROMPTS[2] })}`]);
    const out = sink();
    const code = await runScoreCommand({ input, output: out.stream });
    const lines = out.text().trim().split('\n').map((l) => JSON.parse(l) as { score?: number; error?: string });
    expect(code).toBe(1);
    expect(lines).toHaveLength(4);
    expect(lines[1]!.error).toMatch(/line 3: not JSON/);
    const router = LinearRouter.load(DEFAULT_MODEL_PATH);
    expect(lines[0]!.score).toBe(router.score(PROMPTS[0]!));
    expect(lines[2]!.score).toBe(router.score(PROMPTS[1]!));
    expect(lines[3]!.score).toBe(router.score(PROMPTS[2]!));
  });
});

describe('router eval --data FILE.csv', () => {
  it('reports APGR and CPT for the router, a random router and length, dropping contaminated prompts', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'lr-'));
    const rows = Array.from({ length: 40 }, (_, i) => [`"Question ${i}: ${'why '.repeat(i)}?"`, i % 3 === 0 ? 'True' : 'False', i % 4 === 0 ? 'False' : 'True']);
    fs.writeFileSync(path.join(dir, 'data.csv'), ['prompt,weak,strong', ...rows.map((r) => r.join(','))].join('\n'));
    fs.writeFileSync(path.join(dir, 'cont.jsonl'), `${JSON.stringify({ eval_prompt: `Question 0: ?` })}\n`);
    const out = sink();
    const code = await runEvalCommand({ dataFile: path.join(dir, 'data.csv'), contaminatedFile: path.join(dir, 'cont.jsonl'), output: out.stream, json: true });
    expect(code).toBe(0);
    const report = JSON.parse(out.text()) as Record<string, any>;
    expect(report.n).toBe(39);
    expect(report.dropped).toBe(1);
    for (const k of ['router', 'random', 'length']) {
      expect(Number.isFinite(report[k].apgr)).toBe(true);
      expect(report[k].cpt50).toBeGreaterThanOrEqual(0);
    }
    expect(report.random.runs).toBe(10);
    expect(report.protocol).toMatch(/decile/);
  });
});

describe('router calibrate --strong-share', () => {
  it('uses the card\'s chat-mix percentiles without prompts', async () => {
    const out = sink();
    expect(await runCalibrateCommand({ strongShare: 0.3, output: out.stream })).toBe(0);
    const res = JSON.parse(out.text()) as { threshold: number; source: string };
    const card = readModelCard(cardPathFor(DEFAULT_MODEL_PATH));
    expect(res).toMatchObject({ source: 'model card', threshold: thresholdForShare(card.calibration.mixes.chat.percentiles, 0.3) });
  });

  it('on the user\'s prompts, the threshold sends about that share to the strong side', async () => {
    const prompts = Array.from({ length: 200 }, (_, i) => `Prompt ${i}: ${'compute the integral of x^2 '.repeat(i % 9)} ${i % 5 ? 'A. 1\nB. 2' : ''}`);
    const out = sink();
    const input = Readable.from(prompts.map((p) => `${JSON.stringify({ prompt: p })}\n`));
    expect(await runCalibrateCommand({ strongShare: 0.25, output: out.stream, prompts: input })).toBe(0);
    const res = JSON.parse(out.text()) as { threshold: number; n: number };
    expect(res.n).toBe(200);
    const router = LinearRouter.load(DEFAULT_MODEL_PATH);
    let strong = 0;
    for (const p of prompts) if (router.score(p) >= res.threshold) strong++;
    expect(strong / prompts.length).toBeGreaterThan(0.15);
    expect(strong / prompts.length).toBeLessThan(0.35);
  });

  it('maps the ends: share 0 sends nothing strong, share 1 everything', () => {
    const p = Array.from({ length: 101 }, (_, i) => 0.2 + i * 0.005);
    expect(thresholdForShare(p, 0)).toBeGreaterThan(1);
    expect(thresholdForShare(p, 1)).toBe(0);
    expect(thresholdForShare(p, 0.5)).toBeCloseTo(0.45, 12);
    expect(() => thresholdForShare(p, 1.5)).toThrow(RangeError);
  });
});
