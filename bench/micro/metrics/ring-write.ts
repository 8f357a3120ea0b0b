// Micro-benchmark: MetricsRing write and drain, per record, against a baseline run in the same
// process: pushing the same record object into a JS array and iterating it. The baseline is the
// cheapest thing a single thread could do; the ring additionally copies every field into shared
// memory that another thread can read without postMessage.
//
//   npx tsx bench/micro/metrics/ring-write.ts            (env: RECORDS, CAPACITY, ROUNDS)

import { MetricsRing, RECORD_KIND, createRecord, type RequestRecord } from '../../../src/metrics/index.js';

const RECORDS = Number(process.env.RECORDS ?? 2_000_000);
const CAPACITY = Number(process.env.CAPACITY ?? 4096);
const ROUNDS = Number(process.env.ROUNDS ?? 7);

const rec = createRecord();
rec.kind = RECORD_KIND.llmRequest;
rec.status = 200;
rec.startMs = Date.now();
rec.costUsd = 0.000123;
let sink = 0;
const visit = (r: RequestRecord): void => { sink += r.durationUs; };

function fill(i: number): void {
  rec.requestId = i;
  rec.durationUs = i & 0xffff;
  rec.promptTokens = i & 0xff;
}

interface Timing { writeNs: number; drainNs: number }

function runRing(ring: MetricsRing): Timing {
  let writeNs = 0n;
  let drainNs = 0n;
  for (let done = 0; done < RECORDS; done += CAPACITY) {
    const t0 = process.hrtime.bigint();
    for (let i = 0; i < CAPACITY; i++) {
      fill(done + i);
      if (!ring.write(rec)) throw new Error('ring full: the benchmark drains every batch');
    }
    const t1 = process.hrtime.bigint();
    ring.drain(visit);
    const t2 = process.hrtime.bigint();
    writeNs += t1 - t0;
    drainNs += t2 - t1;
  }
  return { writeNs: Number(writeNs) / RECORDS, drainNs: Number(drainNs) / RECORDS };
}

function runArray(arr: RequestRecord[]): Timing {
  let writeNs = 0n;
  let drainNs = 0n;
  for (let done = 0; done < RECORDS; done += CAPACITY) {
    const t0 = process.hrtime.bigint();
    for (let i = 0; i < CAPACITY; i++) {
      fill(done + i);
      arr.push(rec);
    }
    const t1 = process.hrtime.bigint();
    for (let i = 0; i < arr.length; i++) visit(arr[i]);
    arr.length = 0;
    const t2 = process.hrtime.bigint();
    writeNs += t1 - t0;
    drainNs += t2 - t1;
  }
  return { writeNs: Number(writeNs) / RECORDS, drainNs: Number(drainNs) / RECORDS };
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)];
}

const ring = MetricsRing.create(CAPACITY);
const arr: RequestRecord[] = [];
runRing(ring); // warm-up: let both paths reach optimized code before timing
runArray(arr);

const ringT: Timing[] = [];
const arrT: Timing[] = [];
for (let r = 0; r < ROUNDS; r++) { // interleaved, so drift (turbo, other load) hits both alike
  ringT.push(runRing(ring));
  arrT.push(runArray(arr));
}

const rw = median(ringT.map((t) => t.writeNs));
const rd = median(ringT.map((t) => t.drainNs));
const aw = median(arrT.map((t) => t.writeNs));
const ad = median(arrT.map((t) => t.drainNs));
const fmt = (n: number): string => n.toFixed(1).padStart(7);
console.log(`metrics ring: ${RECORDS} records per round, capacity ${CAPACITY}, median of ${ROUNDS} rounds (${process.version})`);
console.log(`                     write ns   drain ns   total ns`);
console.log(`MetricsRing         ${fmt(rw)}    ${fmt(rd)}    ${fmt(rw + rd)}`);
console.log(`array push (base)   ${fmt(aw)}    ${fmt(ad)}    ${fmt(aw + ad)}`);
console.log(`ratio ring/base     ${fmt(rw / aw)}x   ${fmt(rd / ad)}x   ${fmt((rw + rd) / (aw + ad))}x`);
if (sink === -1) console.log(sink); // keep the visitor's work observable
