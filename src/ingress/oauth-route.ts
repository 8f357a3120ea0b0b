import type { HttpRequest, HttpResponse } from 'uWebSockets.js';
import { hashClientKey, safeEqualHex } from '../secrets/index.js';
import type { AdminAuth } from './admin-token.js';
import type { Routes } from './app.js';
import type { GatewayState } from './gateway-state.js';
import { readBody, writeJson, writeResponse, type HeaderPairs } from './http-io.js';
import { authorizeGet, authorizePost, onThisGateway } from './oauth-authorize.js';
import { LoginGrants, pkceMatches } from './oauth-login.js';

/** Token requests per remote address and minute: enough for real clients, too few for guessing keys. */
const ATTEMPTS_PER_MINUTE = 20;
const NO_STORE: HeaderPairs = [['cache-control', 'no-store'], ['pragma', 'no-cache']];

/**
 * The gateway's OAuth authorization server: `POST /oauth/token` and the browser login's
 * `/oauth/authorize` (GET: the consent page, POST: its answer), sharing the login's consents and
 * codes. The admin's token and dashboard sessions (`auth`) are what may approve a login.
 */
export function oauthRoutes(auth: AdminAuth, grants: LoginGrants = new LoginGrants()): Routes {
  return {
    '/oauth/token': { post: (state, res, req, cors) => handleOAuthToken(state, res, req, cors, grants) },
    '/oauth/authorize': { get: authorizeGet(auth, grants), post: authorizePost(auth, grants) },
  };
}

/**
 * `POST /oauth/token` (RFC 6749 §3.2). Two grants, each answering a short-lived bearer token
 * accepted wherever the client's key is:
 * - `client_credentials` (§4.4), for agents: the client id and its `lr-` key as the secret, in an
 *   HTTP Basic header, form fields or JSON;
 * - `authorization_code` (§4.1.3), for the browser login: the one-time code, the same
 *   `redirect_uri` and `client_id`, and the PKCE `code_verifier` (a public client needs no secret;
 *   one that sends its key must send the right one).
 * Errors use the RFC's shape (`error`, `error_description`).
 */
export function handleOAuthToken(state: GatewayState, res: HttpResponse, req: HttpRequest, cors: HeaderPairs, grants: LoginGrants | null = null): void {
  const basic = req.getHeader('authorization');
  const contentType = req.getHeader('content-type');
  const host = req.getHeader('host');
  const remote = Buffer.from(res.getRemoteAddressAsText()).toString();
  const headers = [...cors, ...NO_STORE];
  const guard = state.limiter.admit(`oauth:${remote}`, [{ kind: 'requests', window: 'minute', max: ATTEMPTS_PER_MINUTE }], { requests: 1 });
  if (!guard.ok) {
    writeJson(res, 429, { error: 'slow_down', error_description: 'too many token requests from this address' },
      [...headers, ['retry-after', String(Math.ceil(guard.retryAfterMs / 1000))]]);
    return;
  }
  let aborted = false;
  res.onAborted(() => { aborted = true; });
  readBody(res, 64 * 1024, (err, raw) => {
    if (aborted) return;
    if (err) return writeResponse(res, err.status, 'application/json', JSON.stringify({ error: 'invalid_request', error_description: err.message }), headers, true);
    const form = parseForm(raw!.toString('utf8'), contentType);
    if (form === null) return writeJson(res, 400, { error: 'invalid_request', error_description: 'body must be form-encoded or JSON' }, headers);
    const creds = fromBasic(basic) ?? { id: form.client_id ?? '', secret: form.client_secret ?? '' };
    if (form.grant_type === 'authorization_code' && grants !== null) {
      const answer = exchangeCode(state, grants, form, creds, `http://${host.length > 0 ? host : 'localhost'}`);
      return writeJson(res, answer.status, answer.body, answer.status === 401 ? [...headers, ['www-authenticate', 'Basic realm="localrouter"']] : headers);
    }
    if (form.grant_type !== 'client_credentials') {
      const supported = grants !== null ? 'client_credentials or authorization_code' : 'client_credentials';
      return writeJson(res, 400, { error: 'unsupported_grant_type', error_description: `only grant_type=${supported} is supported` }, headers);
    }
    const tables = state.tables;
    const found = tables.clients.byId(creds.id);
    if (!found || creds.secret.length === 0 || !safeEqualHex(found.keyHash, hashClientKey(creds.secret))) {
      return writeJson(res, 401, { error: 'invalid_client', error_description: 'unknown client, wrong secret, or client disabled' },
        [...headers, ['www-authenticate', 'Basic realm="localrouter"']]);
    }
    const { token, expiresIn } = state.tokens.issue(creds.id, found.keyHash, tables.server.oauth_token_ttl_s);
    writeJson(res, 200, { access_token: token, token_type: 'Bearer', expires_in: expiresIn }, headers);
  });
}

/**
 * The authorization code grant: the code works once (spent even when the exchange fails), for the
 * client, redirect URI and PKCE verifier it was issued to, while that client still may log in with
 * the key it had at approval. Its tokens are the client's own (rotating the key or disabling the
 * client ends them).
 */
function exchangeCode(state: GatewayState, grants: LoginGrants, form: Record<string, string>, creds: { id: string; secret: string }, issuer: string): { status: number; body: object } {
  const invalid = (description: string): { status: number; body: object } => ({ status: 400, body: { error: 'invalid_grant', error_description: description } });
  const grant = grants.redeemCode(form.code ?? '');
  if (grant === null) return invalid('unknown, used or expired authorization code');
  if (creds.id !== grant.clientId) return invalid('the code was issued to another client');
  if ((form.redirect_uri ?? '') !== grant.redirectUri) return invalid('redirect_uri differs from the authorization request\'s');
  if (!pkceMatches(form.code_verifier ?? '', grant.codeChallenge)) return invalid('code_verifier does not match the code_challenge (PKCE S256)');
  if (form.resource !== undefined && (form.resource !== (grant.resource ?? form.resource) || !onThisGateway(form.resource, issuer))) {
    return { status: 400, body: { error: 'invalid_target', error_description: 'the resource differs from the authorization request\'s' } };
  }
  const client = state.tables.clients.loginClient(grant.clientId);
  if (client === null || !safeEqualHex(client.keyHash, grant.keyHash)) return invalid('the client may no longer log in (disabled, key rotated or oauth_login removed)');
  if (creds.secret.length > 0 && !safeEqualHex(client.keyHash, hashClientKey(creds.secret))) {
    return { status: 401, body: { error: 'invalid_client', error_description: 'wrong client secret' } };
  }
  const { token, expiresIn } = state.tokens.issue(client.id, client.keyHash, state.tables.server.oauth_token_ttl_s);
  return { status: 200, body: { access_token: token, token_type: 'Bearer', expires_in: expiresIn } };
}

function parseForm(text: string, contentType: string): Record<string, string> | null {
  if (/^application\/json\b/i.test(contentType)) {
    try {
      const v = JSON.parse(text) as unknown;
      if (typeof v !== 'object' || v === null || Array.isArray(v)) return null;
      return Object.fromEntries(Object.entries(v).filter(([, x]) => typeof x === 'string')) as Record<string, string>;
    } catch {
      return null;
    }
  }
  return Object.fromEntries(new URLSearchParams(text));
}

function fromBasic(header: string): { id: string; secret: string } | null {
  if (!/^basic /i.test(header)) return null;
  const decoded = Buffer.from(header.slice(6).trim(), 'base64').toString('utf8');
  const colon = decoded.indexOf(':');
  if (colon < 0) return null;
  // RFC 6749 §2.3.1: both parts are form-urlencoded inside Basic; a malformed escape is no credential.
  try {
    return { id: decodeURIComponent(decoded.slice(0, colon)), secret: decodeURIComponent(decoded.slice(colon + 1)) };
  } catch {
    return null;
  }
}
