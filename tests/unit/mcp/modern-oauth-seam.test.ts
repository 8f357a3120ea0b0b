import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { probeHttpUpstream, type ModernEvents } from '../../../src/mcp/modern-upstream.js';
import { bearerSeam, upstreamOAuthProvider } from '../../../src/mcp/upstream-oauth.js';
import type { McpOAuthState, McpServerRuntime } from '../../../src/workers/index.js';

/**
 * A server behind OAuth whose access token is refused (401) while its authorization server's token
 * endpoint is down (a 503 page, then a 429): the probe of a connect fails like an unreachable
 * server (retried with backoff), it is neither taken for a legacy server nor marked "needs login".
 */
let server: http.Server;
let origin: string;
let tokenStatus = 503;
const tokenRequests: string[] = [];

beforeAll(async () => {
  server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      if (req.url === '/.well-known/oauth-authorization-server') {
        res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({
          issuer: origin, authorization_endpoint: `${origin}/authorize`, token_endpoint: `${origin}/token`, response_types_supported: ['code'],
          code_challenge_methods_supported: ['S256'],
        }));
      } else if (req.url === '/token') {
        tokenRequests.push(Buffer.concat(chunks).toString('utf8'));
        res.writeHead(tokenStatus, { 'content-type': 'text/html' }).end('<html>down for maintenance</html>');
      } else if (req.url === '/mcp') {
        res.writeHead(401, { 'www-authenticate': 'Bearer error="invalid_token"' }).end();
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

const EVENTS: ModernEvents = {
  changed: () => undefined, resourceUpdated: () => undefined, log: () => undefined, input: async () => ({}),
  listenFailed: () => undefined, listenRecovered: () => undefined,
};

/**
 * Each test's server has a name of its own: logins are kept per server name across providers (the
 * newest wins, a tie keeps the one there), so two tests' logins made in the same millisecond for
 * one name would share the first one's tokens.
 */
let servers = 0;

function runtime(): McpServerRuntime {
  const name = `locked${++servers}`;
  return {
    name, namespace: name, transport: 'streamable-http', command: null, args: [], env: {}, cwd: null, url: `${origin}/mcp`, headers: {},
    connect: 'lazy', perSession: false, timeoutMs: 5000, maxTotalTimeoutMs: 0, protocol: 'auto', oauth: null,
  };
}

type LoginState = Extract<McpOAuthState, { grant: 'authorization_code' }>;

function login(): LoginState {
  return {
    grant: 'authorization_code', client: { client_id: 'c1' }, clientMetadata: { client_name: 'LocalRouter', redirect_uris: ['http://127.0.0.1/callback'] },
    redirectUrl: 'http://127.0.0.1/callback', tokens: { access_token: 'refused', token_type: 'bearer', refresh_token: 'rt-1', issuer: origin },
    // Old enough not to count as just refreshed by another request.
    obtainedAt: Date.now() - 3_600_000, scope: null,
  };
}

describe('a token endpoint down for now, met by the probe', () => {
  for (const status of [503, 429]) {
    it(`HTTP ${status}: the probe fails (a connect failure), not legacy, and the server is not marked "needs login"`, async () => {
      tokenStatus = status;
      const before = tokenRequests.length;
      let needsLogin = 0;
      const rt = runtime();
      const provider = upstreamOAuthProvider(rt.name, rt.url!, login(), () => undefined, () => { needsLogin++; });
      const opts = { version: '1', timeoutMs: 5000, maxTotalTimeoutMs: 0, maxJsonDepth: 64, perSession: false, ...bearerSeam(provider, rt.url!) };
      const outcome = await probeHttpUpstream(rt, EVENTS, opts).then((o) => o.era, (err: Error) => err);
      expect(outcome).toBeInstanceOf(Error);
      expect((outcome as Error).name).toBe('RenewalUnavailableError');
      expect((outcome as Error).message).toMatch(new RegExp(`could not renew the login for now: the token endpoint \\(${origin.replace(/[.]/g, '\\.')}\\) answered HTTP ${status}`));
      expect(needsLogin).toBe(0);
      // The refresh was tried (with the stored refresh token), and failed for now.
      expect(tokenRequests.slice(before).some((b) => new URLSearchParams(b).get('refresh_token') === 'rt-1')).toBe(true);
    });
  }
});

describe('the modern seam on a 401', () => {
  const mcpUrl = (): URL => new URL(`${origin}/mcp`);

  it('a 401 for a token replaced since its request was sent renews nothing: the request only goes once more', async () => {
    const rt = runtime();
    const provider = upstreamOAuthProvider(rt.name, rt.url!, { ...login(), tokens: { access_token: 'newer', token_type: 'bearer', refresh_token: 'rt-2', issuer: origin } }, () => undefined, () => undefined);
    const seam = bearerSeam(provider, rt.url!);
    const refused = await seam.watchFetch(async () => new Response(null, { status: 401 }))(mcpUrl(), { headers: { authorization: 'Bearer older' } });
    let renewalRequests = 0;
    const fetchFn = async (url: string | URL, init?: RequestInit): Promise<Response> => { renewalRequests++; return fetch(url, init); };
    await expect(seam.onUnauthorized({ response: refused, serverUrl: mcpUrl(), fetchFn })).resolves.toBeUndefined();
    expect(renewalRequests).toBe(0);
  });

  it('concurrent 401s for the current token share one renewal (one token request), and its outcome', async () => {
    tokenStatus = 503;
    const rt = runtime();
    const provider = upstreamOAuthProvider(rt.name, rt.url!, login(), () => undefined, () => undefined);
    const seam = bearerSeam(provider, rt.url!);
    const before = tokenRequests.length;
    const refusals = await Promise.all([0, 1, 2, 3].map(() => seam.watchFetch(async () => new Response(null, { status: 401 }))(mcpUrl(), { headers: { authorization: 'Bearer refused' } })));
    const outcomes = await Promise.all(refusals.map((response) => seam.onUnauthorized({ response, serverUrl: mcpUrl(), fetchFn: fetch }).then(() => 'ok', (e: Error) => e.name)));
    expect(outcomes).toEqual(Array(4).fill('RenewalUnavailableError'));
    expect(tokenRequests.length - before).toBe(1);
  });
});
