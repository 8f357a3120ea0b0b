import { describe, expect, it } from 'vitest';
import { withFormDefaults } from '../../../src/mcp/form-defaults.js';

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
});
