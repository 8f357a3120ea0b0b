import { createHash, randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { UnauthorizedError, type OAuthClientProvider } from '@modelcontextprotocol/sdk/client/auth.js';
import { ClientCredentialsProvider } from '@modelcontextprotocol/sdk/client/auth-extensions.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import type { OAuthClientInformationMixed, OAuthTokens } from '@modelcontextprotocol/sdk/shared/auth.js';
import { EVERYTHING, startMcpGateway, type McpGatewayFixture } from '../helpers/mcp-fixture.js';

/**
 * The gateway as an OAuth authorization server for MCP clients: the real SDK client logs in through
 * the browser (authorization code + PKCE S256) as a client the config lists with `oauth_login`, the
 * admin approving on the consent page (dashboard session or admin token), then lists tools through
 * /mcp with the token; an agent uses client credentials. Everything a hostile client or page could
 * try is refused: unlisted clients and redirects, missing PKCE, reused codes, wrong verifiers,
 * approvals without the admin or without the CSRF token.
 */

let fx: McpGatewayFixture;
const DESK = 'c_mcpclient01';
const TEST = 'c_mcpclient00';
const LISTED = 'https://app.example/oauth/callback';

beforeAll(async () => {
  fx = await startMcpGateway({
    servers: [{ name: 'every', transport: 'stdio', command: process.execPath, args: [EVERYTHING, 'stdio'] }],
    clients: [{ name: 'desk', oauthLogin: { redirect_uris: [LISTED] } }],
  });
}, 60_000);

afterAll(async () => {
  await fx?.close();
});

const adminToken = (): string => fx.gw.metrics.adminToken;

/** A dashboard session of the admin, as the browser holds it: the cookie and the page's CSRF token. */
async function dashboardSession(): Promise<{ cookie: string; csrf: string }> {
  const res = await fetch(`${fx.origin}/api/session`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ token: adminToken() }) });
  expect(res.status).toBe(200);
  const cookie = res.headers.get('set-cookie')!.split(';')[0]!;
  return { cookie, csrf: ((await res.json()) as { csrf: string }).csrf };
}

/** The hidden fields of the consent form. */
function formFields(html: string): Record<string, string> {
  const fields: Record<string, string> = {};
  for (const m of html.matchAll(/<input type="hidden" name="([a-z]+)" value="([^"]*)">/g)) fields[m[1]!] = m[2]!;
  return fields;
}

/** The browser with the admin's session: opens the authorization URL and presses a button. Returns the redirect's URL. */
async function approveInBrowser(url: string, session: { cookie: string }, decision = 'approve'): Promise<URL> {
  const page = await fetch(url, { headers: { cookie: session.cookie, 'sec-fetch-site': 'none' } });
  expect(page.status).toBe(200);
  const fields = formFields(await page.text());
  const answer = await fetch(`${fx.origin}/oauth/authorize`, {
    method: 'POST', redirect: 'manual',
    headers: { cookie: session.cookie, origin: fx.origin, 'sec-fetch-site': 'same-origin', 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({ ...fields, decision }).toString(),
  });
  expect(answer.status).toBe(303);
  return new URL(answer.headers.get('location')!);
}

/** An interactive MCP client's OAuth side (as desktop clients have), with a pre-registered client id and a loopback redirect. */
class DeskProvider implements OAuthClientProvider {
  authorizationUrl: URL | null = null;
  readonly sentState = randomBytes(8).toString('hex');
  #tokens: OAuthTokens | undefined;
  #client: OAuthClientInformationMixed = { client_id: DESK };
  #verifier = '';
  readonly redirectUrl = 'http://127.0.0.1:53682/callback';
  get clientMetadata() { return { client_name: 'desk', redirect_uris: [this.redirectUrl] }; }
  state(): string { return this.sentState; }
  clientInformation(): OAuthClientInformationMixed { return this.#client; }
  saveClientInformation(info: OAuthClientInformationMixed): void { this.#client = info; }
  tokens(): OAuthTokens | undefined { return this.#tokens; }
  saveTokens(tokens: OAuthTokens): void { this.#tokens = tokens; }
  redirectToAuthorization(url: URL): void { this.authorizationUrl = url; }
  saveCodeVerifier(v: string): void { this.#verifier = v; }
  codeVerifier(): string { return this.#verifier; }
}

function pkce(): { verifier: string; challenge: string } {
  const verifier = randomBytes(32).toString('base64url');
  return { verifier, challenge: createHash('sha256').update(verifier).digest('base64url') };
}

function authorizeUrl(params: Record<string, string>): string {
  return `${fx.origin}/oauth/authorize?${new URLSearchParams({ response_type: 'code', code_challenge_method: 'S256', state: 's1', ...params }).toString()}`;
}

async function exchange(fields: Record<string, string>): Promise<Response> {
  return fetch(`${fx.origin}/oauth/token`, {
    method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: new URLSearchParams({ grant_type: 'authorization_code', ...fields }).toString(),
  });
}

describe('inbound OAuth: the browser login', () => {
  it('advertises the authorization code flow with PKCE S256 and iss in its metadata', async () => {
    const as = await (await fetch(`${fx.origin}/.well-known/oauth-authorization-server`)).json() as Record<string, unknown>;
    expect(as).toMatchObject({
      issuer: fx.origin, authorization_endpoint: `${fx.origin}/oauth/authorize`, token_endpoint: `${fx.origin}/oauth/token`,
      response_types_supported: ['code'], code_challenge_methods_supported: ['S256'], authorization_response_iss_parameter_supported: true,
    });
    expect(as.grant_types_supported).toEqual(expect.arrayContaining(['authorization_code', 'client_credentials']));
  });

  it('the SDK client logs in through the consent page (dashboard session) and lists tools through /mcp with the token', async () => {
    const provider = new DeskProvider();
    const first = new StreamableHTTPClientTransport(fx.mcpUrl, { authProvider: provider });
    await expect(new Client({ name: 'desk', version: '1' }).connect(first)).rejects.toBeInstanceOf(UnauthorizedError);
    const url = provider.authorizationUrl!;
    expect(url.origin).toBe(fx.origin);
    expect(url.searchParams.get('client_id')).toBe(DESK);
    expect(url.searchParams.get('code_challenge_method')).toBe('S256');

    const session = await dashboardSession();
    const page = await fetch(url, { headers: { cookie: session.cookie, 'sec-fetch-site': 'none' } });
    expect(page.status).toBe(200);
    const csp = page.headers.get('content-security-policy')!;
    expect(csp).toMatch(/default-src 'none'/);
    expect(csp).toMatch(/frame-ancestors 'none'/);
    expect(csp).toContain("form-action 'self' http://127.0.0.1:53682");
    const html = await page.text();
    expect(html).not.toMatch(/<script|\son[a-z]+=|style=/i);
    expect(html).toContain('desk');
    expect(html).toContain(provider.redirectUrl);

    const back = await approveInBrowser(url.href, session);
    expect(`${back.origin}${back.pathname}`).toBe(provider.redirectUrl);
    expect(back.searchParams.get('state')).toBe(provider.sentState);
    expect(back.searchParams.get('iss')).toBe(fx.origin);
    const code = back.searchParams.get('code')!;
    await first.finishAuth(code);
    expect(provider.tokens()?.access_token).toMatch(/^lrt-/);

    const client = new Client({ name: 'desk', version: '1' });
    await client.connect(new StreamableHTTPClientTransport(fx.mcpUrl, { authProvider: provider }));
    expect((await client.listTools()).tools.map((t) => t.name)).toContain('every__echo');
    await client.close();

    // The code worked once.
    const again = await exchange({ code, client_id: DESK, redirect_uri: provider.redirectUrl, code_verifier: provider.codeVerifier() });
    expect(again.status).toBe(400);
    expect(await again.json()).toMatchObject({ error: 'invalid_grant' });
  }, 60_000);

  it('the admin token approves without a page; a listed https redirect is allowed; a denial says access_denied', async () => {
    const { verifier, challenge } = pkce();
    const url = authorizeUrl({ client_id: DESK, redirect_uri: LISTED, code_challenge: challenge, resource: `${fx.origin}/mcp` });
    const page = await fetch(url, { headers: { authorization: `Bearer ${adminToken()}` } });
    expect(page.status).toBe(200);
    const fields = formFields(await page.text());
    const answer = await fetch(`${fx.origin}/oauth/authorize`, {
      method: 'POST', redirect: 'manual', headers: { authorization: `Bearer ${adminToken()}`, 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ request: fields.request!, decision: 'approve' }).toString(),
    });
    expect(answer.status).toBe(303);
    const back = new URL(answer.headers.get('location')!);
    expect(back.href.startsWith(`${LISTED}?`)).toBe(true);
    // A wrong verifier spends the code: the right one cannot use it afterwards.
    const wrong = await exchange({ code: back.searchParams.get('code')!, client_id: DESK, redirect_uri: LISTED, code_verifier: pkce().verifier });
    expect(await wrong.json()).toMatchObject({ error: 'invalid_grant', error_description: expect.stringMatching(/PKCE/) });
    const late = await exchange({ code: back.searchParams.get('code')!, client_id: DESK, redirect_uri: LISTED, code_verifier: verifier });
    expect(late.status).toBe(400);

    const denied = await approveInBrowser(url, await dashboardSession(), 'deny');
    expect(denied.searchParams.get('error')).toBe('access_denied');
    expect(denied.searchParams.get('state')).toBe('s1');
    expect(denied.searchParams.get('code')).toBeNull();
  });

  it('a code is bound to its redirect_uri and client, and a token from it works like the client key', async () => {
    const session = await dashboardSession();
    const { verifier, challenge } = pkce();
    const redirect = 'http://127.0.0.1:8123/cb';
    const back = await approveInBrowser(authorizeUrl({ client_id: DESK, redirect_uri: redirect, code_challenge: challenge }), session);
    const other = await exchange({ code: back.searchParams.get('code')!, client_id: DESK, redirect_uri: 'http://127.0.0.1:8124/cb', code_verifier: verifier });
    expect(await other.json()).toMatchObject({ error: 'invalid_grant', error_description: expect.stringMatching(/redirect_uri/) });

    const back2 = await approveInBrowser(authorizeUrl({ client_id: DESK, redirect_uri: redirect, code_challenge: challenge }), session);
    const stolen = await exchange({ code: back2.searchParams.get('code')!, client_id: TEST, redirect_uri: redirect, code_verifier: verifier });
    expect(await stolen.json()).toMatchObject({ error: 'invalid_grant', error_description: expect.stringMatching(/another client/) });

    const back3 = await approveInBrowser(authorizeUrl({ client_id: DESK, redirect_uri: redirect, code_challenge: challenge }), session);
    const ok = await exchange({ code: back3.searchParams.get('code')!, client_id: DESK, redirect_uri: redirect, code_verifier: verifier });
    expect(ok.status).toBe(200);
    expect(ok.headers.get('cache-control')).toBe('no-store');
    const token = ((await ok.json()) as { access_token: string }).access_token;
    const listed = await fetch(fx.mcpUrl, {
      method: 'POST', headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json', accept: 'application/json, text/event-stream' },
      body: JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'initialize', params: { protocolVersion: '2025-06-18', capabilities: {}, clientInfo: { name: 'raw', version: '1' } } }),
    });
    expect(listed.status).toBe(200);
    await listed.body?.cancel();
  }, 60_000);

  it('never redirects for an unlisted client or a redirect_uri that is neither loopback nor listed', async () => {
    const { challenge } = pkce();
    const headers = { authorization: `Bearer ${adminToken()}` };
    const unlisted = await fetch(authorizeUrl({ client_id: TEST, redirect_uri: 'http://127.0.0.1:9/cb', code_challenge: challenge }), { headers, redirect: 'manual' });
    expect(unlisted.status).toBe(400);
    expect(await unlisted.text()).toMatch(/not a client that may log in through the browser/);
    for (const redirect of ['https://evil.example/cb', 'http://10.0.0.1:8080/cb', 'http://localhost:8123/cb', 'http://user:pw@127.0.0.1:9/cb', 'http://127.0.0.1:9/cb#frag', `${LISTED}x`]) {
      const res = await fetch(authorizeUrl({ client_id: DESK, redirect_uri: redirect, code_challenge: challenge }), { headers, redirect: 'manual' });
      expect(res.status, redirect).toBe(400);
      expect(res.headers.get('location')).toBeNull();
    }
  });

  it('answers other faults on the redirect: no PKCE, plain PKCE, another response type, a resource elsewhere', async () => {
    const { challenge } = pkce();
    const headers = { authorization: `Bearer ${adminToken()}` };
    const cases: [Record<string, string>, string][] = [
      [{ code_challenge: '' }, 'invalid_request'],
      [{ code_challenge: challenge, code_challenge_method: 'plain' }, 'invalid_request'],
      [{ code_challenge: challenge, response_type: 'token' }, 'unsupported_response_type'],
      [{ code_challenge: challenge, resource: 'https://other.example/mcp' }, 'invalid_target'],
    ];
    for (const [params, error] of cases) {
      const res = await fetch(authorizeUrl({ client_id: DESK, redirect_uri: 'http://127.0.0.1:9/cb', ...params }), { headers, redirect: 'manual' });
      expect(res.status).toBe(303);
      const back = new URL(res.headers.get('location')!);
      expect(back.searchParams.get('error')).toBe(error);
      expect(back.searchParams.get('state')).toBe('s1');
      expect(back.searchParams.get('iss')).toBe(fx.origin);
    }
  });

  it('shows no consent form without the admin, and refuses answers without the CSRF token or from another site', async () => {
    const { challenge } = pkce();
    const url = authorizeUrl({ client_id: DESK, redirect_uri: 'http://127.0.0.1:9/cb', code_challenge: challenge });
    const anonymous = await fetch(url);
    expect(anonymous.status).toBe(401);
    const text = await anonymous.text();
    expect(text).not.toContain('<form');
    expect(text).toMatch(/Sign in to the dashboard/);
    const withClientKey = await fetch(url, { headers: { authorization: `Bearer ${fx.key}` } });
    expect(withClientKey.status).toBe(401);
    expect(await withClientKey.text()).not.toContain('<form');

    const session = await dashboardSession();
    const fields = formFields(await (await fetch(url, { headers: { cookie: session.cookie } })).text());
    const post = (headers: Record<string, string>, body: Record<string, string>): Promise<Response> => fetch(`${fx.origin}/oauth/authorize`, {
      method: 'POST', redirect: 'manual', headers: { cookie: session.cookie, 'content-type': 'application/x-www-form-urlencoded', ...headers }, body: new URLSearchParams(body).toString(),
    });
    expect((await post({ origin: fx.origin, 'sec-fetch-site': 'same-origin' }, { request: fields.request!, decision: 'approve' })).status).toBe(403);
    expect((await post({ origin: fx.origin, 'sec-fetch-site': 'same-origin' }, { ...fields, csrf: 'forged', decision: 'approve' })).status).toBe(403);
    expect((await post({ 'sec-fetch-site': 'cross-site' }, { ...fields, decision: 'approve' })).status).toBe(403);
    // The consent is still open after refused answers, and works once.
    const ok = await post({ origin: fx.origin, 'sec-fetch-site': 'same-origin' }, { ...fields, decision: 'approve' });
    expect(ok.status).toBe(303);
    const twice = await post({ origin: fx.origin, 'sec-fetch-site': 'same-origin' }, { ...fields, decision: 'approve' });
    expect(twice.status).toBe(400);
  });
});

describe('inbound OAuth: client credentials', () => {
  it('the SDK client authenticates with the client id and its lr- key, and lists tools through /mcp', async () => {
    const provider = new ClientCredentialsProvider({ clientId: TEST, clientSecret: fx.key, expectedIssuer: fx.origin });
    const client = new Client({ name: 'agent', version: '1' });
    await client.connect(new StreamableHTTPClientTransport(fx.mcpUrl, { authProvider: provider }));
    expect((await client.listTools()).tools.map((t) => t.name)).toContain('every__echo');
    await client.close();
    expect(provider.tokens()?.access_token).toMatch(/^lrt-/);
  }, 60_000);
});
