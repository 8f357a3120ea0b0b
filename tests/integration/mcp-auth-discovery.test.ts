import http from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import type { OAuthClientProvider } from '@modelcontextprotocol/sdk/client/auth.js';
import { SSEClientTransport } from '@modelcontextprotocol/sdk/client/sse.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { connectClient, EVERYTHING, startMcpGateway, type McpGatewayFixture } from '../helpers/mcp-fixture.js';

let fx: McpGatewayFixture;

beforeAll(async () => {
  fx = await startMcpGateway({
    servers: [{ name: 'every', transport: 'stdio', command: process.execPath, args: [EVERYTHING, 'stdio'] }],
    mcp: { max_sessions_per_client: 2 },
  });
}, 60_000);

afterAll(async () => {
  await fx?.close();
});

/** An interactive OAuth client (as desktop MCP clients have) with no client id of its own: it must never be sent to a login page (there is no registration). */
function interactiveProvider(redirects: URL[]): OAuthClientProvider {
  let verifier = '';
  return {
    get redirectUrl() { return 'http://127.0.0.1:9/callback'; },
    get clientMetadata() { return { client_name: 'probe', redirect_uris: ['http://127.0.0.1:9/callback'] }; },
    clientInformation: () => undefined,
    saveClientInformation: () => undefined,
    tokens: () => undefined,
    saveTokens: () => undefined,
    redirectToAuthorization: (url: URL) => { redirects.push(url); },
    saveCodeVerifier: (v: string) => { verifier = v; },
    codeVerifier: () => verifier,
  };
}

describe('MCP auth discovery', () => {
  it('answers a 401 with the protected resource metadata URL of the endpoint (RFC 9728)', async () => {
    const mcp = await fetch(fx.mcpUrl, { method: 'POST', headers: { 'content-type': 'application/json', accept: 'application/json, text/event-stream' }, body: '{}' });
    expect(mcp.status).toBe(401);
    expect(mcp.headers.get('www-authenticate')).toBe(`Bearer resource_metadata="${fx.origin}/.well-known/oauth-protected-resource/mcp"`);
    const body = await mcp.json() as { error: { code: number; message: string } };
    expect(body.error.message).toMatch(/Authorization: Bearer lr-/);
    const sse = await fetch(`${fx.origin}/sse`);
    expect(sse.status).toBe(401);
    expect(sse.headers.get('www-authenticate')).toBe(`Bearer resource_metadata="${fx.origin}/.well-known/oauth-protected-resource/sse"`);
    await sse.body?.cancel();
  });

  it('serves the metadata documents: the resource, the gateway as authorization server, its token endpoint, and how to use an lr- key', async () => {
    const prm = await (await fetch(`${fx.origin}/.well-known/oauth-protected-resource/mcp`)).json() as Record<string, unknown>;
    expect(prm).toMatchObject({ resource: `${fx.origin}/mcp`, authorization_servers: [fx.origin], bearer_methods_supported: ['header'] });
    expect(String(prm.description)).toMatch(/Authorization: Bearer lr-/);
    const root = await (await fetch(`${fx.origin}/.well-known/oauth-protected-resource`)).json() as Record<string, unknown>;
    expect(root.resource).toBe(fx.origin);
    const help = await fetch(String(prm.resource_documentation));
    expect(help.status).toBe(200);
    expect(await help.text()).toMatch(/lr-/);
    const as = await (await fetch(`${fx.origin}/.well-known/oauth-authorization-server`)).json() as Record<string, unknown>;
    expect(as).toMatchObject({ issuer: fx.origin, token_endpoint: `${fx.origin}/oauth/token`, grant_types_supported: ['client_credentials', 'authorization_code'] });
    expect(as.response_types_supported).toEqual(['code']);
    const register = await fetch(String(as.registration_endpoint), { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{}' });
    expect(register.status).toBe(400);
    expect(await register.json()).toMatchObject({ error: 'invalid_client_metadata', error_description: expect.stringMatching(/no dynamic client registration.*oauth_login.*lr-/) });
    // A login for a client the config does not list is refused on the spot (never redirected).
    const login = await fetch(`${String(as.authorization_endpoint)}?client_id=probe&redirect_uri=http://127.0.0.1:9/cb`, { redirect: 'manual' });
    expect(login.status).toBe(400);
    expect(await login.text()).toMatch(/not a client that may log in through the browser/);
    // The Host guard applies (DNS rebinding).
    const evil = await new Promise<number>((resolve, reject) => {
      http.get(`${fx.origin}/.well-known/oauth-protected-resource/mcp`, { headers: { host: 'evil.example' } }, (res) => {
        res.resume();
        resolve(res.statusCode ?? 0);
      }).on('error', reject);
    });
    expect(evil).toBe(403);
  });

  it('the SDK client without a key fails with the key hint; an interactive OAuth client without a listed client id fails without being sent to a login', async () => {
    const bare = new Client({ name: 'no-key', version: '1' });
    await expect(bare.connect(new StreamableHTTPClientTransport(fx.mcpUrl))).rejects.toThrow(/lr-/);
    const redirects: URL[] = [];
    const oauth = new Client({ name: 'oauth', version: '1' });
    const failure = await oauth.connect(new StreamableHTTPClientTransport(fx.mcpUrl, { authProvider: interactiveProvider(redirects) })).then(() => null, (err: Error) => err);
    expect(failure?.message).toMatch(/no dynamic client registration.*oauth_login.*Authorization: Bearer lr-/);
    expect(redirects).toEqual([]);
    const legacy = new Client({ name: 'no-key-sse', version: '1' });
    await expect(legacy.connect(new SSEClientTransport(new URL(`${fx.origin}/sse`)))).rejects.toThrow(/401|Unauthorized/i);
  });

  it('the per-client session cap is explained on the legacy endpoint too', async () => {
    const key = fx.key;
    const open = [await fetch(`${fx.origin}/sse?token=${key}`), await fetch(`${fx.origin}/sse?token=${key}`)];
    expect(open.map((r) => r.status)).toEqual([200, 200]);
    const third = await fetch(`${fx.origin}/sse?token=${key}`);
    expect(third.status).toBe(503);
    expect(third.headers.get('retry-after')).toBe('5');
    expect(((await third.json()) as { error: { message: string } }).error.message).toMatch(/2 legacy SSE sessions open \(mcp\.max_sessions_per_client = 2\); close one first/);
    for (const r of open) await r.body?.cancel();
    // Streamable HTTP sessions are unaffected: the key still works there.
    const client = await connectClient(fx);
    expect((await client.listTools()).tools.length).toBeGreaterThan(0);
    await client.close();
  });
});
