import { writeJson, writeResponse, type RouteHandler, type Routes } from '../ingress/index.js';
import { originOf, PROTECTED_RESOURCE_PATH } from './mcp-auth.js';

/** The MCP endpoints (each a protected resource of its own, RFC 9728 §3.1); `''` is the gateway as a whole. */
const RESOURCES = ['', '/mcp', '/sse', '/mcp/sse'];

/** The human-readable page the metadata points to (`resource_documentation`, `service_documentation`). */
const AUTH_HELP_PATH = '/docs/mcp-auth';
const REGISTER_PATH = '/oauth/register';

const HOW_TO_AUTHENTICATE = 'LocalRouter accepts a client key: send "Authorization: Bearer lr-..." (create one with "localrouter clients create <name>"). '
  + 'Agents can use the OAuth 2.0 client credentials grant at the token endpoint (client id and lr- key as the secret). '
  + 'Interactive clients can log in through the browser (authorization code with PKCE S256) as a client the admin lists with oauth_login in the config '
  + '(client_id = that client\'s id, redirect to a loopback address); the gateway\'s admin approves each login on a consent page.';
const NO_REGISTRATION = 'LocalRouter has no dynamic client registration: an interactive client logs in with a client id the admin lists with oauth_login '
  + 'in the config (c_...), or uses an lr- key ("Authorization: Bearer lr-...") or the client credentials grant.';

/**
 * OAuth discovery for MCP clients: the protected resource metadata (RFC 9728) of each MCP endpoint,
 * at `/.well-known/oauth-protected-resource` plus the endpoint's path, naming the gateway itself as
 * the authorization server, and the gateway's authorization server metadata (RFC 8414): the client
 * credentials grant and the browser login (authorization code with PKCE S256, `iss` on the redirect)
 * at `/oauth/authorize` and `/oauth/token` (served by the ingress). There is no dynamic registration:
 * the registration endpoint answers an OAuth error that says what to do instead. None of these needs
 * a key (they say how to get in); the Host and Origin guards apply as to every route.
 */
export function discoveryRoutes(): Routes {
  const routes: Routes = {};
  for (const path of RESOURCES) routes[`${PROTECTED_RESOURCE_PATH}${path}`] = { get: protectedResource(path) };
  routes['/.well-known/oauth-authorization-server'] = { get: authorizationServer };
  routes[AUTH_HELP_PATH] = { get: (_state, res, _req, cors) => writeResponse(res, 200, 'text/plain; charset=utf-8', `${HOW_TO_AUTHENTICATE}\n`, cors) };
  routes[REGISTER_PATH] = {
    post: (_state, res, _req, cors) => writeJson(res, 400, { error: 'invalid_client_metadata', error_description: NO_REGISTRATION }, [...cors, ['cache-control', 'no-store']]),
  };
  return routes;
}

function protectedResource(path: string): RouteHandler {
  return (_state, res, req, cors) => {
    const origin = originOf(req.getHeader('host'));
    writeJson(res, 200, {
      resource: `${origin}${path}`,
      authorization_servers: [origin],
      bearer_methods_supported: ['header'],
      resource_name: 'LocalRouter MCP gateway',
      resource_documentation: `${origin}${AUTH_HELP_PATH}`,
      description: HOW_TO_AUTHENTICATE,
    }, [...cors, ['cache-control', 'max-age=300']]);
  };
}

const authorizationServer: RouteHandler = (_state, res, req, cors) => {
  const origin = originOf(req.getHeader('host'));
  writeJson(res, 200, {
    issuer: origin,
    token_endpoint: `${origin}/oauth/token`,
    authorization_endpoint: `${origin}/oauth/authorize`,
    // Answers that there is no registration (see above): a client that tries one is told what to do instead.
    registration_endpoint: `${origin}${REGISTER_PATH}`,
    grant_types_supported: ['client_credentials', 'authorization_code'],
    // `none`: a browser login's client is public (PKCE); agents send their key.
    token_endpoint_auth_methods_supported: ['client_secret_basic', 'client_secret_post', 'none'],
    response_types_supported: ['code'],
    response_modes_supported: ['query'],
    code_challenge_methods_supported: ['S256'],
    authorization_response_iss_parameter_supported: true,
    service_documentation: `${origin}${AUTH_HELP_PATH}`,
    description: HOW_TO_AUTHENTICATE,
  }, [...cors, ['cache-control', 'max-age=300']]);
};
