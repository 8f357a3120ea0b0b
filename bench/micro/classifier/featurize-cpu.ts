// Micro-benchmark: CPU time of the featurizer, and of featurize + both heads + blend, per prompt,
// over real chat traffic (the 1,250 Arena-Hard-Auto prompts, up to 27 KB) plus a pasted 6 KB
// document. CPU time (process.cpuUsage), not wall time, so that other load on the machine shows up
// less; rounds alternate the two measurements. The target is featurize p99 <= 2 ms.
//
//   node --import tsx bench/micro/classifier/featurize-cpu.ts      (env: ROUNDS, MODEL, LOCALROUTER_ROUTING_DATA)

import fs from 'node:fs';
import path from 'node:path';
import { DEFAULT_MODEL_PATH, decodeRouterModel, featurize, loadChatData, scorePrompt } from '../../../src/classifier/index.js';

const ROUNDS = Number(process.env.ROUNDS ?? 3);
const MODEL = process.env.MODEL ?? DEFAULT_MODEL_PATH;
const DATA = process.env.LOCALROUTER_ROUTING_DATA ?? path.resolve(import.meta.dirname, '../../../../shared/data/routing');

const prompts = loadChatData(DATA).prompts.map((p) => p.prompt);
prompts.push(`Summarise the following contract and list the obligations of each party.\n${'The Supplier shall deliver the goods within thirty (30) days of the order date. '.repeat(75)}`);
const model = decodeRouterModel(fs.readFileSync(MODEL));

function cpuMs(run: () => void): number {
  const t0 = process.cpuUsage();
  run();
  const d = process.cpuUsage(t0);
  return (d.user + d.system) / 1000;
}

/** Per-prompt CPU ms, each prompt timed over `reps` calls (cpuUsage ticks are coarse). */
function timeEach(fn: (p: string) => unknown, reps = 20): number[] {
  return prompts.map((p) => cpuMs(() => { for (let i = 0; i < reps; i++) fn(p); }) / reps).sort((a, b) => a - b);
}

const pct = (xs: number[], q: number): number => xs[Math.min(xs.length - 1, Math.floor(q * xs.length))]!;
timeEach((p) => featurize(p), 2); // warm-up
timeEach((p) => scorePrompt(model, p), 2);
console.log(`${prompts.length} prompts (max ${Math.max(...prompts.map((p) => p.length))} chars), ${process.version}`);
console.log('round  featurize p50 / p99 ms   featurize+score p50 / p99 ms');
for (let r = 0; r < ROUNDS; r++) {
  const f = timeEach((p) => featurize(p));
  const s = timeEach((p) => scorePrompt(model, p));
  console.log(`${r + 1}      ${pct(f, 0.5).toFixed(3)} / ${pct(f, 0.99).toFixed(3)}            ${pct(s, 0.5).toFixed(3)} / ${pct(s, 0.99).toFixed(3)}`);
}
