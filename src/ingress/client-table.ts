import type { ClientConfig } from '../config/index.js';
import { LocalRouterError } from '../errors/index.js';
import { hashClientKey, safeEqualHex } from '../secrets/index.js';
import { StrategyTable, type ClientPolicy } from '../routing/index.js';
import { TokenSigner } from './oauth-tokens.js';
import { bearerToken } from './bearer-token.js';

/** A client as the hot path sees it, with its strategy compiled once. */
export interface AuthedClient {
  id: string;
  name: string;
  /** Matches `provider/model` ids the client may use. */
  mayUse(modelId: string): boolean;
  policy: ClientPolicy;
}

/** A client allowed to log in with the authorization code flow, as the consent page and the token endpoint see it. */
export interface LoginClient {
  id: string;
  name: string;
  strategy: string | null;
  keyHash: string;
  redirectUris: readonly string[];
}

/**
 * Clients indexed by the SHA-256 of their key. Only hashes are held; the presented key is hashed
 * and the stored hash compared in constant time. Rebuilt on every config reload.
 */
export class ClientTable {
  #byHash = new Map<string, { config: ClientConfig; client: AuthedClient }>();

  #byId = new Map<string, { config: ClientConfig; client: AuthedClient }>();

  #tokens: TokenSigner | null;

  constructor(clients: ClientConfig[], strategies: StrategyTable = new StrategyTable({ strategies: [], default_strategy: 'default' }),
    tokens: TokenSigner | null = null) {
    this.#tokens = tokens;
    for (const c of clients) {
      const policy = strategies.policyFor(c);
      const entry = { config: c, client: { id: c.id, name: c.name, mayUse: policy.mayUse, policy } };
      this.#byHash.set(c.key_hash, entry);
      this.#byId.set(c.id, entry);
    }
  }

  /** An OAuth token is valid while its client is enabled and still has the key it was issued against. */
  #fromToken(token: string): AuthedClient {
    const claims = this.#tokens!.verify(token);
    const entry = claims ? this.#byId.get(claims.clientId) : undefined;
    if (!claims || !entry || !safeEqualHex(entry.config.key_hash.slice(0, 16), claims.keyHashPrefix)) {
      throw new LocalRouterError('LR_ERR_UNAUTHORIZED', 'invalid or expired access token');
    }
    if (!entry.config.enabled) throw new LocalRouterError('LR_ERR_UNAUTHORIZED', `client "${entry.config.name}" is disabled`);
    return entry.client;
  }

  /** The enabled client with this id and its current key hash (OAuth tokens check both). */
  byId(id: string): { client: AuthedClient; keyHash: string } | null {
    const e = this.#byId.get(id);
    return e && e.config.enabled ? { client: e.client, keyHash: e.config.key_hash } : null;
  }

  /**
   * The enabled client with this id that may log in through the browser (`oauth_login` in the
   * config): its name, strategy, current key hash and the redirect URIs listed for it; null otherwise.
   */
  loginClient(id: string): LoginClient | null {
    const e = this.#byId.get(id);
    if (!e || !e.config.enabled || e.config.oauth_login === undefined) return null;
    return { id: e.config.id, name: e.config.name, strategy: e.config.strategy ?? null, keyHash: e.config.key_hash, redirectUris: e.config.oauth_login.redirect_uris };
  }

  get size(): number {
    return this.#byHash.size;
  }

  /**
   * Resolves the client from `Authorization: Bearer <key>` or `x-api-key: <key>`.
   * Throws 401 for a missing, unknown or disabled key.
   */
  authenticate(authorization: string, xApiKey: string): AuthedClient {
    const key = bearerToken(authorization) || xApiKey.trim();
    if (key.length === 0) {
      throw new LocalRouterError('LR_ERR_UNAUTHORIZED', 'missing API key: send "Authorization: Bearer lr-..." or "x-api-key: lr-..."');
    }
    if (this.#tokens !== null && TokenSigner.isToken(key)) return this.#fromToken(key);
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
