// SCRATCH ONLY
import { mkdtempSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { ChildSet } from '../e2e/processes.js';
import { LoadGenerator } from '../e2e/load-generator.js';
import { chatBody } from '../e2e/stack.js';
import { SseCheck } from '../e2e/sse-check.js';
import { request } from 'undici';
const children = new ChildSet();
process.on('exit', () => children.killAllSync());
const root = '/work/main';
const mock = await children.spawnReady({ name: 'mock', args: ['--import', 'tsx', 'bench/e2e/mock-upstream.ts'], env: { MOCK_DELTA_MS: process.env.DMS ?? '0' }, cwd: root, ready: /^mock listening on (\d+)/ });
const home = mkdtempSync(path.join(os.tmpdir(), 'lr-scratch-'));
const gw = await children.spawnReady({ name: 'gw', args: ['--import', 'tsx', 'bench/.scratch/gw-shim.ts', home, `http://127.0.0.1:${mock.match}`, process.env.EXEC ?? 'workers'], cwd: root, ready: /localrouter listening on http:\/\/127\.0\.0\.1:(\d+)/, timeoutMs: 30000 });
const origin = `http://127.0.0.1:${gw.match}`;
const headers = { 'content-type': 'application/json', authorization: `Bearer lr-${'k'.repeat(43)}` };
for (const stream of [false, true]) {
  const r = await request(origin + '/v1/chat/completions', { method: 'POST', headers, body: chatBody(stream) });
  const t = await r.body.text();
  console.log(stream, r.statusCode, t.length, t.slice(0, 300));
  if (stream) { const c = new SseCheck(64, true); c.feed(t); console.log(c.verdict()); }
}
const load = await LoadGenerator.start(children, path.join(root, 'bench'));
const target = { origin, path: '/v1/chat/completions', headers, body: chatBody(false) };
const pid = gw.child.pid;
const mode = process.env.MODE ?? 'all';
if (mode === 'all' || mode === 'seq') {
  const m = await load.run({ kind: 'sequential', target, count: 1000, warmup: 100, stream: false, deltas: 64, expectUsage: false }, { cpuPids: [pid] });
  console.log('seq', JSON.stringify(m.result.latencyMs), m.result.failures, m.result.firstProblem, 'cpu/req', m.cpuMicros[pid] / 1000);
  const s = await load.run({ kind: 'sequential', target: { ...target, body: chatBody(true) }, count: 200, warmup: 20, stream: true, deltas: 64, expectUsage: true }, { cpuPids: [pid] });
  console.log('seq stream', JSON.stringify(s.result.ttftMs), s.result.failures, s.result.firstProblem);
  const a = await load.run<any>({ kind: 'autocannon', target, connections: 64, durationS: 2, warmupS: 0.3, timeoutS: 10 }, { cpuPids: [pid] });
  console.log('ac', a.result.rps, a.result.non2xx, a.result.errors, 'cpu/req', a.cpuMicros[pid] / a.result.ok, 'p99', a.result.latencyMs.p99);
}
if (mode === 'all' || mode === 'streams') {
  const st = await load.run<any>({ kind: 'streams', target: { ...target, body: chatBody(true) }, count: Number(process.env.N ?? 1000), deltas: 64, expectUsage: true, timeoutS: 60 }, { cpuPids: [pid], rssPids: [pid] });
  console.log('streams', JSON.stringify(st.result), 'rss', st.rssPeakBytes[pid] / 2 ** 20);
}
await children.killAll();
