import { ClientCredentialsProvider, PrivateKeyJwtProvider } from '@modelcontextprotocol/sdk/client/auth-extensions.js';
import {
  auth, discoverOAuthServerInfo, extractWWWAuthenticateParams, refreshAuthorization, UnauthorizedError, type OAuthClientProvider, type OAuthDiscoveryState,
} from '@modelcontextprotocol/sdk/client/auth.js';
import type { OAuthClientInformationMixed, OAuthClientMetadata, OAuthTokens } from '@modelcontextprotocol/sdk/shared/auth.js';
import type { McpOAuthState } from '../workers/index.js';

/** Raised where the SDK would send a user to the authorization page: the gateway cannot, the CLI can. */
export class NeedsLoginError extends Error {
  constructor(server: string, scope?: string, reason?: string) {
    const asking = scope !== undefined ? ` asking for scope "${scope}"` : '';
    super(`MCP server "${server}" needs an OAuth login${asking}${reason !== undefined ? ` (${reason})` : ''}: run "localrouter mcp login ${server}"`);
    this.name = 'NeedsLoginError';
  }
}

/**
 * A server refused the token (HTTP 401) and the OAuth client could not get another: its discovery
 * or its token endpoint failed. The request that met the 401 fails with this.
 */
export class LoginRenewalError extends Error {
  constructor(cause: unknown) {
    const why = (cause instanceof Error ? cause.message : String(cause)).split('\n')[0]!.slice(0, 300);
    super(`the server refused the token (HTTP 401) and LocalRouter could not renew the login: ${why}`, { cause });
    this.name = 'LoginRenewalError';
  }
}

/**
 * A server asked for more scope (a 403 `insufficient_scope`) and the non-interactive OAuth client
 * could not get a token with it: the authorization server refused the wider scope, or the token
 * request failed otherwise. The request fails with this; the login is not taken for lost (the tools
 * its scope covers keep working), and that widening is not asked for again (see `ScopeLedger`).
 */
export class StepUpRefusedError extends Error {
  constructor(scope: string | undefined, cause: unknown) {
    const why = (cause instanceof Error ? cause.message : String(cause)).split('\n')[0]!.slice(0, 300);
    const asked = scope !== undefined ? ` "${scopeTokens(scope).join(' ')}"` : '';
    super(`the server asked for more scope${asked} (HTTP 403 insufficient_scope) and LocalRouter could not get a token with it: ${why}`, { cause });
    this.name = 'StepUpRefusedError';
  }
}

/**
 * A server refused the token (HTTP 401) and the OAuth client could not get another because an
 * authorization server (or the identity provider of a cross-app login) is down for now: it answered
 * 5xx or 429, or could not be reached. The login may well be fine: the request fails with this, the
 * server is not marked "needs login", and a connect that meets it is retried like any other.
 */
export class RenewalUnavailableError extends Error {
  constructor(message: string, cause?: unknown) {
    super(message, cause === undefined ? undefined : { cause });
    this.name = 'RenewalUnavailableError';
  }
}

/**
 * A challenge naming a scope: a 403 `insufficient_scope` (RFC 6750 §3.1, the MCP step-up), or a 401
 * that is not `invalid_token` (a 401 `invalid_token` says the token is expired, revoked or unknown,
 * which a refresh answers, whatever scope it names).
 */
type ScopeChallenge = 'insufficient_scope' | 'unauthorized';

/**
 * A provider that learns from the server's challenges which scope it wants (step-up authorization).
 * `demandScope` says whether it took the challenge for a step-up.
 */
interface ScopeAware {
  demandScope(scope: string, challenge: ScopeChallenge): boolean;
}

function isScopeAware(p: OAuthClientProvider | undefined): p is OAuthClientProvider & ScopeAware {
  return typeof (p as Partial<ScopeAware> | undefined)?.demandScope === 'function';
}

/**
 * A 401 is taken for a step-up only when it refused a token issued this recently (right after a
 * refresh or a new token): a 401 for an older one is answered with a refresh first.
 */
const JUST_ISSUED_MS = 10_000;

function justIssued(obtainedAt: number): boolean {
  return Date.now() - obtainedAt < JUST_ISSUED_MS;
}

/**
 * The upstream transport's `fetch`, watching the server's answers for scope challenges before the
 * SDK handles them: the SDK re-authorizes on such a challenge, and the provider must know by then
 * what to ask for (the SDK's token request takes the provider's scope, not the challenge's). A 401
 * taken for a step-up reaches the SDK as the 403 `insufficient_scope` it stands for: the SDK gives
 * up on a 401 that follows its own re-authorization, while it answers a 403 with one.
 */
export function watchScopeChallenges(inner: typeof fetch, serverUrl: string, provider: OAuthClientProvider | undefined): typeof fetch {
  if (!isScopeAware(provider)) return inner;
  const server = new URL(serverUrl);
  return (async (input: string | URL | Request, init?: RequestInit): Promise<Response> => {
    const res = await inner(input, init);
    const challenge = takeScopeChallenge(res, input, server, provider);
    return challenge?.stepUp === true && res.status === 401 ? asInsufficientScope(res, challenge.scopes, challenge.resourceMetadataUrl) : res;
  }) as typeof fetch;
}

/** A scope challenge the provider was told of: its scopes, and whether the provider took it for a step-up. */
interface TakenChallenge {
  stepUp: boolean;
  scopes: string[];
  resourceMetadataUrl: URL | undefined;
}

/**
 * Tells `provider` of the scope challenge in `res` (an answer of the server at `server`), if it is
 * one: a 403 `insufficient_scope`, or a 401 that is not `invalid_token`, naming scopes. Shared by
 * both eras' transports; each hands a step-up to its SDK in the shape that SDK re-authorizes on.
 */
function takeScopeChallenge(res: Response, input: string | URL | Request, server: URL, provider: ScopeAware): TakenChallenge | null {
  if (res.status !== 401 && res.status !== 403) return null;
  const url = new URL(input instanceof Request ? input.url : String(input));
  if (url.origin !== server.origin || url.pathname !== server.pathname) return null;
  const { scope, error, resourceMetadataUrl } = extractWWWAuthenticateParams(res);
  if (scope === undefined) return null;
  if (res.status === 403 ? error !== 'insufficient_scope' : error === 'invalid_token') return null;
  const scopes = scopeTokens(scope);
  if (scopes.length === 0) return null;
  const stepUp = provider.demandScope(scopes.join(' '), res.status === 403 ? 'insufficient_scope' : 'unauthorized');
  return { stepUp, scopes, resourceMetadataUrl };
}

/** `res` (a 401) as a 403 `insufficient_scope` naming `scopes` (RFC 6750 §3 token characters only: nothing to escape). */
function asInsufficientScope(res: Response, scopes: string[], resourceMetadata: URL | undefined): Response {
  const headers = new Headers(res.headers);
  const metadata = resourceMetadata !== undefined ? `, resource_metadata="${resourceMetadata.href}"` : '';
  headers.set('www-authenticate', `Bearer error="insufficient_scope", scope="${scopes.join(' ')}"${metadata}`);
  return new Response(res.body, { status: 403, statusText: 'Forbidden', headers });
}

/** RFC 6749 §3.3 scope tokens, deduplicated; anything else an upstream sends in a challenge is dropped (and the list is bounded). */
const SCOPE_TOKEN = /^[\x21\x23-\x5b\x5d-\x7e]{1,200}$/;
const MAX_SCOPES = 64;

export function scopeTokens(scope: string | null | undefined): string[] {
  if (scope === null || scope === undefined) return [];
  return [...new Set(scope.split(/[ \t]+/).filter((t) => SCOPE_TOKEN.test(t)))].slice(0, MAX_SCOPES);
}

/** The scopes of `a` and then those of `b` not in `a`, space-separated (null when none). */
export function scopeUnion(a: string | null | undefined, b: string | null | undefined): string | null {
  const all = [...new Set([...scopeTokens(a), ...scopeTokens(b)])].slice(0, MAX_SCOPES);
  return all.length > 0 ? all.join(' ') : null;
}

/** Whether every scope of `wanted` is in `granted`. */
function covers(granted: string | null, wanted: string): boolean {
  const have = new Set(scopeTokens(granted));
  return scopeTokens(wanted).every((t) => have.has(t));
}

/**
 * The SDK's OAuth client for one upstream, from what the gateway stores: the tokens of a
 * `localrouter mcp login` (refreshed by the SDK when they expire or the server answers 401; each
 * new set goes to `save`, which keeps it in the secret store), client credentials, or a cross-app
 * access login. When none is there, or a refresh fails, the SDK would start an interactive login:
 * that raises `NeedsLoginError` instead, and `onNeedsLogin` marks the server (`stepUp`: the login works,
 * but a tool wants more scope than it has).
 */
export function upstreamOAuthProvider(server: string, serverUrl: string, state: McpOAuthState | null, save: (state: McpOAuthState) => void, onNeedsLogin: (stepUp?: boolean) => void): OAuthClientProvider {
  if (state?.grant === 'client_credentials') return clientCredentialsProvider(state, save);
  if (state?.grant === 'cross_app_access') return new CrossAppAccessProvider(server, state, onNeedsLogin);
  return new StoredLoginProvider(server, serverUrl, state, save, onNeedsLogin);
}

type CredentialsState = Extract<McpOAuthState, { grant: 'client_credentials' }>;

/**
 * The SDK's machine-to-machine client: a client secret, or a private key that signs JWT assertions.
 * Step-up is automatic here: a challenge for more scope widens the scope of the next token request
 * (the SDK requests one at once), and the widened scope is kept (`save`) for later connections.
 */
export function clientCredentialsProvider(state: CredentialsState, save?: (state: McpOAuthState) => void): OAuthClientProvider {
  const common = { clientId: state.clientId, clientName: 'LocalRouter', ...(state.scope !== null ? { scope: state.scope } : {}) };
  const ledger = new ScopeLedger(state.scope, (scope) => save?.({ ...state, scope }));
  if (state.jwtKey !== undefined) {
    const opts = { ...common, privateKey: state.jwtKey.pem, algorithm: state.jwtKey.algorithm };
    return new SteppedPrivateKeyJwt(ledger, state.issuer !== null ? { ...opts, expectedIssuer: state.issuer } : opts);
  }
  const opts = { ...common, clientSecret: state.clientSecret };
  return new SteppedClientCredentials(ledger, state.issuer !== null ? { ...opts, expectedIssuer: state.issuer } : opts);
}

/** What a 401 hands the v2 client's auth seam (its `UnauthorizedContext`). */
export interface UnauthorizedContext {
  response: Response;
  serverUrl: URL;
  fetchFn: (url: string | URL, init?: RequestInit) => Promise<Response>;
}

type SeamFetch = (url: string | URL, init?: RequestInit) => Promise<Response>;

/** The v2 client's auth seam for one provider (see `bearerSeam`). */
export interface BearerSeam {
  token(): Promise<string | undefined>;
  onUnauthorized(ctx: UnauthorizedContext): Promise<void>;
  /** The transport's `fetch`, noting which token each answer was for (so a 401 for a token already replaced only sends again). */
  watchFetch(inner: SeamFetch): SeamFetch;
}

/** The renewal under way for a provider: concurrent 401s wait for it rather than each spending the (rotating) refresh token. */
const renewals = new WeakMap<OAuthClientProvider, Promise<void>>();

/**
 * The v2 client's auth seam (its `AuthProvider`) for a 2026-07-28 server, over the same OAuth
 * client as the legacy session: the bearer token (refreshed ahead of expiry by the provider), and
 * on a 401 what the 1.x transport does on one, the SDK's `auth` (a refresh, or a client
 * credentials grant; where a login is needed the provider raises `NeedsLoginError` and marks the
 * server). The transport then sends the request once more with the new token. Calls that meet
 * 401s at once share one renewal; a 401 for a token that has been replaced since its request was
 * sent renews nothing: the request goes once more with the new token.
 *
 * Step-up as for a legacy session (`watchScopeChallenges`, the same provider's scope ledger): a
 * scope challenge from `serverUrl` widens what the provider asks for. The v2 transport re-authorizes
 * a 403 `insufficient_scope` only through an OAuth provider of its own, so the seam's `fetch` does
 * it: a 403 the provider takes for a step-up is answered with the same renewal as a 401 (client
 * credentials get a token with the union of scopes; a login raises `NeedsLoginError` with that
 * scope and is marked) and the request is sent once more with the new token. A 403 it does not take
 * (already widened) is sent once more when another request has got a newer token meanwhile (a
 * concurrent step-up); otherwise, as for a widening already refused, it fails the request as the
 * server's 403.
 */
export function bearerSeam(provider: OAuthClientProvider, serverUrl: string): BearerSeam {
  const sentWith = new WeakMap<Response, string | null>();
  const server = new URL(serverUrl);
  /** One renewal at a time for the provider: concurrent refusals wait for the one under way. */
  const renew = (ctx: UnauthorizedContext, stepUp: boolean): Promise<void> => {
    const running = renewals.get(provider);
    if (running !== undefined) return running;
    const renewal = renewLogin(provider, ctx, stepUp).finally(() => renewals.delete(provider));
    renewals.set(provider, renewal);
    return renewal;
  };
  const current = async (): Promise<string | undefined> => (await provider.tokens())?.access_token;
  /** `init` sent once more with the current token. */
  const resend = async (inner: SeamFetch, url: string | URL, init: RequestInit | undefined): Promise<Response> => {
    const headers = new Headers(init?.headers);
    const token = await current();
    if (token !== undefined) headers.set('authorization', `Bearer ${token}`);
    const res = await inner(url, { ...init, headers });
    if (res.status === 401) sentWith.set(res, headers.get('authorization'));
    return res;
  };
  return {
    token: current,
    watchFetch: (inner) => async (url, init) => {
      const res = await inner(url, init);
      const sent = new Headers(init?.headers).get('authorization');
      if (res.status === 401) sentWith.set(res, sent);
      const challenge = isScopeAware(provider) ? takeScopeChallenge(res, url, server, provider) : null;
      if (challenge === null || res.status !== 403) return res;
      if (challenge.stepUp) {
        await res.body?.cancel().catch(() => undefined);
        await renew({ response: res, serverUrl: server, fetchFn: fetch }, true);
        return resend(inner, url, init);
      }
      await renewals.get(provider)?.catch(() => undefined);
      const now = await current();
      if (now === undefined || sent === `Bearer ${now}`) return res;
      await res.body?.cancel().catch(() => undefined);
      return resend(inner, url, init);
    },
    onUnauthorized: async (ctx) => {
      const running = renewals.get(provider);
      if (running !== undefined) return running;
      const sent = sentWith.get(ctx.response);
      if (sent !== undefined) {
        const now = await current();
        if (now !== undefined && sent !== `Bearer ${now}`) return;
      }
      return renew(ctx, false);
    },
  };
}

/** What went wrong for now (5xx, 429, unreachable) during a provider's renewal: of its token requests, and of any request. */
interface RenewalTrouble {
  token: string | null;
  any: string | null;
}

/** The renewal under way for a provider and its trouble so far: the provider asks when the SDK falls back to an interactive login. */
const troubles = new WeakMap<OAuthClientProvider, RenewalTrouble>();

/**
 * Why the token request of the renewal under way for `provider` failed for now, if it did: the SDK
 * takes a refresh that failed so (a `server_error`, a network error) for a lost refresh token and
 * goes on to the interactive login, which the gateway must not then ask for.
 */
function tokenRequestTrouble(provider: OAuthClientProvider): string | null {
  return troubles.get(provider)?.token ?? null;
}

/**
 * The SDK's `auth` for a 401: new tokens, or `NeedsLoginError`, or `RenewalUnavailableError` (an
 * authorization server answered 5xx or 429, or could not be reached), or `LoginRenewalError` (it
 * could not be used otherwise; `StepUpRefusedError` for a `stepUp`: the 401 stands for a 403
 * `insufficient_scope`).
 */
async function renewLogin(provider: OAuthClientProvider, { response, serverUrl, fetchFn }: UnauthorizedContext, stepUp: boolean): Promise<void> {
  const { resourceMetadataUrl, scope } = extractWWWAuthenticateParams(response);
  const trouble: RenewalTrouble = { token: null, any: null };
  const watched = async (url: string | URL, init?: RequestInit): Promise<Response> => {
    const isToken = init?.body instanceof URLSearchParams && init.body.has('grant_type');
    const what = `${isToken ? 'the token endpoint' : 'the authorization server'} (${originOf(url)})`;
    let res: Response;
    try {
      res = await fetchFn(url, init);
    } catch (err) {
      noteTrouble(trouble, isToken, `${what} could not be reached: ${(err as Error).message.slice(0, 200)}`);
      throw err;
    }
    if (res.status >= 500 || res.status === 429) noteTrouble(trouble, isToken, `${what} answered HTTP ${res.status}`);
    return res;
  };
  troubles.set(provider, trouble);
  let result: Awaited<ReturnType<typeof auth>>;
  try {
    result = await auth(provider, { serverUrl, resourceMetadataUrl, scope, fetchFn: watched });
  } catch (err) {
    if (err instanceof NeedsLoginError || err instanceof RenewalUnavailableError) throw err;
    if (trouble.any !== null) throw unavailable(trouble.any, err, stepUp);
    throw stepUp ? new StepUpRefusedError(scope, err) : new LoginRenewalError(err);
  } finally {
    troubles.delete(provider);
  }
  if (result !== 'AUTHORIZED') throw new UnauthorizedError();
}

function noteTrouble(trouble: RenewalTrouble, isToken: boolean, what: string): void {
  trouble.any ??= what;
  if (isToken) trouble.token ??= what;
}

function unavailable(what: string, cause?: unknown, stepUp = false): RenewalUnavailableError {
  const refusal = stepUp ? 'the server asked for more scope (HTTP 403 insufficient_scope)' : 'the server refused the token (HTTP 401)';
  return new RenewalUnavailableError(`${refusal} and LocalRouter could not renew the login for now: ${what}; the login itself may be fine, try again later`, cause);
}

function originOf(url: string | URL): string {
  try {
    return new URL(url).origin;
  } catch {
    return 'an invalid URL';
  }
}

/**
 * The scope a non-interactive client asks for: the configured one, widened by what servers asked
 * for since. A 403 `insufficient_scope` widens it; a 401 only when it refused a token just issued
 * (a 401 for an older token is answered with a new token first, whatever scope it names). The
 * widening starts from what the last token was granted (the authorization server's defaults when
 * none was configured). The wider scope is kept (`widened`) once a token was obtained with it; each
 * widening is tried once: when its token request fails (the authorization server refuses the scope,
 * `invalid_scope`), the client goes back to the scope it had, and that widening is not asked again.
 */
class ScopeLedger {
  #scope: string | null;
  #kept: string | null;
  readonly #widened: (scope: string) => void;
  #token: { obtainedAt: number; granted: string | null } | null = null;
  /** A widened scope whose token request got no token (yet). */
  #trying: string | null = null;
  /** Widenings that got no token. */
  readonly #refused = new Set<string>();

  constructor(scope: string | null, widened: (scope: string) => void) {
    this.#scope = scope;
    this.#kept = scope;
    this.#widened = widened;
  }

  get scope(): string | null {
    return this.#scope;
  }

  /** Whether the challenge widened the scope. */
  demand(scope: string, challenge: ScopeChallenge): boolean {
    this.#settle();
    if (challenge === 'unauthorized' && (this.#token === null || !justIssued(this.#token.obtainedAt))) return false;
    if (covers(this.#scope, scope)) return false;
    const wider = scopeUnion(scopeUnion(this.#scope, this.#token?.granted), scope);
    if (wider === null || this.#refused.has(wider)) return false;
    this.#scope = wider;
    return true;
  }

  /** The scope of the token request about to be made. */
  request(): string | null {
    this.#settle();
    if (this.#scope !== this.#kept) this.#trying = this.#scope;
    return this.#scope;
  }

  /** A token was obtained (with the ledger's scope). */
  obtained(tokens: OAuthTokens): void {
    this.#trying = null;
    this.#token = { obtainedAt: Date.now(), granted: typeof tokens.scope === 'string' ? tokens.scope : null };
    if (this.#scope !== null && this.#scope !== this.#kept) {
      this.#kept = this.#scope;
      this.#widened(this.#scope);
    }
  }

  /** A widening whose token request came back without a token is given up: back to the kept scope. */
  #settle(): void {
    if (this.#trying === null) return;
    if (this.#refused.size >= MAX_REFUSED_WIDENINGS) this.#refused.clear();
    this.#refused.add(this.#trying);
    this.#trying = null;
    this.#scope = this.#kept;
  }
}

/** Bounds the widenings remembered as refused (a server asking for ever new scopes). */
const MAX_REFUSED_WIDENINGS = 32;

/** What a machine-to-machine provider of the SDK offers to be stepped: its token request and where it keeps the tokens. */
interface TokenRequester extends OAuthClientProvider {
  prepareTokenRequest(scope?: string): URLSearchParams;
  saveTokens(tokens: OAuthTokens): void;
}

/**
 * `Base` (one of the SDK's machine-to-machine providers) with step-up: the SDK's token request
 * takes the scope of the client metadata, fixed at construction, and the class asks for the
 * ledger's instead, which step-up widens. Its constructor takes the ledger, then `Base`'s own arguments.
 */
function stepped<A extends unknown[]>(Base: new (...args: A) => TokenRequester) {
  return class Stepped extends Base implements ScopeAware {
    readonly #ledger: ScopeLedger;

    constructor(ledger: ScopeLedger, ...args: A) {
      super(...args);
      this.#ledger = ledger;
    }

    override prepareTokenRequest(scope?: string): URLSearchParams {
      return super.prepareTokenRequest(this.#ledger.request() ?? scope);
    }

    override saveTokens(tokens: OAuthTokens): void {
      super.saveTokens(tokens);
      this.#ledger.obtained(tokens);
    }

    demandScope(scope: string, challenge: ScopeChallenge): boolean {
      return this.#ledger.demand(scope, challenge);
    }
  };
}

const SteppedClientCredentials = stepped(ClientCredentialsProvider);
const SteppedPrivateKeyJwt = stepped(PrivateKeyJwtProvider);

type CrossAppState = Extract<McpOAuthState, { grant: 'cross_app_access' }>;

const JWT_BEARER = 'urn:ietf:params:oauth:grant-type:jwt-bearer';
/**
 * The SDK's message for an OAuth error answer of the identity provider (`Token exchange failed: <error>[ - <description>]`)
 * naming an error that a retry cannot mend: the ID token or the client is refused.
 */
const IDP_REFUSAL = /^Token exchange failed: (?:invalid_grant|invalid_request|invalid_target|unauthorized_client|invalid_client|access_denied)(?: - |$)/;
/** An ID token this close to its expiry is not exchanged any more. */
const ID_TOKEN_MARGIN_MS = 30_000;

/**
 * Enterprise-managed authorization (SEP-990, cross-app access), non-interactive once logged in: for
 * each token, the stored ID token is exchanged at the identity provider for an ID-JAG naming the
 * server's authorization server as audience and the server as resource (RFC 8693, the SDK's
 * `requestJwtAuthorizationGrant`), and the ID-JAG is presented there as a JWT bearer grant (RFC 7523)
 * with the client's credentials. The client is bound to the authorization server of the login: the
 * SDK sends its secret to no other. An ID token that expired, or that the identity provider refuses,
 * needs a new `mcp login`. Step-up widens the scope of the next grant, as for client credentials.
 */
export class CrossAppAccessProvider implements OAuthClientProvider, ScopeAware {
  readonly #server: string;
  readonly #state: CrossAppState;
  readonly #onNeedsLogin: (stepUp?: boolean) => void;
  readonly #ledger: ScopeLedger;
  #tokens: OAuthTokens | undefined;
  #audience: string | null = null;
  #resource: string | null = null;

  constructor(server: string, state: CrossAppState, onNeedsLogin: (stepUp?: boolean) => void) {
    this.#server = server;
    this.#state = state;
    this.#onNeedsLogin = onNeedsLogin;
    this.#ledger = new ScopeLedger(state.scope, () => undefined);
  }

  get redirectUrl(): undefined {
    return undefined;
  }

  get clientMetadata(): OAuthClientMetadata {
    const scope = this.#ledger.scope;
    return {
      client_name: 'LocalRouter', redirect_uris: [], grant_types: [JWT_BEARER], token_endpoint_auth_method: 'client_secret_basic',
      ...(scope !== null ? { scope } : {}),
    };
  }

  clientInformation(): OAuthClientInformationMixed {
    return { client_id: this.#state.clientId, client_secret: this.#state.clientSecret, issuer: this.#state.issuer } as OAuthClientInformationMixed;
  }

  tokens(): OAuthTokens | undefined {
    return this.#tokens;
  }

  saveTokens(tokens: OAuthTokens): void {
    this.#tokens = tokens;
    this.#ledger.obtained(tokens);
  }

  /** Where the SDK's discovery found the authorization server and the resource: the ID-JAG names both. */
  saveDiscoveryState(state: OAuthDiscoveryState): void {
    const issuer = state.authorizationServerMetadata?.issuer;
    this.#audience = typeof issuer === 'string' ? issuer : state.authorizationServerUrl;
    this.#resource = typeof state.resourceMetadata?.resource === 'string' ? state.resourceMetadata.resource : null;
  }

  async prepareTokenRequest(): Promise<URLSearchParams> {
    if (this.#audience === null || this.#resource === null) {
      throw new Error(`MCP server "${this.#server}" publishes no protected-resource metadata (RFC 9728), which cross-app access needs to name it`);
    }
    const expiry = jwtExpiry(this.#state.idToken);
    if (expiry !== null && Date.now() > expiry - ID_TOKEN_MARGIN_MS) this.#needsLogin(undefined, 'the identity provider\'s ID token expired');
    const scope = this.#ledger.request() ?? undefined;
    const { requestJwtAuthorizationGrant } = await import('@modelcontextprotocol/client');
    const { idp } = this.#state;
    let grant: string;
    try {
      grant = (await requestJwtAuthorizationGrant({
        tokenEndpoint: idp.tokenEndpoint, audience: this.#audience, resource: this.#resource, idToken: this.#state.idToken,
        clientId: idp.clientId, ...(idp.clientSecret !== undefined ? { clientSecret: idp.clientSecret } : {}), ...(scope !== undefined ? { scope } : {}),
      })).jwtAuthGrant;
    } catch (err) {
      // The SDK's message names the OAuth error only (never the tokens). A refusal of the ID token
      // or of the client needs a new login; anything else (the identity provider unreachable or
      // failing, `temporarily_unavailable`, `server_error`, a 5xx page) is only this request's failure.
      const message = (err as Error).message.slice(0, 300);
      if (IDP_REFUSAL.test(message)) return this.#needsLogin(undefined, `the identity provider refused the token exchange: ${message}`);
      throw new RenewalUnavailableError(`cannot get an ID-JAG from the identity provider: ${message}`, err);
    }
    const params = new URLSearchParams({ grant_type: JWT_BEARER, assertion: grant });
    if (scope !== undefined && scope !== '') params.set('scope', scope);
    return params;
  }

  demandScope(scope: string, challenge: ScopeChallenge): boolean {
    return this.#ledger.demand(scope, challenge);
  }

  redirectToAuthorization(): void {
    const trouble = tokenRequestTrouble(this);
    if (trouble !== null) throw unavailable(trouble);
    this.#needsLogin(this.#ledger.scope ?? undefined);
  }

  saveCodeVerifier(): void {
    // Not an interactive flow.
  }

  codeVerifier(): string {
    throw new NeedsLoginError(this.#server);
  }

  #needsLogin(scope: string | undefined, reason?: string): never {
    this.#onNeedsLogin();
    throw new NeedsLoginError(this.#server, scope, reason);
  }
}

/** The `exp` of a JWT (epoch ms), read without verifying it (only to know when to stop using it); null when it has none. */
function jwtExpiry(jwt: string): number | null {
  try {
    const payload = JSON.parse(Buffer.from(jwt.split('.')[1] ?? '', 'base64url').toString('utf8')) as { exp?: unknown };
    return typeof payload.exp === 'number' && Number.isFinite(payload.exp) ? payload.exp * 1000 : null;
  } catch {
    return null;
  }
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
  /**
   * The scope the server asked for beyond the one granted (step-up), or null: what the next
   * `mcp login` asks for, and what "needs login" names. It does not stop refreshes: the tools the
   * login's scope covers keep working.
   */
  stepUp: string | null;
}

/** A challenge for more scope holds the refresh token back from the SDK's re-authorization that follows it within this time. */
const UPSCOPING_MS = 30_000;

const logins = new Map<string, LoginBox>();

/** The shared login of `server`: the stored one, unless the actor holds a newer one of the same client. */
function loginBox(server: string, stored: LoginState): LoginBox {
  const box = logins.get(server);
  if (box !== undefined && box.state.client.client_id === stored.client.client_id && box.state.obtainedAt >= stored.obtainedAt) return box;
  const fresh: LoginBox = { state: stored, refreshing: null, stepUp: stored.stepUpScope ?? null };
  logins.set(server, fresh);
  return fresh;
}

class StoredLoginProvider implements OAuthClientProvider, ScopeAware {
  readonly #server: string;
  readonly #serverUrl: string;
  readonly #box: LoginBox | null;
  readonly #save: (state: McpOAuthState) => void;
  readonly #onNeedsLogin: (stepUp?: boolean) => void;
  /** When this connection met a challenge for more scope (epoch ms), until its re-authorization begins; else null. */
  #upscopingSince: number | null = null;
  /** The re-authorization under way answers a challenge for more scope: its `tokens()` call gets no refresh token. */
  #upscoping = false;
  /** That re-authorization was refused the refresh token: its interactive login is the step-up. */
  #steppingUp = false;
  /** The authorization server refused the refresh token (`invalid_grant`): the SDK's next try gets the tokens without it. */
  #refreshRefused = false;

  constructor(server: string, serverUrl: string, state: McpOAuthState | null, save: (state: McpOAuthState) => void, onNeedsLogin: (stepUp?: boolean) => void) {
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
    // The SDK's re-authorization reads the client and then, at once, the tokens; the transport's
    // other requests (concurrent calls on this connection) read only the tokens. So the challenge
    // is handed to the re-authorization here, not to whichever `tokens()` call comes next.
    if (this.#upscopingSince !== null) {
      this.#upscoping = Date.now() - this.#upscopingSince < UPSCOPING_MS;
      this.#upscopingSince = null;
    }
    return this.#box.state.client as OAuthClientInformationMixed;
  }

  /**
   * The tokens, refreshed first (once, whoever asks meanwhile) when they expire soon. The SDK's
   * re-authorization after a challenge for more scope gets them without the refresh token: a
   * refresh cannot widen a grant (RFC 6749 §6), so it goes on to the interactive login, which is
   * refused with the scope to log in with. Only that once: later refreshes work as usual.
   */
  async tokens(): Promise<OAuthTokens | undefined> {
    const box = this.#box;
    if (box === null) return undefined;
    if (this.#refreshRefused) {
      this.#refreshRefused = false;
      const { refresh_token: _refused, ...usable } = box.state.tokens;
      return usable as OAuthTokens;
    }
    if (this.#upscoping) {
      this.#upscoping = false;
      this.#steppingUp = true;
      const { refresh_token: _held, ...usable } = box.state.tokens;
      return usable as OAuthTokens;
    }
    if (expiresSoon(box.state)) {
      box.refreshing ??= this.#refresh(box).finally(() => { box.refreshing = null; });
      await box.refreshing;
    }
    return box.state.tokens as OAuthTokens;
  }

  /**
   * A challenge for more scope: a 403 insufficient_scope, or a 401 refusing a token just issued and
   * naming scopes beyond those granted (as far as the gateway knows them: the token response's
   * `scope`, else the login's). The login must then ask for the union of both: kept with the login,
   * so `mcp login` asks for it.
   */
  demandScope(scope: string, challenge: ScopeChallenge): boolean {
    const box = this.#box;
    if (box === null) return false;
    const granted = typeof box.state.tokens.scope === 'string' ? box.state.tokens.scope : box.state.scope;
    // A 403 says the token lacks the scope whatever the gateway believes was granted. A 401 for an
    // older token is answered with a refresh first: only one refusing the token just obtained,
    // naming a scope known not to have been granted, is a step-up.
    if (challenge === 'unauthorized' && (granted === null || covers(granted, scope) || !justIssued(box.state.obtainedAt))) return false;
    const wanted = scopeUnion(scopeUnion(granted, box.stepUp), scope);
    if (wanted === null) return false;
    this.#upscopingSince = Date.now();
    if (wanted !== box.stepUp) {
      box.stepUp = wanted;
      box.state = { ...box.state, stepUpScope: wanted };
      this.#save(box.state);
    }
    return true;
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
    const stepUp = this.#box?.stepUp ?? null;
    const steppingUp = this.#steppingUp;
    this.#steppingUp = false;
    if (steppingUp && stepUp !== null) {
      this.#onNeedsLogin(true);
      throw new NeedsLoginError(this.#server, stepUp, 'the server asks for more scope than the login was granted');
    }
    // The refresh failed for now (the authorization server down, overloaded or unreachable): the
    // SDK goes on to an interactive login, but the refresh token may well still be good.
    const trouble = tokenRequestTrouble(this);
    if (trouble !== null) throw unavailable(trouble);
    // Two requests that met the same expired token both refresh it; with rotating refresh tokens the
    // second fails, though the first just succeeded: that request fails, the login is not lost.
    if (this.#box !== null && Date.now() - this.#box.state.obtainedAt < JUST_REFRESHED_MS) {
      throw new Error(`the OAuth tokens of MCP server "${this.#server}" were just refreshed by another request; try again`);
    }
    this.#onNeedsLogin();
    throw new NeedsLoginError(this.#server, stepUp ?? undefined);
  }

  saveCodeVerifier(): void {
    // No interactive flow runs in the gateway (see redirectToAuthorization).
  }

  codeVerifier(): string {
    throw new NeedsLoginError(this.#server);
  }

  invalidateCredentials(scope: 'all' | 'client' | 'tokens' | 'verifier' | 'discovery'): void {
    // The SDK calls this when the token endpoint refuses the refresh token (or the client), and
    // then starts over, expecting the tokens gone: its next read gets them without the refresh
    // token, so it goes on to redirectToAuthorization, which decides whether the login is lost (a
    // concurrent refresh may have succeeded meanwhile). Nothing is forgotten here.
    if (scope === 'all' || scope === 'tokens') this.#refreshRefused = true;
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
