import { LocalRouterError } from '../errors/index.js';
import { START_LOGIN_TTL_MS, type AdminAuth, type Routes } from '../ingress/index.js';
import { adminRoute, answer, stringField, type AdminCall } from './admin-handler.js';

/** How long a login code asked for through the API stays usable. */
const API_LOGIN_TTL_MS = 10 * 60_000;
/** Wrong admin tokens per minute the login form accepts, so it cannot be used to guess. */
const LOGINS_PER_MINUTE = 10;

/**
 * The dashboard's session calls:
 * - `GET /api/session`: `{ authenticated, csrf, expires_at }` for the session cookie of this origin;
 * - `POST /api/session` `{ token }`: logs in with the admin token, sets the session cookie;
 * - `POST /api/session/logout`: ends the session (CSRF token required), clears the cookie;
 * - `POST /api/session/login-code` (admin): a new one-time login URL, valid for 10 minutes.
 */
export function sessionRoutes(auth: AdminAuth): Routes {
  const sessions = auth.sessions;
  const whoami = (call: AdminCall): unknown => {
    try {
      sessions.check({ cookie: call.cookie, method: 'get', host: call.host, origin: call.origin, fetchSite: call.fetchSite, csrf: '' });
    } catch {
      return { authenticated: false };
    }
    const view = sessions.view(call.cookie);
    if (view === null) return { authenticated: false };
    return { authenticated: true, ...view };
  };
  const login = (call: AdminCall): unknown => {
    const guard = call.state.limiter.admit('admin-login', [{ kind: 'requests', window: 'minute', max: LOGINS_PER_MINUTE }], { requests: 1 });
    if (!guard.ok) throw new LocalRouterError('LR_ERR_RATE_LIMITED', 'too many login attempts; wait a minute');
    const token = stringField(call.body, 'token', { max: 500 })!.trim();
    if (!auth.isAdminToken(token)) throw new LocalRouterError('LR_ERR_UNAUTHORIZED', 'that is not the admin token (see the admin-token file in the data directory)');
    const id = sessions.createSession();
    return answer({ body: { authenticated: true, ...sessions.view(`${sessions.cookieName}=${id}`) }, headers: [['set-cookie', sessions.setCookie(id)]] });
  };
  const logout = (call: AdminCall): unknown => {
    sessions.endSession(call.cookie);
    return answer({ body: { authenticated: false }, headers: [['set-cookie', sessions.clearCookie()]] });
  };
  const loginCode = (call: AdminCall): unknown => {
    const code = sessions.issueLoginCode(API_LOGIN_TTL_MS);
    return { url: loginUrl(`http://${call.host}`, code), expires_in_s: API_LOGIN_TTL_MS / 1000 };
  };
  return {
    '/api/session': { get: adminRoute(auth, '/api/session', whoami, true), post: adminRoute(auth, '/api/session', login, true) },
    '/api/session/logout': { post: adminRoute(auth, '/api/session/logout', logout) },
    '/api/session/login-code': { post: adminRoute(auth, '/api/session/login-code', loginCode) },
  };
}

/** The one-time login URL for an origin (`http://127.0.0.1:3625`). */
export function loginUrl(origin: string, code: string): string {
  return `${origin}/?login=${code}`;
}

/** A login code for the start banner: one use, valid for a day. */
export function startLoginCode(auth: AdminAuth): string {
  return auth.sessions.issueLoginCode(START_LOGIN_TTL_MS);
}
