import { describe, expect, it } from 'vitest';
import { PriceBook, overrideToPricing } from '../../../../src/providers/catalog/index.js';

const providers = [
  { name: 'work-openai', type: 'openai' },
  { name: 'router', type: 'openrouter' },
  { name: 'home', type: 'ollama' },
  { name: 'proxy', type: 'openai-compatible' },
  { name: 'co', type: 'cohere' },
];

describe('PriceBook', () => {
  it('uses catalog prices when nothing is overridden', () => {
    const book = new PriceBook(providers);
    expect(book.pricingFor('work-openai', 'gpt-4o')).toEqual({
      source: 'catalog', pricing: { input_per_mtok: 2.5, output_per_mtok: 10, cache_read_per_mtok: 1.25 },
    });
    // 1000 x 2.5 + 1000 x 10 = 12500 micro-USD
    expect(book.costOf('work-openai', 'gpt-4o-2024-08-06', { prompt: 1000, completion: 1000 })).toBe(0.0125);
  });

  it('lets a config override replace the catalog price, for the exact id and its normalised spellings', () => {
    const book = new PriceBook(providers, {
      'work-openai/gpt-4o': { input_per_mtok: 1, output_per_mtok: 4, cached_input_per_mtok: 0.5 },
    });
    expect(book.pricingFor('work-openai', 'gpt-4o')).toEqual({
      source: 'override', pricing: { input_per_mtok: 1, output_per_mtok: 4, cache_read_per_mtok: 0.5 },
    });
    // (1000 - 200) x 1 + 200 x 0.5 + 1000 x 4 = 800 + 100 + 4000 = 4900 micro-USD
    expect(book.costOf('work-openai', 'gpt-4o-2024-08-06', { prompt: 1000, completion: 1000, cached: 200 })).toBe(0.0049);
    // Other models of the provider keep their catalog price.
    expect(book.pricingFor('work-openai', 'gpt-4o-mini')?.source).toBe('catalog');
  });

  it('does not mix an override with catalog cache prices', () => {
    const book = new PriceBook(providers, { 'work-openai/gpt-4o': { input_per_mtok: 1, output_per_mtok: 4 } });
    // The catalog's 1.25 cache price would make cached tokens dearer than fresh ones: 1000 x 1 + 0 = 1000 micro-USD.
    expect(book.costOf('work-openai', 'gpt-4o', { prompt: 1000, completion: 0, cached: 1000 })).toBe(0.001);
  });

  it('prices models the catalog lacks, and keys with slashes in the model id', () => {
    const book = new PriceBook(providers, {
      'proxy/my-finetune': { input_per_mtok: 2, output_per_mtok: 6 },
      'router/meta-llama/llama-3.3-70b-instruct': { input_per_mtok: 0.1, output_per_mtok: 0.3 },
      'co/command-a-03-2025': { input_per_mtok: 2.5, output_per_mtok: 10 },
    });
    expect(book.costOf('proxy', 'my-finetune', { prompt: 500, completion: 500 })).toBe(0.004);
    expect(book.pricingFor('router', 'meta-llama/llama-3.3-70b-instruct')?.pricing.input_per_mtok).toBe(0.1);
    expect(book.pricingFor('co', 'command-a-03-2025')?.source).toBe('override');
  });

  it('keeps overrides to their own provider', () => {
    const book = new PriceBook(providers, { 'proxy/gpt-4o': { input_per_mtok: 9, output_per_mtok: 9 } });
    expect(book.pricingFor('work-openai', 'gpt-4o')?.source).toBe('catalog');
    expect(book.pricingFor('proxy', 'gpt-4o')?.pricing.input_per_mtok).toBe(9);
  });

  it('prices local providers at zero unless overridden', () => {
    expect(new PriceBook(providers).costOf('home', 'llama3.2:latest', { prompt: 10_000, completion: 10_000 })).toBe(0);
    expect(new PriceBook(providers).pricingFor('home', 'anything')?.source).toBe('local');
    const book = new PriceBook(providers, { 'home/llama3.2': { input_per_mtok: 0.01, output_per_mtok: 0.02 } });
    // ":latest" normalises away: 1e6 x 0.01 + 1e6 x 0.02 = 30000 micro-USD
    expect(book.costOf('home', 'llama3.2:latest', { prompt: 1_000_000, completion: 1_000_000 })).toBe(0.03);
  });

  it('returns null (cost unknown) for unknown models and providers, and skips malformed keys', () => {
    const book = new PriceBook(providers, { 'no-slash': { input_per_mtok: 1, output_per_mtok: 1 }, '/x': { input_per_mtok: 1, output_per_mtok: 1 } });
    expect(book.costOf('work-openai', 'no-such-model', { prompt: 1, completion: 1 })).toBeNull();
    expect(book.pricingFor('co', 'command-a-03-2025')).toBeNull();
    expect(book.pricingFor('ghost', 'gpt-4o')).toBeNull();
  });
});

describe('overrideToPricing', () => {
  it('maps config field names onto catalog ones', () => {
    expect(overrideToPricing({
      input_per_mtok: 1, output_per_mtok: 2, cached_input_per_mtok: 0.1, cache_write_per_mtok: 1.25, reasoning_per_mtok: 3,
    })).toEqual({ input_per_mtok: 1, output_per_mtok: 2, cache_read_per_mtok: 0.1, cache_write_per_mtok: 1.25, reasoning_per_mtok: 3 });
  });
});
