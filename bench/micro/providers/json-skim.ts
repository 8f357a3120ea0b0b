// Micro-benchmark: what the ingress's one pass over a large chat body costs (`skimJsonBody`: checks
// the bytes are JSON the parser accepts and finds the messages, building nothing), against
// `JSON.parse` of the same bytes decoded (what a whole parse would cost) in the same run. Agent-sized
// bodies from the e2e bench's generator (history, tool calls, 20 tools), ASCII and with text outside
// Latin-1.
//
// Timed in CPU time (process.cpuUsage); the ratio to JSON.parse is the figure to compare across runs.
//
//   npx tsx bench/micro/providers/json-skim.ts            (env: ROUNDS, SIZES_KB)

import { agentBody } from '../../e2e/agent-body.js';
import { skimJsonBody } from '../../../src/providers/index.js';

const ROUNDS = Number(process.env.ROUNDS ?? 7);
const SIZES_KB = (process.env.SIZES_KB ?? '20,200,1024').split(',').map(Number);
const DEPTH = 64;

function cpuUs(f: () => void, n: number): number {
  const start = process.cpuUsage();
  for (let i = 0; i < n; i++) f();
  const d = process.cpuUsage(start);
  return (d.user + d.system) / n;
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)]!;
}

let sink = 0;
console.log('| body | skim µs | JSON.parse µs | skim ÷ parse |');
console.log('|---|---:|---:|---:|');
for (const kb of SIZES_KB) {
  for (const variant of ['ascii', 'non-latin1'] as const) {
    let text = agentBody(kb * 1024, false);
    if (variant === 'non-latin1') text = text.replaceAll('function', 'funktion — 関数');
    const buf = Buffer.from(text);
    if (skimJsonBody(buf, DEPTH) === null) throw new Error(`the skim refused the ${kb} KB body`);
    const n = Math.max(20, Math.round(20_000 / kb));
    const skim: number[] = [];
    const parse: number[] = [];
    for (let r = 0; r < ROUNDS; r++) {
      skim.push(cpuUs(() => { const s = skimJsonBody(buf, DEPTH); sink += s === null ? 0 : 1; }, n));
      parse.push(cpuUs(() => { const v = JSON.parse(buf.toString('utf8')) as object; sink += v === null ? 0 : 1; }, n));
    }
    const s = median(skim);
    const p = median(parse);
    console.log(`| ${kb} KB ${variant} | ${s.toFixed(0)} | ${p.toFixed(0)} | ${(s / p).toFixed(2)} |`);
  }
}
if (sink === 0) console.log('');
