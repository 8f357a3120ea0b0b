import { afterEach, describe, expect, it, vi } from 'vitest';
import {
  ERROR_CLASS, HISTOGRAM_HIGHEST_US, MetricsAggregator, MetricsRing, RECORD_KIND, createRecord, type RequestRecord,
} from '../../../src/metrics/index.js';

/** HDR with 3 significant digits: any reported value is within 0.1% of the true one. */
function expectNear(actual: number, exact: number): void {
  expect(Math.abs(actual - exact)).toBeLessThanOrEqual(exact * 0.001 + 1);
}

function request(over: Partial<RequestRecord>): RequestRecord {
  return { ...createRecord(), kind: RECORD_KIND.llmRequest, status: 200, ...over };
}

const aggregators: MetricsAggregator[] = [];
function aggregator(opts?: { intervalMs?: number }): MetricsAggregator {
  const a = new MetricsAggregator(opts);
  aggregators.push(a);
  return a;
}
afterEach(() => {
  for (const a of aggregators.splice(0)) a.stop();
  vi.useRealTimers();
});

describe('MetricsAggregator', () => {
  it('reports totals and percentiles for known inputs', () => {
    const ring = MetricsRing.create(2048);
    const agg = aggregator();
    agg.addRing('main', ring);
    for (let i = 1; i <= 1000; i++) {
      ring.write(request({
        durationUs: i * 1000, overheadUs: i, ttftUs: i % 2 === 0 ? i * 100 : 0, streamed: i % 2 === 0,
        status: i <= 950 ? 200 : 502, errorClass: i <= 950 ? ERROR_CLASS.none : ERROR_CLASS.upstreamStatus,
        promptTokens: 10, completionTokens: i, cachedTokens: 1, reasoningTokens: 2, costUsd: 0.000001234,
      }));
    }
    expect(agg.drainNow()).toBe(1000);
    const s = agg.snapshot();
    expect(s.requests).toBe(1000);
    expect(s.errors).toBe(50);
    expect(s.byStatus).toEqual({ 200: 950, 502: 50 });
    expect(s.byErrorClass).toEqual({ upstreamStatus: 50 });
    expect(s.promptTokens).toBe(10_000);
    expect(s.completionTokens).toBe(500_500);
    expect(s.cachedTokens).toBe(1000);
    expect(s.reasoningTokens).toBe(2000);
    // summed in integer nano-USD: a float running sum of 1000 × 0.000001234 is not exactly 0.001234
    expect(s.costUsd).toBe(0.001234);
    expect(s.latencyUs.count).toBe(1000);
    expectNear(s.latencyUs.p50, 500_000);
    expectNear(s.latencyUs.p90, 900_000);
    expectNear(s.latencyUs.p99, 990_000);
    expectNear(s.latencyUs.max, 1_000_000);
    expect(s.ttftUs.count).toBe(500); // zeros mean "no first token" and are left out
    expectNear(s.ttftUs.p50, 50_000);
    expectNear(s.ttftUs.max, 100_000);
    expectNear(s.overheadUs.p99, 990);
    expect(s.overflows).toBe(0);
  });

  it('feeds request totals only from llm request records', () => {
    const ring = MetricsRing.create(16);
    const agg = aggregator();
    agg.addRing('w', ring.buffer); // a buffer from another thread works as well
    ring.write(request({ durationUs: 100, promptTokens: 5, costUsd: 0.5 }));
    ring.write({ ...request({ durationUs: 90, promptTokens: 5, costUsd: 0.25, status: 503 }), kind: RECORD_KIND.llmAttempt, attempt: 1, errorClass: ERROR_CLASS.upstreamStatus });
    ring.write({ ...request({ durationUs: 80, promptTokens: 5 }), kind: RECORD_KIND.llmAttempt, attempt: 2 });
    ring.write({ ...request({ durationUs: 70 }), kind: RECORD_KIND.mcpCall, errorClass: ERROR_CLASS.timeout });
    ring.write({ ...request({ durationUs: 60 }), kind: 99 });
    agg.drainNow();
    const s = agg.snapshot();
    expect(s).toMatchObject({ requests: 1, errors: 0, attempts: 2, attemptErrors: 1, mcpCalls: 1, mcpErrors: 1, promptTokens: 5, costUsd: 0.5 });
    expect(s.byStatus).toEqual({ 200: 1 });
    expect(s.latencyUs.count).toBe(1);
    expect(s.overheadUs.count).toBe(0); // 0 means "not measured", like ttftUs
  });

  it('clamps latencies beyond one hour instead of throwing', () => {
    const ring = MetricsRing.create(4);
    const agg = aggregator();
    agg.addRing('r', ring);
    ring.write(request({ durationUs: 0xffff_ffff, overheadUs: 5e9, status: 1000 }));
    agg.drainNow();
    const s = agg.snapshot();
    expectNear(s.latencyUs.max, HISTOGRAM_HIGHEST_US);
    expect(s.byStatus).toEqual({ other: 1 });
  });

  it('sums overflows across rings, keeping those of removed rings, and drains a ring on removal', () => {
    const a = MetricsRing.create(2);
    const b = MetricsRing.create(2);
    const agg = aggregator();
    agg.addRing('a', a);
    agg.addRing('b', b);
    const rec = request({ durationUs: 10 });
    for (let i = 0; i < 5; i++) a.write(rec); // 3 refused
    for (let i = 0; i < 3; i++) b.write(rec); // 1 refused
    expect(agg.snapshot().overflows).toBe(4);
    agg.removeRing('a');
    expect(agg.snapshot().requests).toBe(2); // a's two pending records were drained on removal
    a.write(rec);
    a.write(rec);
    a.write(rec); // no longer registered: neither drained nor counted again
    expect(agg.drainNow()).toBe(2);
    expect(agg.snapshot()).toMatchObject({ requests: 4, overflows: 4 });
    agg.addRing('b', MetricsRing.create(2)); // relabel: old b is drained and retired
    expect(agg.snapshot().overflows).toBe(4);
    agg.removeRing('nope');
  });

  it('drains on its timer once started, and once more on stop', () => {
    vi.useFakeTimers();
    const ring = MetricsRing.create(64);
    const agg = aggregator({ intervalMs: 5 });
    agg.addRing('r', ring);
    agg.start();
    agg.start();
    ring.write(request({ durationUs: 10 }));
    vi.advanceTimersByTime(4);
    expect(agg.snapshot().requests).toBe(0); // not before the interval
    vi.advanceTimersByTime(1);
    expect(agg.snapshot().requests).toBe(1);
    expect(vi.getTimerCount()).toBe(1); // started twice, one timer
    agg.stop();
    expect(vi.getTimerCount()).toBe(0);
    ring.write(request({ durationUs: 10 }));
    vi.advanceTimersByTime(30);
    expect(agg.snapshot().requests).toBe(1); // stopped: no timer any more
    ring.write(request({ durationUs: 10 }));
    agg.stop();
    expect(agg.snapshot().requests).toBe(3); // stop drains what is pending
  });

  it('merges encoded histograms from another aggregator', () => {
    const src = aggregator();
    const ring = MetricsRing.create(256);
    src.addRing('r', ring);
    for (let i = 1; i <= 200; i++) ring.write(request({ durationUs: i * 10, overheadUs: 7, ttftUs: 3 }));
    src.drainNow();
    const dst = aggregator();
    const ring2 = MetricsRing.create(4);
    dst.addRing('r', ring2);
    ring2.write(request({ durationUs: 5_000_000, overheadUs: 7 }));
    dst.drainNow();
    dst.mergeHistograms(src.encodeHistograms());
    const s = dst.snapshot();
    expect(s.latencyUs.count).toBe(201);
    expectNear(s.latencyUs.p50, 1010);
    expectNear(s.latencyUs.max, 5_000_000);
    expect(s.ttftUs.count).toBe(200);
    expect(s.overheadUs.count).toBe(201);
    expect(s.requests).toBe(1); // counters are not part of the histograms
  });

  it('counts answers from models with no known price apart: not in the cost, with their tokens', () => {
    const ring = MetricsRing.create(16);
    const agg = aggregator();
    agg.addRing('main', ring);
    ring.write(request({ promptTokens: 10, completionTokens: 4, costUsd: 0.002 }));
    ring.write(request({ promptTokens: 30, completionTokens: 6, unpriced: true }));
    ring.write(request({ promptTokens: 20, completionTokens: 5, unpriced: true }));
    ring.write(request({ status: 502, errorClass: ERROR_CLASS.upstreamStatus }));
    agg.drainNow();
    const s = agg.snapshot();
    expect([s.requests, s.promptTokens, s.costUsd]).toEqual([4, 60, 0.002]);
    expect([s.unpricedRequests, s.unpricedPromptTokens, s.unpricedCompletionTokens]).toEqual([2, 50, 11]);
  });

  it('reports zeros when empty', () => {
    const s = aggregator().snapshot();
    expect(s.latencyUs).toEqual({ p50: 0, p90: 0, p99: 0, max: 0, count: 0 });
    expect(s.requests).toBe(0);
    expect(s.byStatus).toEqual({});
  });
});
