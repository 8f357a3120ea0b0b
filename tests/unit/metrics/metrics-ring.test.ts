import { describe, expect, it } from 'vitest';
import { MetricsRing, createRecord, type RequestRecord } from '../../../src/metrics/index.js';
import { HDR, HEADER_INT32S, RECORD_BYTES, REC } from '../../../src/metrics/layout.js';
import { firstDifference, fillRecord } from './fixtures/record-pattern.js';

function collect(ring: MetricsRing, max?: number): RequestRecord[] {
  const out: RequestRecord[] = [];
  ring.drain((r) => out.push({ ...r }), max);
  return out;
}

function seqOf(ring: MetricsRing, max?: number): number[] {
  const out: number[] = [];
  ring.drain((r) => out.push(r.requestId), max);
  return out;
}

describe('layout', () => {
  it('keeps every field naturally aligned, inside the record, without overlap', () => {
    const sizes: Record<string, number> = { startMs: 8, costNanoUsd: 8, status: 2, errorClass: 1, kind: 1, streamed: 1, attempt: 1, unpriced: 1 };
    const spans = Object.entries(REC).map(([name, off]) => ({ name, off, size: sizes[name] ?? 4 }))
      .sort((a, b) => a.off - b.off);
    for (const [i, s] of spans.entries()) {
      expect(s.off % s.size, s.name).toBe(0);
      if (i > 0) expect(s.off, s.name).toBeGreaterThanOrEqual(spans[i - 1].off + spans[i - 1].size);
    }
    const last = spans[spans.length - 1];
    expect(last.off + last.size).toBeLessThanOrEqual(RECORD_BYTES);
    expect(RECORD_BYTES % 8).toBe(0);
  });
});

describe('MetricsRing', () => {
  it('round-trips every field exactly', () => {
    const ring = MetricsRing.create(4);
    const rec: RequestRecord = {
      startMs: 1_732_000_000_123.456, durationUs: 0xffff_ffff, ttftUs: 1, overheadUs: 250,
      requestId: 0xffff_fffe, clientId: 7, providerId: 65_536, modelId: 3, strategyId: 2,
      status: 503, errorClass: 2, kind: 1, streamed: true, attempt: 3,
      promptTokens: 123_456, completionTokens: 789, cachedTokens: 100, reasoningTokens: 42,
      costUsd: 0.000123456, unpriced: true, bytesIn: 1024, bytesOut: 4_000_000_000,
    };
    expect(ring.write(rec)).toBe(true);
    const [got] = collect(ring);
    expect(got).toEqual(rec);
    for (let seq = 0; seq < 1000; seq++) {
      const want = fillRecord(createRecord(), 9, seq * 7919);
      ring.write(want);
      const [back] = collect(ring);
      expect(firstDifference(back, want)).toBeUndefined();
    }
  });

  it('saturates counters instead of wrapping and clamps attempt to a byte', () => {
    const ring = MetricsRing.create(2);
    ring.write({ ...createRecord(), durationUs: 5e9, ttftUs: -5, promptTokens: Number.NaN, attempt: 300, costUsd: Number.NaN });
    const [got] = collect(ring);
    expect(got.durationUs).toBe(0xffff_ffff);
    expect(got.ttftUs).toBe(0);
    expect(got.promptTokens).toBe(0);
    expect(got.attempt).toBe(255);
    expect(got.costUsd).toBe(0);
  });

  it('rejects bad capacities and foreign buffers with LR_ERR_INTERNAL', () => {
    for (const cap of [0, 3, 1.5, 2 ** 21]) expect(() => MetricsRing.create(cap)).toThrow(expect.objectContaining({ code: 'LR_ERR_INTERNAL' }));
    expect(() => MetricsRing.attach(new SharedArrayBuffer(1024))).toThrow(/bad magic/);
    const truncated = new SharedArrayBuffer(MetricsRing.create(4).buffer.byteLength - 8);
    new Uint8Array(truncated).set(new Uint8Array(MetricsRing.create(4).buffer, 0, 128));
    expect(() => MetricsRing.attach(truncated)).toThrow(/corrupt header/);
  });

  it('wraps around over many cycles, in order, with batches of every size', () => {
    const ring = MetricsRing.create(8);
    const rec = createRecord();
    let written = 0;
    let read = 0;
    let refused = 0;
    let outOfOrder = 0;
    const check = (r: RequestRecord): void => { if (r.requestId !== read++) outOfOrder++; };
    for (let cycle = 0; cycle < 20_000; cycle++) {
      const burst = 1 + (cycle % 8);
      for (let i = 0; i < burst && ring.pending < 8; i++) {
        rec.requestId = written++;
        if (!ring.write(rec)) refused++;
      }
      ring.drain(check, 1 + (cycle % 5));
    }
    ring.drain(check);
    expect(refused).toBe(0);
    expect(outOfOrder).toBe(0);
    expect(read).toBe(written);
    expect(written).toBeGreaterThan(20_000 * 8 / 4);
    expect(ring.overflows).toBe(0);
  });

  it('keeps working when the 32-bit head/tail counters wrap', () => {
    for (const start of [0x7fff_fff0, -16]) {
      const made = MetricsRing.create(16);
      const hdr = new Int32Array(made.buffer, 0, HEADER_INT32S);
      hdr[HDR.head] = start;
      hdr[HDR.tail] = start;
      const ring = MetricsRing.attach(made.buffer);
      const rec = createRecord();
      let next = 0;
      for (let round = 0; round < 10; round++) {
        for (let i = 0; i < 16; i++) {
          rec.requestId = round * 16 + i;
          expect(ring.write(rec)).toBe(true);
        }
        expect(ring.write(rec)).toBe(false);
        expect(ring.pending).toBe(16);
        for (const id of seqOf(ring)) expect(id).toBe(next++);
      }
      expect(next).toBe(160);
      expect(ring.overflows).toBe(10);
    }
  });

  it('refuses writes when full, counts each one, and never overwrites unread records', () => {
    const ring = MetricsRing.create(4);
    const rec = createRecord();
    for (let i = 0; i < 4; i++) {
      rec.requestId = i;
      expect(ring.write(rec)).toBe(true);
    }
    for (let i = 4; i < 7; i++) {
      rec.requestId = i;
      expect(ring.write(rec)).toBe(false);
    }
    expect(ring.overflows).toBe(3);
    expect(seqOf(ring, 1)).toEqual([0]);
    rec.requestId = 100;
    expect(ring.write(rec)).toBe(true);
    expect(ring.write(rec)).toBe(false);
    expect(seqOf(ring)).toEqual([1, 2, 3, 100]);
    expect(ring.overflows).toBe(4);
    // the overflow counter lives in the buffer, so a consumer attached elsewhere sees it
    expect(MetricsRing.attach(ring.buffer).overflows).toBe(4);
  });

  it('lends the visitor one reused object and honours max', () => {
    const ring = MetricsRing.create(8);
    const rec = createRecord();
    for (let i = 0; i < 5; i++) {
      rec.requestId = i;
      ring.write(rec);
    }
    const seen = new Set<RequestRecord>();
    expect(ring.drain((r) => seen.add(r), 2)).toBe(2);
    expect(ring.drain((r) => seen.add(r))).toBe(3);
    expect(seen.size).toBe(1);
    expect(ring.drain(() => {})).toBe(0);
  });

  it('counts a record whose visitor throws as consumed and keeps the rest', () => {
    const ring = MetricsRing.create(8);
    const rec = createRecord();
    for (let i = 0; i < 4; i++) {
      rec.requestId = i;
      ring.write(rec);
    }
    expect(() => ring.drain((r) => { if (r.requestId === 1) throw new Error('boom'); })).toThrow('boom');
    expect(seqOf(ring)).toEqual([2, 3]);
  });

  it('works with producer and consumer on separate views of one buffer', () => {
    const producer = MetricsRing.create(64);
    const consumer = MetricsRing.attach(producer.buffer);
    const rec = createRecord();
    let next = 0;
    for (let seq = 0; seq < 1000; seq++) {
      fillRecord(rec, 1, seq);
      while (!producer.write(rec)) {
        consumer.drain((r) => {
          expect(r.requestId).toBe(next);
          expect(firstDifference(r, fillRecord(createRecord(), 1, next++))).toBeUndefined();
        });
      }
    }
    consumer.drain((r) => expect(r.requestId).toBe(next++));
    expect(next).toBe(1000);
  });
});
