import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { openSecretStore } from '../../../src/secrets/index.js';

const SECRET = 'sk-live-THIS-MUST-NOT-LEAK-0123456789';
const ENV_KEYS = ['LOCALROUTER_SECRETS_PASSPHRASE', 'LOCALROUTER_SECRETS_BACKEND'] as const;
let saved: Record<string, string | undefined>;
let home: string;

beforeEach(() => {
  saved = Object.fromEntries(ENV_KEYS.map((k) => [k, process.env[k]]));
  for (const k of ENV_KEYS) delete process.env[k];
  home = fs.mkdtempSync(path.join(os.tmpdir(), 'lr-'));
});

afterEach(() => {
  for (const k of ENV_KEYS) {
    if (saved[k] === undefined) delete process.env[k];
    else process.env[k] = saved[k];
  }
  fs.rmSync(home, { recursive: true, force: true });
});

const open = (dir = home) => openSecretStore(dir, { backend: 'file' });
const encPath = () => path.join(home, 'secrets.enc');
const readEnvelope = () => JSON.parse(fs.readFileSync(encPath(), 'utf8')) as Record<string, string>;
const mode = (file: string) => fs.statSync(file).mode & 0o777;

/** Runs `fn`, expects a LocalRouterError LR_ERR_SECRET_STORE, and returns its message. */
function secretStoreError(fn: () => unknown): string {
  try {
    fn();
  } catch (err) {
    expect((err as { code?: string }).code).toBe('LR_ERR_SECRET_STORE');
    return (err as Error).message;
  }
  throw new Error('expected LR_ERR_SECRET_STORE, nothing was thrown');
}

describe('file backend', () => {
  it('round-trips values and persists them across store instances', () => {
    const store = open();
    expect(store.backend).toBe('file');
    expect(store.get('openai')).toBeUndefined();
    store.set('openai', SECRET);
    store.set('anthropic', 'ünïcødé \n "quoted"');
    expect(store.get('openai')).toBe(SECRET);
    const reopened = open();
    expect(reopened.get('openai')).toBe(SECRET);
    expect(reopened.get('anthropic')).toBe('ünïcødé \n "quoted"');
    store.set('openai', 'rotated');
    expect(open().get('openai')).toBe('rotated');
  });

  it('never writes the secret in clear and leaves no temp files behind', () => {
    open().set('openai', SECRET);
    expect(fs.readFileSync(encPath(), 'utf8')).not.toContain(SECRET);
    expect(fs.readdirSync(home).sort()).toEqual(['secrets.enc', 'secrets.key']);
  });

  it('creates secrets.enc and secrets.key with mode 0600, and the key once', () => {
    const store = open();
    store.set('a', '1');
    expect(mode(encPath())).toBe(0o600);
    expect(mode(path.join(home, 'secrets.key'))).toBe(0o600);
    const key = fs.readFileSync(path.join(home, 'secrets.key'), 'utf8');
    expect(Buffer.from(key.trim(), 'base64')).toHaveLength(32);
    store.set('b', '2');
    open().set('c', '3');
    expect(fs.readFileSync(path.join(home, 'secrets.key'), 'utf8')).toBe(key);
    expect(mode(encPath())).toBe(0o600);
  });

  it('creates the data dir if missing', () => {
    const nested = path.join(home, 'deeper', 'dir');
    open(nested).set('a', '1');
    expect(open(nested).get('a')).toBe('1');
  });

  it('uses a fresh IV on every write, even for identical content', () => {
    const store = open();
    const ivs = new Set<string>();
    const blobs = new Set<string>();
    for (let i = 0; i < 5; i++) {
      store.set('same', 'value');
      const env = readEnvelope();
      ivs.add(env.iv);
      blobs.add(env.data);
    }
    expect(ivs.size).toBe(5);
    expect(blobs.size).toBe(5);
  });

  it('detects tampering with the ciphertext, the tag or the header', () => {
    open().set('openai', SECRET);
    const original = fs.readFileSync(encPath(), 'utf8');
    const env = JSON.parse(original) as Record<string, string>;
    const flip = (b64: string) => {
      const buf = Buffer.from(b64, 'base64');
      buf[0] ^= 0x01;
      return buf.toString('base64');
    };
    const variants = [
      { ...env, data: flip(env.data) },
      { ...env, tag: flip(env.tag) },
      { ...env, iv: flip(env.iv) },
    ];
    for (const variant of variants) {
      fs.writeFileSync(encPath(), JSON.stringify(variant));
      const message = secretStoreError(() => open().get('openai'));
      expect(message).toMatch(/cannot decrypt/);
      expect(message).not.toContain(SECRET);
    }
    fs.writeFileSync(encPath(), original.slice(0, original.length / 2));
    expect(secretStoreError(() => open().get('openai'))).toMatch(/corrupt/);
    fs.writeFileSync(encPath(), original);
    expect(open().get('openai')).toBe(SECRET);
  });

  it('rejects a header swapped from scrypt to keyfile, even with a key file present', () => {
    process.env.LOCALROUTER_SECRETS_PASSPHRASE = 'correct horse';
    open().set('openai', SECRET);
    const env = readEnvelope();
    expect(env.kdf).toBe('scrypt');
    fs.writeFileSync(path.join(home, 'secrets.key'), Buffer.alloc(32, 7).toString('base64'), { mode: 0o600 });
    const { salt: _salt, ...rest } = env;
    const downgraded = { ...rest, kdf: 'keyfile' };
    fs.writeFileSync(encPath(), JSON.stringify(downgraded));
    expect(secretStoreError(() => open().get('openai'))).toMatch(/cannot decrypt/);
  });

  it('rejects a wrong key file', () => {
    open().set('openai', SECRET);
    fs.writeFileSync(path.join(home, 'secrets.key'), Buffer.alloc(32, 1).toString('base64'));
    const message = secretStoreError(() => open().get('openai'));
    expect(message).toMatch(/secrets\.key does not match/);
    expect(message).not.toContain(SECRET);
  });

  it('refuses to decrypt when the key file is gone instead of minting a new key', () => {
    open().set('openai', SECRET);
    fs.rmSync(path.join(home, 'secrets.key'));
    expect(secretStoreError(() => open().get('openai'))).toMatch(/secrets\.key is missing/);
    expect(secretStoreError(() => open().set('other', 'x'))).toMatch(/secrets\.key is missing/);
    expect(fs.existsSync(path.join(home, 'secrets.key'))).toBe(false);
  });

  it('uses the passphrase (scrypt, salt in the file, no key file) and rejects a wrong one', () => {
    process.env.LOCALROUTER_SECRETS_PASSPHRASE = 'correct horse';
    open().set('openai', SECRET);
    expect(fs.existsSync(path.join(home, 'secrets.key'))).toBe(false);
    const env = readEnvelope();
    expect(env.kdf).toBe('scrypt');
    expect(Buffer.from(env.salt, 'base64')).toHaveLength(16);
    expect(open().get('openai')).toBe(SECRET);

    process.env.LOCALROUTER_SECRETS_PASSPHRASE = 'wrong horse';
    const message = secretStoreError(() => open().get('openai'));
    expect(message).toMatch(/wrong LOCALROUTER_SECRETS_PASSPHRASE/);
    expect(message).not.toContain(SECRET);
    expect(message).not.toContain('horse');

    delete process.env.LOCALROUTER_SECRETS_PASSPHRASE;
    expect(secretStoreError(() => open().get('openai'))).toMatch(/passphrase-protected: set LOCALROUTER_SECRETS_PASSPHRASE/);
  });

  it('switching a passphrase on keeps old secrets readable and re-encrypts on the next write', () => {
    open().set('openai', SECRET);
    expect(readEnvelope().kdf).toBe('keyfile');
    process.env.LOCALROUTER_SECRETS_PASSPHRASE = 'correct horse';
    expect(open().get('openai')).toBe(SECRET);
    open().set('anthropic', 'a');
    expect(readEnvelope().kdf).toBe('scrypt');
    fs.rmSync(path.join(home, 'secrets.key'));
    expect(open().get('openai')).toBe(SECRET);
    expect(open().get('anthropic')).toBe('a');
  });

  it('delete removes one entry and reports whether it existed', () => {
    const store = open();
    expect(store.delete('nothing')).toBe(false);
    expect(fs.existsSync(encPath())).toBe(false);
    store.set('a', '1');
    store.set('b', '2');
    expect(store.delete('a')).toBe(true);
    expect(store.delete('a')).toBe(false);
    expect(store.get('a')).toBeUndefined();
    expect(open().get('a')).toBeUndefined();
    expect(open().get('b')).toBe('2');
  });

  it('keeps two data dirs isolated', () => {
    const other = fs.mkdtempSync(path.join(os.tmpdir(), 'lr-'));
    try {
      open(home).set('openai', 'home-one');
      open(other).set('openai', 'home-two');
      expect(open(home).get('openai')).toBe('home-one');
      expect(open(other).get('openai')).toBe('home-two');
      open(other).delete('openai');
      expect(open(home).get('openai')).toBe('home-one');
    } finally {
      fs.rmSync(other, { recursive: true, force: true });
    }
  });

  it('rejects empty or control-character names', () => {
    const store = open();
    secretStoreError(() => store.set('', 'x'));
    secretStoreError(() => store.get('a\nb'));
    secretStoreError(() => store.set('x'.repeat(257), 'x'));
  });
});
