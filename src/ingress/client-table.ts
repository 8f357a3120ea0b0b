import type { ClientConfig } from '../config/index.js';
import { LocalRouterError } from '../errors/index.js';
import { hashClientKey, safeEqualHex } from '../secrets/index.js';

/** A client as the hot path sees it, with its model patterns compiled once. */
export interface AuthedClient {
  id: string;
  name: string;
  /** Matches `provider/model` ids the client may use. */
  mayUse(modelId: string): boolean;
}

/**
 * Clients indexed by the SHA-256 of their key. Only hashes are held; the presented key is hashed
 * and the stored hash compared in constant time. Rebuilt on every config reload.
 */
export class ClientTable {
  #byHash = new Map<string, { config: ClientConfig; client: AuthedClient }>();

  constructor(clients: ClientConfig[]) {
    for (const c of clients) {
      this.#byHash.set(c.key_hash, { config: c, client: { id: c.id, name: c.name, mayUse: compilePatterns(c.allowed_models) } });
    }
  }

  get size(): number {
    return this.#byHash.size;
  }

  /**
   * Resolves the client from `Authorization: Bearer <key>` or `x-api-key: <key>`.
   * Throws 401 for a missing, unknown or disabled key.
   */
  authenticate(authorization: string, xApiKey: string): AuthedClient {
    const key = bearer(authorization) || xApiKey.trim();
    if (key.length === 0) {
      throw new LocalRouterError('LR_ERR_UNAUTHORIZED', 'missing API key: send "Authorization: Bearer lr-..." or "x-api-key: lr-..."');
    }
    const hash = hashClientKey(key);
    const entry = this.#byHash.get(hash);
    // The map lookup is keyed by a hash of attacker input, which reveals nothing about stored keys;
    // the final comparison is still constant-time.
    if (!entry || !safeEqualHex(entry.config.key_hash, hash)) {
      throw new LocalRouterError('LR_ERR_UNAUTHORIZED', 'invalid API key');
    }
    if (!entry.config.enabled) throw new LocalRouterError('LR_ERR_UNAUTHORIZED', `API key of client "${entry.config.name}" is disabled`);
    return entry.client;
  }
}

function bearer(authorization: string): string {
  if (authorization.length < 7 || authorization.slice(0, 7).toLowerCase() !== 'bearer ') return '';
  return authorization.slice(7).trim();
}

/** `*`, `provider/*`, `provider/model` (and `*` inside a segment) → one matcher. */
export function compilePatterns(patterns: string[]): (modelId: string) => boolean {
  if (patterns.includes('*')) return () => true;
  if (patterns.length === 0) return () => false;
  const source = patterns.map((p) => p.split('*').map(escapeRegex).join('.*')).join('|');
  const re = new RegExp(`^(?:${source})$`);
  return (modelId) => re.test(modelId);
}

function escapeRegex(s: string): string {
  return s.replace(/[.+?^${}()|[\]\\]/g, '\\$&');
}
