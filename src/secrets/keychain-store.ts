import { createHash, randomBytes } from 'node:crypto';
import { createRequire } from 'node:module';
import type { Entry as KeyringEntry } from '@napi-rs/keyring';
import { LocalRouterError } from '../errors/index.js';
import { assertSecretName, assertSecretValue, describeCause } from './names.js';

const SERVICE = 'localrouter';

/** The slice of `@napi-rs/keyring`'s sync `Entry` we use; tests swap in a fake. */
export type EntryFactory = (service: string, account: string) => Pick<KeyringEntry, 'getPassword' | 'setPassword' | 'deletePassword'>;

export type KeychainProbe = { ok: true } | { ok: false; reason: string };

let entryFactory: EntryFactory | undefined;
let probeResult: KeychainProbe | undefined;

/** Loaded lazily so a missing or broken native binary only disables the keychain instead of crashing. */
function loadEntryFactory(): EntryFactory {
  if (entryFactory === undefined) {
    const { Entry } = createRequire(import.meta.url)('@napi-rs/keyring') as typeof import('@napi-rs/keyring');
    entryFactory = (service, account) => new Entry(service, account);
  }
  return entryFactory;
}

/** Test hook: replaces the keyring binding (or restores the real one) and forgets the cached probe. */
export function setEntryFactoryForTests(factory: EntryFactory | undefined): void {
  entryFactory = factory;
  probeResult = undefined;
}

/**
 * One set/get/delete round trip per process. Headless Linux without a Secret Service fails here
 * ("Couldn't access platform storage"), and we would rather learn it once than on every request.
 */
export function probeKeychain(): KeychainProbe {
  if (probeResult !== undefined) return probeResult;
  const value = randomBytes(16).toString('hex');
  try {
    const entry = loadEntryFactory()(SERVICE, `probe:${process.pid}:${randomBytes(4).toString('hex')}`);
    entry.setPassword(value);
    const readBack = entry.getPassword();
    entry.deletePassword();
    probeResult = readBack === value ? { ok: true } : { ok: false, reason: 'probe entry did not read back' };
  } catch (err) {
    probeResult = { ok: false, reason: describeCause(err) };
  }
  return probeResult;
}

/** Namespaces accounts per data dir, so two homes (e.g. test temp dirs) never see each other's keys. */
export function keychainAccount(absHome: string, name: string): string {
  const homeId = createHash('sha256').update(absHome, 'utf8').digest('hex').slice(0, 16);
  return `${homeId}:${name}`;
}

export class KeychainSecretStore {
  readonly backend = 'keychain' as const;
  readonly #home: string;

  constructor(absHome: string) {
    this.#home = absHome;
  }

  get(name: string): string | undefined {
    assertSecretName(name);
    const password = this.#call(name, 'read', (entry) => entry.getPassword());
    return password ?? undefined;
  }

  set(name: string, value: string): void {
    assertSecretName(name);
    assertSecretValue(value);
    this.#call(name, 'write', (entry) => entry.setPassword(value));
  }

  delete(name: string): boolean {
    assertSecretName(name);
    // Backends disagree on whether deleting a missing entry throws, so look first.
    if (this.#call(name, 'read', (entry) => entry.getPassword()) === null) return false;
    return this.#call(name, 'delete', (entry) => entry.deletePassword());
  }

  #call<T>(name: string, verb: string, op: (entry: ReturnType<EntryFactory>) => T): T {
    try {
      return op(loadEntryFactory()(SERVICE, keychainAccount(this.#home, name)));
    } catch (err) {
      throw new LocalRouterError('LR_ERR_SECRET_STORE',
        `keychain ${verb} failed for secret "${name}": ${describeCause(err)}`, { cause: err });
    }
  }
}
