import { describe, expect, it } from 'vitest';
import { countOf, limitAmount } from '../../../src/model/index.js';

describe('counts in words', () => {
  it('uses the singular for exactly one and the plural otherwise', () => {
    expect(countOf(1, 'requests')).toBe('1 request');
    expect(countOf(0, 'requests')).toBe('0 requests');
    expect(countOf(2, 'calls')).toBe('2 calls');
    expect(countOf(1, 'input_tokens')).toBe('1 input token');
    expect(countOf(1.5, 'total_tokens')).toBe('1.5 total tokens');
  });

  it('says limits as amounts: a cost in USD, other kinds counted', () => {
    expect(limitAmount('requests', 1)).toBe('1 request');
    expect(limitAmount('output_tokens', 1000)).toBe('1000 output tokens');
    expect(limitAmount('cost', 1)).toBe('1 USD of cost');
  });
});
