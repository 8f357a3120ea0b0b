/**
 * @module secrets
 * Where provider API keys live: the OS keychain when one answers, else an AES-256-GCM file in the
 * data dir. Also the client-key helpers (`lr-...` bearer keys, stored only as sha256 hashes).
 */
import { hash, randomBytes, timingSafeEqual } from 'node:crypto';
import path from 'node:path';
import { LocalRouterError } from '../errors/index.js';
import { FileSecretStore } from './file-store.js';
import { KeychainSecretStore, probeKeychain } from './keychain-store.js';

/** A name-to-secret map; names are namespaced per data dir, values never leave through errors or logs. */
export interface SecretStore {
  readonly backend: 'keychain' | 'file';
  get(name: string): string | undefined;
  set(name: string, value: string): void;
  delete(name: string): boolean;
}

const BACKENDS = ['auto', 'keychain', 'file'] as const;
type BackendChoice = (typeof BACKENDS)[number];

/**
 * Opens the secret store for data dir `home`. Backend: `opts.backend`, else env
 * `LOCALROUTER_SECRETS_BACKEND`, else `auto` (keychain if a probe round trip works, else the file).
 */
export function openSecretStore(home: string, opts: { backend?: 'auto' | 'keychain' | 'file' } = {}): SecretStore {
  const absHome = path.resolve(home);
  const choice = resolveChoice(opts.backend);
  if (choice === 'file') return new FileSecretStore(absHome);
  const probe = probeKeychain();
  if (probe.ok) return new KeychainSecretStore(absHome);
  if (choice === 'keychain') {
    throw new LocalRouterError('LR_ERR_SECRET_STORE',
      `OS keychain is not reachable (${probe.reason}); use the encrypted file backend instead `
      + '(LOCALROUTER_SECRETS_BACKEND=file)');
  }
  return new FileSecretStore(absHome);
}

function resolveChoice(explicit: BackendChoice | undefined): BackendChoice {
  if (explicit !== undefined) {
    if (!(BACKENDS as readonly string[]).includes(explicit)) throw badBackend(String(explicit), 'option backend');
    return explicit;
  }
  const env = process.env.LOCALROUTER_SECRETS_BACKEND?.trim().toLowerCase();
  if (env === undefined || env === '') return 'auto';
  if (!(BACKENDS as readonly string[]).includes(env)) throw badBackend(env, 'LOCALROUTER_SECRETS_BACKEND');
  return env as BackendChoice;
}

function badBackend(value: string, where: string): LocalRouterError {
  return new LocalRouterError('LR_ERR_SECRET_STORE',
    `${where} must be one of ${BACKENDS.join(', ')} (got ${JSON.stringify(value.slice(0, 32))})`);
}

/** A new client bearer key; only `hash` and `prefix` should ever be persisted. */
export function generateClientKey(): { key: string; hash: string; prefix: string } {
  const key = `lr-${randomBytes(32).toString('base64url')}`;
  return { key, hash: hashClientKey(key), prefix: key.slice(0, 10) };
}

/** sha256 hex of a client key, as stored in config. One-shot `hash`: it runs on every request. */
export function hashClientKey(key: string): string {
  return hash('sha256', key, 'hex');
}

/**
 * Constant-time equality of two hex strings. A length mismatch returns false before touching the
 * contents; that leaks only the length, which for sha256 hex is public anyway.
 */
export function safeEqualHex(a: string, b: string): boolean {
  const bufA = Buffer.from(a.toLowerCase(), 'utf8');
  const bufB = Buffer.from(b.toLowerCase(), 'utf8');
  if (bufA.length !== bufB.length) return false;
  return timingSafeEqual(bufA, bufB);
}
