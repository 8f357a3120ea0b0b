import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import { chmodSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';

/** What a valid token says: whose it is, and which key it was issued against. */
export interface TokenClaims {
  clientId: string;
  /** First 16 hex chars of the client's key hash when the token was issued: rotation kills the token. */
  keyHashPrefix: string;
  expiresAt: number;
}

const PREFIX = 'lrt-';

/**
 * Short-lived bearer tokens for the OAuth client-credentials grant. Stateless: a token is its claims
 * signed with HMAC-SHA256 under a secret kept in the data dir, so tokens survive a restart while
 * still dying with their client's disable or key rotation (checked at every use).
 */
export class TokenSigner {
  #secret: Buffer;
  #now: () => number;

  constructor(secret: Buffer, now: () => number = Date.now) {
    this.#secret = secret;
    this.#now = now;
  }

  /** The signer for data dir `home`, creating its secret (0600) on first use. */
  static forHome(home: string): TokenSigner {
    const file = path.join(home, 'oauth-secret');
    let secret: Buffer;
    try {
      secret = Buffer.from(readFileSync(file, 'utf8').trim(), 'base64url');
      if (secret.length < 32) throw new Error('short secret');
    } catch {
      secret = randomBytes(32);
      writeFileSync(file, secret.toString('base64url'), { mode: 0o600 });
      chmodSync(file, 0o600);
    }
    return new TokenSigner(secret);
  }

  issue(clientId: string, keyHash: string, ttlSeconds: number): { token: string; expiresIn: number } {
    const claims = { c: clientId, k: keyHash.slice(0, 16), e: Math.floor(this.#now() / 1000) + ttlSeconds };
    const body = Buffer.from(JSON.stringify(claims)).toString('base64url');
    return { token: `${PREFIX}${body}.${this.#sign(body)}`, expiresIn: ttlSeconds };
  }

  /** The claims of a well-signed, unexpired token; null otherwise. */
  verify(token: string): TokenClaims | null {
    if (!token.startsWith(PREFIX)) return null;
    const dot = token.lastIndexOf('.');
    if (dot <= PREFIX.length) return null;
    const body = token.slice(PREFIX.length, dot);
    const given = Buffer.from(token.slice(dot + 1), 'base64url');
    const expected = Buffer.from(this.#sign(body), 'base64url');
    if (given.length !== expected.length || !timingSafeEqual(given, expected)) return null;
    let claims: { c?: unknown; k?: unknown; e?: unknown };
    try {
      claims = JSON.parse(Buffer.from(body, 'base64url').toString('utf8')) as typeof claims;
    } catch {
      return null;
    }
    if (typeof claims.c !== 'string' || typeof claims.k !== 'string' || typeof claims.e !== 'number') return null;
    if (claims.e * 1000 <= this.#now()) return null;
    return { clientId: claims.c, keyHashPrefix: claims.k, expiresAt: claims.e * 1000 };
  }

  static isToken(value: string): boolean {
    return value.startsWith(PREFIX);
  }

  #sign(body: string): string {
    return createHmac('sha256', this.#secret).update(body).digest('base64url');
  }
}
