import { describe, expect, it } from 'vitest';
import { Interner } from '../../../src/metrics/index.js';

describe('Interner', () => {
  it('hands out stable ids from 1 and keeps 0 for none', () => {
    const t = new Interner();
    expect(t.id('openai')).toBe(1);
    expect(t.id('anthropic')).toBe(2);
    expect(t.id('openai')).toBe(1);
    expect(t.id('')).toBe(0);
    expect(t.name(2)).toBe('anthropic');
    expect(t.name(0)).toBeUndefined();
    expect(t.name(3)).toBeUndefined();
    expect(t.size).toBe(2);
  });

  it('stops growing at max and maps unseen names to 0', () => {
    const t = new Interner({ max: 2 });
    t.id('a');
    t.id('b');
    expect(t.id('c')).toBe(0);
    expect(t.id('a')).toBe(1);
    expect(t.size).toBe(2);
  });

  it('rebuilds the same table from its names in another thread', () => {
    const t = new Interner();
    for (const n of ['gpt-4o', 'claude', 'llama']) t.id(n);
    const copy = Interner.fromNames(t.names());
    for (const n of ['gpt-4o', 'claude', 'llama']) expect(copy.id(n)).toBe(t.id(n));
    expect(copy.id('new')).toBe(t.id('new'));
  });
});
