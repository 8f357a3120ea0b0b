import { setImmediate as tick } from 'node:timers/promises';
import { describe, expect, it } from 'vitest';
import { MetricsRing, createRecord } from '../../../src/metrics/index.js';
import { spawnWorker } from '../../../src/workers/spawn-worker.js';
import { checksum, firstDifference, fillRecord } from './fixtures/record-pattern.js';

const PRODUCERS = 3;
const PER_PRODUCER = 200_000;

describe('MetricsRing across threads', () => {
  it('delivers every record from 3 concurrent producers exactly once, in order, untorn', async () => {
    const rings = Array.from({ length: PRODUCERS }, () => MetricsRing.create(256));
    const workers = rings.map((ring, i) => spawnWorker(new URL('./fixtures/ring-producer.ts', import.meta.url), {
      workerData: { buffer: ring.buffer, producer: i + 1, count: PER_PRODUCER },
    }));
    const refused: number[] = [];
    let finished = 0;
    const done = Promise.all(workers.map((w, i) => new Promise<void>((resolve, reject) => {
      w.once('message', (m: { refused: number }) => { refused[i] = m.refused; finished++; resolve(); });
      w.once('error', reject);
      w.once('exit', (code) => { if (code !== 0) reject(new Error(`producer ${i + 1} exited with ${code}`)); });
    })));
    done.catch(() => {});

    const next = new Array<number>(PRODUCERS).fill(0);
    const want = createRecord();
    let failure: string | undefined;
    let concurrentDrains = 0;
    try {
      for (;;) {
        const allFinished = finished === PRODUCERS; // read before draining: then this pass sees everything
        for (let p = 0; p < PRODUCERS; p++) {
          const n = rings[p].drain((rec) => {
            if (failure !== undefined) return;
            if (rec.bytesOut !== checksum(rec)) failure = `producer ${p + 1}: torn record near seq ${next[p]}`;
            else if (rec.clientId !== p + 1) failure = `producer ${p + 1}: record from producer ${rec.clientId}`;
            else if (rec.requestId !== next[p]) failure = `producer ${p + 1}: got seq ${rec.requestId}, want ${next[p]}`;
            else failure = firstDifference(rec, fillRecord(want, p + 1, next[p]));
            next[p]++;
          });
          if (n > 0 && !allFinished) concurrentDrains++;
        }
        if (failure !== undefined || allFinished) break;
        await Promise.race([tick(), done]);
      }
      if (failure === undefined) await done; // on failure the producers may be stuck on a full ring
    } finally {
      await Promise.all(workers.map((w) => w.terminate()));
    }
    expect(failure).toBeUndefined();
    expect(next).toEqual(new Array(PRODUCERS).fill(PER_PRODUCER));
    for (let p = 0; p < PRODUCERS; p++) {
      expect(rings[p].pending).toBe(0);
      expect(rings[p].overflows).toBe(refused[p]);
    }
    expect(concurrentDrains).toBeGreaterThan(0);
  });
});
