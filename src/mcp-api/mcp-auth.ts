import type { HttpRequest, HttpResponse } from 'uWebSockets.js';
import { toLocalRouterError } from '../errors/index.js';
import { withinJsonDepth } from '../model/index.js';
import { writeResponse, type AuthedClient, type ClientTable, type HeaderPairs } from '../ingress/index.js';

/**
 * The client of an MCP request: its `lr-` key as `Authorization: Bearer`, `x-api-key`, or, for
 * clients that cannot set headers, `?token=`. Throws the ClientTable's 401 error. Reads `req`
 * synchronously (uWS invalidates it after the handler returns).
 */
export function authenticateMcp(clients: ClientTable, req: HttpRequest): AuthedClient {
  const authorization = req.getHeader('authorization');
  const xApiKey = req.getHeader('x-api-key');
  if (authorization.length === 0 && xApiKey.length === 0) {
    const token = new URLSearchParams(req.getQuery() ?? '').get('token');
    if (token !== null && token.length > 0) return clients.authenticate(`Bearer ${token}`, '');
  }
  return clients.authenticate(authorization, xApiKey);
}

/**
 * The client of an MCP request, or null after answering it 401 (JSON-RPC -32001, with the
 * `WWW-Authenticate` challenge naming the protected resource metadata of `resource`, the endpoint's
 * path: RFC 9728 §5.1, as the MCP authorization spec asks); `close` ends the connection too (a POST
 * whose body is left unread).
 */
export function mcpClientOr401(clients: ClientTable, req: HttpRequest, res: HttpResponse, cors: HeaderPairs, resource: string, close = false): AuthedClient | null {
  try {
    return authenticateMcp(clients, req);
  } catch (err) {
    const e = toLocalRouterError(err);
    const challenge = `Bearer resource_metadata="${resourceMetadataUrl(req.getHeader('host'), resource)}"`;
    writeResponse(res, e.status, 'application/json', jsonRpcErrorBody(-32001, e.message), [...cors, ['www-authenticate', challenge]], close);
    return null;
  }
}

/** Where RFC 9728 puts the metadata of the resource at `path` of this gateway: the well-known URI with the path as its suffix. */
export function resourceMetadataUrl(host: string, path: string): string {
  return `${originOf(host)}${PROTECTED_RESOURCE_PATH}${path}`;
}

/** The well-known path of protected resource metadata (RFC 9728 §3). */
export const PROTECTED_RESOURCE_PATH = '/.well-known/oauth-protected-resource';

/**
 * The gateway's origin as the client reached it. The Host header has passed the Host guard (a
 * loopback name or one in server.allowed_hosts), and the gateway serves plain HTTP.
 */
export function originOf(host: string): string {
  return `http://${host.length > 0 ? host : 'localhost'}`;
}

/** A JSON-RPC error body with no id (what transport-level errors answer with). */
export function jsonRpcErrorBody(code: number, message: string, data?: unknown): string {
  return JSON.stringify({ jsonrpc: '2.0', error: data === undefined ? { code, message } : { code, message, data }, id: null });
}

/**
 * Checks a POSTed JSON-RPC body's nesting on its raw bytes, before it is parsed, cloned to the MCP
 * actor or validated (each of which recurses); the 400 body for a body nested too deep, else null.
 */
export function tooDeepBody(raw: Uint8Array, maxDepth: number): string | null {
  if (withinJsonDepth(raw, maxDepth)) return null;
  return jsonRpcErrorBody(-32600, `Invalid Request: the message is nested deeper than ${maxDepth} levels of objects and arrays (server.max_json_depth)`, { code: 'LR_ERR_BAD_REQUEST' });
}

