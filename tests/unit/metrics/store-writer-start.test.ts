import { describe, expect, it } from 'vitest';
import { monitoringHomes } from '../../helpers/monitoring-fixture.js';
import { Monitoring, type RequestLogEntry } from '../../../src/metrics/index.js';

const homes = monitoringHomes('lr-writer-start-');

function start(dir: string): Monitoring {
  return homes.track(Monitoring.open({ home: dir, logRetentionDays: 1, flushIntervalMs: 20, logBodyMaxBytes: 0 }));
}

function entry(id: string): RequestLogEntry {
  return {
    id, op: 'chat', attempts: [{ provider: 'mock', model: 'echo', status: 200, code: null, durationMs: 1.5 }],
    status: 200, startMs: performance.now(), durationMs: 5, ttftMs: 0, streamed: false, usage: { input: 11, output: 7, cacheRead: 0, cacheWrite: 0, reasoning: 0 }, costUsd: 0, errorCode: null,
    client: 'alice', clientId: 'c_alice000001', provider: 'mock', model: 'mock/echo',
  };
}

describe('the store writer thread starts on demand', () => {
  it('a fresh store holds no writer thread until the first read or write; what is logged is then stored', async () => {
    const dir = homes.home();
    const m = start(dir);
    expect(m.writerMode).toBe('worker');
    await new Promise((r) => setTimeout(r, 100)); // a few ticks: nothing to write, no retention due
    await m.sync();
    expect(m.writerStarted).toBe(false);
    expect(await m.lookupLog('gen-unknown')).toBeUndefined(); // a read starts it
    expect(m.writerStarted).toBe(true);

    m.log.append(entry('gen-late'));
    await m.sync();
    expect((await m.queryLog({})).map((r) => r.id)).toEqual(['gen-late']);
  });

  it('a store that holds rows starts the writer at once for the start-up retention pass', async () => {
    const dir = homes.home();
    const first = start(dir);
    first.log.append(entry('gen-kept'));
    await first.sync();
    await first.close();
    homes.forget(first);

    const again = start(dir);
    await new Promise((r) => setTimeout(r, 100));
    expect(again.writerStarted).toBe(true);
    expect((await again.queryLog({})).map((r) => r.id)).toEqual(['gen-kept']);
  });
});
