import { describe, expect, it, vi } from 'vitest';
import * as secrets from '../../../src/secrets/index.js';

vi.mock('../../../src/secrets/index.js', async (importOriginal) => {
  const actual = await importOriginal<typeof import('../../../src/secrets/index.js')>();
  return { ...actual, safeEqualHex: vi.fn(actual.safeEqualHex) };
});

const { ClientTable } = await import('../../../src/ingress/index.js');

function client(name: string, enabled = true, allowed: string[] = ['*']) {
  const k = secrets.generateClientKey();
  return { key: k.key, config: { id: `c_${name}00000000`, name, key_hash: k.hash, key_prefix: k.prefix, enabled, created_at: '', allowed_models: allowed, limits: [] } };
}

describe('ClientTable', () => {
  const a = client('alpha');
  const off = client('off', false);
  const table = new ClientTable([a.config, off.config]);

  it('authenticates Bearer and x-api-key, comparing hashes in constant time', () => {
    vi.mocked(secrets.safeEqualHex).mockClear();
    expect(table.authenticate(`Bearer ${a.key}`, '').name).toBe('alpha');
    expect(table.authenticate(`bearer   ${a.key} `, '').name).toBe('alpha');
    expect(table.authenticate('', a.key).name).toBe('alpha');
    expect(secrets.safeEqualHex).toHaveBeenCalledTimes(3);
    expect(vi.mocked(secrets.safeEqualHex).mock.calls[0]).toEqual([a.config.key_hash, a.config.key_hash]);
  });

  it('refuses missing, unknown, malformed and disabled keys with 401', () => {
    for (const [auth, x] of [['', ''], ['Bearer ', ''], ['Basic abc', ''], [`Bearer ${a.key}x`, ''], ['', 'lr-nope']] as const) {
      expect(() => table.authenticate(auth, x)).toThrow(expect.objectContaining({ code: 'LR_ERR_UNAUTHORIZED', status: 401 }));
    }
    expect(() => table.authenticate(`Bearer ${off.key}`, '')).toThrow(/disabled/);
  });
});
