import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bearerSeam, upstreamOAuthProvider } from '../../../src/mcp/upstream-oauth.js';
import type { McpOAuthState } from '../../../src/workers/index.js';

/**
 * Step-up through the v2 client's auth seam (a 2026-07-28 upstream), over the same scope ledger as
 * a legacy session: a 403 `insufficient_scope` the provider takes for a step-up is answered by the
 * seam's fetch with a renewal asking for the union of scopes and the request sent once more; a
 * widening the authorization server refuses fails the call once and is not asked for again.
 */
let server: http.Server;
let origin: string;
const tokenRequests: URLSearchParams[] = [];

beforeAll(async () => {
  server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      if (req.url === '/.well-known/oauth-authorization-server') {
        res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({
          issuer: origin, authorization_endpoint: `${origin}/authorize`, token_endpoint: `${origin}/token`, response_types_supported: ['code'],
          grant_types_supported: ['client_credentials', 'authorization_code'], code_challenge_methods_supported: ['S256'],
        }));
      } else if (req.url === '/token') {
        const body = new URLSearchParams(Buffer.concat(chunks).toString('utf8'));
        tokenRequests.push(body);
        // This authorization server never grants `admin`; anything else it grants as asked.
        const scope = body.get('scope') ?? '';
        if (scope.split(' ').includes('admin')) {
          res.writeHead(400, { 'content-type': 'application/json' }).end(JSON.stringify({ error: 'invalid_scope', error_description: 'admin is not for machines' }));
        } else {
          res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ access_token: `at-${tokenRequests.length}`, token_type: 'bearer', expires_in: 3600, scope }));
        }
      } else {
        res.writeHead(404).end();
      }
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

afterAll(async () => {
  server.closeAllConnections();
  await new Promise<void>((resolve) => server.close(() => resolve()));
});

const mcpUrl = (): string => `${origin}/mcp`;
const insufficient = (scope: string): string => `Bearer error="insufficient_scope", scope="${scope}"`;

/**
 * A server `fetch` answering 403 with this challenge to every token but those in `enough` (200
 * then), noting the Authorization header each request carried in `seen`.
 */
function refusing(challenge: string, seen: (string | null)[] = [], enough: (token: string | null) => boolean = () => false): (url: string | URL, init?: RequestInit) => Promise<Response> {
  return async (_url, init) => {
    const auth = new Headers(init?.headers).get('authorization');
    seen.push(auth);
    if (enough(auth)) return new Response('{"ok":true}', { status: 200 });
    return new Response('{"error":"insufficient_scope"}', { status: 403, headers: { 'www-authenticate': challenge } });
  };
}

function credentials(scope: string): Extract<McpOAuthState, { grant: 'client_credentials' }> {
  return { grant: 'client_credentials', clientId: 'm2m', clientSecret: 's3cret', scope, issuer: origin };
}

describe('step-up through the modern seam, client credentials', () => {
  it('a 403 insufficient_scope gets one token with the union of scopes and the request goes once more with it, which is kept', async () => {
    const saved: McpOAuthState[] = [];
    const provider = upstreamOAuthProvider('m2m', mcpUrl(), credentials('read'), (s) => saved.push(s), () => undefined);
    await provider.saveTokens({ access_token: 'at-0', token_type: 'bearer', expires_in: 3600, scope: 'read' });
    const seam = bearerSeam(provider, mcpUrl());
    const seen: (string | null)[] = [];
    const before = tokenRequests.length;
    const server = refusing(insufficient('read write'), seen, (auth) => auth !== 'Bearer at-0');
    const res = await seam.watchFetch(server)(mcpUrl(), { method: 'POST', body: '{}', headers: { authorization: 'Bearer at-0' } });
    expect(res.status).toBe(200);
    expect(tokenRequests.slice(before).map((b) => [b.get('grant_type'), b.get('scope')])).toEqual([['client_credentials', 'read write']]);
    const widened = `at-${tokenRequests.length}`;
    expect(seen).toEqual(['Bearer at-0', `Bearer ${widened}`]);
    expect(await seam.token()).toBe(widened);
    expect(saved).toMatchObject([{ grant: 'client_credentials', scope: 'read write' }]);
    // A request that was sent with the old token meanwhile (a concurrent call) goes once more with the new one, asking nothing.
    const late = await seam.watchFetch(server)(mcpUrl(), { method: 'POST', body: '{}', headers: { authorization: 'Bearer at-0' } });
    expect(late.status).toBe(200);
    expect(tokenRequests.length - before).toBe(1);
  });

  it('a widening the authorization server refuses fails the call saying so, without "needs login", and is not asked for again', async () => {
    let needsLogin = 0;
    const provider = upstreamOAuthProvider('m2m', mcpUrl(), credentials('read'), () => undefined, () => { needsLogin++; });
    await provider.saveTokens({ access_token: 'at-0', token_type: 'bearer', expires_in: 3600, scope: 'read' });
    const seam = bearerSeam(provider, mcpUrl());
    const before = tokenRequests.length;
    const seen: (string | null)[] = [];
    const err = await seam.watchFetch(refusing(insufficient('read admin'), seen))(mcpUrl(), { headers: { authorization: 'Bearer at-0' } }).then(() => null, (e: Error) => e);
    expect(err?.name).toBe('StepUpRefusedError');
    expect(err?.message).toMatch(/^the server asked for more scope "read admin" \(HTTP 403 insufficient_scope\) and LocalRouter could not get a token with it: admin is not for machines$/);
    expect(tokenRequests.slice(before).map((b) => b.get('scope'))).toEqual(['read admin']);
    expect(needsLogin).toBe(0);
    expect(seen).toEqual(['Bearer at-0']);
    // The same challenge again: left as the server's 403 (the transport fails the call with it), no token request.
    const again = await seam.watchFetch(refusing(insufficient('read admin')))(mcpUrl(), { headers: { authorization: 'Bearer at-0' } });
    expect(again.status).toBe(403);
    expect(tokenRequests.length - before).toBe(1);
    // The token it had still serves the other tools.
    expect(await seam.token()).toBe('at-0');
  });

  it('a 403 that is no scope challenge, or from another URL, is left as it is', async () => {
    const provider = upstreamOAuthProvider('m2m', mcpUrl(), credentials('read'), () => undefined, () => undefined);
    const seam = bearerSeam(provider, mcpUrl());
    expect((await seam.watchFetch(refusing('Bearer error="invalid_token", scope="read write"'))(mcpUrl(), {})).status).toBe(403);
    expect((await seam.watchFetch(refusing(insufficient('read write')))(`${origin}/other`, {})).status).toBe(403);
    expect((await seam.watchFetch(refusing('Bearer error="insufficient_scope"'))(mcpUrl(), {})).status).toBe(403);
  });
});

describe('step-up through the modern seam, a login by authorization code', () => {
  it('a 403 insufficient_scope fails with "needs login" for the union of scopes, marks the step-up, and spends no refresh token', async () => {
    const marks: (boolean | undefined)[] = [];
    const saved: McpOAuthState[] = [];
    const state: McpOAuthState = {
      grant: 'authorization_code', client: { client_id: `c-${Math.random()}` }, clientMetadata: { client_name: 'LocalRouter', redirect_uris: ['http://127.0.0.1:1/callback'] },
      redirectUrl: 'http://127.0.0.1:1/callback', tokens: { access_token: 'at-login', refresh_token: 'rt-login', token_type: 'bearer', expires_in: 3600, scope: 'read', issuer: origin },
      obtainedAt: Date.now() - 60_000, scope: 'read',
    };
    const provider = upstreamOAuthProvider('stepper', mcpUrl(), state, (s) => saved.push(s), (stepUp) => marks.push(stepUp));
    const seam = bearerSeam(provider, mcpUrl());
    const before = tokenRequests.length;
    const seen: (string | null)[] = [];
    const err = await seam.watchFetch(refusing(insufficient('read admin'), seen))(mcpUrl(), { headers: { authorization: 'Bearer at-login' } }).then(() => null, (e: Error) => e);
    expect(err?.name).toBe('NeedsLoginError');
    expect(err?.message).toBe('MCP server "stepper" needs an OAuth login asking for scope "read admin" (the server asks for more scope than the login was granted): run "localrouter mcp login stepper"');
    expect(marks).toEqual([true]);
    expect(tokenRequests.length).toBe(before);
    expect(seen).toEqual(['Bearer at-login']);
    expect(saved.at(-1)).toMatchObject({ stepUpScope: 'read admin', tokens: { refresh_token: 'rt-login' } });
    // The login still serves the tools its scope covers.
    expect(await seam.token()).toBe('at-login');
  });
});
