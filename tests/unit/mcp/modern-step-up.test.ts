import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bearerSeam, upstreamOAuthProvider } from '../../../src/mcp/upstream-oauth.js';
import type { McpOAuthState } from '../../../src/workers/index.js';

/**
 * Step-up through the v2 client's auth seam (a 2026-07-28 upstream), over the same scope ledger as
 * a legacy session: a 403 `insufficient_scope` the provider takes for a step-up reaches the
 * transport as a 401 (its re-authorization path), the renewal asks for the union of scopes, and a
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

/** A server `fetch` answering 403 with this challenge, and the Authorization header each request carried. */
function refusing(challenge: string, seen: (string | null)[] = []): (url: string | URL, init?: RequestInit) => Promise<Response> {
  return async (_url, init) => {
    seen.push(new Headers(init?.headers).get('authorization'));
    return new Response('{"error":"insufficient_scope"}', { status: 403, headers: { 'www-authenticate': challenge } });
  };
}

function credentials(scope: string): Extract<McpOAuthState, { grant: 'client_credentials' }> {
  return { grant: 'client_credentials', clientId: 'm2m', clientSecret: 's3cret', scope, issuer: origin };
}

describe('step-up through the modern seam, client credentials', () => {
  it('a 403 insufficient_scope becomes a 401 whose renewal asks for the union; a token with it is kept', async () => {
    const saved: McpOAuthState[] = [];
    const provider = upstreamOAuthProvider('m2m', mcpUrl(), credentials('read'), (s) => saved.push(s), () => undefined);
    await provider.saveTokens({ access_token: 'at-0', token_type: 'bearer', expires_in: 3600, scope: 'read' });
    const seam = bearerSeam(provider, mcpUrl());
    const res = await seam.watchFetch(refusing(insufficient('read write')))(mcpUrl(), { headers: { authorization: 'Bearer at-0' } });
    expect(res.status).toBe(401);
    const before = tokenRequests.length;
    await seam.onUnauthorized({ response: res, serverUrl: new URL(mcpUrl()), fetchFn: fetch });
    expect(tokenRequests.slice(before).map((b) => [b.get('grant_type'), b.get('scope')])).toEqual([['client_credentials', 'read write']]);
    expect(await seam.token()).toBe(`at-${tokenRequests.length}`);
    expect(saved).toMatchObject([{ grant: 'client_credentials', scope: 'read write' }]);
  });

  it('a widening the authorization server refuses fails the call saying so, without "needs login", and is not asked for again', async () => {
    let needsLogin = 0;
    const provider = upstreamOAuthProvider('m2m', mcpUrl(), credentials('read'), () => undefined, () => { needsLogin++; });
    await provider.saveTokens({ access_token: 'at-0', token_type: 'bearer', expires_in: 3600, scope: 'read' });
    const seam = bearerSeam(provider, mcpUrl());
    const before = tokenRequests.length;
    const first = await seam.watchFetch(refusing(insufficient('read admin')))(mcpUrl(), { headers: { authorization: 'Bearer at-0' } });
    expect(first.status).toBe(401);
    const err = await seam.onUnauthorized({ response: first, serverUrl: new URL(mcpUrl()), fetchFn: fetch }).then(() => null, (e: Error) => e);
    expect(err?.name).toBe('StepUpRefusedError');
    expect(err?.message).toMatch(/^the server asked for more scope "read admin" \(HTTP 403 insufficient_scope\) and LocalRouter could not get a token with it: admin is not for machines$/);
    expect(tokenRequests.slice(before).map((b) => b.get('scope'))).toEqual(['read admin']);
    expect(needsLogin).toBe(0);
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
    const res = await seam.watchFetch(refusing(insufficient('read admin')))(mcpUrl(), { headers: { authorization: 'Bearer at-login' } });
    expect(res.status).toBe(401);
    const before = tokenRequests.length;
    const err = await seam.onUnauthorized({ response: res, serverUrl: new URL(mcpUrl()), fetchFn: fetch }).then(() => null, (e: Error) => e);
    expect(err?.name).toBe('NeedsLoginError');
    expect(err?.message).toBe('MCP server "stepper" needs an OAuth login asking for scope "read admin" (the server asks for more scope than the login was granted): run "localrouter mcp login stepper"');
    expect(marks).toEqual([true]);
    expect(tokenRequests.length).toBe(before);
    expect(saved.at(-1)).toMatchObject({ stepUpScope: 'read admin', tokens: { refresh_token: 'rt-login' } });
    // The login still serves the tools its scope covers.
    expect(await seam.token()).toBe('at-login');
  });
});
