/** The admin API as the dashboard calls it: same origin, session cookie, CSRF token on every change. */

export class ApiError extends Error {
  readonly status: number;
  constructor(status: number, message: string) {
    super(message);
    this.status = status;
  }
}

let csrf = '';
let onLoggedOut: () => void = () => {};

/** Called when a call answers 401: the session ended (expired, logged out elsewhere, restart). */
export function setLoggedOutHandler(fn: () => void): void {
  onLoggedOut = fn;
}

export interface SessionInfo {
  authenticated: boolean;
  csrf?: string;
  expires_at?: string;
}

async function parse<T>(res: Response): Promise<T> {
  const text = await res.text();
  let body: unknown = null;
  try {
    body = text === '' ? null : JSON.parse(text);
  } catch {
    throw new ApiError(res.status, `unexpected answer (${res.status})`);
  }
  if (!res.ok) {
    const message = (body as { error?: { message?: string } } | null)?.error?.message ?? `HTTP ${res.status}`;
    if (res.status === 401) onLoggedOut();
    throw new ApiError(res.status, message);
  }
  return body as T;
}

/** The current session (also picks up its CSRF token). */
export async function getSession(): Promise<SessionInfo> {
  const s = await parse<SessionInfo>(await fetch('/api/session', { credentials: 'same-origin' }));
  csrf = s.csrf ?? '';
  return s;
}

export async function loginWithToken(token: string): Promise<SessionInfo> {
  const s = await parse<SessionInfo>(await fetch('/api/session', {
    method: 'POST', credentials: 'same-origin', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ token }),
  }));
  csrf = s.csrf ?? '';
  return s;
}

export async function logout(): Promise<void> {
  await api('/api/session/logout', { method: 'POST' });
  csrf = '';
}

export interface CallOptions {
  method?: 'GET' | 'POST' | 'DELETE';
  body?: unknown;
  signal?: AbortSignal;
}

/** One admin call; throws {@link ApiError} with the gateway's message. */
export async function api<T>(path: string, opts: CallOptions = {}): Promise<T> {
  const method = opts.method ?? 'GET';
  const headers: Record<string, string> = {};
  if (method !== 'GET') headers['x-csrf-token'] = csrf;
  if (opts.body !== undefined) headers['content-type'] = 'application/json';
  const res = await fetch(path, {
    method, headers, credentials: 'same-origin', signal: opts.signal,
    body: opts.body === undefined ? undefined : JSON.stringify(opts.body),
  });
  return parse<T>(res);
}

/** `?a=1&b=2` from the non-empty entries. */
export function qs(params: Record<string, string | number | undefined | null>): string {
  const u = new URLSearchParams();
  for (const [k, v] of Object.entries(params)) if (v !== undefined && v !== null && v !== '') u.set(k, String(v));
  const s = u.toString();
  return s === '' ? '' : `?${s}`;
}

const clientTokens = new Map<string, { token: string; until: number }>();

/**
 * A short-lived bearer token of a client (`POST /api/try-token`), renewed before it runs out: the
 * try-it panels call `/v1` and `/mcp` as that client, under its strategy, without its key.
 */
export async function clientToken(client: string): Promise<string> {
  const hit = clientTokens.get(client);
  if (hit && hit.until > Date.now() + 30_000) return hit.token;
  const t = await api<{ token: string; expires_in: number }>('/api/try-token', { method: 'POST', body: { client } });
  clientTokens.set(client, { token: t.token, until: Date.now() + t.expires_in * 1000 });
  return t.token;
}
