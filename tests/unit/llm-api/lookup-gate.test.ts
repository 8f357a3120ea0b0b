import { describe, expect, it } from 'vitest';
import { LookupGate } from '../../../src/llm-api/generation-route.js';

describe('LookupGate: generation lookups waiting on the store', () => {
  it('bounds each client, then all clients together, and gives slots back', () => {
    const gate = new LookupGate(2, 3);
    expect(gate.enter('a')).toBe(true);
    expect(gate.enter('a')).toBe(true);
    expect(gate.enter('a')).toBe(false); // a's bound
    expect(gate.enter('b')).toBe(true);
    expect(gate.enter('c')).toBe(false); // everyone's bound, though c has none waiting
    expect(gate.open).toBe(3);
    gate.leave('a');
    expect(gate.enter('c')).toBe(true);
    expect(gate.enter('a')).toBe(false); // the total again
    gate.leave('b');
    expect(gate.enter('a')).toBe(true);
    for (const id of ['a', 'a', 'c']) gate.leave(id);
    expect(gate.open).toBe(0);
    // Nothing is left behind for clients with no lookup waiting: their bound starts afresh.
    expect(gate.enter('a') && gate.enter('a')).toBe(true);
  });
});
