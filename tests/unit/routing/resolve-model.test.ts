import { describe, expect, it } from 'vitest';
import { resolveModel, type ModelLookup } from '../../../src/routing/index.js';

function lookup(lists: Record<string, string[]>): ModelLookup {
  return {
    providerNames: () => Object.keys(lists),
    providersListing: (m) => Object.keys(lists).filter((p) => lists[p]!.includes(m)),
    knowsModels: (p) => (lists[p]?.length ?? 0) > 0,
  };
}
const all = () => true;

describe('resolveModel', () => {
  it('splits provider/model on the first slash only', () => {
    expect(resolveModel('together/meta-llama/Llama-3-8b', lookup({ together: [] }), all)).toEqual({ provider: 'together', upstreamModel: 'meta-llama/Llama-3-8b', id: 'together/meta-llama/Llama-3-8b' });
  });

  it('resolves a bare id to the first provider listing it, and an HF-style id too', () => {
    const l = lookup({ a: ['x'], b: ['y', 'org/y2'] });
    expect(resolveModel('y', l, all).provider).toBe('b');
    expect(resolveModel('org/y2', l, all)).toEqual({ provider: 'b', upstreamModel: 'org/y2', id: 'b/org/y2' });
  });

  it('sends a bare id to the only provider when its model list is unknown, not when it is known', () => {
    expect(resolveModel('whatever', lookup({ solo: [] }), all).provider).toBe('solo');
    expect(() => resolveModel('whatever', lookup({ solo: ['m'] }), all)).toThrow(expect.objectContaining({ code: 'LR_ERR_MODEL_NOT_FOUND', status: 404 }));
    expect(() => resolveModel('whatever', lookup({ a: [], b: [] }), all)).toThrow(/GET \/v1\/models/);
  });

  it('403 for a model the client may not use, 400 for an empty model after the provider', () => {
    expect(() => resolveModel('a/x', lookup({ a: ['x'] }), (id) => id !== 'a/x')).toThrow(expect.objectContaining({ code: 'LR_ERR_FORBIDDEN', status: 403 }));
    expect(() => resolveModel('a/', lookup({ a: [] }), all)).toThrow(expect.objectContaining({ code: 'LR_ERR_BAD_REQUEST' }));
  });
});
