import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { openSecretStore } from '../../../src/secrets/index.js';
import { setEntryFactoryForTests, type EntryFactory } from '../../../src/secrets/keychain-store.js';

const SECRET = 'sk-live-THIS-MUST-NOT-LEAK-0123456789';
let savedBackend: string | undefined;
let home: string;

/** A fake keyring: an in-memory map, or one that fails like a headless Linux box. */
function fakeKeyring(opts: { broken?: boolean } = {}) {
  const entries = new Map<string, string>();
  const calls = { created: 0 };
  const fail = () => { throw new Error("Couldn't access platform storage: Secret Service: no result found"); };
  const factory: EntryFactory = (service, account) => {
    calls.created++;
    const id = `${service}/${account}`;
    return {
      getPassword: () => (opts.broken ? fail() : entries.get(id) ?? null),
      setPassword: (value: string) => { if (opts.broken) fail(); entries.set(id, value); },
      deletePassword: () => (opts.broken ? fail() : entries.delete(id)),
    };
  };
  return { factory, entries, calls };
}

beforeEach(() => {
  savedBackend = process.env.LOCALROUTER_SECRETS_BACKEND;
  delete process.env.LOCALROUTER_SECRETS_BACKEND;
  home = fs.mkdtempSync(path.join(os.tmpdir(), 'lr-'));
});

afterEach(() => {
  if (savedBackend === undefined) delete process.env.LOCALROUTER_SECRETS_BACKEND;
  else process.env.LOCALROUTER_SECRETS_BACKEND = savedBackend;
  setEntryFactoryForTests(undefined);
  fs.rmSync(home, { recursive: true, force: true });
});

function thrown(fn: () => unknown): { code?: string; message: string } {
  try {
    fn();
  } catch (err) {
    return err as { code?: string; message: string };
  }
  throw new Error('expected an error');
}

describe('backend choice', () => {
  it('auto falls back to the file when the keychain is unreachable', () => {
    setEntryFactoryForTests(fakeKeyring({ broken: true }).factory);
    const store = openSecretStore(home);
    expect(store.backend).toBe('file');
    store.set('openai', SECRET);
    expect(openSecretStore(home).get('openai')).toBe(SECRET);
    expect(fs.existsSync(path.join(home, 'secrets.enc'))).toBe(true);
  });

  it('forced keychain that is unreachable fails with a readable LR_ERR_SECRET_STORE', () => {
    setEntryFactoryForTests(fakeKeyring({ broken: true }).factory);
    const err = thrown(() => openSecretStore(home, { backend: 'keychain' }));
    expect(err.code).toBe('LR_ERR_SECRET_STORE');
    expect(err.message).toMatch(/keychain is not reachable \(Couldn't access platform storage/);
    expect(err.message).toMatch(/LOCALROUTER_SECRETS_BACKEND=file/);
  });

  it('auto picks a working keychain and stores nothing on disk', () => {
    const fake = fakeKeyring();
    setEntryFactoryForTests(fake.factory);
    const store = openSecretStore(home);
    expect(store.backend).toBe('keychain');
    store.set('openai', SECRET);
    expect(store.get('openai')).toBe(SECRET);
    expect(fs.readdirSync(home)).toEqual([]);
    // Only our entry is left: the probe cleaned up after itself.
    expect([...fake.entries.keys()]).toHaveLength(1);
    expect([...fake.entries.keys()][0]).toMatch(/^localrouter\/[0-9a-f]{16}:openai$/);
    expect(store.delete('openai')).toBe(true);
    expect(store.delete('openai')).toBe(false);
    expect(store.get('openai')).toBeUndefined();
  });

  it('namespaces keychain accounts per data dir', () => {
    setEntryFactoryForTests(fakeKeyring().factory);
    const other = fs.mkdtempSync(path.join(os.tmpdir(), 'lr-'));
    try {
      openSecretStore(home).set('openai', 'one');
      openSecretStore(other).set('openai', 'two');
      expect(openSecretStore(home).get('openai')).toBe('one');
      expect(openSecretStore(other).get('openai')).toBe('two');
      // The same dir spelled differently is the same namespace.
      expect(openSecretStore(path.join(home, '.', 'x', '..')).get('openai')).toBe('one');
    } finally {
      fs.rmSync(other, { recursive: true, force: true });
    }
  });

  it('probes once per process', () => {
    const fake = fakeKeyring();
    setEntryFactoryForTests(fake.factory);
    openSecretStore(home);
    const afterFirst = fake.calls.created;
    openSecretStore(home);
    openSecretStore(home, { backend: 'keychain' });
    expect(afterFirst).toBe(1);
    expect(fake.calls.created).toBe(1);
  });

  it('option beats env, env beats auto, and file never probes', () => {
    const fake = fakeKeyring();
    setEntryFactoryForTests(fake.factory);
    process.env.LOCALROUTER_SECRETS_BACKEND = 'file';
    expect(openSecretStore(home).backend).toBe('file');
    expect(fake.calls.created).toBe(0);
    expect(openSecretStore(home, { backend: 'keychain' }).backend).toBe('keychain');
    process.env.LOCALROUTER_SECRETS_BACKEND = 'KEYCHAIN';
    expect(openSecretStore(home).backend).toBe('keychain');
    expect(openSecretStore(home, { backend: 'file' }).backend).toBe('file');
    process.env.LOCALROUTER_SECRETS_BACKEND = 'vault';
    const err = thrown(() => openSecretStore(home));
    expect(err.code).toBe('LR_ERR_SECRET_STORE');
    expect(err.message).toMatch(/LOCALROUTER_SECRETS_BACKEND must be one of auto, keychain, file/);
  });

  it('wraps keychain failures after open without leaking the value', () => {
    const fake = fakeKeyring();
    let broken = false;
    setEntryFactoryForTests((service, account) => {
      const entry = fake.factory(service, account);
      return {
        getPassword: () => entry.getPassword(),
        setPassword: (v: string) => {
          if (broken) throw new Error('org.freedesktop.Secret.Error.IsLocked');
          entry.setPassword(v);
        },
        deletePassword: () => entry.deletePassword(),
      };
    });
    const store = openSecretStore(home, { backend: 'keychain' });
    broken = true;
    const err = thrown(() => store.set('openai', SECRET));
    expect(err.code).toBe('LR_ERR_SECRET_STORE');
    expect(err.message).toBe('keychain write failed for secret "openai": org.freedesktop.Secret.Error.IsLocked');
    expect(err.message).not.toContain(SECRET);
  });
});
