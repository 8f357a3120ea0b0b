import type { HttpRequest, HttpResponse } from 'uWebSockets.js';
import { hashClientKey, safeEqualHex } from '../secrets/index.js';
import type { GatewayState } from './gateway-state.js';
import { readBody, writeJson, writeResponse, type HeaderPairs } from './http-io.js';

/** Token requests per remote address and minute: enough for real clients, too few for guessing keys. */
const ATTEMPTS_PER_MINUTE = 20;
const NO_STORE: HeaderPairs = [['cache-control', 'no-store'], ['pragma', 'no-cache']];

/**
 * `POST /oauth/token`, the OAuth 2.0 client-credentials grant (RFC 6749 §4.4): the client id and its
 * `lr-` key as the secret, in an HTTP Basic header, form fields or JSON. Answers a short-lived bearer
 * token accepted wherever a key is. Errors use the RFC's shape (`error`, `error_description`).
 */
export function handleOAuthToken(state: GatewayState, res: HttpResponse, req: HttpRequest, cors: HeaderPairs): void {
  const basic = req.getHeader('authorization');
  const contentType = req.getHeader('content-type');
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
    if (form.grant_type !== 'client_credentials') {
      return writeJson(res, 400, { error: 'unsupported_grant_type', error_description: 'only grant_type=client_credentials is supported' }, headers);
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
