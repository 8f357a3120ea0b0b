import { randomUUID } from 'node:crypto';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Readable } from 'node:stream';
import type { ReadableStream as WebReadableStream } from 'node:stream/web';
import express, { type Response } from 'express';
import { createMcpHandler, Server as ModernServer } from '@modelcontextprotocol/server';
import { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import { StreamableHTTPServerTransport } from '@modelcontextprotocol/sdk/server/streamableHttp.js';
import { createOAuthMetadata, getOAuthProtectedResourceMetadataUrl, mcpAuthRouter } from '@modelcontextprotocol/sdk/server/auth/router.js';
import { requireBearerAuth } from '@modelcontextprotocol/sdk/server/auth/middleware/bearerAuth.js';
import type { OAuthRegisteredClientsStore } from '@modelcontextprotocol/sdk/server/auth/clients.js';
import { InvalidGrantError, InvalidTokenError } from '@modelcontextprotocol/sdk/server/auth/errors.js';
import type { AuthorizationParams, OAuthServerProvider } from '@modelcontextprotocol/sdk/server/auth/provider.js';
import type { AuthInfo } from '@modelcontextprotocol/sdk/server/auth/types.js';
import type { OAuthClientInformationFull, OAuthTokenRevocationRequest, OAuthTokens } from '@modelcontextprotocol/sdk/shared/auth.js';

/**
 * An MCP server behind OAuth, with its own authorization server on the same origin, written for the
 * tests: dynamic client registration, authorization code with PKCE (approved at once, as if a user
 * clicked "allow"), refresh tokens that rotate, access tokens that expire after `accessTtlS`,
 * revocation, and a client credentials grant for one pre-registered machine client. Its authorization
 * response carries `iss` (RFC 9207), which it advertises; `iss: 'wrong'` plays a mix-up attacker
 * (another server's issuer in the redirect), `iss: 'missing'` leaves it out, `iss: 'impersonate'`
 * names another server's issuer in its metadata and its redirects alike. Its MCP tool
 * `whoami` answers with the client id of the token it was called with. With `stepUp`, its tool
 * `admin` needs the scope `mcp:admin` on top of `mcp:tools` (step-up authorization): called with a
 * token without it, the server answers 403 `insufficient_scope` naming both. With `modern`, its MCP
 * endpoint is a 2026-07-28-only server of the v2 SDK (`createMcpHandler`, legacy requests refused)
 * with the same `whoami`, behind the same bearer check.
 */
export interface OAuthMcpServer {
  /** The MCP endpoint (`<origin>/mcp`). */
  url: string;
  issuer: string;
  /** The pre-registered machine client (client credentials grant). */
  machine: { clientId: string; clientSecret: string };
  counts: { registrations: number; codes: number; refreshes: number; clientCredentials: number; rejected: number };
  /** Forgets every token (as after a revocation or a server-side reset). */
  revokeAll(): void;
  /** Forgets the access tokens only: a refresh gets a new one. */
  revokeAccess(): void;
  /** Has the token endpoint answer every request with this status and an HTML page (an outage), or work again (null). */
  tokenOutage(status: number | null): void;
  stop(): Promise<void>;
}

interface TokenData { clientId: string; expiresAt: number; resource: string | undefined; scopes: string[] }

class TestAuthProvider implements OAuthServerProvider {
  readonly clients = new Map<string, OAuthClientInformationFull>();
  readonly codes = new Map<string, { client: OAuthClientInformationFull; params: AuthorizationParams }>();
  readonly access = new Map<string, TokenData>();
  readonly refresh = new Map<string, TokenData>();
  readonly counts = { registrations: 0, codes: 0, refreshes: 0, clientCredentials: 0, rejected: 0 };
  constructor(readonly accessTtlS: number, readonly issuer: string, readonly iss: IssMode) {}

  get clientsStore(): OAuthRegisteredClientsStore {
    return {
      getClient: async (id) => this.clients.get(id),
      registerClient: async (client) => {
        this.counts.registrations++;
        const full = client as OAuthClientInformationFull;
        this.clients.set(full.client_id, full);
        return full;
      },
    };
  }

  async authorize(client: OAuthClientInformationFull, params: AuthorizationParams, res: Response): Promise<void> {
    const code = randomUUID();
    this.codes.set(code, { client, params });
    const target = new URL(params.redirectUri);
    target.searchParams.set('code', code);
    if (params.state !== undefined) target.searchParams.set('state', params.state);
    if (this.iss === 'right') target.searchParams.set('iss', this.issuer);
    if (this.iss === 'wrong') target.searchParams.set('iss', 'https://attacker.example/');
    if (this.iss === 'impersonate') target.searchParams.set('iss', IMPERSONATED);
    res.redirect(target.href);
  }

  async challengeForAuthorizationCode(_client: OAuthClientInformationFull, code: string): Promise<string> {
    const data = this.codes.get(code);
    if (data === undefined) throw new Error('unknown code');
    return data.params.codeChallenge;
  }

  async exchangeAuthorizationCode(client: OAuthClientInformationFull, code: string): Promise<OAuthTokens> {
    const data = this.codes.get(code);
    if (data === undefined || data.client.client_id !== client.client_id) throw new Error('invalid code');
    this.codes.delete(code);
    this.counts.codes++;
    return this.issue(client.client_id, data.params.resource?.href, data.params.scopes ?? [], true);
  }

  async exchangeRefreshToken(client: OAuthClientInformationFull, refreshToken: string): Promise<OAuthTokens> {
    const data = this.refresh.get(refreshToken);
    // RFC 6749 §5.2: an unknown or revoked refresh token is a 400 invalid_grant (a plain Error would be a 500 server_error).
    if (data === undefined || data.clientId !== client.client_id) throw new InvalidGrantError('invalid refresh token');
    this.refresh.delete(refreshToken);
    this.counts.refreshes++;
    return this.issue(client.client_id, data.resource, data.scopes, true);
  }

  issue(clientId: string, resource: string | undefined, scopes: string[], withRefresh: boolean): OAuthTokens {
    const token = `at-${randomUUID()}`;
    this.access.set(token, { clientId, expiresAt: Date.now() + this.accessTtlS * 1000, resource, scopes });
    const out: OAuthTokens = { access_token: token, token_type: 'bearer', expires_in: this.accessTtlS };
    if (withRefresh) {
      const refresh = `rt-${randomUUID()}`;
      this.refresh.set(refresh, { clientId, expiresAt: Number.MAX_SAFE_INTEGER, resource, scopes });
      out.refresh_token = refresh;
    }
    return out;
  }

  async verifyAccessToken(token: string): Promise<AuthInfo> {
    const data = this.access.get(token);
    if (data === undefined || data.expiresAt < Date.now()) {
      this.counts.rejected++;
      throw new InvalidTokenError('invalid or expired token');
    }
    return { token, clientId: data.clientId, scopes: data.scopes, expiresAt: Math.floor(data.expiresAt / 1000) };
  }

  async revokeToken(_client: OAuthClientInformationFull, request: OAuthTokenRevocationRequest): Promise<void> {
    this.access.delete(request.token);
    this.refresh.delete(request.token);
  }
}

type IssMode = 'right' | 'wrong' | 'missing' | 'impersonate';
/** The issuer an `iss: 'impersonate'` server claims in its metadata and redirects: not its own. */
const IMPERSONATED = 'https://honest-idp.example/';

/**
 * `cimd`: the server accepts client ID metadata documents (SEP-991) and knows this one, as if it had
 * fetched it from its https URL (a test cannot serve one there).
 */
export async function startOAuthMcpServer(opts: { accessTtlS?: number; iss?: IssMode; cimd?: { url: string; redirectUri: string }; stepUp?: boolean | 'unauthorized'; modern?: boolean } = {}): Promise<OAuthMcpServer> {
  const app = express();
  const server: Server = await new Promise((resolve) => { const s = app.listen(0, '127.0.0.1', () => resolve(s)); });
  const origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const mcpUrl = new URL(`${origin}/mcp`);
  const provider = new TestAuthProvider(opts.accessTtlS ?? 3600, `${origin}/`, opts.iss ?? 'right');
  const machine = { clientId: 'machine-client', clientSecret: 'machine-secret' };
  provider.clients.set(machine.clientId, {
    client_id: machine.clientId, client_secret: machine.clientSecret, redirect_uris: [], grant_types: ['client_credentials'], token_endpoint_auth_method: 'client_secret_basic',
  } as OAuthClientInformationFull);
  let outage: number | null = null;
  app.post('/token', (_req, res, next) => {
    if (outage === null) return next();
    res.status(outage).type('html').send('<html><body>down for maintenance</body></html>');
  });
  // The SDK's token endpoint has no client credentials grant: that one is answered here first.
  app.post('/token', express.urlencoded({ extended: false }), (req, res, next) => {
    if (req.body?.grant_type !== 'client_credentials') return next();
    const basic = /^Basic (.+)$/.exec(req.headers.authorization ?? '');
    const [id, secret] = basic === null ? [req.body.client_id, req.body.client_secret] : Buffer.from(basic[1]!, 'base64').toString().split(':').map(decodeURIComponent);
    if (id !== machine.clientId || secret !== machine.clientSecret) {
      res.status(401).json({ error: 'invalid_client' });
      return;
    }
    provider.counts.clientCredentials++;
    const scopes = typeof req.body.scope === 'string' ? req.body.scope.split(' ').filter(Boolean) : [];
    res.json(provider.issue(id!, req.body.resource, scopes, false));
  });
  const authOptions = { provider, issuerUrl: new URL(origin), resourceServerUrl: mcpUrl, scopesSupported: ['mcp:tools'] };
  // The SDK's metadata, plus the RFC 9207 promise the SDK's router does not make.
  const asMetadata = {
    ...createOAuthMetadata(authOptions), authorization_response_iss_parameter_supported: true, ...(opts.cimd ? { client_id_metadata_document_supported: true } : {}),
    // A hostile server claiming another server's issuer (RFC 8414 §3.3 forbids it), with a matching `iss`.
    ...(opts.iss === 'impersonate' ? { issuer: IMPERSONATED } : {}),
  };
  if (opts.cimd) {
    provider.clients.set(opts.cimd.url, {
      client_id: opts.cimd.url, client_name: 'LocalRouter', redirect_uris: [opts.cimd.redirectUri], token_endpoint_auth_method: 'none', grant_types: ['authorization_code', 'refresh_token'],
    } as OAuthClientInformationFull);
  }
  app.get('/.well-known/oauth-authorization-server', (_req, res) => { res.json(asMetadata); });
  // The SDK's token endpoint allows 50 requests per 15 minutes from one address by default; a test
  // file's logins, refreshes and the gateway's reconnects (each probe may refresh ahead of expiry
  // too) pass that, and a 429 is then the answer every test after sees. These servers test OAuth
  // semantics, not rate limits.
  app.use(mcpAuthRouter({ ...authOptions, tokenOptions: { rateLimit: false } }));
  const bearer = requireBearerAuth({ verifier: provider, resourceMetadataUrl: getOAuthProtectedResourceMetadataUrl(mcpUrl) });
  const stepUp = (req: express.Request, res: Response, next: () => void): void => {
    const body = req.body as { method?: unknown; params?: { name?: unknown } } | undefined;
    if (opts.stepUp && body?.method === 'tools/call' && body.params?.name === 'admin' && !(req.auth?.scopes ?? []).includes('mcp:admin')) {
      if (opts.stepUp === 'unauthorized') {
        res.status(401).set('WWW-Authenticate', `Bearer scope="mcp:tools mcp:admin", resource_metadata="${getOAuthProtectedResourceMetadataUrl(mcpUrl)}"`).json({ error: 'unauthorized' });
        return;
      }
      res.status(403).set('WWW-Authenticate', `Bearer error="insufficient_scope", scope="mcp:tools mcp:admin", resource_metadata="${getOAuthProtectedResourceMetadataUrl(mcpUrl)}"`)
        .json({ error: 'insufficient_scope' });
      return;
    }
    next();
  };
  const modern = opts.modern ? createMcpHandler(({ authInfo }) => whoamiServer(authInfo, opts.stepUp !== undefined && opts.stepUp !== false), { legacy: 'reject' }) : null;
  app.post('/mcp', express.json(), bearer, stepUp, async (req, res) => {
    if (modern !== null) return serveModern(modern, req, res);
    const mcp = new McpServer({ name: 'oauth-probe', version: '1' });
    mcp.registerTool('whoami', { description: 'the client id of the caller\'s token' }, async (extra) => ({
      content: [{ type: 'text', text: `client ${extra.authInfo?.clientId ?? 'unknown'}` }],
    }));
    if (opts.stepUp) {
      mcp.registerTool('admin', { description: 'needs the scope mcp:admin' }, async (extra) => ({
        content: [{ type: 'text', text: `admin with ${[...(extra.authInfo?.scopes ?? [])].sort().join(' ')}` }],
      }));
    }
    const transport = new StreamableHTTPServerTransport({ sessionIdGenerator: undefined });
    res.on('close', () => { void transport.close(); void mcp.close(); });
    await mcp.connect(transport);
    await transport.handleRequest(req, res, req.body);
  });
  // Stateless: no standalone GET stream and no session to delete.
  app.get('/mcp', (_req, res) => { res.status(405).set('allow', 'POST').end(); });
  app.delete('/mcp', (_req, res) => { res.status(405).set('allow', 'POST').end(); });
  return {
    url: mcpUrl.href, issuer: origin, machine, counts: provider.counts,
    revokeAll: () => { provider.access.clear(); provider.refresh.clear(); },
    revokeAccess: () => { provider.access.clear(); },
    tokenOutage: (status) => { outage = status; },
    stop: async () => {
      await modern?.close();
      await new Promise<void>((resolve) => { server.closeAllConnections(); server.close(() => resolve()); });
    },
  };
}

/**
 * A 2026-07-28 server with the tool `whoami`, answering with the client id of the request's token,
 * and with `admin` (`stepUp`: the bearer check in front of it asks for `mcp:admin` first), answering
 * with the token's scopes.
 */
function whoamiServer(authInfo: AuthInfo | undefined, admin: boolean): ModernServer {
  const server = new ModernServer({ name: 'oauth-probe-modern', version: '1' }, { capabilities: { tools: {} } });
  const tools = [{ name: 'whoami', description: 'the client id of the caller\'s token', inputSchema: { type: 'object' as const } }];
  if (admin) tools.push({ name: 'admin', description: 'needs the scope mcp:admin', inputSchema: { type: 'object' as const } });
  server.setRequestHandler('tools/list', () => ({ tools }));
  server.setRequestHandler('tools/call', (req) => {
    if (admin && req.params.name === 'admin') return { content: [{ type: 'text', text: `admin with ${[...(authInfo?.scopes ?? [])].sort().join(' ')}` }] };
    return { content: [{ type: 'text', text: `client ${authInfo?.clientId ?? 'unknown'}` }] };
  });
  return server;
}

/** One request of the express app through the v2 SDK's fetch-shaped handler (the bearer check already passed). */
async function serveModern(handler: ReturnType<typeof createMcpHandler>, req: express.Request, res: Response): Promise<void> {
  const headers = new Headers();
  // The body is express's parse, serialized again: its length may differ from the original's.
  for (const [k, v] of Object.entries(req.headers)) if (typeof v === 'string' && k !== 'content-length') headers.set(k, v);
  const request = new Request(`http://${req.headers.host}${req.originalUrl}`, { method: 'POST', headers, body: JSON.stringify(req.body) });
  const response = await handler.fetch(request, { authInfo: req.auth, parsedBody: req.body });
  res.writeHead(response.status, Object.fromEntries(response.headers));
  if (response.body === null) return void res.end();
  const body = Readable.fromWeb(response.body as WebReadableStream);
  res.on('close', () => body.destroy());
  body.pipe(res);
}
