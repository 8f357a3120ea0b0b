import fs from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { main } from '../../src/cli/index.js';
import { openSecretStore } from '../../src/secrets/index.js';
import { runCli, testIo } from '../helpers/cli-run.js';
import { connectClient, freePort, startMcpGateway, toolText, type McpGatewayFixture } from '../helpers/mcp-fixture.js';
import { startOAuthMcpServer, type OAuthMcpServer } from '../helpers/oauth-mcp-server.js';

/**
 * An upstream MCP server behind OAuth: the gateway says it needs a login instead of failing
 * obscurely; `localrouter mcp login` runs discovery, dynamic registration and the authorization code
 * flow with PKCE through a loopback redirect; the running gateway then calls it with the token,
 * refreshes the token when it expires (keeping the new one in the secret store), and a machine
 * client logs in with client credentials. Tokens never reach the config file.
 */

let secure: OAuthMcpServer;
let machine: OAuthMcpServer;
let mixup: OAuthMcpServer;
let noIss: OAuthMcpServer;
let impostor: OAuthMcpServer;
let cimd: OAuthMcpServer;
let stepper: OAuthMcpServer;
let stepShort: OAuthMcpServer;
let stepper401: OAuthMcpServer;
let modern: OAuthMcpServer;
let fresh: OAuthMcpServer;
let rotor: OAuthMcpServer;
let rotorModern: OAuthMcpServer;
let stepModern: OAuthMcpServer;
let stepModernM2m: OAuthMcpServer;
let stepModernRefused: OAuthMcpServer;
const CIMD_URL = 'https://client.example/localrouter-client.json';
let cimdPort: number;
let fx: McpGatewayFixture;
/** What this process wrote to stderr (the gateway's worker threads write there too). */
const stderrSeen: string[] = [];
const realStderrWrite = process.stderr.write.bind(process.stderr);

beforeAll(async () => {
  process.stderr.write = ((chunk: string | Uint8Array, ...rest: unknown[]) => {
    stderrSeen.push(typeof chunk === 'string' ? chunk : Buffer.from(chunk).toString('utf8'));
    return (realStderrWrite as (c: string | Uint8Array, ...r: unknown[]) => boolean)(chunk, ...rest);
  }) as typeof process.stderr.write;
  secure = await startOAuthMcpServer({ accessTtlS: 2 });
  machine = await startOAuthMcpServer();
  mixup = await startOAuthMcpServer({ iss: 'wrong' });
  noIss = await startOAuthMcpServer({ iss: 'missing' });
  impostor = await startOAuthMcpServer({ iss: 'impersonate' });
  cimdPort = await freePort();
  cimd = await startOAuthMcpServer({ cimd: { url: CIMD_URL, redirectUri: `http://127.0.0.1:${cimdPort}/callback` } });
  stepper = await startOAuthMcpServer({ stepUp: true });
  stepShort = await startOAuthMcpServer({ stepUp: true, accessTtlS: 2 });
  stepper401 = await startOAuthMcpServer({ stepUp: 'unauthorized' });
  modern = await startOAuthMcpServer({ modern: true });
  fresh = await startOAuthMcpServer({ accessTtlS: 4 });
  rotor = await startOAuthMcpServer({ accessTtlS: 4 });
  rotorModern = await startOAuthMcpServer({ accessTtlS: 4, modern: true });
  stepModern = await startOAuthMcpServer({ stepUp: true, modern: true });
  stepModernM2m = await startOAuthMcpServer({ stepUp: true, modern: true });
  stepModernRefused = await startOAuthMcpServer({ stepUp: true, modern: true });
  fx = await startMcpGateway({
    servers: [
      { name: 'secure', transport: 'streamable-http', url: secure.url },
      { name: 'm2m', transport: 'streamable-http', url: machine.url },
      { name: 'mixup', transport: 'streamable-http', url: mixup.url },
      { name: 'noiss', transport: 'streamable-http', url: noIss.url },
      { name: 'impostor', transport: 'streamable-http', url: impostor.url },
      { name: 'cimd', transport: 'streamable-http', url: cimd.url },
      { name: 'stepper', transport: 'streamable-http', url: stepper.url },
      { name: 'stepm2m', transport: 'streamable-http', url: stepper.url },
      { name: 'stepshort', transport: 'streamable-http', url: stepShort.url },
      { name: 'step401', transport: 'streamable-http', url: stepper401.url },
      { name: 'modern', transport: 'streamable-http', url: modern.url },
      // Per session: each client session connects anew (probe, then initialize).
      { name: 'fresh', transport: 'streamable-http', url: fresh.url, per_session: true },
      { name: 'rotor', transport: 'streamable-http', url: rotor.url },
      { name: 'rotorm', transport: 'streamable-http', url: rotorModern.url },
      { name: 'stepmod', transport: 'streamable-http', url: stepModern.url },
      { name: 'stepmodm2m', transport: 'streamable-http', url: stepModernM2m.url },
      { name: 'stepmodexp', transport: 'streamable-http', url: stepModernRefused.url },
    ],
    mcp: { restart_max_ms: 1000 },
  });
}, 60_000);

afterAll(async () => {
  process.stderr.write = realStderrWrite;
  await fx?.close();
  await secure?.stop();
  await machine?.stop();
  await mixup?.stop();
  await noIss?.stop();
  await impostor?.stop();
  await cimd?.stop();
  await stepper?.stop();
  await stepShort?.stop();
  await stepper401?.stop();
  await modern?.stop();
  await fresh?.stop();
  await rotor?.stop();
  await rotorModern?.stop();
  await stepModern?.stop();
  await stepModernM2m?.stop();
  await stepModernRefused?.stop();
});

/** Runs `mcp login <name>` and plays the browser: opens the printed URL and follows the redirect back to the loopback listener. */
async function loginThroughBrowser(name: string, extra: string[] = []): Promise<{ code: number; stdout: string; stderr: string; authorizeUrl: URL }> {
  const t = testIo();
  const run = main(['node', 'localrouter', '--home', fx.home, 'mcp', 'login', name, ...extra], t.io);
  const url = await eventually(async () => /https?:\/\/\S+\/authorize\?\S+/.exec(t.stderr())?.[0]);
  const approved = await fetch(url, { redirect: 'manual' });
  expect(approved.status).toBe(302);
  await (await fetch(approved.headers.get('location')!)).text();
  const code = await run;
  return { code, stdout: t.stdout(), stderr: t.stderr(), authorizeUrl: new URL(url) };
}

function storedOAuth(name: string): Record<string, unknown> | undefined {
  const raw = openSecretStore(fx.home, { backend: 'file' }).get(`mcp:${name}`);
  return raw === null || raw === undefined ? undefined : (JSON.parse(raw) as { oauth?: Record<string, unknown> }).oauth;
}

async function status(name: string): Promise<Record<string, unknown>> {
  const res = await fetch(`${fx.origin}/api/mcp/servers`, { headers: { authorization: `Bearer ${fx.gw.metrics.adminToken}` } });
  return ((await res.json()) as { servers: Record<string, unknown>[] }).servers.find((s) => s.name === name)!;
}

async function eventually<T>(probe: () => Promise<T | undefined>, ms = 15_000): Promise<T> {
  const end = Date.now() + ms;
  for (;;) {
    const v = await probe().catch(() => undefined);
    if (v !== undefined) return v;
    if (Date.now() > end) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 150));
  }
}

describe('upstream OAuth', () => {
  it('reports "needs login" for a server that answers 401, without registering a client', async () => {
    const client = await connectClient(fx);
    const names = (await client.listTools()).tools.map((t) => t.name);
    expect(names).not.toContain('secure__whoami');
    await client.close();
    expect(await status('secure')).toMatchObject({ needsLogin: true });
    expect(secure.counts.registrations).toBe(0);
    const list = await runCli(['--home', fx.home, 'mcp', 'list', '--json']);
    expect((JSON.parse(list.stdout) as { name: string; state: string }[]).find((s) => s.name === 'secure')?.state).toBe('needs login');
  });

  it('logs in with the authorization code flow through the loopback redirect, and the running gateway then calls the server', async () => {
    const t = testIo();
    const run = main(['node', 'localrouter', '--home', fx.home, 'mcp', 'login', 'secure'], t.io);
    // The browser's part: open the printed URL; the authorization server redirects to the loopback listener.
    const url = await eventually(async () => /https?:\/\/\S+\/authorize\?\S+/.exec(t.stderr())?.[0]);
    const authorizeUrl = new URL(url);
    expect(authorizeUrl.searchParams.get('code_challenge_method')).toBe('S256');
    expect(authorizeUrl.searchParams.get('resource')).toBe(secure.url);
    const approved = await fetch(url, { redirect: 'manual' });
    expect(approved.status).toBe(302);
    const back = await fetch(approved.headers.get('location')!);
    expect(await back.text()).toMatch(/login is done/);
    expect(await run).toBe(0);
    expect(t.stdout()).toMatch(/logged in to MCP server "secure"/);
    expect(secure.counts.registrations).toBe(1);
    expect(secure.counts.codes).toBe(1);
    // The tokens are in the secret store, never in the config.
    expect(fs.readFileSync(path.join(fx.home, 'config.yaml'), 'utf8')).not.toMatch(/at-|rt-|access_token/);
    const stored = JSON.parse(openSecretStore(fx.home, { backend: 'file' }).get('mcp:secure')!) as { oauth: { tokens: { access_token: string } } };
    expect(stored.oauth.tokens.access_token).toMatch(/^at-/);

    const text = await eventually(async () => {
      const client = await connectClient(fx);
      try {
        return toolText(await client.callTool({ name: 'secure__whoami', arguments: {} }));
      } finally {
        await client.close();
      }
    });
    expect(text).toMatch(/^client [0-9a-f-]{36}$/);
    expect(await status('secure')).toMatchObject({ needsLogin: false, state: 'ready' });
  }, 60_000);

  it('refreshes an expired access token by itself and keeps the new one in the secret store', async () => {
    const before = JSON.parse(openSecretStore(fx.home, { backend: 'file' }).get('mcp:secure')!) as { oauth: { tokens: { access_token: string } } };
    await new Promise((r) => setTimeout(r, 2_500));
    const client = await connectClient(fx);
    expect(toolText(await client.callTool({ name: 'secure__whoami', arguments: {} }))).toMatch(/^client /);
    await client.close();
    expect(secure.counts.refreshes).toBeGreaterThanOrEqual(1);
    const after = await eventually(async () => {
      const s = JSON.parse(openSecretStore(fx.home, { backend: 'file' }).get('mcp:secure')!) as { oauth: { tokens: { access_token: string } } };
      return s.oauth.tokens.access_token !== before.oauth.tokens.access_token ? s : undefined;
    });
    expect(after.oauth.tokens.access_token).toMatch(/^at-/);
    // The refreshed tokens stay bound to the authorization server that issued them.
    const tokens = (storedOAuth('secure') as { tokens: { issuer?: string } }).tokens;
    expect(tokens.issuer?.replace(/\/$/, '')).toBe(secure.issuer);
  }, 30_000);

  it('refuses a redirect whose iss names another authorization server (RFC 9207 mix-up), without redeeming the code', async () => {
    const out = await loginThroughBrowser('mixup');
    expect(out.code).not.toBe(0);
    expect(out.stderr).toMatch(/comes from authorization server "https:\/\/attacker\.example\/", not http:\/\/127\.0\.0\.1:\d+\/ \(RFC 9207 mix-up check\)/);
    expect(mixup.counts.codes).toBe(0);
    expect(storedOAuth('mixup')).toBeUndefined();
  }, 60_000);

  it('refuses an authorization server whose metadata names another issuer (RFC 8414 §3.3), even with a matching iss', async () => {
    const out = await loginThroughBrowser('impostor');
    expect(out.code).not.toBe(0);
    expect(out.stderr).toMatch(/metadata found at http:\/\/127\.0\.0\.1:\d+\/? names issuer "https:\/\/honest-idp\.example\/"/);
    expect(impostor.counts.codes).toBe(0);
    expect(storedOAuth('impostor')).toBeUndefined();
  }, 60_000);

  it('refuses a redirect without iss from an authorization server that promises one', async () => {
    const out = await loginThroughBrowser('noiss');
    expect(out.code).not.toBe(0);
    expect(out.stderr).toMatch(/carries no "iss" though http:\/\/127\.0\.0\.1:\d+\/ promises one/);
    expect(noIss.counts.codes).toBe(0);
    expect(storedOAuth('noiss')).toBeUndefined();
  }, 60_000);

  it('says "needs login" again when the tokens are revoked and cannot be refreshed', async () => {
    secure.revokeAll();
    // A refresh that was just made elsewhere is not yet taken as a lost login: calls fail until it is.
    await eventually(async () => {
      const client = await connectClient(fx);
      await client.callTool({ name: 'secure__whoami', arguments: {} }).catch(() => undefined);
      await client.close();
      return (await status('secure')).needsLogin === true ? true : undefined;
    }, 40_000);
    expect(String((await status('secure')).lastError)).toMatch(/needs an OAuth login: run "localrouter mcp login secure"/);
    expect(await status('secure')).toMatchObject({ needsLogin: true });
  }, 60_000);

  it('logs a machine client in with client credentials (secret on stdin), refusing a wrong secret', async () => {
    const wrong = await runCli(['--home', fx.home, 'mcp', 'login', 'm2m', '--client-credentials', '--client-id', machine.machine.clientId], { input: 'not-the-secret\n' });
    expect(wrong.code).not.toBe(0);
    expect(wrong.stderr).toMatch(/refused the client credentials/);
    const ok = await runCli(['--home', fx.home, 'mcp', 'login', 'm2m', '--client-credentials', '--client-id', machine.machine.clientId], { input: `${machine.machine.clientSecret}\n` });
    expect(ok.code).toBe(0);
    const text = await eventually(async () => {
      const client = await connectClient(fx);
      try {
        return toolText(await client.callTool({ name: 'm2m__whoami', arguments: {} }));
      } finally {
        await client.close();
      }
    });
    expect(text).toBe('client machine-client');
    expect(fs.readFileSync(path.join(fx.home, 'config.yaml'), 'utf8')).not.toContain(machine.machine.clientSecret);
    const out = await runCli(['--home', fx.home, 'mcp', 'logout', 'm2m']);
    expect(out.stdout).toMatch(/logged out of MCP server "m2m"/);
    expect(JSON.parse(openSecretStore(fx.home, { backend: 'file' }).get('mcp:m2m')!)).not.toHaveProperty('oauth');
  }, 60_000);

  it('logs in with a client ID metadata document where the server accepts one: its URL is the client id, nothing is registered', async () => {
    const out = await loginThroughBrowser('cimd', ['--client-metadata-url', CIMD_URL, '--port', String(cimdPort)]);
    expect(out.code).toBe(0);
    expect(out.authorizeUrl.searchParams.get('client_id')).toBe(CIMD_URL);
    expect(cimd.counts.registrations).toBe(0);
    expect((storedOAuth('cimd') as { client: { client_id: string } }).client.client_id).toBe(CIMD_URL);
    const text = await eventually(async () => {
      const client = await connectClient(fx);
      try {
        return toolText(await client.callTool({ name: 'cimd__whoami', arguments: {} }));
      } finally {
        await client.close();
      }
    });
    expect(text).toBe(`client ${CIMD_URL}`);
    const bad = await runCli(['--home', fx.home, 'mcp', 'login', 'cimd', '--client-metadata-url', 'http://client.example/x.json']);
    expect(bad.code).not.toBe(0);
    expect(bad.stderr).toMatch(/must be an https:\/\/ URL/);
  }, 60_000);

  it('step-up with client credentials: a 403 insufficient_scope gets a token with the wider scope at once, kept for later connections', async () => {
    const login = await runCli(['--home', fx.home, 'mcp', 'login', 'stepm2m', '--client-credentials', '--client-id', stepper.machine.clientId], { input: `${stepper.machine.clientSecret}\n` });
    expect(login.code).toBe(0);
    const text = await eventually(async () => {
      const client = await connectClient(fx);
      try {
        return toolText(await client.callTool({ name: 'stepm2m__admin', arguments: {} }));
      } finally {
        await client.close();
      }
    });
    expect(text).toBe('admin with mcp:admin mcp:tools');
    expect(storedOAuth('stepm2m')).toMatchObject({ grant: 'client_credentials', scope: 'mcp:tools mcp:admin' });
  }, 60_000);

  it('step-up with client credentials from a 401 naming more scope: a new token first, then the wider scope, through the SDK\'s own handling', async () => {
    const login = await runCli(['--home', fx.home, 'mcp', 'login', 'step401', '--client-credentials', '--client-id', stepper401.machine.clientId], { input: `${stepper401.machine.clientSecret}\n` });
    expect(login.code).toBe(0);
    const text = await eventually(async () => {
      const client = await connectClient(fx);
      try {
        return toolText(await client.callTool({ name: 'step401__admin', arguments: {} }));
      } finally {
        await client.close();
      }
    });
    expect(text).toBe('admin with mcp:admin mcp:tools');
    expect(storedOAuth('step401')).toMatchObject({ grant: 'client_credentials', scope: 'mcp:tools mcp:admin' });
  }, 60_000);

  it('step-up with a login: a 403 insufficient_scope marks the server "needs login (scope ...)", and the next mcp login asks for that scope', async () => {
    const first = await loginThroughBrowser('stepper');
    expect(first.code).toBe(0);
    expect(first.authorizeUrl.searchParams.get('scope')).toBe('mcp:tools');
    const call = async (tool: string): Promise<string> => {
      const client = await connectClient(fx);
      try {
        return await client.callTool({ name: `stepper__${tool}`, arguments: {} }).then((r) => JSON.stringify(r), (err: Error) => err.message);
      } finally {
        await client.close();
      }
    };
    expect(await eventually(async () => { const t = await call('whoami'); return t.includes('client ') ? t : undefined; })).toMatch(/client /);
    const refused = await call('admin');
    expect(refused).toMatch(/needs an OAuth login asking for scope \\?"mcp:tools mcp:admin\\?".*localrouter mcp login stepper/);
    expect(storedOAuth('stepper')).toMatchObject({ stepUpScope: 'mcp:tools mcp:admin' });
    const list = await runCli(['--home', fx.home, 'mcp', 'list', '--json']);
    expect((JSON.parse(list.stdout) as { name: string; state: string }[]).find((s) => s.name === 'stepper')?.state).toBe('needs login (scope mcp:tools mcp:admin)');
    const second = await loginThroughBrowser('stepper');
    expect(second.code).toBe(0);
    expect(second.authorizeUrl.searchParams.get('scope')).toBe('mcp:tools mcp:admin');
    expect(second.stdout).toMatch(/scope "mcp:tools mcp:admin"/);
    expect(storedOAuth('stepper')).not.toHaveProperty('stepUpScope');
    expect(await eventually(async () => { const t = await call('admin'); return t.includes('admin with') ? t : undefined; })).toContain('admin with mcp:admin mcp:tools');
  }, 90_000);

  it('after a step-up the login keeps refreshing: the tools its scope covers still work once the access token expired, marked "needs login" all along', async () => {
    expect((await loginThroughBrowser('stepshort')).code).toBe(0);
    const call = async (tool: string): Promise<string> => {
      const client = await connectClient(fx);
      try {
        return await client.callTool({ name: `stepshort__${tool}`, arguments: {} }).then((r) => JSON.stringify(r), (err: Error) => err.message);
      } finally {
        await client.close();
      }
    };
    expect(await eventually(async () => { const t = await call('whoami'); return t.includes('client ') ? t : undefined; })).toMatch(/client /);
    expect(await call('admin')).toMatch(/needs an OAuth login asking for scope \\?"mcp:tools mcp:admin\\?"/);
    expect(await status('stepshort')).toMatchObject({ needsLogin: true });
    const refreshes = stepShort.counts.refreshes;
    // The access token lives 2 s: past it, only a refresh lets whoami through.
    await new Promise((r) => setTimeout(r, 2_500));
    expect(await call('whoami')).toMatch(/client /);
    expect(stepShort.counts.refreshes).toBeGreaterThan(refreshes);
    // Still marked: the login works for whoami, but admin wants a new one.
    expect(await status('stepshort')).toMatchObject({ needsLogin: true });
    expect(storedOAuth('stepshort')).toMatchObject({ stepUpScope: 'mcp:tools mcp:admin' });
  }, 90_000);

  it('step-up on a 2026-07-28 server with client credentials: a 403 insufficient_scope gets one token with the wider scope and the call is sent once more', async () => {
    const login = await runCli(['--home', fx.home, 'mcp', 'login', 'stepmodm2m', '--client-credentials', '--client-id', stepModernM2m.machine.clientId], { input: `${stepModernM2m.machine.clientSecret}\n` });
    expect(login.code).toBe(0);
    const call = async (tool: string): Promise<string> => {
      const client = await connectClient(fx);
      try {
        return await client.callTool({ name: `stepmodm2m__${tool}`, arguments: {} }).then((r) => toolText(r), (err: Error) => `error: ${err.message}`);
      } finally {
        await client.close();
      }
    };
    expect(await eventually(async () => { const t = await call('whoami'); return t.startsWith('client ') ? t : undefined; })).toBe(`client ${stepModernM2m.machine.clientId}`);
    expect(await status('stepmodm2m')).toMatchObject({ era: 'modern', needsLogin: false });
    const tokens = stepModernM2m.counts.clientCredentials;
    expect(await call('admin')).toBe('admin with mcp:admin mcp:tools');
    expect(stepModernM2m.counts.clientCredentials).toBe(tokens + 1);
    expect(storedOAuth('stepmodm2m')).toMatchObject({ grant: 'client_credentials', scope: 'mcp:tools mcp:admin' });
    // The wider token serves the next calls: no new token request.
    expect(await call('admin')).toBe('admin with mcp:admin mcp:tools');
    expect(await call('whoami')).toBe(`client ${stepModernM2m.machine.clientId}`);
    expect(stepModernM2m.counts.clientCredentials).toBe(tokens + 1);
    expect(await status('stepmodm2m')).toMatchObject({ era: 'modern', needsLogin: false });
  }, 60_000);

  it('step-up on a 2026-07-28 server with client credentials whose token was refused first: a new token for the 401, then the wider one for the 403, in one call', async () => {
    const login = await runCli(['--home', fx.home, 'mcp', 'login', 'stepmodexp', '--client-credentials', '--client-id', stepModernRefused.machine.clientId], { input: `${stepModernRefused.machine.clientSecret}\n` });
    expect(login.code).toBe(0);
    const call = async (tool: string): Promise<string> => {
      const client = await connectClient(fx);
      try {
        return await client.callTool({ name: `stepmodexp__${tool}`, arguments: {} }).then((r) => toolText(r), (err: Error) => `error: ${err.message}`);
      } finally {
        await client.close();
      }
    };
    expect(await eventually(async () => { const t = await call('whoami'); return t.startsWith('client ') ? t : undefined; })).toBe(`client ${stepModernRefused.machine.clientId}`);
    // The token is refused (401) on the call that then meets the step-up (403).
    stepModernRefused.revokeAccess();
    const tokens = stepModernRefused.counts.clientCredentials;
    expect(await call('admin')).toBe('admin with mcp:admin mcp:tools');
    expect(stepModernRefused.counts.clientCredentials).toBe(tokens + 2);
    expect(await status('stepmodexp')).toMatchObject({ era: 'modern', needsLogin: false });
  }, 60_000);

  it('step-up on a 2026-07-28 server with a login: a 403 insufficient_scope fails the call and marks "needs login (scope ...)"; the next mcp login asks for the union', async () => {
    const first = await loginThroughBrowser('stepmod');
    expect(first.code).toBe(0);
    expect(first.authorizeUrl.searchParams.get('scope')).toBe('mcp:tools');
    const call = async (tool: string): Promise<string> => {
      const client = await connectClient(fx);
      try {
        return await client.callTool({ name: `stepmod__${tool}`, arguments: {} }).then((r) => toolText(r), (err: Error) => `error: ${err.message}`);
      } finally {
        await client.close();
      }
    };
    expect(await eventually(async () => { const t = await call('whoami'); return t.startsWith('client ') ? t : undefined; })).toMatch(/^client /);
    expect(await status('stepmod')).toMatchObject({ era: 'modern', needsLogin: false });
    const codes = stepModern.counts.codes;
    const refused = await call('admin');
    expect(refused).toMatch(/^error: .*needs an OAuth login asking for scope "mcp:tools mcp:admin" \(the server asks for more scope than the login was granted\): run "localrouter mcp login stepmod"/);
    expect(await status('stepmod')).toMatchObject({ era: 'modern', needsLogin: true });
    expect(storedOAuth('stepmod')).toMatchObject({ stepUpScope: 'mcp:tools mcp:admin' });
    const list = await runCli(['--home', fx.home, 'mcp', 'list', '--json']);
    expect((JSON.parse(list.stdout) as { name: string; state: string }[]).find((s) => s.name === 'stepmod')?.state).toBe('needs login (scope mcp:tools mcp:admin)');
    // The tools the login covers still work; the mark stays until the next login.
    expect(await call('whoami')).toMatch(/^client /);
    expect(await status('stepmod')).toMatchObject({ needsLogin: true });
    expect(stepModern.counts.codes).toBe(codes);

    const second = await loginThroughBrowser('stepmod');
    expect(second.code).toBe(0);
    expect(second.authorizeUrl.searchParams.get('scope')).toBe('mcp:tools mcp:admin');
    expect(storedOAuth('stepmod')).not.toHaveProperty('stepUpScope');
    expect(await eventually(async () => { const t = await call('admin'); return t.startsWith('admin with') ? t : undefined; })).toBe('admin with mcp:admin mcp:tools');
    expect(await status('stepmod')).toMatchObject({ era: 'modern', needsLogin: false });
  }, 90_000);

  it('cross-app access sends the ID token only over https (or to this machine), and only to the identity provider its metadata names', async () => {
    const idTokenFile = path.join(fx.home, 'id-token.txt');
    fs.writeFileSync(idTokenFile, 'e30.e30.sig\n');
    const xaa = (idp: string[]): ReturnType<typeof runCli> => runCli(['--home', fx.home, 'mcp', 'login', 'secure', '--cross-app-access',
      '--client-id', 'xaa-client', '--idp-client-id', 'idp-client', '--id-token-file', idTokenFile, ...idp], { input: 's3cret\n' });
    for (const option of ['--idp-issuer', '--idp-token-endpoint']) {
      const plain = await xaa([option, 'http://idp.example/token']);
      expect(plain.code).not.toBe(0);
      expect(plain.stderr).toMatch(/must be an https:\/\/ URL \(http:\/\/ only on a loopback address/);
    }
    // Metadata found at the issuer given must name that issuer (RFC 8414 §3.3).
    const posts: string[] = [];
    const idp = http.createServer((req, res) => {
      if (req.method === 'POST') posts.push(req.url ?? '');
      res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({
        issuer: 'https://idp.example', authorization_endpoint: 'https://idp.example/authorize', token_endpoint: `${origin}/token`, response_types_supported: ['code'],
      }));
    });
    await new Promise<void>((r) => idp.listen(0, '127.0.0.1', r));
    const origin = `http://127.0.0.1:${(idp.address() as AddressInfo).port}`;
    try {
      const other = await xaa(['--idp-issuer', origin]);
      expect(other.code).not.toBe(0);
      expect(other.stderr).toMatch(/the metadata of identity provider http:\/\/127\.0\.0\.1:\d+ names issuer "https:\/\/idp\.example" \(RFC 8414 §3\.3\); the login was stopped/);
      expect(posts).toEqual([]);
    } finally {
      idp.close();
    }
  }, 60_000);

  it('a 2026-07-28-only server behind OAuth: "needs login" until mcp login, then called statelessly with the token, which is refreshed on a 401', async () => {
    const client = await connectClient(fx);
    expect((await client.listTools()).tools.map((t) => t.name)).not.toContain('modern__whoami');
    await client.close();
    expect(await status('modern')).toMatchObject({ needsLogin: true });
    expect(String((await status('modern')).lastError)).toMatch(/needs an OAuth login: run "localrouter mcp login modern"/);
    expect(modern.counts.registrations).toBe(0);
    const list = await runCli(['--home', fx.home, 'mcp', 'list', '--json']);
    expect((JSON.parse(list.stdout) as { name: string; state: string }[]).find((s) => s.name === 'modern')?.state).toBe('needs login');

    expect((await loginThroughBrowser('modern')).code).toBe(0);
    const call = async (): Promise<string> => {
      const c = await connectClient(fx);
      try {
        return await c.callTool({ name: 'modern__whoami', arguments: {} }).then((r) => toolText(r), (err: Error) => `error: ${err.message}`);
      } finally {
        await c.close();
      }
    };
    expect(await eventually(async () => { const t = await call(); return t.startsWith('client ') ? t : undefined; })).toMatch(/^client [0-9a-f-]{36}$/);
    expect(await status('modern')).toMatchObject({ era: 'modern', protocolVersion: '2026-07-28', needsLogin: false, state: 'ready' });

    // The access token is refused (revoked, unknown): the login's refresh token gets a new one and the call goes through.
    const refreshes = modern.counts.refreshes;
    modern.revokeAccess();
    expect(await call()).toMatch(/^client [0-9a-f-]{36}$/);
    expect(modern.counts.refreshes).toBe(refreshes + 1);
    expect(await status('modern')).toMatchObject({ needsLogin: false, era: 'modern' });

    // Several calls meet the refused token at once: one refresh (the refresh token rotates, so a
    // second would be refused) serves them all, and each call is sent once more with the new token.
    const before = modern.counts.refreshes;
    modern.revokeAccess();
    const clients = await Promise.all([0, 1, 2, 3].map(() => connectClient(fx)));
    const outcomes = await Promise.all(clients.map((c) => c.callTool({ name: 'modern__whoami', arguments: {} }).then((r) => toolText(r), (err: Error) => `error: ${err.message}`)));
    await Promise.all(clients.map((c) => c.close()));
    expect(outcomes.filter((o) => /^client [0-9a-f-]{36}$/.test(o)), outcomes.join(' | ')).toHaveLength(4);
    expect(modern.counts.refreshes - before).toBe(1);
    expect(await status('modern')).toMatchObject({ needsLogin: false, era: 'modern' });

    // The token endpoint is down for now (a 503 page): the call fails saying so, the server is not
    // marked "needs login" (the refresh token is still good), and once it is back the refresh works.
    modern.tokenOutage(503);
    modern.revokeAccess();
    const during = modern.counts.refreshes;
    expect(await call()).toMatch(/^error: .*could not renew the login for now: the token endpoint \(http:\/\/127\.0\.0\.1:\d+\) answered HTTP 503/);
    expect(await status('modern')).toMatchObject({ needsLogin: false, era: 'modern' });
    modern.tokenOutage(null);
    expect(await call()).toMatch(/^client [0-9a-f-]{36}$/);
    expect(modern.counts.refreshes).toBe(during + 1);
    expect(await status('modern')).toMatchObject({ needsLogin: false, era: 'modern' });

    // Nothing to refresh with: "needs login" again, the call fails saying so (a refresh made just
    // before is not yet taken for a lost login: calls fail until it is).
    modern.revokeAll();
    expect(await eventually(async () => { const t = await call(); return /needs an OAuth login/.test(t) ? t : undefined; }, 40_000))
      .toMatch(/error: .*needs an OAuth login: run "localrouter mcp login modern"/);
    expect(await status('modern')).toMatchObject({ needsLogin: true });
  }, 90_000);

  it('a connect with tokens about to expire, or expired, refreshes them once for the probe and the session alike', async () => {
    expect((await loginThroughBrowser('fresh')).code).toBe(0);
    const call = async (): Promise<string> => {
      const c = await connectClient(fx);
      try {
        return await c.callTool({ name: 'fresh__whoami', arguments: {} }).then((r) => toolText(r), (err: Error) => `error: ${err.message}`);
      } finally {
        await c.close();
      }
    };
    expect(await eventually(async () => { const t = await call(); return t.startsWith('client ') ? t : undefined; })).toMatch(/^client /);
    // The access token lives 4 s and is refreshed in its last 2: past 2.5 s it is about to expire, past 4.5 s expired.
    for (const waitMs of [2_500, 4_500]) {
      const before = fresh.counts.refreshes;
      await new Promise((r) => setTimeout(r, waitMs));
      expect(await call()).toMatch(/^client /);
      expect(fresh.counts.refreshes - before, `after ${waitMs} ms`).toBe(1);
    }
  }, 60_000);

  it('mcp tools refreshing a login about to expire keeps the rotated tokens for the running gateway, which refreshes after it (no "needs login")', async () => {
    for (const [name, server] of [['rotor', rotor], ['rotorm', rotorModern]] as const) {
      expect((await loginThroughBrowser(name)).code).toBe(0);
      const call = async (): Promise<string> => {
        const c = await connectClient(fx);
        try {
          return await c.callTool({ name: `${name}__whoami`, arguments: {} }).then((r) => toolText(r), (err: Error) => `error: ${err.message}`);
        } finally {
          await c.close();
        }
      };
      expect(await eventually(async () => { const t = await call(); return t.startsWith('client ') ? t : undefined; })).toMatch(/^client /);
      // The access token lives 4 s and is refreshed in its last 2: past 2.5 s the CLI's connection
      // refreshes it, and the server rotates the refresh token (the gateway's is spent).
      await new Promise((r) => setTimeout(r, 2_500));
      const before = server.counts.refreshes;
      const out = await runCli(['--home', fx.home, 'mcp', 'tools', name, '--json']);
      expect(out.code, out.stderr).toBe(0);
      expect((JSON.parse(out.stdout) as { name: string }[]).map((t) => t.name)).toContain('whoami');
      expect(server.counts.refreshes, name).toBe(before + 1);
      expect(out.stdout + out.stderr).not.toMatch(/\b(?:at|rt)-[0-9a-f]{8}-/);
      expect(fs.readFileSync(path.join(fx.home, 'config.yaml'), 'utf8')).not.toMatch(/at-|rt-|access_token/);
      // Past the expiry of the CLI's access token, the gateway refreshes with the newest refresh token.
      await new Promise((r) => setTimeout(r, 4_500));
      expect(await call(), name).toMatch(/^client /);
      expect(server.counts.refreshes, name).toBeGreaterThan(before + 1);
      expect(await status(name)).toMatchObject({ needsLogin: false, state: 'ready' });
    }
  }, 90_000);

  it('refuses a login for a STDIO server and for an unknown server with a clear message', async () => {
    const unknown = await runCli(['--home', fx.home, 'mcp', 'login', 'nope']);
    expect(unknown.code).not.toBe(0);
    expect(unknown.stderr).toMatch(/no MCP server named "nope"/);
  });

  // Last, after every refresh, 401 and revocation above.
  it('stores what the SDK gives unchanged: it never warns of tokens without their authorization server', () => {
    expect(secure.counts.refreshes).toBeGreaterThanOrEqual(1);
    expect(stderrSeen.join('')).not.toMatch(/have no 'issuer' property/);
  });
});
