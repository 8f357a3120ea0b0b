// Micro-benchmark: scoring one prompt end to end through the classifier actor (ingress thread →
// worker thread: featurize + two sparse dot products → back), sequentially, one request in flight,
// as `auto` routing does per request. Baseline, in the same process: the same scorer inline
// (featurize + dot products), i.e. the work without the thread hop; and the featurizer alone.
// Also prints the RSS the classifier adds (its thread and the model), split into anonymous and
// file-backed pages.
//
//   node --expose-gc --import tsx bench/micro/classifier/score.ts      (env: N, ROUNDS, MODEL)

import fs from 'node:fs';
import { DEFAULT_MODEL_PATH, decodeRouterModel, featurize, startClassifier, scorePrompt } from '../../../src/classifier/index.js';

const N = Number(process.env.N ?? 2000);
const ROUNDS = Number(process.env.ROUNDS ?? 5);
const MODEL = process.env.MODEL ?? DEFAULT_MODEL_PATH;

// Prompts of the sizes `auto` sees: a short chat turn, an MMLU-style question, a GSM8K problem,
// a pasted document (~6 KB).
const PROMPTS = [
  'hi, can you help me?',
  'Which of the following is NOT a function of the liver?\nA. Bile production\nB. Insulin secretion\nC. Glycogen storage\nD. Detoxification\nAnswer:',
  'Natalia sold clips to 48 of her friends in April, and then she sold half as many clips in May. How many clips did Natalia sell altogether in April and May?',
  `Summarise the following contract and list the obligations of each party.\n${'The Supplier shall deliver the goods within thirty (30) days of the order date. '.repeat(75)}`,
];

function memory(): { rss: number; anon: number; file: number } {
  const status = fs.readFileSync('/proc/self/status', 'utf8');
  const kb = (key: string): number => Number(new RegExp(`${key}:\\s+(\\d+)`).exec(status)?.[1] ?? 0);
  return { rss: kb('VmRSS') / 1024, anon: kb('RssAnon') / 1024, file: kb('RssFile') / 1024 };
}

function pct(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor(p * sorted.length))]!;
}

async function timeAll(score: (p: string) => Promise<number> | number): Promise<number[]> {
  const lat: number[] = [];
  for (let i = 0; i < N; i++) {
    const p = `${PROMPTS[i % PROMPTS.length]!} (${i})`;
    const t0 = process.hrtime.bigint();
    await score(p);
    lat.push(Number(process.hrtime.bigint() - t0) / 1e6);
  }
  return lat.sort((a, b) => a - b);
}

const model = decodeRouterModel(fs.readFileSync(MODEL));
global.gc?.();
const before = memory();
const classifier = await startClassifier({ modelPath: MODEL, timeoutMs: 1_000 });
await timeAll((p) => classifier.score(p)); // warm-up: JIT on both threads
global.gc?.();
await new Promise((r) => setTimeout(r, 200));
const after = memory(); // before the baseline warms up, so its JIT and garbage are not counted
await timeAll((p) => scorePrompt(model, p));

const actor: number[][] = [];
const inline: number[][] = [];
const feat: number[][] = [];
for (let r = 0; r < ROUNDS; r++) { // interleaved, so drift (turbo, other load) hits all alike
  actor.push(await timeAll((p) => classifier.score(p)));
  inline.push(await timeAll((p) => scorePrompt(model, p)));
  feat.push(await timeAll((p) => featurize(p).indices.length));
}
const med = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
const a50 = med(actor.map((l) => pct(l, 0.5)));
const a99 = med(actor.map((l) => pct(l, 0.99)));
const i50 = med(inline.map((l) => pct(l, 0.5)));
const i99 = med(inline.map((l) => pct(l, 0.99)));
const f50 = med(feat.map((l) => pct(l, 0.5)));
const f99 = med(feat.map((l) => pct(l, 0.99)));
const f = (x: number): string => x.toFixed(3).padStart(8);
console.log(`classifier score: ${N} sequential prompts per round, median of ${ROUNDS} rounds (${process.version}, model ${fs.statSync(MODEL).size} bytes)`);
console.log('                                  p50 ms    p99 ms');
console.log(`actor (worker + JS scorer)      ${f(a50)}  ${f(a99)}`);
console.log(`inline scorer (baseline)        ${f(i50)}  ${f(i99)}`);
console.log(`featurizer alone                ${f(f50)}  ${f(f99)}`);
console.log(`ratio actor/baseline            ${f(a50 / i50)}x ${f(a99 / i99)}x`);
console.log(`RSS added by the classifier: ${(after.rss - before.rss).toFixed(1)} MB (anonymous ${(after.anon - before.anon).toFixed(1)} MB, file-backed ${(after.file - before.file).toFixed(1)} MB)`);
console.log(`stats: ${JSON.stringify(classifier.stats())}`);
await classifier.close();
