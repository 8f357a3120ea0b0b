import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';

/** How long the admin has to answer a consent page. */
export const CONSENT_TTL_MS = 10 * 60_000;
/** How long an authorization code may wait for its exchange (RFC 6749 §4.1.2: short; it works once). */
export const CODE_TTL_MS = 60_000;
/** The most open consents and unredeemed codes kept; the oldest go first. */
const MAX_PENDING = 32;
const MAX_CODES = 32;

/** An authorization request the gateway checked, waiting for the admin's answer (then the code it earns). */
export interface LoginRequest {
  clientId: string;
  redirectUri: string;
  /** The client's `state`, echoed on the redirect; null when it sent none. */
  state: string | null;
  /** The PKCE S256 challenge. */
  codeChallenge: string;
  /** The RFC 8707 resource the client named, on this gateway; null when it named none. */
  resource: string | null;
  /** The issuer the request reached (the gateway's origin as the client saw it), for `iss` on the redirect. */
  issuer: string;
}

/** An authorization code's grant: the request it answers and the client key it was approved under. */
export interface CodeGrant extends LoginRequest {
  /** The client's key hash at approval: a key rotated since kills the code. */
  keyHash: string;
}

const digest = (s: string): string => createHash('sha256').update(s).digest('hex');
const newSecret = (): string => randomBytes(32).toString('base64url');

/**
 * The state of the browser login (authorization code flow): consents waiting for the admin and
 * codes waiting for their exchange, in memory only (a restart forgets them; the client starts
 * again). Only digests of their ids are kept, each works once, and each expires: a consent after
 * {@link CONSENT_TTL_MS}, a code after {@link CODE_TTL_MS}.
 */
export class LoginGrants {
  readonly #now: () => number;
  readonly #pending = new Map<string, { request: LoginRequest; expiresAt: number }>();
  readonly #codes = new Map<string, { grant: CodeGrant; expiresAt: number }>();

  constructor(now: () => number = Date.now) {
    this.#now = now;
  }

  /** Keeps a checked request until the admin answers it; returns the id the consent form carries. */
  pend(request: LoginRequest): string {
    this.#sweep();
    const id = newSecret();
    this.#pending.set(digest(id), { request, expiresAt: this.#now() + CONSENT_TTL_MS });
    while (this.#pending.size > MAX_PENDING) this.#pending.delete(this.#pending.keys().next().value!);
    return id;
  }

  /** The request of a consent form, once: null for an unknown, answered or expired one. */
  takePending(id: string): LoginRequest | null {
    if (id.length === 0 || id.length > 200) return null;
    const key = digest(id);
    const found = this.#pending.get(key);
    if (found === undefined) return null;
    this.#pending.delete(key);
    return found.expiresAt > this.#now() ? found.request : null;
  }

  /** A new authorization code for an approved request. */
  issueCode(grant: CodeGrant): string {
    this.#sweep();
    const code = newSecret();
    this.#codes.set(digest(code), { grant, expiresAt: this.#now() + CODE_TTL_MS });
    while (this.#codes.size > MAX_CODES) this.#codes.delete(this.#codes.keys().next().value!);
    return code;
  }

  /** Spends a code: its grant, or null for an unknown, used or expired code (a failed exchange spends it too). */
  redeemCode(code: string): CodeGrant | null {
    if (code.length === 0 || code.length > 200) return null;
    const key = digest(code);
    const found = this.#codes.get(key);
    if (found === undefined) return null;
    this.#codes.delete(key);
    return found.expiresAt > this.#now() ? found.grant : null;
  }

  #sweep(): void {
    const now = this.#now();
    for (const [k, v] of this.#pending) if (v.expiresAt <= now) this.#pending.delete(k);
    for (const [k, v] of this.#codes) if (v.expiresAt <= now) this.#codes.delete(k);
  }
}

/** PKCE (RFC 7636 §4.1): 43-128 unreserved characters. */
const VERIFIER = /^[A-Za-z0-9._~-]{43,128}$/;

/** True when `verifier` is the S256 preimage of `challenge` (RFC 7636 §4.6), compared in constant time. */
export function pkceMatches(verifier: string, challenge: string): boolean {
  if (!VERIFIER.test(verifier)) return false;
  const computed = Buffer.from(createHash('sha256').update(verifier, 'ascii').digest('base64url'));
  const given = Buffer.from(challenge);
  return computed.length === given.length && timingSafeEqual(computed, given);
}

/** Loopback IP literals (RFC 8252 §7.3); `localhost` is not one: a name may resolve elsewhere (§8.3). */
const LOOPBACK_IPS = new Set(['127.0.0.1', '[::1]']);

/**
 * Where a login may send its code (RFC 8252 §7.3, §8.3):
 * - one of the client's listed redirect URIs, exactly;
 * - a loopback IP literal (`http://127.0.0.1` or `http://[::1]`) on any port, native apps listening
 *   on a port of their choosing: when the client lists loopback redirect URIs, the redirect must be
 *   one of them but for the port (same address, path and query); when it lists none, any path;
 * - `http://localhost` on any port only when listed without a port (`http://localhost/callback`):
 *   same path and query, the port is the native app's. A name may resolve elsewhere, so an unlisted
 *   `localhost` is refused, and one listed with a port is taken as that port only.
 * Never a URI with a fragment or credentials.
 */
export function redirectAllowed(uri: string, listed: readonly string[]): boolean {
  if (uri.length === 0 || uri.length > 2048 || uri.includes('#')) return false;
  if (listed.includes(uri)) return true;
  const local = plainHttpUrl(uri, LOCALHOST);
  if (local !== null) return listed.some((l) => { const u = plainHttpUrl(l, LOCALHOST); return u !== null && u.port === '' && samePlace(u, local); });
  const url = plainHttpUrl(uri, LOOPBACK_IPS);
  if (url === null) return false;
  const loopbackListed = listed.map((l) => plainHttpUrl(l, LOOPBACK_IPS)).filter((l): l is URL => l !== null);
  if (loopbackListed.length === 0) return true;
  return loopbackListed.some((l) => samePlace(l, url));
}

const LOCALHOST = new Set(['localhost']);

/** Same host, path and query (the port aside). */
function samePlace(a: URL, b: URL): boolean {
  return a.hostname === b.hostname && a.pathname === b.pathname && a.search === b.search;
}

/** `uri` parsed, when it is a plain `http://` URI (no credentials, no fragment) on one of `hosts`; else null. */
function plainHttpUrl(uri: string, hosts: ReadonlySet<string>): URL | null {
  let url: URL;
  try {
    url = new URL(uri);
  } catch {
    return null;
  }
  return url.protocol === 'http:' && url.username === '' && url.password === '' && url.hash === '' && hosts.has(url.hostname) ? url : null;
}
