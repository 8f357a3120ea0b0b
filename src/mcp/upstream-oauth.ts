import { ClientCredentialsProvider } from '@modelcontextprotocol/sdk/client/auth-extensions.js';
import type { OAuthClientProvider } from '@modelcontextprotocol/sdk/client/auth.js';
import type { OAuthClientInformationMixed, OAuthClientMetadata, OAuthTokens } from '@modelcontextprotocol/sdk/shared/auth.js';
import type { McpOAuthState } from '../workers/index.js';

/** The message of the error a call gets while the server wants a login the gateway does not have. */
export function needsLoginMessage(server: string): string {
  return `MCP server "${server}" needs an OAuth login: run "localrouter mcp login ${server}"`;
}

/** Raised where the SDK would send a user to the authorization page: the gateway cannot, the CLI can. */
export class NeedsLoginError extends Error {
  constructor(server: string) {
    super(needsLoginMessage(server));
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
export function upstreamOAuthProvider(server: string, state: McpOAuthState | null, save: (state: McpOAuthState) => void, onNeedsLogin: () => void): OAuthClientProvider {
  if (state?.grant === 'client_credentials') {
    const opts = { clientId: state.clientId, clientSecret: state.clientSecret, clientName: 'LocalRouter', ...(state.scope !== null ? { scope: state.scope } : {}) };
    return state.issuer !== null ? new ClientCredentialsProvider({ ...opts, expectedIssuer: state.issuer }) : new ClientCredentialsProvider(opts);
  }
  return new StoredLoginProvider(server, state, save, onNeedsLogin);
}

type LoginState = Extract<McpOAuthState, { grant: 'authorization_code' }>;

class StoredLoginProvider implements OAuthClientProvider {
  readonly #server: string;
  #state: LoginState | null;
  readonly #save: (state: McpOAuthState) => void;
  readonly #onNeedsLogin: () => void;

  constructor(server: string, state: McpOAuthState | null, save: (state: McpOAuthState) => void, onNeedsLogin: () => void) {
    this.#server = server;
    this.#state = state?.grant === 'authorization_code' ? state : null;
    this.#save = save;
    this.#onNeedsLogin = onNeedsLogin;
  }

  get redirectUrl(): string {
    return this.#state?.redirectUrl ?? 'http://127.0.0.1/callback';
  }

  get clientMetadata(): OAuthClientMetadata {
    return (this.#state?.clientMetadata ?? { client_name: 'LocalRouter', redirect_uris: [this.redirectUrl] }) as OAuthClientMetadata;
  }

  clientInformation(): OAuthClientInformationMixed | undefined {
    // Without a login the SDK would register a client here: registration belongs to the login.
    if (this.#state === null) {
      this.#onNeedsLogin();
      throw new NeedsLoginError(this.#server);
    }
    return this.#state.client as OAuthClientInformationMixed;
  }

  tokens(): OAuthTokens | undefined {
    return this.#state?.tokens as OAuthTokens | undefined;
  }

  saveTokens(tokens: OAuthTokens): void {
    if (this.#state === null) return;
    // A refresh answer may leave the refresh token out: the old one stays valid then (RFC 6749 §6).
    const kept = tokens.refresh_token === undefined && this.#state.tokens.refresh_token !== undefined ? { ...tokens, refresh_token: this.#state.tokens.refresh_token } : tokens;
    this.#state = { ...this.#state, tokens: kept as LoginState['tokens'], obtainedAt: Date.now() };
    this.#save(this.#state);
  }

  saveClientInformation(): void {
    // Registration happens at login (the CLI); a refresh keeps the client it has.
  }

  redirectToAuthorization(): void {
    this.#onNeedsLogin();
    throw new NeedsLoginError(this.#server);
  }

  saveCodeVerifier(): void {
    // No interactive flow runs in the gateway (see redirectToAuthorization).
  }

  codeVerifier(): string {
    throw new NeedsLoginError(this.#server);
  }

  invalidateCredentials(scope: 'all' | 'client' | 'tokens' | 'verifier' | 'discovery'): void {
    // Tokens the server refused and could not refresh are useless: the next call asks for a login.
    if (this.#state !== null && (scope === 'all' || scope === 'tokens')) this.#onNeedsLogin();
  }
}
