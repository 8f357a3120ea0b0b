import { describe, expect, it } from 'vitest';
import { FORM_DEFAULTS_MAX_NODES, withFormDefaults, type FormDefaultsWork } from '../../../src/mcp/form-defaults.js';

describe('withFormDefaults', () => {
  const schema = {
    type: 'object',
    properties: {
      name: { type: 'string' }, color: { type: 'string', default: 'blue' }, size: { type: 'number', default: 3 },
      address: { type: 'object', properties: { city: { type: 'string', default: 'Paris' } } },
      flag: { type: 'boolean', default: false },
    },
  };

  it('fills in the fields an answer leaves out, keeps the ones it gave, and changes neither the answer nor the schema', () => {
    const content = { name: 'Ada', size: 5, address: { zip: '1' } };
    const before = JSON.stringify({ content, schema });
    expect(withFormDefaults(schema, content)).toEqual({ name: 'Ada', size: 5, color: 'blue', flag: false, address: { zip: '1', city: 'Paris' } });
    expect(JSON.stringify({ content, schema })).toBe(before);
  });

  it('follows anyOf and oneOf branches and ignores schema parts that are not objects', () => {
    const branched = { anyOf: [{ type: 'object', properties: { a: { default: 1 } } }, true], oneOf: [{ type: 'object', properties: { b: { default: 2 }, c: null, d: 'x' } }] };
    expect(withFormDefaults(branched, {})).toEqual({ a: 1, b: 2 });
    expect(withFormDefaults({ type: 'object', properties: 'nope' }, { x: 1 })).toEqual({ x: 1 });
  });

  describe('on a hostile schema (the upstream writes it)', () => {
    const big = Object.fromEntries(Array.from({ length: 2_000 }, (_, i) => [`k${i}`, i]));
    /** One branch gives `f` a big default, `n` more name `f` (an object field) again. */
    const schemaWith = (n: number): Record<string, unknown> => ({
      type: 'object', properties: { name: { type: 'string' } },
      anyOf: [{ type: 'object', properties: { f: { default: big } } }, ...Array.from({ length: n }, () => ({ type: 'object', properties: { f: { type: 'object', properties: { g: {} } } } }))],
    });
    const work = (): FormDefaultsWork => ({ nodes: 0, copies: 0, copiedKeys: 0 });

    it('copies each answer object once, however many branches name it: the copying does not grow with the branches', () => {
      const one = work();
      const many = work();
      const filledOne = withFormDefaults(schemaWith(1), { name: 'x', f: big }, one);
      const filledMany = withFormDefaults(schemaWith(400), { name: 'x', f: big }, many);
      expect(filledMany).toEqual(filledOne);
      expect(filledMany.f).not.toBe(big);
      expect(one.copiedKeys).toBeGreaterThanOrEqual(2_000);
      // The same objects are copied: the answer and its `f`, once each.
      expect(many.copies).toBe(2);
      expect(many.copiedKeys).toBe(one.copiedKeys);
      // Visits grow with the schema only (a few nodes per branch), not with the size of `f`.
      expect(many.nodes).toBeLessThan(400 * 5);
    });

    it('fills a big default into a field many branches name without copying it again', () => {
      const w = work();
      const filled = withFormDefaults(schemaWith(400), { name: 'x' }, w);
      expect(filled).toEqual({ name: 'x', f: big });
      expect(filled.f).not.toBe(big);
      expect(w.copies).toBe(1);
    });

    it('gives no defaults from a schema beyond the bound: the answer is passed on as it came', () => {
      const content = { name: 'x' };
      const w = work();
      const out = withFormDefaults(schemaWith(FORM_DEFAULTS_MAX_NODES), content, w);
      expect(out).toEqual({ name: 'x' });
      expect(w.nodes).toBe(FORM_DEFAULTS_MAX_NODES + 1);
      // Within the bound, the defaults are filled.
      expect(withFormDefaults(schemaWith(100), content)).toEqual({ name: 'x', f: big });
    });

    it('fills fields named like Object.prototype members (constructor, toString) like any other', () => {
      const s = { type: 'object', properties: { constructor: { type: 'string', default: 'a' }, toString: { type: 'string', default: 'b' } } };
      const out = withFormDefaults(s, {});
      expect(Object.getPrototypeOf(out)).toBe(Object.prototype);
      expect(JSON.parse(JSON.stringify(out))).toEqual({ constructor: 'a', toString: 'b' });
    });

    it('treats a field named __proto__ as a plain field, as JSON.parse does: no prototype is set or polluted', () => {
      const s = JSON.parse('{"type":"object","properties":{"__proto__":{"type":"object","default":{"polluted":"no"},"properties":{"hidden":{"default":"yes"}}}}}') as Record<string, unknown>;
      const out = withFormDefaults(s, { name: 'x' });
      expect(Object.getPrototypeOf(out)).toBe(Object.prototype);
      expect(({} as Record<string, unknown>).polluted).toBeUndefined();
      expect(({} as Record<string, unknown>).hidden).toBeUndefined();
      expect(JSON.stringify(out)).toBe('{"name":"x","__proto__":{"polluted":"no","hidden":"yes"}}');
      // An answer that gave __proto__ (JSON.parse makes it an own field) keeps it and gets the nested default.
      const given = withFormDefaults(s, JSON.parse('{"__proto__":{"a":1}}') as Record<string, unknown>);
      expect(Object.getPrototypeOf(given)).toBe(Object.prototype);
      expect(JSON.stringify(given)).toBe('{"__proto__":{"a":1,"hidden":"yes"}}');
    });
  });
});
