import { writeJson, writeResponse, type RouteHandler, type Routes } from '../ingress/index.js';
import { originOf, PROTECTED_RESOURCE_PATH } from './mcp-auth.js';

/** The MCP endpoints (each a protected resource of its own, RFC 9728 §3.1); `''` is the gateway as a whole. */
const RESOURCES = ['', '/mcp', '/sse', '/mcp/sse'];

/** The human-readable page the metadata points to (`resource_documentation`, `service_documentation`). */
const AUTH_HELP_PATH = '/docs/mcp-auth';
const REGISTER_PATH = '/oauth/register';
const AUTHORIZE_PATH = '/oauth/authorize';

const HOW_TO_AUTHENTICATE = 'LocalRouter accepts a client key: send "Authorization: Bearer lr-..." (create one with "localrouter clients create <name>"). '
  + 'Clients that cannot hold a key use the OAuth 2.0 client credentials grant at the token endpoint (client id and lr- key as the secret). '
  + 'There is no interactive (authorization code) login.';
const NO_LOGIN = `LocalRouter has no interactive login and no client registration. ${HOW_TO_AUTHENTICATE.replace(' There is no interactive (authorization code) login.', '')}`;

/**
 * OAuth discovery for MCP clients, so that one without a key learns what to send instead of falling
 * into an interactive login: the protected resource metadata (RFC 9728) of each MCP endpoint, at
 * `/.well-known/oauth-protected-resource` plus the endpoint's path, naming the gateway itself as the
 * authorization server, and the gateway's authorization server metadata (RFC 8414), whose only grant
 * is `client_credentials` at `POST /oauth/token`. A client that goes on to an interactive login
 * (dynamic registration, then the authorization page) gets, at each step, an OAuth error or a page
 * that says to use an `lr-` key, never a login. None of these needs a key (they say how to get in);
 * the Host and Origin guards apply as to every route.
 */
export function discoveryRoutes(): Routes {
  const routes: Routes = {};
  for (const path of RESOURCES) routes[`${PROTECTED_RESOURCE_PATH}${path}`] = { get: protectedResource(path) };
  routes['/.well-known/oauth-authorization-server'] = { get: authorizationServer };
  routes[AUTH_HELP_PATH] = { get: (_state, res, _req, cors) => writeResponse(res, 200, 'text/plain; charset=utf-8', `${HOW_TO_AUTHENTICATE}\n`, cors) };
  // An interactive client registers, then sends its user to log in: both answer how to get in instead.
  routes[REGISTER_PATH] = {
    post: (_state, res, _req, cors) => writeJson(res, 400, { error: 'invalid_client_metadata', error_description: NO_LOGIN }, [...cors, ['cache-control', 'no-store']]),
  };
  routes[AUTHORIZE_PATH] = { get: (_state, res, _req, cors) => writeResponse(res, 400, 'text/plain; charset=utf-8', `${NO_LOGIN}\n`, cors) };
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
    // Both answer that there is no interactive login (see above): a client that tries one is told what to do instead.
    authorization_endpoint: `${origin}${AUTHORIZE_PATH}`,
    registration_endpoint: `${origin}${REGISTER_PATH}`,
    grant_types_supported: ['client_credentials'],
    token_endpoint_auth_methods_supported: ['client_secret_basic', 'client_secret_post'],
    // No response type: there is no interactive login to send a user to.
    response_types_supported: [],
    service_documentation: `${origin}${AUTH_HELP_PATH}`,
    description: HOW_TO_AUTHENTICATE,
  }, [...cors, ['cache-control', 'max-age=300']]);
};
