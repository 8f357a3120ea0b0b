import { describe, expect, it } from 'vitest';
import { listCatalogModels, lookupModel, normalizeModelId } from '../../../../src/providers/catalog/index.js';

describe('normalizeModelId', () => {
  it.each([
    ['GPT-4o', 'gpt-4o'],
    ['gpt-4o-2024-08-06', 'gpt-4o'],
    ['claude-sonnet-4-20250514', 'claude-sonnet-4'],
    ['claude-3-5-sonnet-v2@20241022', 'claude-3-5-sonnet-v2'],
    ['claude-3-7-sonnet-latest', 'claude-3-7-sonnet'],
    ['llama3.2:latest', 'llama3.2'],
    ['meta-llama/Llama-3.3-70B-Instruct', 'llama-3.3-70b-instruct'],
    ['models/gemini-2.5-pro', 'gemini-2.5-pro'],
    ['openrouter/anthropic/claude-sonnet-4', 'claude-sonnet-4'],
    ['library/llama3:latest', 'llama3'],
  ])('%s -> %s', (input, expected) => {
    expect(normalizeModelId(input)).toBe(expected);
  });

  it('keeps what names different weights or prices', () => {
    expect(normalizeModelId('qwen3:8b')).toBe('qwen3:8b');
    expect(normalizeModelId('deepseek/deepseek-r1:free')).toBe('deepseek-r1:free');
    expect(normalizeModelId('mistral-large-2411')).toBe('mistral-large-2411');
    expect(normalizeModelId('kimi-k2-instruct-0905')).toBe('kimi-k2-instruct-0905');
    expect(normalizeModelId('gpt-4-0613')).toBe('gpt-4-0613');
  });

  it('never returns an empty key', () => {
    expect(normalizeModelId('-latest')).toBe('-latest');
    expect(normalizeModelId('org/')).toBe('org/');
  });
});

describe('lookupModel', () => {
  it('finds exact ids first', () => {
    const m = lookupModel('openai', 'gpt-4o');
    expect(m).toMatchObject({ id: 'gpt-4o', provider: 'openai', match: 'exact', context_length: 128000 });
    expect(m!.pricing).toEqual({ input_per_mtok: 2.5, output_per_mtok: 10, cache_read_per_mtok: 1.25 });
    expect(m!.capabilities).toMatchObject({ tools: true, vision: true, reasoning: false });
  });

  it('then ignores letter case', () => {
    expect(lookupModel('openai', 'GPT-4o')).toMatchObject({ id: 'gpt-4o', match: 'case-insensitive' });
  });

  it('then compares normalised ids: dated snapshots, aliases, tags and vendor prefixes', () => {
    expect(lookupModel('openai', 'gpt-4o-2024-08-06')).toMatchObject({ id: 'gpt-4o', match: 'normalized' });
    expect(lookupModel('anthropic', 'claude-3-7-sonnet-latest')).toMatchObject({ id: 'claude-3-7-sonnet-20250219', match: 'normalized' });
    expect(lookupModel('gemini', 'models/gemini-2.5-pro')).toMatchObject({ id: 'gemini-2.5-pro', match: 'normalized' });
    expect(lookupModel('groq', 'llama-4-scout-17b-16e-instruct'))
      .toMatchObject({ id: 'meta-llama/llama-4-scout-17b-16e-instruct', match: 'normalized' });
    expect(lookupModel('xai', 'grok-3:latest')).toMatchObject({ id: 'grok-3', match: 'normalized' });
  });

  it('prefers the bare alias, then the newest snapshot, when several ids share a key', () => {
    // gpt-4o-mini-2024-07-18 normalises to gpt-4o-mini, which exists as a bare id.
    expect(lookupModel('openai', 'gpt-4o-mini-2024-07-18')?.id).toBe('gpt-4o-mini');
    // claude-3-5-sonnet has two snapshots and no bare id: the newer one wins.
    expect(lookupModel('anthropic', 'claude-3-5-sonnet-latest')?.id).toBe('claude-3-5-sonnet-20241022');
  });

  it('returns null for unknown models, unknown types and prototype keys', () => {
    expect(lookupModel('openai', 'no-such-model')).toBeNull();
    expect(lookupModel('nope', 'gpt-4o')).toBeNull();
    expect(lookupModel('openai', '__proto__')).toBeNull();
    expect(lookupModel('__proto__', 'gpt-4o')).toBeNull();
    // A paid id must not pick up the price of its `:free` twin.
    expect(lookupModel('openrouter', 'deepseek/deepseek-r1')).toBeNull();
  });

  it('does not search other tables for a named provider', () => {
    expect(lookupModel('groq', 'gpt-4o')).toBeNull();
    expect(lookupModel('ollama', 'gpt-4o')).toBeNull();
  });

  it('lets a custom openai-compatible provider fall back to first-party tables', () => {
    expect(lookupModel('openai-compatible', 'gpt-4.1-mini')).toMatchObject({ provider: 'openai', id: 'gpt-4.1-mini', match: 'exact' });
    expect(lookupModel('openai-compatible', 'claude-opus-4-1')).toMatchObject({ provider: 'anthropic', id: 'claude-opus-4-1-20250805' });
    expect(lookupModel('openai-compatible', 'my-finetune')).toBeNull();
  });

  it('hands out frozen entries, so a caller cannot reprice the catalog', () => {
    const m = lookupModel('openai', 'gpt-4o')!;
    expect(() => { (m.pricing as { input_per_mtok: number }).input_per_mtok = 0; }).toThrow(TypeError);
    expect(lookupModel('openai', 'gpt-4o')!.pricing!.input_per_mtok).toBe(2.5);
  });
});

describe('listCatalogModels', () => {
  it('lists a provider without a model endpoint, and nothing for unknown types', () => {
    const ids = listCatalogModels('perplexity').map((m) => m.id);
    expect(ids).toEqual(expect.arrayContaining(['sonar', 'sonar-pro']));
    expect(listCatalogModels('cohere')).toEqual([]);
    expect(listCatalogModels('constructor')).toEqual([]);
  });
});
