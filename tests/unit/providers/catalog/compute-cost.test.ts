import { describe, expect, it } from 'vitest';
import { computeCost, lookupModel, type ModelPricing } from '../../../../src/providers/catalog/index.js';

// Every expected value below is worked out by hand: tokens x USD per million / 1e6.
describe('computeCost', () => {
  const gpt4o: ModelPricing = { input_per_mtok: 2.5, output_per_mtok: 10, cache_read_per_mtok: 1.25 };

  it('bills plain prompt and completion tokens', () => {
    // 1000 x 2.5 + 500 x 10 = 2500 + 5000 = 7500 micro-USD
    expect(computeCost(gpt4o, { prompt: 1000, completion: 500 })).toBe(0.0075);
  });

  it('bills cached prompt tokens at the cache-read price instead of the input price', () => {
    // (1000 - 400) x 2.5 + 400 x 1.25 + 500 x 10 = 1500 + 500 + 5000 = 7000 micro-USD
    expect(computeCost(gpt4o, { prompt: 1000, completion: 500, cached: 400 })).toBe(0.007);
  });

  it('bills cached tokens at the input price when no cache price is known', () => {
    // 1000 x 3 + 0 = 3000 micro-USD, whatever part was cached
    expect(computeCost({ input_per_mtok: 3, output_per_mtok: 15 }, { prompt: 1000, completion: 0, cached: 900 })).toBe(0.003);
  });

  it('counts reasoning tokens once, as output, since completion already includes them', () => {
    // o4-mini style: 2000 x 1.1 + 1000 x 4.4 (800 of them reasoning) = 2200 + 4400 = 6600 micro-USD
    const o = { input_per_mtok: 1.1, output_per_mtok: 4.4 };
    expect(computeCost(o, { prompt: 2000, completion: 1000, reasoning: 800 })).toBe(0.0066);
    expect(computeCost(o, { prompt: 2000, completion: 1000, reasoning: 0 })).toBe(0.0066);
  });

  it('bills reasoning tokens at their own price where one exists', () => {
    // 0 x input + (1000 - 300) x 10 + 300 x 20 = 7000 + 6000 = 13000 micro-USD
    const p = { input_per_mtok: 1, output_per_mtok: 10, reasoning_per_mtok: 20 };
    expect(computeCost(p, { prompt: 0, completion: 1000, reasoning: 300 })).toBe(0.013);
  });

  it('bills Anthropic cache writes and reads separately', () => {
    // Claude Sonnet: prompt 10000 = 3000 fresh + 2000 read + 5000 written; 100 out.
    // 3000 x 3 + 2000 x 0.3 + 5000 x 3.75 + 100 x 15 = 9000 + 600 + 18750 + 1500 = 29850 micro-USD
    const sonnet = { input_per_mtok: 3, output_per_mtok: 15, cache_read_per_mtok: 0.3, cache_write_per_mtok: 3.75 };
    expect(computeCost(sonnet, { prompt: 10_000, completion: 100, cached: 2000, cache_write: 5000 })).toBe(0.02985);
  });

  it('clamps sub-counts to their totals and ignores junk counts', () => {
    // cached 5000 > prompt 1000 -> all 1000 cached: 1000 x 1.25 = 1250; reasoning clamped to 10: 10 x 10 = 100
    expect(computeCost(gpt4o, { prompt: 1000, completion: 10, cached: 5000, reasoning: 99 })).toBe(0.00135);
    expect(computeCost(gpt4o, { prompt: -5, completion: Number.NaN, cached: Infinity })).toBe(0);
  });

  it('prints cleanly: no binary-float tails', () => {
    // 3 x 0.1 = 0.3 micro-USD; plain float maths gives 3.0000000000000004e-7
    expect(computeCost({ input_per_mtok: 0.1, output_per_mtok: 0 }, { prompt: 3, completion: 0 })).toBe(3e-7);
  });

  it('prices a real catalog model end to end', () => {
    const pricing = lookupModel('openai', 'gpt-4o-2024-08-06')!.pricing!;
    expect(computeCost(pricing, { prompt: 1_000_000, completion: 1_000_000, cached: 500_000 })).toBe(1.25 + 0.625 + 10);
  });
});
