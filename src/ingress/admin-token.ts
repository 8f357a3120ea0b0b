import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import { chmodSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { LocalRouterError } from '../errors/index.js';
import type { HttpRequest } from 'uWebSockets.js';
import type { ClientTable } from './client-table.js';
import { bearerToken } from './bearer-token.js';
import { UiSessions } from './ui-sessions.js';

/** The admin token's file inside the data dir. */
export const ADMIN_TOKEN_FILE = 'admin-token';
const PREFIX = 'lra-';

/** `<home>/admin-token`. */
export function adminTokenPath(home: string): string {
  return path.join(path.resolve(home), ADMIN_TOKEN_FILE);
}

/**
 * The admin API token: read from `<home>/admin-token`, or created there on first start (`lra-` +
 * 32 random bytes, base64url; file mode 0600, tightened if someone loosened it). It is not an `lr-`
 * client key and client keys never work in its place.
 */
export function loadOrCreateAdminToken(home: string): string {
  const file = adminTokenPath(home);
  try {
    writeFileSync(file, `${PREFIX}${randomBytes(32).toString('base64url')}\n`, { mode: 0o600, flag: 'wx' });
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'EEXIST') {
      throw new LocalRouterError('LR_ERR_CONFIG_IO', `cannot create the admin token file ${file}: ${(err as Error).message}`, { cause: err });
    }
  }
  try {
    if ((statSync(file).mode & 0o077) !== 0) chmodSync(file, 0o600);
    const token = readFileSync(file, 'utf8').trim();
    if (token.length < 16) throw new Error('the file holds no token (delete it to get a new one)');
    return token;
  } catch (err) {
    throw new LocalRouterError('LR_ERR_CONFIG_IO', `cannot read the admin token file ${file}: ${(err as Error).message}`, { cause: err });
  }
}

const digest = (s: string): Buffer => createHash('sha256').update(s).digest();

/**
 * Checks admin routes: `Authorization: Bearer <admin token>`, or a dashboard session cookie (see
 * {@link UiSessions}) when the request carries no token at all.
 */
export class AdminAuth {
  readonly #digest: Buffer;
  /** Dashboard sessions; every AdminAuth of one gateway shares them. */
  readonly sessions: UiSessions;

  constructor(token: string, sessions: UiSessions = new UiSessions()) {
    this.#digest = digest(token);
    this.sessions = sessions;
  }

  /** True when `token` is the admin token. */
  isAdminToken(token: string): boolean {
    return timingSafeEqual(digest(token), this.#digest);
  }

  /**
   * The whole check of an admin request: the admin token when one is presented (a wrong one is
   * never excused by a cookie), else the dashboard session with its origin and CSRF rules.
   */
  checkRequest(req: HttpRequest, clients: ClientTable): void {
    const authorization = req.getHeader('authorization');
    const xApiKey = req.getHeader('x-api-key');
    const cookie = req.getHeader('cookie');
    if (authorization === '' && xApiKey === '' && cookie !== '' && this.sessions.sessionIdOf(cookie) !== null) {
      this.sessions.check({
        cookie, method: req.getMethod(), host: req.getHeader('host'), origin: req.getHeader('origin'),
        fetchSite: req.getHeader('sec-fetch-site'), csrf: req.getHeader('x-csrf-token'),
      });
      return;
    }
    this.check(authorization, xApiKey, clients);
  }

  /**
   * Throws 401 for a missing or wrong token and 403 for a client `lr-` key (or any key that
   * authenticates as a client): admin data is never readable with a client key.
   */
  check(authorization: string, xApiKey: string, clients: ClientTable): void {
    const presented = bearerToken(authorization) || xApiKey.trim();
    if (presented.length === 0) {
      throw new LocalRouterError('LR_ERR_UNAUTHORIZED', `missing admin token: send "Authorization: Bearer <token>" with the token from ${ADMIN_TOKEN_FILE} in the data directory`);
    }
    // Hashing both sides gives equal-length buffers, so the comparison is constant-time.
    if (timingSafeEqual(digest(presented), this.#digest)) return;
    if (presented.startsWith('lr-') || isClientKey(presented, clients)) {
      throw new LocalRouterError('LR_ERR_FORBIDDEN', 'client API keys cannot use the admin API; use the admin token');
    }
    throw new LocalRouterError('LR_ERR_UNAUTHORIZED', 'invalid admin token');
  }
}

function isClientKey(key: string, clients: ClientTable): boolean {
  try {
    clients.authenticate(`Bearer ${key}`, '');
    return true;
  } catch {
    return false;
  }
}
