import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { describe, expect, it, vi } from 'vitest';
import type { McpOAuthState } from '../../../src/workers/index.js';
import { NeedsLoginError, scopeTokens, scopeUnion, upstreamOAuthProvider, watchScopeChallenges } from '../../../src/mcp/upstream-oauth.js';

/**
 * Step-up authorization in the upstream OAuth clients (the SDK's own providers, subclassed): which
 * challenges widen the scope, what a client-credentials token request then asks for, what is kept,
 * and how a login by authorization code is marked for a new login instead of refreshed.
 */
const SERVER = 'http://127.0.0.1:9/mcp';
const RESOURCE_METADATA = 'http://127.0.0.1:9/.well-known/oauth-protected-resource/mcp';

/** A `fetch` answering every request with `status` and this challenge. */
function answering(status: number, challenge: string): typeof fetch {
  return (async () => new Response('{}', { status, headers: { 'www-authenticate': challenge } })) as typeof fetch;
}

const insufficient = (scope: string): string => `Bearer error="insufficient_scope", scope="${scope}", resource_metadata="${RESOURCE_METADATA}"`;

function credentials(scope: string | null): Extract<McpOAuthState, { grant: 'client_credentials' }> {
  return { grant: 'client_credentials', clientId: 'm2m', clientSecret: 's3cret', scope, issuer: 'http://127.0.0.1:9/' };
}

function login(scope: string | null, expiresIn = 3600): Extract<McpOAuthState, { grant: 'authorization_code' }> {
  return {
    grant: 'authorization_code', client: { client_id: `c-${Math.random()}` }, clientMetadata: { client_name: 'LocalRouter', redirect_uris: ['http://127.0.0.1:1/callback'] },
    redirectUrl: 'http://127.0.0.1:1/callback', tokens: { access_token: 'at', refresh_token: 'rt', token_type: 'bearer', expires_in: expiresIn },
    obtainedAt: Date.now(), scope,
  };
}

/** What the SDK's re-authorization (`auth()` for a login by authorization code) reads: the client, then the tokens. */
async function reauthorizationTokens(provider: ReturnType<typeof upstreamOAuthProvider>): Promise<Awaited<ReturnType<typeof provider.tokens>>> {
  await provider.clientInformation();
  return provider.tokens();
}

/** What the provider throws where the SDK would send the user to the authorization page. */
async function redirectError(provider: ReturnType<typeof upstreamOAuthProvider>): Promise<Error> {
  try {
    await provider.redirectToAuthorization(new URL('http://127.0.0.1:9/authorize'));
  } catch (err) {
    return err as Error;
  }
  throw new Error('redirectToAuthorization did not throw');
}

/** The scope a client-credentials provider's next token request asks for. */
async function requested(provider: ReturnType<typeof upstreamOAuthProvider>): Promise<string | null> {
  const params = await provider.prepareTokenRequest!(provider.clientMetadata.scope);
  return params?.get('scope') ?? null;
}

describe('scope challenges', () => {
  it('keeps only RFC 6749 scope tokens from a challenge, deduplicated and bounded', () => {
    expect(scopeTokens('a  b a "x" c\\d ok:1')).toEqual(['a', 'b', 'ok:1']);
    expect(scopeTokens(Array.from({ length: 200 }, (_, i) => `s${i}`).join(' '))).toHaveLength(64);
    expect(scopeUnion('a b', 'b c')).toBe('a b c');
    expect(scopeUnion(null, '')).toBeNull();
  });
});

describe('step-up with client credentials', () => {
  it('a 403 insufficient_scope widens the next token request to the union, kept once a token came with it', async () => {
    const saved: McpOAuthState[] = [];
    const provider = upstreamOAuthProvider('m2m', SERVER, credentials('read'), (s) => saved.push(s), () => undefined);
    expect(await requested(provider)).toBe('read');
    const watched = watchScopeChallenges(answering(403, insufficient('read write')), SERVER, provider);
    await watched(SERVER, { method: 'POST' });
    expect(await requested(provider)).toBe('read write');
    expect(saved).toEqual([]);
    await provider.saveTokens({ access_token: 'at', token_type: 'bearer', expires_in: 3600 });
    expect(saved).toMatchObject([{ grant: 'client_credentials', scope: 'read write' }]);
  });

  it('a 401 widens only when it refused a token just issued, never when it says invalid_token; other URLs and other 403s are not challenges', async () => {
    const provider = upstreamOAuthProvider('m2m', SERVER, credentials(null), () => undefined, () => undefined);
    // No token yet: the 401 is the first challenge, answered with the configured scope.
    await watchScopeChallenges(answering(401, 'Bearer scope="admin"'), SERVER, provider)(SERVER, { method: 'POST' });
    expect(await requested(provider)).toBeNull();
    await provider.saveTokens({ access_token: 'at', token_type: 'bearer', expires_in: 3600 });
    await watchScopeChallenges(answering(403, 'Bearer error="invalid_token", scope="admin"'), SERVER, provider)(SERVER, { method: 'POST' });
    await watchScopeChallenges(answering(403, insufficient('admin')), SERVER, provider)('http://127.0.0.1:9/other', { method: 'POST' });
    // Revoked, expired or unknown (RFC 6750 §3.1): a new token, whatever scope the challenge names.
    const revoked = await watchScopeChallenges(answering(401, 'Bearer error="invalid_token", scope="admin"'), SERVER, provider)(SERVER, { method: 'POST' });
    expect(revoked.status).toBe(401);
    expect(await requested(provider)).toBeNull();
    const stepUp = await watchScopeChallenges(answering(401, `Bearer scope="admin", resource_metadata="${RESOURCE_METADATA}"`), SERVER, provider)(SERVER, { method: 'POST' });
    expect(await requested(provider)).toBe('admin');
    // Handed to the SDK as the step-up it is: it re-authorizes on a 403, not on a 401 after its own re-authorization.
    expect(stepUp.status).toBe(403);
    expect(stepUp.headers.get('www-authenticate')).toBe(`Bearer error="insufficient_scope", scope="admin", resource_metadata="${RESOURCE_METADATA}"`);
  });

  it('a 401 for a token issued more than a few seconds ago gets a new token first, with the same scope', async () => {
    vi.useFakeTimers({ toFake: ['Date'] });
    try {
      const provider = upstreamOAuthProvider('m2m', SERVER, credentials('read'), () => undefined, () => undefined);
      await provider.saveTokens({ access_token: 'at', token_type: 'bearer', expires_in: 3600 });
      vi.setSystemTime(Date.now() + 60_000);
      const res = await watchScopeChallenges(answering(401, 'Bearer scope="read admin"'), SERVER, provider)(SERVER, { method: 'POST' });
      expect(res.status).toBe(401);
      expect(await requested(provider)).toBe('read');
      // The token that request gets is refused too: now it is a step-up.
      await provider.saveTokens({ access_token: 'at2', token_type: 'bearer', expires_in: 3600 });
      expect((await watchScopeChallenges(answering(401, 'Bearer scope="read admin"'), SERVER, provider)(SERVER, { method: 'POST' })).status).toBe(403);
      expect(await requested(provider)).toBe('read admin');
    } finally {
      vi.useRealTimers();
    }
  });
});

describe('step-up widenings', () => {
  it('a widening the authorization server refuses is tried once: the next token request asks for the kept scope again', async () => {
    const saved: McpOAuthState[] = [];
    const provider = upstreamOAuthProvider('m2m', SERVER, credentials('read'), (s) => saved.push(s), () => undefined);
    await provider.saveTokens({ access_token: 'at', token_type: 'bearer', expires_in: 3600, scope: 'read' });
    const watched = watchScopeChallenges(answering(403, insufficient('admin')), SERVER, provider);
    await watched(SERVER, { method: 'POST' });
    // The SDK's token request for the wider scope fails (invalid_scope): no token is saved.
    expect(await requested(provider)).toBe('read admin');
    // The renewal, and the same challenge again, ask for the scope that got a token.
    expect(await requested(provider)).toBe('read');
    await watched(SERVER, { method: 'POST' });
    expect(await requested(provider)).toBe('read');
    expect(saved).toEqual([]);
    // Another scope is another widening.
    await watchScopeChallenges(answering(403, insufficient('write')), SERVER, provider)(SERVER, { method: 'POST' });
    expect(await requested(provider)).toBe('read write');
    await provider.saveTokens({ access_token: 'at2', token_type: 'bearer', expires_in: 3600, scope: 'read write' });
    expect(saved).toMatchObject([{ scope: 'read write' }]);
    expect(await requested(provider)).toBe('read write');
  });

  it('with no configured scope, a widening keeps the scopes the last token was granted (the authorization server\'s defaults)', async () => {
    const provider = upstreamOAuthProvider('m2m', SERVER, credentials(null), () => undefined, () => undefined);
    await provider.saveTokens({ access_token: 'at', token_type: 'bearer', expires_in: 3600, scope: 'read list' });
    await watchScopeChallenges(answering(403, insufficient('admin')), SERVER, provider)(SERVER, { method: 'POST' });
    expect(await requested(provider)).toBe('read list admin');
  });
});

describe('step-up with a login by authorization code', () => {
  it('a 403 insufficient_scope withholds the refresh token from the re-authorization it causes and marks the login for the union of scopes', async () => {
    const saved: McpOAuthState[] = [];
    let marked = 0;
    const provider = upstreamOAuthProvider('coded-a', SERVER, login('read'), (s) => saved.push(s), () => { marked++; });
    expect((await provider.tokens())?.refresh_token).toBe('rt');
    await watchScopeChallenges(answering(403, insufficient('write')), SERVER, provider)(SERVER, { method: 'POST' });
    // A concurrent request reading the tokens (for its Authorization header) does not take the step-up.
    expect((await provider.tokens())?.refresh_token).toBe('rt');
    // The SDK's re-authorization: the client, then the tokens, then the interactive login.
    const tokens = await reauthorizationTokens(provider);
    expect(tokens?.access_token).toBe('at');
    expect(tokens?.refresh_token).toBeUndefined();
    expect(saved.at(-1)).toMatchObject({ grant: 'authorization_code', stepUpScope: 'read write' });
    const thrown = await redirectError(provider);
    expect(thrown).toBeInstanceOf(NeedsLoginError);
    expect(thrown.message).toBe('MCP server "coded-a" needs an OAuth login asking for scope "read write" (the server asks for more scope than the login was granted): run "localrouter mcp login coded-a"');
    expect(marked).toBe(1);
  });

  it('after a step-up the login still refreshes: only the re-authorization that answers the challenge is refused the refresh token', async () => {
    const saved: McpOAuthState[] = [];
    const provider = upstreamOAuthProvider('coded-d', SERVER, login('read'), (s) => saved.push(s), () => undefined);
    const watched = watchScopeChallenges(answering(403, insufficient('admin')), SERVER, provider);
    await watched(SERVER, { method: 'POST' });
    expect((await reauthorizationTokens(provider))?.refresh_token).toBeUndefined();
    await redirectError(provider);
    // The other tools go on; when the token expires (or is refused with a 401), the SDK refreshes it.
    expect((await reauthorizationTokens(provider))?.refresh_token).toBe('rt');
    // The same challenge again (the tool called again) is refused again, with the scope to log in with.
    await watched(SERVER, { method: 'POST' });
    expect((await reauthorizationTokens(provider))?.refresh_token).toBeUndefined();
    expect((await redirectError(provider)).message).toMatch(/asking for scope "read admin" \(the server asks for more scope/);
    // A later connection (or a restart) with the stored step-up refreshes too; `mcp login` asks for its scope.
    const stored = saved.at(-1) as Extract<McpOAuthState, { grant: 'authorization_code' }>;
    expect(stored.stepUpScope).toBe('read admin');
    const later = upstreamOAuthProvider('coded-d2', SERVER, stored, () => undefined, () => undefined);
    expect((await reauthorizationTokens(later))?.refresh_token).toBe('rt');
  });

  it('a 401 is a step-up only when it refuses a token just issued, and never when it says invalid_token', async () => {
    const saved: McpOAuthState[] = [];
    // A token obtained a minute ago, unexpired: the 401 gets a refresh first (the refresh token is offered).
    const older = { ...login('read'), obtainedAt: Date.now() - 60_000 };
    const provider = upstreamOAuthProvider('coded-b', SERVER, older, (s) => saved.push(s), () => undefined);
    const res = await watchScopeChallenges(answering(401, 'Bearer scope="read write"'), SERVER, provider)(SERVER, { method: 'POST' });
    expect(res.status).toBe(401);
    expect((await reauthorizationTokens(provider))?.refresh_token).toBe('rt');
    // Revoked: a refresh, however fresh the token and whatever scope the challenge names.
    const revoked = upstreamOAuthProvider('coded-c', SERVER, login('read'), (s) => saved.push(s), () => undefined);
    await watchScopeChallenges(answering(401, 'Bearer error="invalid_token", error_description="revoked", scope="read write"'), SERVER, revoked)(SERVER, { method: 'POST' });
    expect((await reauthorizationTokens(revoked))?.refresh_token).toBe('rt');
    expect(saved).toEqual([]);
    // The token just refreshed (or issued) refused, naming a scope it lacks: a step-up.
    const fresh = upstreamOAuthProvider('coded-e', SERVER, login('read'), (s) => saved.push(s), () => undefined);
    const stepUp = await watchScopeChallenges(answering(401, 'Bearer scope="read write"'), SERVER, fresh)(SERVER, { method: 'POST' });
    expect(stepUp.status).toBe(403);
    expect(saved.at(-1)).toMatchObject({ stepUpScope: 'read write' });
    expect((await reauthorizationTokens(fresh))?.refresh_token).toBeUndefined();
    expect((await redirectError(fresh)).message).toMatch(/asking for scope "read write"/);
  });
});

describe('cross-app access', () => {
  const jwt = (payload: object): string => `e30.${Buffer.from(JSON.stringify(payload)).toString('base64url')}.sig`;
  const state = (idToken: string): Extract<McpOAuthState, { grant: 'cross_app_access' }> => ({
    grant: 'cross_app_access', clientId: 'xaa', clientSecret: 's3cret', scope: null, issuer: 'http://127.0.0.1:9/', idToken,
    idp: { issuer: 'http://127.0.0.1:8', tokenEndpoint: 'http://127.0.0.1:8/token', clientId: 'idp-client' },
  });
  const discovered = {
    authorizationServerUrl: 'http://127.0.0.1:9/', authorizationServerMetadata: { issuer: 'http://127.0.0.1:9/' },
    resourceMetadata: { resource: SERVER },
  } as never;

  it('an expired ID token needs a new login (it is not sent to the identity provider), and the server is marked', async () => {
    let marked = 0;
    const provider = upstreamOAuthProvider('xaa', SERVER, state(jwt({ sub: 'u', exp: Math.floor(Date.now() / 1000) - 60 })), () => undefined, () => { marked++; });
    await provider.saveDiscoveryState!(discovered);
    await expect(provider.prepareTokenRequest!(undefined)).rejects.toThrow(/needs an OAuth login \(the identity provider's ID token expired\)/);
    expect(marked).toBe(1);
  });

  it('only an OAuth refusal of the identity provider needs a new login: an outage or a server error is this request\'s failure', async () => {
    const answers: [number, string][] = [
      [503, '{"error":"temporarily_unavailable"}'], [500, '{"error":"server_error"}'], [502, '<html>bad gateway</html>'], [500, '{}'],
      [400, '{"error":"invalid_grant","error_description":"ID token expired"}'], [401, '{"error":"invalid_client"}'],
    ];
    let next = 0;
    const idp = http.createServer((_req, res) => {
      const [status, body] = answers[next++]!;
      res.writeHead(status, { 'content-type': body.startsWith('{') ? 'application/json' : 'text/html' }).end(body);
    });
    await new Promise<void>((r) => idp.listen(0, '127.0.0.1', r));
    const port = (idp.address() as AddressInfo).port;
    try {
      const outcome: string[] = [];
      for (let i = 0; i < answers.length; i++) {
        let marked = 0;
        const st = { ...state(jwt({ sub: 'u' })), idp: { issuer: `http://127.0.0.1:${port}`, tokenEndpoint: `http://127.0.0.1:${port}/token`, clientId: 'idp-client' } };
        const provider = upstreamOAuthProvider('xaa', SERVER, st, () => undefined, () => { marked++; });
        await provider.saveDiscoveryState!(discovered);
        const err = await Promise.resolve().then(() => provider.prepareTokenRequest!(undefined)).then(() => null, (e: Error) => e);
        outcome.push(`${err?.name}:${marked}`);
      }
      expect(outcome).toEqual(['RenewalUnavailableError:0', 'RenewalUnavailableError:0', 'RenewalUnavailableError:0', 'RenewalUnavailableError:0', 'NeedsLoginError:1', 'NeedsLoginError:1']);
    } finally {
      idp.close();
    }
  });

  it('presents itself as a non-interactive jwt-bearer client bound to the authorization server of the login', () => {
    const provider = upstreamOAuthProvider('xaa', SERVER, state(jwt({ sub: 'u' })), () => undefined, () => undefined);
    expect(provider.redirectUrl).toBeUndefined();
    expect(provider.clientMetadata).toMatchObject({ grant_types: ['urn:ietf:params:oauth:grant-type:jwt-bearer'], token_endpoint_auth_method: 'client_secret_basic' });
    expect(provider.clientInformation()).toMatchObject({ client_id: 'xaa', issuer: 'http://127.0.0.1:9/' });
  });

  it('without protected-resource metadata there is no resource to name: a clear error', async () => {
    const provider = upstreamOAuthProvider('xaa', SERVER, state(jwt({ sub: 'u' })), () => undefined, () => undefined);
    await provider.saveDiscoveryState!({ authorizationServerUrl: 'http://127.0.0.1:9/' } as never);
    await expect(provider.prepareTokenRequest!(undefined)).rejects.toThrow(/publishes no protected-resource metadata \(RFC 9728\)/);
  });
});
