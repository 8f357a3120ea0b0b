import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { generateClientKey, hashClientKey, safeEqualHex } from '../../../src/secrets/index.js';

describe('client keys', () => {
  it('generates lr- + 43 base64url chars, with prefix and sha256 hash of the whole key', () => {
    const { key, hash, prefix } = generateClientKey();
    expect(key).toMatch(/^lr-[A-Za-z0-9_-]{43}$/);
    expect(Buffer.from(key.slice(3), 'base64url')).toHaveLength(32);
    expect(prefix).toBe(key.slice(0, 10));
    expect(prefix).toHaveLength(10);
    expect(hash).toBe(createHash('sha256').update(key).digest('hex'));
    expect(hash).toMatch(/^[0-9a-f]{64}$/);
  });

  it('never repeats a key', () => {
    const keys = new Set(Array.from({ length: 200 }, () => generateClientKey().key));
    expect(keys.size).toBe(200);
  });

  it('hashes stably', () => {
    expect(hashClientKey('lr-abc')).toBe(hashClientKey('lr-abc'));
    // Known answer: a config written by one version must still verify in the next.
    expect(hashClientKey('lr-abc')).toBe('7d0e7f1a601bc28016c5addc1280e9b2863a53eeacd6047fde5784adf9f11028');
    expect(hashClientKey('lr-abc')).not.toBe(hashClientKey('lr-abd'));
    const { key, hash } = generateClientKey();
    expect(hashClientKey(key)).toBe(hash);
  });
});

describe('safeEqualHex', () => {
  const a = hashClientKey('lr-one');
  const b = hashClientKey('lr-two');

  it('is true for equal hex and false for different hex of the same length', () => {
    expect(safeEqualHex(a, a)).toBe(true);
    expect(safeEqualHex(a, a.toUpperCase())).toBe(true);
    expect(safeEqualHex(a, b)).toBe(false);
    expect(safeEqualHex(a, `${a.slice(0, -1)}${a.endsWith('0') ? '1' : '0'}`)).toBe(false);
  });

  it('is false on a length mismatch without throwing', () => {
    expect(safeEqualHex(a, a.slice(0, 63))).toBe(false);
    expect(safeEqualHex(a, `${a}00`)).toBe(false);
    expect(safeEqualHex('', a)).toBe(false);
    expect(safeEqualHex('', '')).toBe(true);
  });
});
