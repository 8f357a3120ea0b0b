import { describe, expect, it } from 'vitest';
import { LOG_HISTOGRAM_PRECISION, LogHistogram } from '../../../src/metrics/index.js';
import { binLow, binOf, LOG_HISTOGRAM_BINS } from '../../../src/metrics/log-histogram.js';

/** The exact p-th percentile (nearest rank) of `values`. */
function exactPercentile(values: number[], p: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.max(0, Math.ceil((p / 100) * sorted.length) - 1)];
}

function prng(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s * 1664525 + 1013904223) >>> 0;
    return s / 2 ** 32;
  };
}

describe('LogHistogram', () => {
  it('bins are contiguous, ordered and cover u32', () => {
    expect(binOf(0)).toBe(0);
    expect(binOf(63)).toBe(63);
    expect(binOf(0xffff_ffff)).toBe(LOG_HISTOGRAM_BINS - 1);
    for (let i = 1; i < LOG_HISTOGRAM_BINS; i++) {
      expect(binLow(i)).toBeGreaterThan(binLow(i - 1));
      expect(binOf(binLow(i))).toBe(i);
      expect(binOf(binLow(i) - 1)).toBe(i - 1);
    }
  });

  it('percentiles of random latencies are within the stated precision', () => {
    const rnd = prng(7);
    const h = new LogHistogram();
    const values: number[] = [];
    for (let i = 0; i < 20_000; i++) {
      // log-uniform from 50 µs to 60 s: every octave is exercised
      const v = Math.floor(50 * Math.exp(rnd() * Math.log(1_200_000)));
      values.push(v);
      h.record(v);
    }
    expect(h.count).toBe(20_000);
    for (const p of [1, 10, 50, 90, 99, 99.9, 100]) {
      const exact = exactPercentile(values, p);
      expect(Math.abs(h.percentile(p) - exact)).toBeLessThanOrEqual(exact * LOG_HISTOGRAM_PRECISION + 0.5);
    }
  });

  it('merging equals recording everything into one', () => {
    const a = new LogHistogram();
    const b = new LogHistogram();
    const all = new LogHistogram();
    for (let v = 1; v < 100_000; v = Math.ceil(v * 1.37)) {
      a.record(v);
      all.record(v);
      b.record(v * 1000, 3);
      all.record(v * 1000, 3);
    }
    a.merge(b);
    expect(a.count).toBe(all.count);
    for (const p of [5, 25, 50, 75, 95, 99]) expect(a.percentile(p)).toBe(all.percentile(p));
    expect(a.encode().equals(all.encode())).toBe(true);
  });

  it('encodes compactly and decodes to the same histogram', () => {
    const h = new LogHistogram();
    for (let i = 0; i < 1000; i++) h.record(20_000 + i * 7);
    const blob = h.encode();
    // 20 ms..27 ms spans a handful of bins, not the whole range
    expect(blob.length).toBeLessThan(100);
    const back = LogHistogram.decode(blob);
    expect(back.count).toBe(1000);
    expect(back.percentile(50)).toBe(h.percentile(50));
    expect(LogHistogram.decode(new LogHistogram().encode()).count).toBe(0);
    expect(LogHistogram.decode(Buffer.from([99, 0, 0, 1, 0, 0, 0])).count).toBe(0);
  });

  it('clamps out-of-range values instead of failing', () => {
    const h = new LogHistogram();
    h.record(-5);
    h.record(2 ** 40);
    h.record(Number.NaN);
    expect(h.count).toBe(3);
    expect(h.percentile(0)).toBe(0);
    expect(h.max).toBeGreaterThan(0xf000_0000);
  });
});
