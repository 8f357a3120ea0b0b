import { ClientCredentialsProvider, PrivateKeyJwtProvider } from '@modelcontextprotocol/sdk/client/auth-extensions.js';
import { discoverOAuthServerInfo, refreshAuthorization, type OAuthClientProvider } from '@modelcontextprotocol/sdk/client/auth.js';
import type { OAuthClientInformationMixed, OAuthClientMetadata, OAuthTokens } from '@modelcontextprotocol/sdk/shared/auth.js';
import type { McpOAuthState } from '../workers/index.js';

/** Raised where the SDK would send a user to the authorization page: the gateway cannot, the CLI can. */
export class NeedsLoginError extends Error {
  constructor(server: string) {
    super(`MCP server "${server}" needs an OAuth login: run "localrouter mcp login ${server}"`);
    this.name = 'NeedsLoginError';
  }
}

/**
 * The SDK's OAuth client for one upstream, from what the gateway stores: the tokens of a
 * `localrouter mcp login` (refreshed by the SDK when they expire or the server answers 401; each
 * new set goes to `save`, which keeps it in the secret store), or client credentials. When neither
 * is there, or a refresh fails, the SDK would start an interactive login: that raises
 * `NeedsLoginError` instead, and `onNeedsLogin` marks the server.
 */
export function upstreamOAuthProvider(server: string, serverUrl: string, state: McpOAuthState | null, save: (state: McpOAuthState) => void, onNeedsLogin: () => void): OAuthClientProvider {
  if (state?.grant === 'client_credentials') return clientCredentialsProvider(state);
  return new StoredLoginProvider(server, serverUrl, state, save, onNeedsLogin);
}

/** The SDK's machine-to-machine client: a client secret, or a private key that signs JWT assertions. */
export function clientCredentialsProvider(state: Extract<McpOAuthState, { grant: 'client_credentials' }>): OAuthClientProvider {
  const common = { clientId: state.clientId, clientName: 'LocalRouter', ...(state.scope !== null ? { scope: state.scope } : {}) };
  if (state.jwtKey !== undefined) {
    const opts = { ...common, privateKey: state.jwtKey.pem, algorithm: state.jwtKey.algorithm };
    return state.issuer !== null ? new PrivateKeyJwtProvider({ ...opts, expectedIssuer: state.issuer }) : new PrivateKeyJwtProvider(opts);
  }
  const opts = { ...common, clientSecret: state.clientSecret };
  return state.issuer !== null ? new ClientCredentialsProvider({ ...opts, expectedIssuer: state.issuer }) : new ClientCredentialsProvider(opts);
}

/** Tokens are refreshed this long before they expire (or at half their lifetime, if shorter). */
const REFRESH_AHEAD_MS = 60_000;
/** A login whose tokens changed this recently is not called lost: a concurrent request refreshed them. */
const JUST_REFRESHED_MS = 10_000;

type LoginState = Extract<McpOAuthState, { grant: 'authorization_code' }>;

/**
 * One server's login as the actor knows it now, shared by every connection to it (a reconnect and
 * each `per_session` instance): refresh tokens rotate, so only the newest set is any use, and one
 * refresh at a time is made for them all.
 */
interface LoginBox {
  state: LoginState;
  refreshing: Promise<void> | null;
}

const logins = new Map<string, LoginBox>();

/** The shared login of `server`: the stored one, unless the actor holds a newer one of the same client. */
function loginBox(server: string, stored: LoginState): LoginBox {
  const box = logins.get(server);
  if (box !== undefined && box.state.client.client_id === stored.client.client_id && box.state.obtainedAt >= stored.obtainedAt) return box;
  const fresh: LoginBox = { state: stored, refreshing: null };
  logins.set(server, fresh);
  return fresh;
}

class StoredLoginProvider implements OAuthClientProvider {
  readonly #server: string;
  readonly #serverUrl: string;
  readonly #box: LoginBox | null;
  readonly #save: (state: McpOAuthState) => void;
  readonly #onNeedsLogin: () => void;

  constructor(server: string, serverUrl: string, state: McpOAuthState | null, save: (state: McpOAuthState) => void, onNeedsLogin: () => void) {
    this.#server = server;
    this.#serverUrl = serverUrl;
    this.#box = state?.grant === 'authorization_code' ? loginBox(server, state) : null;
    this.#save = save;
    this.#onNeedsLogin = onNeedsLogin;
  }

  get redirectUrl(): string {
    return this.#box?.state.redirectUrl ?? 'http://127.0.0.1/callback';
  }

  get clientMetadata(): OAuthClientMetadata {
    return (this.#box?.state.clientMetadata ?? { client_name: 'LocalRouter', redirect_uris: [this.redirectUrl] }) as OAuthClientMetadata;
  }

  clientInformation(): OAuthClientInformationMixed | undefined {
    // Without a login the SDK would register a client here: registration belongs to the login.
    if (this.#box === null) {
      this.#onNeedsLogin();
      throw new NeedsLoginError(this.#server);
    }
    return this.#box.state.client as OAuthClientInformationMixed;
  }

  /** The tokens, refreshed first (once, whoever asks meanwhile) when they expire soon. */
  async tokens(): Promise<OAuthTokens | undefined> {
    const box = this.#box;
    if (box === null) return undefined;
    if (expiresSoon(box.state)) {
      box.refreshing ??= this.#refresh(box).finally(() => { box.refreshing = null; });
      await box.refreshing;
    }
    return box.state.tokens as OAuthTokens;
  }

  /**
   * A refresh ahead of expiry, bound like the SDK's own: the refresh token goes only to the
   * authorization server the tokens were issued by (their `issuer` stamp), and the new tokens carry
   * that stamp. Tokens without a stamp, or a server that now names another authorization server,
   * are left to the SDK's 401 handling, which applies its own binding. If the refresh fails, the
   * request goes on with the old token and the 401 path decides too.
   */
  async #refresh(box: LoginBox): Promise<void> {
    const issuer = box.state.tokens.issuer;
    if (typeof issuer !== 'string') return;
    try {
      const info = await discoverOAuthServerInfo(this.#serverUrl);
      if (!sameIssuer(String(info.authorizationServerUrl), issuer)) return;
      const tokens = await refreshAuthorization(info.authorizationServerUrl, {
        metadata: info.authorizationServerMetadata, clientInformation: box.state.client as OAuthClientInformationMixed,
        refreshToken: String(box.state.tokens.refresh_token), resource: new URL(info.resourceMetadata?.resource ?? this.#serverUrl),
      });
      this.saveTokens({ ...tokens, issuer });
    } catch {
      // Left to the 401 path: a refused refresh there means a new login is needed.
    }
  }

  /** Keeps what the SDK gives unchanged (its `issuer` stamp included), so its mix-up protection applies on every later use. */
  saveTokens(tokens: OAuthTokens): void {
    const box = this.#box;
    if (box === null) return;
    // A refresh answer may leave the refresh token out: the old one stays valid then (RFC 6749 §6),
    // bound to the same authorization server as the answer.
    const old = box.state.tokens;
    const keepsOld = tokens.refresh_token === undefined && old.refresh_token !== undefined && old.issuer === tokens.issuer;
    const kept = keepsOld ? { ...tokens, refresh_token: old.refresh_token } : tokens;
    box.state = { ...box.state, tokens: kept as LoginState['tokens'], obtainedAt: Date.now() };
    this.#save(box.state);
  }

  /** The SDK stamps a client saved before it bound clients to their authorization server: that stamp is kept. */
  saveClientInformation(info: OAuthClientInformationMixed): void {
    const box = this.#box;
    // Registration happens at login (the CLI); only the client the login registered is updated.
    if (box === null || info.client_id !== box.state.client.client_id) return;
    box.state = { ...box.state, client: { ...info } };
    this.#save(box.state);
  }

  redirectToAuthorization(): void {
    // Two requests that met the same expired token both refresh it; with rotating refresh tokens the
    // second fails, though the first just succeeded: that request fails, the login is not lost.
    if (this.#box !== null && Date.now() - this.#box.state.obtainedAt < JUST_REFRESHED_MS) {
      throw new Error(`the OAuth tokens of MCP server "${this.#server}" were just refreshed by another request; try again`);
    }
    this.#onNeedsLogin();
    throw new NeedsLoginError(this.#server);
  }

  saveCodeVerifier(): void {
    // No interactive flow runs in the gateway (see redirectToAuthorization).
  }

  codeVerifier(): string {
    throw new NeedsLoginError(this.#server);
  }

  invalidateCredentials(): void {
    // The SDK calls this when a refresh is refused; whether the login is lost is decided in
    // redirectToAuthorization, which follows (a concurrent refresh may have succeeded meanwhile).
  }
}

/** Two authorization server identifiers compared as the SDK compares them: as parsed URLs, tolerating one trailing `/`. */
export function sameIssuer(a: string, b: string): boolean {
  const norm = (s: string): string => {
    try {
      return new URL(s).href.replace(/\/$/, '');
    } catch {
      return s.replace(/\/$/, '');
    }
  };
  return norm(a) === norm(b);
}

function expiresSoon(state: LoginState): boolean {
  const lifetime = Number(state.tokens.expires_in);
  if (!Number.isFinite(lifetime) || lifetime <= 0 || typeof state.tokens.refresh_token !== 'string') return false;
  const ahead = Math.min(REFRESH_AHEAD_MS, (lifetime * 1000) / 2);
  return Date.now() >= state.obtainedAt + lifetime * 1000 - ahead;
}
