import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import { LocalRouterError } from '../errors/index.js';

/** How long a login code printed at start stays usable (it works once). */
export const START_LOGIN_TTL_MS = 24 * 60 * 60_000;
/** A login code asked for later through the admin API. */
export const LOGIN_CODE_TTL_MS = 10 * 60_000;
/** A session unused this long ends; none lives longer than {@link SESSION_MAX_MS}. */
export const SESSION_IDLE_MS = 12 * 60 * 60_000;
export const SESSION_MAX_MS = 7 * 24 * 60 * 60_000;
/** The most sessions and unredeemed codes kept; the oldest go first. */
const MAX_SESSIONS = 64;
const MAX_CODES = 16;

interface Session {
  csrf: string;
  createdAt: number;
  lastSeenAt: number;
}

/** What a cookie-authenticated request presents (header values, empty when absent). */
export interface SessionRequest {
  cookie: string;
  method: string;
  host: string;
  origin: string;
  /** `Sec-Fetch-Site`, sent by every current browser. */
  fetchSite: string;
  /** `X-CSRF-Token`. */
  csrf: string;
}

/** A session as the dashboard learns it: the CSRF token it sends back on every state-changing call. */
export interface SessionView {
  csrf: string;
  expires_at: string;
}

const digest = (s: string): string => createHash('sha256').update(s).digest('hex');
const newSecret = (): string => randomBytes(32).toString('base64url');

/**
 * Dashboard sessions: one-time login codes (printed at start, or asked for with the admin token)
 * are exchanged for a session id kept in an HttpOnly, SameSite=Strict cookie; each session has its
 * own CSRF token that state-changing calls echo in `X-CSRF-Token`. Only digests of codes and session
 * ids are kept, in memory: a restart ends every session.
 *
 * Cookies are shared by every port of a host, and SameSite counts another port of 127.0.0.1 as the
 * same site: a cookie-authenticated call must therefore come from this gateway's own origin
 * (`Origin`, `Sec-Fetch-Site`), not merely from a loopback one; the cookie's name carries the port
 * so two gateways on one host keep their own sessions.
 */
export class UiSessions {
  readonly #now: () => number;
  readonly #sessions = new Map<string, Session>();
  readonly #codes = new Map<string, number>();
  #cookieName = 'lr_session';

  constructor(now: () => number = Date.now) {
    this.#now = now;
  }

  /** Names the cookie after the port the gateway listens on. */
  bindPort(port: number): void {
    this.#cookieName = `lr_session_${port}`;
  }

  get cookieName(): string {
    return this.#cookieName;
  }

  /** A new one-time login code, usable for `ttlMs`. */
  issueLoginCode(ttlMs = LOGIN_CODE_TTL_MS): string {
    this.#sweep();
    const code = newSecret();
    this.#codes.set(digest(code), this.#now() + ttlMs);
    while (this.#codes.size > MAX_CODES) this.#codes.delete(this.#codes.keys().next().value!);
    return code;
  }

  /** Spends a login code: a new session id, or null for an unknown, used or expired code. */
  redeemLoginCode(code: string): string | null {
    if (code.length === 0 || code.length > 200) return null;
    const key = digest(code);
    const expires = this.#codes.get(key);
    if (expires === undefined) return null;
    this.#codes.delete(key);
    return expires > this.#now() ? this.createSession() : null;
  }

  /** A new session (after a login code or the admin token was checked); returns its id. */
  createSession(): string {
    this.#sweep();
    const id = newSecret();
    const now = this.#now();
    this.#sessions.set(digest(id), { csrf: newSecret(), createdAt: now, lastSeenAt: now });
    while (this.#sessions.size > MAX_SESSIONS) this.#sessions.delete(this.#sessions.keys().next().value!);
    return id;
  }

  /** Ends the session of this cookie header, if any. */
  endSession(cookieHeader: string): void {
    const id = this.sessionIdOf(cookieHeader);
    if (id !== null) this.#sessions.delete(digest(id));
  }

  /** The live session of a cookie header with its CSRF token, or null. */
  view(cookieHeader: string): SessionView | null {
    const found = this.#find(cookieHeader);
    if (found === null) return null;
    return { csrf: found.csrf, expires_at: new Date(this.#expiresAt(found)).toISOString() };
  }

  /** The session id in a `Cookie` header, or null. */
  sessionIdOf(cookieHeader: string): string | null {
    for (const part of cookieHeader.split(';')) {
      const eq = part.indexOf('=');
      if (eq > 0 && part.slice(0, eq).trim() === this.#cookieName) {
        const value = part.slice(eq + 1).trim();
        return value.length > 0 && value.length <= 200 ? value : null;
      }
    }
    return null;
  }

  /**
   * Checks a request that authenticates with the session cookie: a live session, this gateway's own
   * origin, and for anything but GET/HEAD the session's CSRF token. Throws 401 or 403.
   */
  check(r: SessionRequest): void {
    const session = this.#find(r.cookie);
    if (session === null) throw new LocalRouterError('LR_ERR_UNAUTHORIZED', 'no dashboard session (log in again with a login link or the admin token)');
    if (r.fetchSite !== '' && r.fetchSite !== 'same-origin') {
      throw new LocalRouterError('LR_ERR_FORBIDDEN', `dashboard session used from another site (Sec-Fetch-Site: ${r.fetchSite.slice(0, 40)})`);
    }
    if (r.origin !== '' && r.origin.toLowerCase() !== `http://${r.host.toLowerCase()}`) {
      throw new LocalRouterError('LR_ERR_FORBIDDEN', 'dashboard session used from another origin');
    }
    const method = r.method.toLowerCase();
    if (method !== 'get' && method !== 'head' && !sameSecret(r.csrf, session.csrf)) {
      throw new LocalRouterError('LR_ERR_FORBIDDEN', 'missing or wrong X-CSRF-Token for a dashboard session');
    }
    session.lastSeenAt = this.#now();
  }

  /** `Set-Cookie` for a new session id (HttpOnly, SameSite=Strict, the whole site). */
  setCookie(id: string): string {
    return `${this.#cookieName}=${id}; Path=/; HttpOnly; SameSite=Strict; Max-Age=${Math.floor(SESSION_MAX_MS / 1000)}`;
  }

  /** `Set-Cookie` that removes the session cookie. */
  clearCookie(): string {
    return `${this.#cookieName}=; Path=/; HttpOnly; SameSite=Strict; Max-Age=0`;
  }

  get size(): number {
    return this.#sessions.size;
  }

  #find(cookieHeader: string): Session | null {
    const id = this.sessionIdOf(cookieHeader);
    if (id === null) return null;
    const key = digest(id);
    const session = this.#sessions.get(key);
    if (session === undefined) return null;
    if (this.#expiresAt(session) <= this.#now()) {
      this.#sessions.delete(key);
      return null;
    }
    return session;
  }

  #expiresAt(s: Session): number {
    return Math.min(s.lastSeenAt + SESSION_IDLE_MS, s.createdAt + SESSION_MAX_MS);
  }

  #sweep(): void {
    const now = this.#now();
    for (const [k, s] of this.#sessions) if (this.#expiresAt(s) <= now) this.#sessions.delete(k);
    for (const [k, t] of this.#codes) if (t <= now) this.#codes.delete(k);
  }
}

function sameSecret(a: string, b: string): boolean {
  if (a.length === 0) return false;
  const x = createHash('sha256').update(a).digest();
  const y = createHash('sha256').update(b).digest();
  return timingSafeEqual(x, y);
}
