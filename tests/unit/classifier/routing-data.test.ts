import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  assignFolds, chatWeakRows, isChatTrainingPrompt, loadRoutingData, parseContaminated, parseCsv, parseLabeledCsv, type ChatPrompt,
} from '../../../src/classifier/index.js';

const CSV = [
  'prompt,mistralai/Mixtral-8x7B-Instruct-v0.1,gpt-4-1106-preview',
  '"What is ""2+2""?\nA. 3\nB. 4\nAnswer:",False,True',
  'plain prompt,True,True',
  '"with, comma",true,false',
  '',
].join('\r\n');

describe('correctness CSV', () => {
  it('parses quoted fields with commas, doubled quotes and line breaks', () => {
    expect(parseCsv('a,"b,c","d""e"\n"x\ny",z,\n')).toEqual([['a', 'b,c', 'd"e'], ['x\ny', 'z', '']]);
  });

  it('reads prompt, weak, strong by position (headers are model names)', () => {
    const rows = parseLabeledCsv(CSV, 'g');
    expect(rows).toEqual([
      { prompt: 'What is "2+2"?\nA. 3\nB. 4\nAnswer:', weak: false, strong: true, group: 'g', contaminated: false },
      { prompt: 'plain prompt', weak: true, strong: true, group: 'g', contaminated: false },
      { prompt: 'with, comma', weak: true, strong: false, group: 'g', contaminated: false },
    ]);
  });

  it('rejects a bad label with the row and column', () => {
    expect(() => parseLabeledCsv('p,w,s\nx,maybe,True\n', 'g', 'f.csv')).toThrow(/f\.csv row 2 column 2/);
    expect(() => parseLabeledCsv('p,w,s\nx,True\n', 'g', 'f.csv')).toThrow(/expected 3 columns/);
  });

  it('loads a data directory: subjects as groups, contaminated prompts flagged, files checksummed', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'lr-'));
    fs.mkdirSync(path.join(dir, 'mmlu'));
    fs.mkdirSync(path.join(dir, 'gsm8k'));
    fs.writeFileSync(path.join(dir, 'mmlu', 'mmlu_anatomy.csv'), 'p,w,s\nq1,True,False\nq2,False,True\n');
    fs.writeFileSync(path.join(dir, 'mmlu', 'contaminated_prompts.jsonl'), '{"train_prompt":"x","eval_prompt":"q2"}\n');
    fs.writeFileSync(path.join(dir, 'gsm8k', 'gsm8k_correctness.csv'), 'p,w,s\ng1,True,True\n');
    fs.writeFileSync(path.join(dir, 'gsm8k', 'contaminated_prompts.jsonl'), '');
    const data = loadRoutingData(dir);
    expect(data.mmlu.map((r) => [r.group, r.prompt, r.contaminated])).toEqual([['mmlu/anatomy', 'q1', false], ['mmlu/anatomy', 'q2', true]]);
    expect(data.gsm8k.map((r) => r.group)).toEqual(['gsm8k']);
    expect(data.files.map((f) => f.path)).toEqual(['mmlu/mmlu_anatomy.csv', 'gsm8k/gsm8k_correctness.csv', 'mmlu/contaminated_prompts.jsonl', 'gsm8k/contaminated_prompts.jsonl']);
    for (const f of data.files) expect(f.sha256).toMatch(/^[0-9a-f]{64}$/);
    expect(parseContaminated('{"eval_prompt":"a"}\n\n{"eval_prompt":"b"}')).toEqual(new Set(['a', 'b']));
  });
});

describe('fold assignment', () => {
  const rows = Array.from({ length: 300 }, (_, i) => ({
    prompt: `p${i}`, weak: i % 2 === 0, strong: i % 3 !== 0, contaminated: false,
    group: i < 250 ? `mmlu/s${i % 17}` : 'gsm8k',
  }));

  it('is seeded: same seed same folds, another seed other folds', () => {
    expect(assignFolds(rows, 5, 1, 'random')).toEqual(assignFolds(rows, 5, 1, 'random'));
    expect(assignFolds(rows, 5, 2, 'random')).not.toEqual(assignFolds(rows, 5, 1, 'random'));
  });

  it('chat rows never move a benchmark prompt to another fold', () => {
    const chat = Array.from({ length: 40 }, (_, i) => ({ prompt: `c${i}`, weak: true, strong: true, contaminated: true, group: 'arena-hard/creative_writing' }));
    for (const scheme of ['random', 'subjects'] as const) {
      const alone = assignFolds(rows, 5, 9, scheme);
      const mixed = assignFolds([...rows, ...chat], 5, 9, scheme);
      expect(Array.from(mixed.slice(0, rows.length))).toEqual(Array.from(alone));
      expect(new Set(mixed.slice(rows.length)).size).toBe(5);
    }
  });

  it('subjects scheme: every MMLU subject sits in exactly one fold, GSM8K spreads over all', () => {
    const folds = assignFolds(rows, 5, 3, 'subjects');
    const foldsOf = new Map<string, Set<number>>();
    rows.forEach((r, i) => { const s = foldsOf.get(r.group) ?? new Set(); s.add(folds[i]!); foldsOf.set(r.group, s); });
    for (const [g, s] of foldsOf) if (g !== 'gsm8k') expect(s.size).toBe(1);
    expect(foldsOf.get('gsm8k')!.size).toBe(5);
  });
});

describe('chat weak labels', () => {
  const prompt = (part: ChatPrompt['part'], category: string, n: number): ChatPrompt => ({ uid: `${part}-${category}-${n}`, category, prompt: `${part}: ${category} request ${n}`, part });
  const chat = (['ties', 'dev', 'check'] as const).flatMap((part) => ['coding', 'math', 'creative_writing'].flatMap((c) => [prompt(part, c, 1), prompt(part, c, 2)]))
    .concat([prompt('check', 'mixed', 1)]);

  it('trains on the ties part only: creative writing as a tie, coding and maths as "the strong model helps"', () => {
    const rows = chatWeakRows(chat, { weight: 2 });
    expect(rows.map((r) => [r.group, r.weak, r.strong])).toEqual([
      ['arena-hard/coding', false, true], ['arena-hard/coding', false, true],
      ['arena-hard/math', false, true], ['arena-hard/math', false, true],
      ['arena-hard/creative_writing', true, true], ['arena-hard/creative_writing', true, true],
    ]);
    for (const r of rows) expect([r.contaminated, r.weight]).toEqual([true, 2]);
    expect(chatWeakRows(chat, { strongHelps: false }).map((r) => r.group)).toEqual(['arena-hard/creative_writing', 'arena-hard/creative_writing']);
  });

  it('names exactly the prompts it trains on (the calibration and the chat test leave them out)', () => {
    const trained = new Set(chatWeakRows(chat).map((r) => r.prompt));
    for (const p of chat) expect(isChatTrainingPrompt(p)).toBe(trained.has(p.prompt));
    expect(chat.filter((p) => p.part !== 'ties').some((p) => isChatTrainingPrompt(p))).toBe(false);
  });
});
