import { randomBytes } from 'node:crypto';
import type { OAuthDiscoveryState } from '@modelcontextprotocol/sdk/client/auth.js';
import { readFileSync } from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { createInterface } from 'node:readline';
import { InvalidArgumentError, type Command } from 'commander';
import type { Config } from '../config/index.js';
import { LocalRouterError } from '../errors/index.js';
import { loadUpstreamOAuth, mcpSecretName, storedMcpSecrets, storeMcpOAuth, type McpOAuthState } from '../mcp/index.js';
import { fetchAdmin } from './admin-client.js';
import { homeOf, parsePort, printJson, readConfig, secretStoreOf, type CliIo } from './cli-io.js';
import { readSecretFromStdin } from './read-secret.js';

interface LoginOptions {
  scope?: string;
  clientId?: string;
  clientSecretStdin?: boolean;
  clientCredentials?: boolean;
  issuer?: string;
  clientMetadataUrl?: string;
  privateKeyFile?: string;
  jwtAlgorithm: string;
  crossAppAccess?: boolean;
  idpIssuer?: string;
  idpTokenEndpoint?: string;
  idpClientId?: string;
  idTokenFile?: string;
  idpClientSecretFile?: string;
  port: number;
  timeoutS: number;
  json?: boolean;
}

/** How long the login waits for the browser's redirect by default. */
const DEFAULT_TIMEOUT_S = 300;

/**
 * `localrouter mcp login <server>` and `mcp logout <server>`: OAuth for a Streamable HTTP or SSE
 * upstream. The login runs the MCP authorization flow (protected-resource and authorization-server
 * discovery, a client ID metadata document (`--client-metadata-url`) where the server accepts one,
 * dynamic client registration where offered, or a pre-registered `--client-id`,
 * authorization code with PKCE S256 and the `resource` indicator) with a loopback redirect; the URL
 * to open is printed, and on a machine without a browser the URL the browser ended on can be
 * pasted instead. Machine-to-machine servers use `--client-credentials`; enterprise-managed servers
 * `--cross-app-access` (the ID token of the enterprise identity provider is exchanged there for an
 * ID-JAG, which the server's authorization server takes as a JWT bearer grant: SEP-990). When the
 * server asked the gateway for more scope than the last login got (step-up), the login asks for the
 * union. The tokens go to the secret store (never the config); a running gateway picks them up at
 * once and refreshes them itself.
 */
export function registerMcpLoginCommand(mcp: Command, io: CliIo): void {
  mcp.command('login').description('log in to an MCP server that uses OAuth (prints the URL to open; tokens go to the secret store)')
    .argument('<name>', 'server name')
    .option('--scope <scopes>', 'space-separated scopes to ask for')
    .option('--client-id <id>', 'a client registered with the authorization server beforehand (default: dynamic registration)')
    .option('--client-secret-stdin', 'read that client\'s secret from stdin')
    .option('--client-credentials', 'machine-to-machine: the client credentials grant (needs --client-id; the secret is read from stdin, or use --private-key-file)')
    .option('--client-metadata-url <url>', 'an https URL where this login\'s client metadata document is published: used as the client id where the authorization server accepts such documents, else dynamic registration; the document lists the redirect, so pair it with --port', parseHttpsUrl)
    .option('--private-key-file <path>', 'with --client-credentials: authenticate with a JWT signed by this PEM private key (private_key_jwt) instead of a secret')
    .option('--jwt-algorithm <alg>', 'the signing algorithm of --private-key-file (RS256, ES256, ...)', 'RS256')
    .option('--issuer <url>', 'with --client-credentials: the authorization server the credentials belong to (they are sent to no other)')
    .option('--cross-app-access', 'enterprise-managed authorization (SEP-990): exchange an ID token of your identity provider for access (needs --client-id, --idp-issuer or --idp-token-endpoint, --idp-client-id, --id-token-file; the client secret is read from stdin)')
    .option('--idp-issuer <url>', 'with --cross-app-access: the enterprise identity provider (its token endpoint is discovered from its metadata, which must name this issuer); https, or http on a loopback address', parseIdpUrl)
    .option('--idp-token-endpoint <url>', 'with --cross-app-access: the identity provider\'s token endpoint, where its metadata cannot be discovered; https, or http on a loopback address', parseIdpUrl)
    .option('--idp-client-id <id>', 'with --cross-app-access: this client\'s id at the identity provider')
    .option('--id-token-file <path>', 'with --cross-app-access: a file holding your ID token from the identity provider (stored in the secret store; log in again when it expires)')
    .option('--idp-client-secret-file <path>', 'with --cross-app-access: a file holding the client secret at the identity provider, if it wants one')
    .option('--port <port>', 'loopback port for the redirect (default: any free port)', parsePort, 0)
    .option('--timeout-s <s>', 'how long to wait for the redirect', parseTimeout, DEFAULT_TIMEOUT_S)
    .option('--json', 'print JSON')
    .action(async (name: string, opts: LoginOptions, cmd: Command) => {
      const home = homeOf(cmd, io);
      const server = readConfig(home).mcp_servers.find((m) => m.name === name);
      if (server === undefined) throw new LocalRouterError('LR_ERR_NOT_FOUND', `no MCP server named "${name}"`);
      if (server.url === undefined || server.transport === 'stdio') throw new LocalRouterError('LR_ERR_BAD_REQUEST', `MCP server "${name}" is a STDIO server; OAuth is for --url servers`);
      const challenge = await probeChallenge(server.url, server.transport === 'sse' ? 'GET' : 'POST');
      const secrets = secretStoreOf(home, io);
      const previous = storedMcpSecrets(name, secrets).oauth;
      const state = opts.clientCredentials ? await clientCredentials(io, server.url, opts, challenge)
        : opts.crossAppAccess ? await crossAppAccess(io, name, server.url, opts, challenge)
          : await authorizationCode(io, server.url, opts, challenge, previous?.grant === 'authorization_code' ? previous.stepUpScope : undefined);
      storeMcpOAuth(name, secrets, state);
      await tellGateway(io, home, readConfig(home));
      if (opts.json) return printJson(io, { server: name, grant: state.grant, scope: state.scope });
      io.stdout.write(`logged in to MCP server "${name}" (${GRANT_NAMES[state.grant]}${state.scope !== null ? `, scope "${state.scope}"` : ''}); the tokens are in the secret store\n`);
    });

  mcp.command('logout').description('forget the OAuth tokens or client credentials of an MCP server')
    .argument('<name>', 'server name')
    .action(async (name: string, _opts: unknown, cmd: Command) => {
      const home = homeOf(cmd, io);
      if (!readConfig(home).mcp_servers.some((m) => m.name === name)) throw new LocalRouterError('LR_ERR_NOT_FOUND', `no MCP server named "${name}"`);
      const secrets = secretStoreOf(home, io);
      const { oauth, ...rest } = storedMcpSecrets(name, secrets);
      if (oauth === undefined) {
        io.stderr.write(`MCP server "${name}" has no OAuth login\n`);
        return;
      }
      secrets.set(mcpSecretName(name), JSON.stringify(rest));
      await tellGateway(io, home, readConfig(home));
      io.stdout.write(`logged out of MCP server "${name}"\n`);
    });
}

const GRANT_NAMES: Record<McpOAuthState['grant'], string> = {
  authorization_code: 'authorization code', client_credentials: 'client credentials', cross_app_access: 'cross-app access',
};

/** A running gateway reads the MCP servers' secrets again and reconnects those whose credentials changed. */
export async function tellGateway(io: CliIo, home: string, config: Config): Promise<void> {
  const done = await fetchAdmin<{ reloaded: boolean }>(home, config, '/api/mcp/reload', io.env, 'POST');
  if (done === null) io.stderr.write('(no running gateway answered; it uses the new credentials when it starts)\n');
}

/** What the server's 401 said (RFC 9728 §5.1, RFC 6750 §3): where its resource metadata is and which scope to ask for. */
interface Challenge {
  resourceMetadataUrl?: URL;
  scope?: string;
}

/**
 * Asks the server once without a token and reads its `WWW-Authenticate` challenge: a server whose
 * protected resource metadata is not at the well-known location says where it is only there, and
 * the scope it names is the one to ask for (when `--scope` names none). Anything else (no 401, no
 * answer) leaves discovery to the well-known locations.
 */
async function probeChallenge(serverUrl: string, method: 'GET' | 'POST'): Promise<Challenge> {
  const { extractWWWAuthenticateParams } = await import('@modelcontextprotocol/sdk/client/auth.js');
  const body = JSON.stringify({ jsonrpc: '2.0', id: 0, method: 'initialize', params: { protocolVersion: '2025-11-25', capabilities: {}, clientInfo: { name: 'LocalRouter', version: '1' } } });
  try {
    const res = await fetch(serverUrl, {
      method, signal: AbortSignal.timeout(15_000),
      headers: { accept: method === 'GET' ? 'text/event-stream' : 'application/json, text/event-stream', ...(method === 'POST' ? { 'content-type': 'application/json' } : {}) },
      ...(method === 'POST' ? { body } : {}),
    });
    await res.body?.cancel();
    if (res.status !== 401) return {};
    const { resourceMetadataUrl, scope } = extractWWWAuthenticateParams(res);
    return { ...(resourceMetadataUrl !== undefined ? { resourceMetadataUrl } : {}), ...(scope !== undefined ? { scope } : {}) };
  } catch {
    return {};
  }
}

async function clientCredentials(io: CliIo, serverUrl: string, opts: LoginOptions, challenge: Challenge): Promise<McpOAuthState> {
  if (opts.clientId === undefined) throw new LocalRouterError('LR_ERR_BAD_REQUEST', '--client-credentials needs --client-id (and the secret on stdin, or --private-key-file)');
  const jwtKey = opts.privateKeyFile !== undefined ? { pem: readPrivateKey(opts.privateKeyFile), algorithm: opts.jwtAlgorithm } : undefined;
  const secret = jwtKey === undefined ? await readSecretFromStdin(io, `client secret for ${opts.clientId} (input hidden): `) : '';
  const { auth, discoverOAuthServerInfo } = await import('@modelcontextprotocol/sdk/client/auth.js');
  const { ClientCredentialsProvider, PrivateKeyJwtProvider } = await import('@modelcontextprotocol/sdk/client/auth-extensions.js');
  // The credentials are bound to the authorization server the server names now (or --issuer), and sent to no other later.
  const discovery = challenge.resourceMetadataUrl !== undefined ? { resourceMetadataUrl: challenge.resourceMetadataUrl } : {};
  const issuer = opts.issuer ?? (await discoverOAuthServerInfo(serverUrl, discovery)).authorizationServerUrl;
  const scope = opts.scope ?? challenge.scope ?? null;
  const state: McpOAuthState = { grant: 'client_credentials', clientId: opts.clientId, clientSecret: secret, scope, issuer, ...(jwtKey !== undefined ? { jwtKey } : {}) };
  // Checked now, so a wrong secret or key is an error here rather than a failing server later.
  const base = { clientId: state.clientId, clientName: 'LocalRouter', expectedIssuer: issuer, ...(scope !== null ? { scope } : {}) };
  const provider = jwtKey !== undefined
    ? new PrivateKeyJwtProvider({ ...base, privateKey: jwtKey.pem, algorithm: jwtKey.algorithm })
    : new ClientCredentialsProvider({ ...base, clientSecret: secret });
  try {
    await auth(provider, { serverUrl, ...discovery, ...(scope !== null ? { scope } : {}) });
  } catch (err) {
    throw new LocalRouterError('LR_ERR_UNAUTHORIZED', `the authorization server refused the client credentials: ${(err as Error).message}`);
  }
  return state;
}

/**
 * Enterprise-managed authorization (SEP-990): the identity provider's token endpoint is discovered,
 * the server's authorization server too (the client is bound to it: its secret goes to no other),
 * and the whole exchange runs once now with the gateway's own client, so a refused ID token or
 * secret is an error here rather than a failing server later.
 */
async function crossAppAccess(io: CliIo, name: string, serverUrl: string, opts: LoginOptions, challenge: Challenge): Promise<McpOAuthState> {
  const idpIssuer = opts.idpIssuer ?? (opts.idpTokenEndpoint !== undefined ? new URL(opts.idpTokenEndpoint).origin : undefined);
  if (opts.clientId === undefined || idpIssuer === undefined || opts.idpClientId === undefined || opts.idTokenFile === undefined) {
    throw new LocalRouterError('LR_ERR_BAD_REQUEST', '--cross-app-access needs --client-id, --idp-issuer (or --idp-token-endpoint), --idp-client-id and --id-token-file (and the client secret on stdin)');
  }
  const idToken = readTokenFile(opts.idTokenFile, 'ID token');
  const idpSecret = opts.idpClientSecretFile !== undefined ? readTokenFile(opts.idpClientSecretFile, 'client secret') : undefined;
  const secret = await readSecretFromStdin(io, `client secret for ${opts.clientId} (input hidden): `);
  const { auth, discoverAuthorizationServerMetadata, discoverOAuthServerInfo } = await import('@modelcontextprotocol/sdk/client/auth.js');
  const tokenEndpoint = opts.idpTokenEndpoint ?? await idpTokenEndpoint(idpIssuer, discoverAuthorizationServerMetadata);
  if (tokenEndpoint === undefined) {
    throw new LocalRouterError('LR_ERR_BAD_REQUEST', `found no token endpoint in the metadata of identity provider ${idpIssuer} (or metadata the SDK accepts); give it with --idp-token-endpoint`);
  }
  const discovery = challenge.resourceMetadataUrl !== undefined ? { resourceMetadataUrl: challenge.resourceMetadataUrl } : {};
  const issuer = String((await discoverOAuthServerInfo(serverUrl, discovery)).authorizationServerUrl);
  const state: McpOAuthState = {
    grant: 'cross_app_access', clientId: opts.clientId, clientSecret: secret, scope: opts.scope ?? challenge.scope ?? null, issuer, idToken,
    idp: { issuer: idpIssuer, tokenEndpoint, clientId: opts.idpClientId, ...(idpSecret !== undefined ? { clientSecret: idpSecret } : {}) },
  };
  const { upstreamOAuthProvider } = await loadUpstreamOAuth();
  const provider = upstreamOAuthProvider(name, serverUrl, state, () => undefined, () => undefined);
  try {
    await auth(provider, { serverUrl, ...discovery, ...(state.scope !== null ? { scope: state.scope } : {}) });
  } catch (err) {
    throw new LocalRouterError('LR_ERR_UNAUTHORIZED', `cross-app access failed: ${(err as Error).message.slice(0, 500)}`);
  }
  return state;
}

/**
 * The token endpoint from the identity provider's metadata, which must name the issuer it was
 * fetched for (RFC 8414 §3.3): else metadata published elsewhere could send the ID token to another
 * server. Undefined when there is no metadata.
 */
async function idpTokenEndpoint(issuer: string, discover: (issuer: string) => Promise<{ issuer: string; token_endpoint: string } | undefined>): Promise<string | undefined> {
  const metadata = await discover(issuer).catch(() => undefined);
  if (metadata === undefined) return undefined;
  if (!sameIssuer(metadata.issuer, issuer)) {
    throw new LocalRouterError('LR_ERR_UNAUTHORIZED', `the metadata of identity provider ${issuer} names issuer ${JSON.stringify(String(metadata.issuer).slice(0, 200))} (RFC 8414 §3.3); the login was stopped`);
  }
  return metadata.token_endpoint;
}

/** A token or secret kept in a file (one line), for the secret store. */
function readTokenFile(file: string, what: string): string {
  let text: string;
  try {
    text = readFileSync(file, 'utf8').trim();
  } catch (err) {
    throw new LocalRouterError('LR_ERR_BAD_REQUEST', `cannot read the ${what} file ${file}: ${(err as Error).message}`);
  }
  if (text === '' || text.length > 16_384 || /\s/.test(text)) throw new LocalRouterError('LR_ERR_BAD_REQUEST', `${file} must hold the ${what} alone, on one line`);
  return text;
}

/** A PEM private key from a file (it goes to the secret store with the login, never the config). */
function readPrivateKey(file: string): string {
  let pem: string;
  try {
    pem = readFileSync(file, 'utf8');
  } catch (err) {
    throw new LocalRouterError('LR_ERR_BAD_REQUEST', `cannot read the private key file ${file}: ${(err as Error).message}`);
  }
  if (!/-----BEGIN [A-Z ]*PRIVATE KEY-----/.test(pem)) throw new LocalRouterError('LR_ERR_BAD_REQUEST', `${file} holds no PEM private key`);
  return pem;
}

async function authorizationCode(io: CliIo, serverUrl: string, opts: LoginOptions, challenge: Challenge, stepUpScope: string | undefined): Promise<McpOAuthState> {
  const clientSecret = opts.clientSecretStdin ? await readSecretFromStdin(io, 'client secret (input hidden): ') : undefined;
  if (clientSecret !== undefined && opts.clientId === undefined) throw new LocalRouterError('LR_ERR_BAD_REQUEST', '--client-secret-stdin needs --client-id');
  const redirect = await startRedirectListener(opts.port);
  try {
    const provider = new LoginProvider(redirect.url, opts.scope ?? null, opts.clientId, clientSecret, opts.clientMetadataUrl);
    const { auth } = await import('@modelcontextprotocol/sdk/client/auth.js');
    // The scope the server asked the gateway for since the last login (step-up) wins over its 401's
    // now: that one names what any request needs, not what the failing one did.
    const wanted = opts.scope ?? stepUpScope ?? challenge.scope;
    if (opts.scope === undefined && stepUpScope !== undefined) io.stderr.write(`The server asked for more scope since the last login: asking for "${stepUpScope}"\n`);
    const hints = { ...(wanted !== undefined ? { scope: wanted } : {}), ...(challenge.resourceMetadataUrl !== undefined ? { resourceMetadataUrl: challenge.resourceMetadataUrl } : {}) };
    const first = await auth(provider, { serverUrl, ...hints });
    if (first !== 'REDIRECT' || provider.authorizationUrl === null) throw new LocalRouterError('LR_ERR_INTERNAL', 'the authorization server gave no authorization URL');
    io.stderr.write(`Open this URL in a browser to log in:\n  ${provider.authorizationUrl.href}\n`);
    io.stderr.write(`Waiting up to ${opts.timeoutS} s for the redirect to ${redirect.url} (on a machine without a browser, paste the URL the browser ended on, then Enter)\n`);
    const landed = await waitForRedirect(io, redirect, opts.timeoutS * 1000);
    checkIssuer(landed, provider.discovered);
    const code = codeFrom(landed, provider.expectedState);
    const second = await auth(provider, { serverUrl, authorizationCode: code, ...hints });
    const tokens = provider.savedTokens;
    if (second !== 'AUTHORIZED' || tokens === null || provider.client === null) throw new LocalRouterError('LR_ERR_UNAUTHORIZED', 'the authorization server issued no token');
    return {
      grant: 'authorization_code', client: provider.client, clientMetadata: provider.clientMetadata as Record<string, unknown>, redirectUrl: redirect.url,
      tokens, obtainedAt: Date.now(), scope: provider.authorizationUrl.searchParams.get('scope') ?? wanted ?? null,
    };
  } finally {
    redirect.close();
  }
}

/**
 * The authorization response's `iss` (RFC 9207), which defends against mix-up attacks (a redirect
 * carrying a code from another authorization server than the one the login talks to): when present
 * it must be the discovered issuer exactly (simple string comparison, §2.4), and a server that
 * advertises `authorization_response_iss_parameter_supported` must send it. Checked before anything
 * else in the redirect is believed, error responses included.
 */
function checkIssuer(landed: URL, discovered: DiscoveredServer | null): void {
  if (discovered === null) throw new LocalRouterError('LR_ERR_INTERNAL', 'the login has no discovered authorization server');
  const iss = landed.searchParams.get('iss');
  const named = discovered.metadata?.issuer;
  // RFC 8414 §3.3: metadata found for an advertised authorization server must name the issuer it was
  // fetched for; otherwise a hostile server could claim an honest server's issuer and pass the check
  // below. A 2025-03-26 server's metadata sits at its own origin whatever its issuer, so it is exempt.
  if (discovered.advertised && typeof named === 'string' && !sameIssuer(named, discovered.url)) {
    throw new LocalRouterError('LR_ERR_UNAUTHORIZED', `the authorization server metadata found at ${discovered.url} names issuer ${JSON.stringify(named.slice(0, 200))} (RFC 8414 §3.3); the login was stopped`);
  }
  const expected = typeof named === 'string' ? named : discovered.url;
  if (iss === null) {
    if (discovered.metadata?.authorization_response_iss_parameter_supported === true) {
      throw new LocalRouterError('LR_ERR_UNAUTHORIZED', `the redirect carries no "iss" though ${expected} promises one (RFC 9207); it may come from another authorization server: start the login again`);
    }
    return;
  }
  if (iss !== expected) {
    throw new LocalRouterError('LR_ERR_UNAUTHORIZED', `the redirect comes from authorization server ${JSON.stringify(iss.slice(0, 200))}, not ${expected} (RFC 9207 mix-up check); the code was not used`);
  }
}

/** Two issuer URLs compared as parsed, a single trailing `/` apart allowed (as the SDK binds stored credentials). */
function sameIssuer(a: string, b: string): boolean {
  let [x, y] = [a, b];
  try {
    [x, y] = [new URL(a).href, new URL(b).href];
  } catch {
    // not two URLs: compared as written
  }
  return x === y || x === `${y}/` || y === `${x}/`;
}

/** The code of a redirect back from the authorization server, after checking its `state` and error. */
function codeFrom(landed: URL, expectedState: string): string {
  const error = landed.searchParams.get('error');
  if (error !== null) {
    const detail = landed.searchParams.get('error_description');
    throw new LocalRouterError('LR_ERR_UNAUTHORIZED', `the authorization server said ${error.slice(0, 100)}${detail !== null ? `: ${detail.slice(0, 300)}` : ''}`);
  }
  if (landed.searchParams.get('state') !== expectedState) throw new LocalRouterError('LR_ERR_UNAUTHORIZED', 'the redirect carries another login\'s state; start the login again');
  const code = landed.searchParams.get('code');
  if (code === null || code === '') throw new LocalRouterError('LR_ERR_UNAUTHORIZED', 'the redirect carries no authorization code');
  return code;
}

interface RedirectListener {
  url: string;
  landed: Promise<URL>;
  close(): void;
}

/** A loopback HTTP server on 127.0.0.1 that takes one redirect on `/callback`. */
async function startRedirectListener(port: number): Promise<RedirectListener> {
  let resolve!: (u: URL) => void;
  const landed = new Promise<URL>((r) => { resolve = r; });
  const server = http.createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://127.0.0.1');
    if (url.pathname !== '/callback') {
      res.writeHead(404).end();
      return;
    }
    res.writeHead(200, { 'content-type': 'text/plain; charset=utf-8' }).end('LocalRouter: the login is done; you can close this tab.\n');
    resolve(url);
  });
  await new Promise<void>((r, reject) => {
    server.once('error', reject);
    server.listen(port, '127.0.0.1', () => r());
  });
  const bound = (server.address() as AddressInfo).port;
  return { url: `http://127.0.0.1:${bound}/callback`, landed, close: () => { server.closeAllConnections(); server.close(); } };
}

/** The redirect as it reached the listener, or a URL pasted on stdin, whichever comes first. */
function waitForRedirect(io: CliIo, redirect: RedirectListener, timeoutMs: number): Promise<URL> {
  return new Promise((resolve, reject) => {
    const lines = createInterface({ input: io.stdin, crlfDelay: Infinity });
    const timer = setTimeout(() => finish(new LocalRouterError('LR_ERR_REQUEST_TIMEOUT', `no redirect within ${Math.round(timeoutMs / 1000)} s; run the login again`)), timeoutMs);
    const finish = (outcome: URL | Error): void => {
      clearTimeout(timer);
      lines.close();
      if (outcome instanceof Error) reject(outcome);
      else resolve(outcome);
    };
    lines.on('line', (line) => {
      const text = line.trim();
      if (text === '') return;
      try {
        finish(new URL(text));
      } catch {
        io.stderr.write('that is not a URL; paste the whole address the browser ended on\n');
      }
    });
    lines.on('error', () => { /* stdin closed: the loopback redirect still counts */ });
    void redirect.landed.then((u) => finish(u));
  });
}

/** The authorization server a login discovered: its URL and its RFC 8414 metadata (null when it serves none). */
interface DiscoveredServer {
  url: string;
  /** The URL came from the resource's protected-resource metadata (RFC 9728), not the 2025-03-26 fallback to the server's own origin. */
  advertised: boolean;
  metadata: (Record<string, unknown> & { issuer?: unknown; authorization_response_iss_parameter_supported?: unknown }) | null;
}

/** The SDK's OAuth client for one login: keeps the client, verifier, state, discovery and tokens in memory. */
class LoginProvider {
  readonly redirectUrl: string;
  /** A client ID metadata document's URL (SEP-991): the SDK uses it as the client id where the server advertises support. */
  readonly clientMetadataUrl: string | undefined;
  readonly expectedState = randomBytes(16).toString('base64url');
  authorizationUrl: URL | null = null;
  client: (Record<string, unknown> & { client_id: string }) | null;
  savedTokens: (Record<string, unknown> & { access_token: string }) | null = null;
  discovered: DiscoveredServer | null = null;
  #discoveryState: OAuthDiscoveryState | undefined;
  #verifier = '';
  readonly #scope: string | null;
  readonly #clientSecret: string | undefined;

  constructor(redirectUrl: string, scope: string | null, clientId: string | undefined, clientSecret: string | undefined, clientMetadataUrl: string | undefined) {
    this.redirectUrl = redirectUrl;
    this.clientMetadataUrl = clientMetadataUrl;
    this.#scope = scope;
    this.#clientSecret = clientSecret;
    this.client = clientId === undefined ? null : { client_id: clientId, ...(clientSecret !== undefined ? { client_secret: clientSecret } : {}) };
  }

  get clientMetadata(): { client_name: string; redirect_uris: string[]; grant_types: string[]; response_types: string[]; token_endpoint_auth_method: string; scope?: string } {
    return {
      client_name: 'LocalRouter', redirect_uris: [this.redirectUrl], grant_types: ['authorization_code', 'refresh_token'], response_types: ['code'],
      token_endpoint_auth_method: this.#clientSecret !== undefined ? 'client_secret_post' : 'none', ...(this.#scope !== null ? { scope: this.#scope } : {}),
    };
  }

  state(): string {
    return this.expectedState;
  }

  clientInformation(): { client_id: string } | undefined {
    return this.client ?? undefined;
  }

  saveClientInformation(info: Record<string, unknown> & { client_id: string }): void {
    this.client = info;
  }

  tokens(): { access_token: string; token_type: string } | undefined {
    return (this.savedTokens ?? undefined) as { access_token: string; token_type: string } | undefined;
  }

  saveTokens(tokens: Record<string, unknown> & { access_token: string }): void {
    this.savedTokens = tokens;
  }

  redirectToAuthorization(url: URL): void {
    this.authorizationUrl = url;
  }

  saveDiscoveryState(state: OAuthDiscoveryState): void {
    this.discovered = {
      url: state.authorizationServerUrl, advertised: state.resourceMetadata !== undefined,
      metadata: (state.authorizationServerMetadata as DiscoveredServer['metadata'] | undefined) ?? null,
    };
    this.#discoveryState = state;
  }

  /** The first discovery, given back for the code exchange: the code goes to the server whose `iss` was checked, not to a second discovery's. */
  discoveryState(): OAuthDiscoveryState | undefined {
    return this.#discoveryState;
  }

  saveCodeVerifier(verifier: string): void {
    this.#verifier = verifier;
  }

  codeVerifier(): string {
    return this.#verifier;
  }
}

/** The identity provider gets the user's ID token: https only, but for one on this machine (a test or a local bridge). */
function parseIdpUrl(value: string): string {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    throw new InvalidArgumentError('must be an https:// URL.');
  }
  const loopback = ['127.0.0.1', '[::1]', 'localhost'].includes(url.hostname);
  if (url.protocol === 'https:' || (url.protocol === 'http:' && loopback)) return value;
  throw new InvalidArgumentError('must be an https:// URL (http:// only on a loopback address: 127.0.0.1, [::1], localhost): the ID token goes there.');
}

/** The SDK takes a metadata document's URL only as https with a path (it is the client's identity). */
function parseHttpsUrl(value: string): string {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    throw new InvalidArgumentError('must be an https:// URL.');
  }
  if (url.protocol !== 'https:' || url.pathname === '/' || url.hash !== '') throw new InvalidArgumentError('must be an https:// URL with a path and no fragment.');
  return url.href;
}

function parseTimeout(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1 || n > 3600) throw new InvalidArgumentError('must be 1-3600 seconds.');
  return n;
}
