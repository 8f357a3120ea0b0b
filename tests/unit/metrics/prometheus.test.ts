import { describe, expect, it } from 'vitest';
import { ERROR_CLASS, Interner, PrometheusExporter, RECORD_KIND, createRecord, escapeLabel, type RequestRecord } from '../../../src/metrics/index.js';

function setup(maxSeries?: number) {
  const interner = new Interner();
  const prom = new PrometheusExporter({ interner, maxSeries });
  const rec = (over: Partial<RequestRecord> & { client?: string; provider?: string; model?: string }): void => {
    prom.record({
      ...createRecord(), kind: RECORD_KIND.llmRequest, status: 200, durationUs: 20_000, promptTokens: 11, completionTokens: 7, costUsd: 0.000025, ...over,
      clientId: interner.id(over.client ?? 'alice'), providerId: interner.id(over.provider ?? 'mock'), modelId: interner.id(over.model ?? 'mock/echo'),
    });
  };
  return { prom, rec, interner };
}

/** Sum of the samples of `name` whose labels include every pair of `where`. */
function sum(text: string, name: string, where: Record<string, string> = {}): number {
  let total = 0;
  for (const line of text.split('\n')) {
    const m = /^([a-z_]+)(?:\{(.*)\})? (\S+)$/.exec(line);
    if (!m || m[1] !== name) continue;
    const labels = Object.fromEntries([...(m[2] ?? '').matchAll(/([a-z_]+)="((?:[^"\\]|\\.)*)"/g)].map((x) => [x[1], x[2]]));
    if (Object.entries(where).every(([k, v]) => labels[k] === v)) total += Number(m[3]);
  }
  return total;
}

describe('PrometheusExporter', () => {
  it('renders counters, tokens, cost and cumulative histograms that add up', () => {
    const { prom, rec } = setup();
    for (let i = 0; i < 10; i++) rec({ durationUs: (i + 1) * 10_000, ttftUs: i % 2 ? 3000 : 0, overheadUs: 200 });
    rec({ status: 502, errorClass: ERROR_CLASS.upstreamStatus, promptTokens: 0, completionTokens: 0, costUsd: 0, provider: 'other', model: 'other/x' });
    prom.record({ ...createRecord(), kind: RECORD_KIND.llmAttempt, providerId: 2, errorClass: ERROR_CLASS.none });
    const text = prom.render([{ name: 'localrouter_extra', help: 'x', type: 'gauge', samples: [[{ a: 'b' }, 3]] }]);
    expect(sum(text, 'localrouter_requests_total')).toBe(11);
    expect(sum(text, 'localrouter_requests_total', { status: '502', provider: 'other' })).toBe(1);
    expect(sum(text, 'localrouter_request_errors_total', { class: 'upstreamStatus' })).toBe(1);
    expect(sum(text, 'localrouter_tokens_total', { kind: 'prompt' })).toBe(110);
    expect(sum(text, 'localrouter_tokens_total', { kind: 'completion', model: 'mock/echo' })).toBe(70);
    expect(sum(text, 'localrouter_cost_usd_total')).toBeCloseTo(0.00025, 12);
    expect(sum(text, 'localrouter_upstream_attempts_total', { outcome: 'ok' })).toBe(1);
    expect(sum(text, 'localrouter_request_duration_seconds_count', { provider: 'mock' })).toBe(10);
    expect(sum(text, 'localrouter_request_duration_seconds_bucket', { provider: 'mock', le: '0.05' })).toBe(5);
    expect(sum(text, 'localrouter_request_duration_seconds_bucket', { provider: 'mock', le: '0.1' })).toBe(10);
    expect(sum(text, 'localrouter_request_duration_seconds_bucket', { provider: 'mock', le: '+Inf' })).toBe(10);
    expect(sum(text, 'localrouter_request_duration_seconds_sum', { provider: 'mock' })).toBeCloseTo(0.55, 9);
    expect(sum(text, 'localrouter_ttft_seconds_count')).toBe(5);
    expect(sum(text, 'localrouter_gateway_overhead_seconds_count')).toBe(10); // the error record measured none
    expect(sum(text, 'localrouter_extra', { a: 'b' })).toBe(3);
    // every family is announced once, with HELP before TYPE
    const types = text.split('\n').filter((l) => l.startsWith('# TYPE')).map((l) => l.split(' ')[2]);
    expect(new Set(types).size).toBe(types.length);
  });

  it('counts unpriced answers in their own counter and gives their model no cost sample (a 0 would read as free)', () => {
    const { prom, rec } = setup();
    rec({});
    rec({ model: 'local/x', provider: 'local', costUsd: 0, unpriced: true });
    rec({ model: 'local/x', provider: 'local', costUsd: 0, unpriced: true, client: 'bob' });
    rec({ model: 'free/y', provider: 'free', costUsd: 0 });
    const text = prom.render();
    expect(text).toContain('# TYPE localrouter_unpriced_requests_total counter');
    expect(sum(text, 'localrouter_unpriced_requests_total')).toBe(2);
    expect(sum(text, 'localrouter_unpriced_requests_total', { client: 'bob', provider: 'local', model: 'local/x' })).toBe(1);
    expect(text).not.toMatch(/^localrouter_cost_usd_total\{[^}]*model="local\/x"/m);
    expect(text).toMatch(/^localrouter_cost_usd_total\{client="alice",provider="free",model="free\/y"\} 0$/m);
    expect(sum(text, 'localrouter_tokens_total', { model: 'local/x', kind: 'prompt' })).toBe(22);
  });

  it('bounds label cardinality: further label sets go to (other)', () => {
    const { prom, rec } = setup(5);
    for (let i = 0; i < 50; i++) rec({ client: `c${i}` });
    const text = prom.render();
    const requestLines = text.split('\n').filter((l) => l.startsWith('localrouter_requests_total{'));
    expect(requestLines).toHaveLength(6);
    expect(sum(text, 'localrouter_requests_total')).toBe(50);
    expect(sum(text, 'localrouter_requests_total', { client: '(other)' })).toBe(45);
  });

  it('escapes label values', () => {
    expect(escapeLabel('a"b\\c\nd')).toBe('a\\"b\\\\c\\nd');
    const { prom, rec } = setup();
    rec({ client: 'we"ird' });
    expect(prom.render()).toContain('client="we\\"ird"');
  });

  it('never lets CR, NUL or an unbounded value into a label', () => {
    expect(escapeLabel('ok\r\nSet-Cookie: x\u0000y')).toBe('ok?\\nSet-Cookie: x?y');
    const long = escapeLabel('m'.repeat(1024 * 1024));
    expect(long.length).toBe(200);
    expect(long.endsWith('…')).toBe(true);
  });
});
