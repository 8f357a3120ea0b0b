import type { HttpRequest, HttpResponse } from 'uWebSockets.js';
import { toLocalRouterError } from '../errors/index.js';
import type { AdminAuth } from './admin-token.js';
import type { ClientTable, LoginClient } from './client-table.js';
import type { GatewayState } from './gateway-state.js';
import { readBody, writeResponse, type HeaderPairs } from './http-io.js';
import { redirectAllowed, type LoginGrants, type LoginRequest } from './oauth-login.js';

/** The longest query value or form field read (a `state` or a URI longer than this is no real client's). */
const MAX_PARAM = 2048;
/** An S256 challenge is the base64url SHA-256 of the verifier: 43 characters. */
const S256_CHALLENGE = /^[A-Za-z0-9_-]{43}$/;
/**
 * `same-origin`, not `no-referrer`: under `no-referrer` a browser sends `Origin: null` with the
 * form's POST, which the origin checks refuse; the cross-site redirect after it still gets no referrer.
 */
const PAGE_HEADERS: HeaderPairs = [
  ['cache-control', 'no-store'], ['x-frame-options', 'DENY'], ['referrer-policy', 'same-origin'], ['x-content-type-options', 'nosniff'],
];

/**
 * `GET /oauth/authorize`, the authorization endpoint of the browser login (authorization code with
 * PKCE S256, RFC 6749 §4.1 and RFC 7636), for MCP clients that log in as a configured client (one
 * with `oauth_login`). The request is checked before anything is shown: an unknown client or a
 * redirect URI that is neither loopback nor listed gets an error page and never a redirect (RFC 6749
 * §4.1.2.1); other faults go back to the client as OAuth errors. Then someone must approve it: the
 * consent page is shown only with the admin's dashboard session (or the admin token); anyone else
 * learns how to sign in. The page has no script, forbids framing, and its form carries the
 * session's CSRF token.
 */
export function authorizeGet(auth: AdminAuth, grants: LoginGrants): (state: GatewayState, res: HttpResponse, req: HttpRequest, cors: HeaderPairs) => void {
  return (state, res, req) => {
    const host = req.getHeader('host');
    const issuer = `http://${host.length > 0 ? host : 'localhost'}`;
    const query = req.getQuery() ?? '';
    const clients = state.tables.clients;
    const checked = checkAuthorizeRequest(new URLSearchParams(query), clients, issuer);
    if (checked.kind === 'refused') return writePage(res, 400, 'Login refused', `<p>${esc(checked.reason)}</p>`, []);
    if (checked.kind === 'error') return redirectTo(res, errorRedirect(checked.request, checked.error, checked.description));
    const admin = adminOf(auth, clients, req);
    if (admin.kind === 'none') {
      // A session cookie (SameSite=Strict) is not sent on a navigation another site started; a link on this page is same-site.
      const again = `/oauth/authorize?${query}`;
      return writePage(res, 401, 'Approval needed', `<p>${esc(checked.client.name)} asks to use LocalRouter. The gateway's admin must approve it here.</p>`
        + `<p>${esc(admin.reason)}</p><p>Sign in to the dashboard in this browser (<code>localrouter ui</code> prints a login link), then <a href="${esc(again)}">continue</a>.</p>`, []);
    }
    const id = grants.pend(checked.request);
    writePage(res, 200, `Allow ${checked.client.name}?`, consentForm(checked.client, checked.request, id, admin.csrf, state.tables.server.oauth_token_ttl_s), [redirectOrigin(checked.request.redirectUri)]);
  };
}

/**
 * `POST /oauth/authorize`: the consent form's answer. A cookie-authenticated answer must come from
 * this gateway's own page (Origin, `Sec-Fetch-Site`) with the session's CSRF token; the admin token
 * in `Authorization` answers without a page (scripts, tests). The request it answers works once.
 * Approved: a one-time code goes to the redirect URI with `state` and `iss` (RFC 9207); denied:
 * `access_denied`.
 */
export function authorizePost(auth: AdminAuth, grants: LoginGrants): (state: GatewayState, res: HttpResponse, req: HttpRequest, cors: HeaderPairs) => void {
  return (state, res, req) => {
    const head = {
      authorization: req.getHeader('authorization'), xApiKey: req.getHeader('x-api-key'), cookie: req.getHeader('cookie'), host: req.getHeader('host'),
      origin: req.getHeader('origin'), fetchSite: req.getHeader('sec-fetch-site'),
    };
    let aborted = false;
    res.onAborted(() => { aborted = true; });
    readBody(res, 16 * 1024, (err, raw) => {
      if (aborted) return;
      if (err) return writePage(res, err.status, 'Login refused', `<p>${esc(err.message)}</p>`, [], true);
      const form = new URLSearchParams(raw!.toString('utf8'));
      const clients = state.tables.clients;
      try {
        if (head.authorization !== '' || head.xApiKey !== '') auth.check(head.authorization, head.xApiKey, clients);
        else auth.sessions.check({ cookie: head.cookie, method: 'POST', host: head.host, origin: head.origin, fetchSite: head.fetchSite, csrf: form.get('csrf') ?? '' });
      } catch (e) {
        const failure = toLocalRouterError(e);
        return writePage(res, failure.status, 'Login refused', `<p>Only the gateway's admin can answer a login: ${esc(failure.message)}</p>`, []);
      }
      const request = grants.takePending(form.get('request') ?? '');
      if (request === null) return writePage(res, 400, 'Login expired', '<p>This login was already answered or has expired. Start it again from the client.</p>', []);
      if (form.get('decision') !== 'approve') return redirectTo(res, errorRedirect(request, 'access_denied', 'the gateway\'s admin denied the login'));
      // The config may have changed while the page was open.
      const client = clients.loginClient(request.clientId);
      if (client === null || !redirectAllowed(request.redirectUri, client.redirectUris)) {
        return writePage(res, 400, 'Login refused', '<p>This client may no longer log in through the browser (config changed).</p>', []);
      }
      const code = grants.issueCode({ ...request, keyHash: client.keyHash });
      redirectTo(res, redirectWith(request, { code }));
    });
  };
}

type Checked =
  | { kind: 'refused'; reason: string }
  | { kind: 'error'; request: LoginRequest; error: string; description: string }
  | { kind: 'ok'; request: LoginRequest; client: LoginClient };

/** The authorization request's checks, in the order RFC 6749 §4.1.2.1 asks: client and redirect first, the rest answered on the redirect. */
function checkAuthorizeRequest(q: URLSearchParams, clients: ClientTable, issuer: string): Checked {
  for (const [name, value] of q) {
    if (value.length > MAX_PARAM) return { kind: 'refused', reason: `the parameter ${name.slice(0, 40)} is longer than ${MAX_PARAM} characters` };
  }
  const clientId = q.get('client_id') ?? '';
  const client = clients.loginClient(clientId);
  if (client === null) {
    return { kind: 'refused', reason: `"${clientId.slice(0, 80)}" is not a client that may log in through the browser: the admin lists it with oauth_login in the config (a client id such as c_...).` };
  }
  const redirectUri = q.get('redirect_uri') ?? '';
  if (!redirectAllowed(redirectUri, client.redirectUris)) {
    return { kind: 'refused', reason: 'the redirect_uri is neither listed for this client (oauth_login.redirect_uris) nor a loopback IP literal (http://127.0.0.1 or http://[::1], any port, at the path of the loopback redirect URIs listed if any; localhost only if listed, on any port when listed without one).' };
  }
  const resources = q.getAll('resource');
  const request: LoginRequest = {
    clientId, redirectUri, state: q.get('state'), codeChallenge: q.get('code_challenge') ?? '', resource: resources[0] ?? null, issuer,
  };
  const fail = (error: string, description: string): Checked => ({ kind: 'error', request, error, description });
  if (q.get('response_type') !== 'code') return fail('unsupported_response_type', 'only response_type=code is supported');
  if (q.get('code_challenge_method') !== 'S256' || !S256_CHALLENGE.test(request.codeChallenge)) {
    return fail('invalid_request', 'PKCE is required: code_challenge (S256, 43 characters) and code_challenge_method=S256');
  }
  if (resources.length > 1 || (request.resource !== null && !onThisGateway(request.resource, issuer))) {
    return fail('invalid_target', 'the resource must be this gateway (for example its /mcp endpoint)');
  }
  return { kind: 'ok', request, client };
}

/** True when `resource` is a URL on the gateway's own origin (RFC 8707: tokens are for this gateway). */
export function onThisGateway(resource: string, issuer: string): boolean {
  try {
    const url = new URL(resource);
    return url.origin === new URL(issuer).origin && url.hash === '';
  } catch {
    return false;
  }
}

type Admin = { kind: 'token'; csrf: '' } | { kind: 'session'; csrf: string } | { kind: 'none'; reason: string };

/** Who shows the consent page: the admin token (in `Authorization`), a live dashboard session, or nobody who may approve. */
function adminOf(auth: AdminAuth, clients: ClientTable, req: HttpRequest): Admin {
  const authorization = req.getHeader('authorization');
  const xApiKey = req.getHeader('x-api-key');
  if (authorization !== '' || xApiKey !== '') {
    try {
      auth.check(authorization, xApiKey, clients);
      return { kind: 'token', csrf: '' };
    } catch (err) {
      return { kind: 'none', reason: toLocalRouterError(err).message };
    }
  }
  const session = auth.sessions.view(req.getHeader('cookie'));
  return session === null ? { kind: 'none', reason: 'This browser has no dashboard session of this gateway.' } : { kind: 'session', csrf: session.csrf };
}

function consentForm(client: LoginClient, request: LoginRequest, id: string, csrf: string, ttlS: number): string {
  const rows: [string, string][] = [
    ['Client', `${client.name} (${client.id})`], ['Strategy', client.strategy ?? 'the default strategy'], ['Sends the code to', request.redirectUri],
    ['For', request.resource ?? request.issuer], ['Token lifetime', `${ttlS} s`],
  ];
  return `<p>An application asks to act as the LocalRouter client <strong>${esc(client.name)}</strong>: with its models, MCP servers and limits. `
    + 'Approve only if you started this login yourself.</p>'
    + `<dl>${rows.map(([k, v]) => `<dt>${esc(k)}</dt><dd>${esc(v)}</dd>`).join('')}</dl>`
    + '<form method="post" action="/oauth/authorize">'
    + `<input type="hidden" name="request" value="${esc(id)}"><input type="hidden" name="csrf" value="${esc(csrf)}">`
    + '<button type="submit" name="decision" value="approve">Approve</button> <button type="submit" name="decision" value="deny">Deny</button>'
    + '</form>';
}

/**
 * An HTML page: no script, no styles, no framing. `formTargets` are origins the page's form may end
 * on besides its own (the approval redirects there, and CSP `form-action` covers redirects).
 */
function writePage(res: HttpResponse, status: number, title: string, body: string, formTargets: string[], close = false): void {
  const csp = `default-src 'none'; form-action 'self'${formTargets.map((o) => ` ${o}`).join('')}; frame-ancestors 'none'; base-uri 'none'`;
  const html = `<!doctype html><html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width"><title>${esc(title)} - LocalRouter</title></head>`
    + `<body><h1>${esc(title)}</h1>${body}</body></html>\n`;
  writeResponse(res, status, 'text/html; charset=utf-8', html, [...PAGE_HEADERS, ['content-security-policy', csp]], close);
}

function redirectOrigin(uri: string): string {
  return new URL(uri).origin;
}

/** The redirect URI with `extra`, the client's `state` and `iss` (RFC 9207) added to its query. */
function redirectWith(request: LoginRequest, extra: Record<string, string>): string {
  const url = new URL(request.redirectUri);
  for (const [k, v] of Object.entries(extra)) url.searchParams.set(k, v);
  if (request.state !== null) url.searchParams.set('state', request.state);
  url.searchParams.set('iss', request.issuer);
  return url.href;
}

function errorRedirect(request: LoginRequest, error: string, description: string): string {
  return redirectWith(request, { error, error_description: description });
}

/** 303: the browser follows with a GET, whatever method brought it here. */
function redirectTo(res: HttpResponse, location: string): void {
  writeResponse(res, 303, 'text/plain; charset=utf-8', '', [...PAGE_HEADERS, ['location', location]]);
}

function esc(s: string): string {
  return s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}
