import { type McpServerConfig } from '../config/index.js';
import { LocalRouterError } from '../errors/index.js';
import type { AdminAuth, Routes } from '../ingress/index.js';
import { mcpSecretName } from '../mcp/index.js';
import type { SecretStore } from '../secrets/index.js';
import { adminRoute, stringField, type AdminCall } from './admin-handler.js';
import { editConfig } from './admin-config.js';

/**
 * Upstream MCP servers in the config (their live state is `GET /api/mcp/servers`):
 * - `POST /api/mcp-servers` `{ name, transport, command?, args?, url?, env?, headers?, secret_env?,
 *   secret_headers? }`: adds one. `env` and `headers` are plain settings written to the config file;
 *   `secret_env` and `secret_headers` go to the secret store (`mcp:<name>`, as `localrouter mcp add
 *   --secret-env/--secret-header` puts them), never to the file and never back to the page;
 * - `POST /api/mcp-servers/<name>` `{ enabled }`; `DELETE /api/mcp-servers/<name>` (its stored secrets too).
 */
export function mcpServerRoutes(auth: AdminAuth, configFile: string, secrets: SecretStore): Routes {
  const add = (call: AdminCall): unknown => {
    const name = stringField(call.body, 'name', { max: 64 })!;
    const transport = stringField(call.body, 'transport', { max: 20 })!;
    const args = call.body.args ?? [];
    if (!Array.isArray(args) || args.some((a) => typeof a !== 'string') || args.length > 200) throw new LocalRouterError('LR_ERR_BAD_REQUEST', 'args must be a list of strings', { param: 'args' });
    const command = stringField(call.body, 'command', { optional: true, max: 2000 });
    const url = stringField(call.body, 'url', { optional: true, max: 2000 });
    const env = pairs(call.body, 'env', ENV_NAME);
    const headers = pairs(call.body, 'headers', HEADER_NAME);
    const secretEnv = pairs(call.body, 'secret_env', ENV_NAME);
    const secretHeaders = pairs(call.body, 'secret_headers', HEADER_NAME);
    const server = {
      name, transport, args, ...(command ? { command } : {}), ...(url ? { url } : {}),
      ...(Object.keys(env).length > 0 ? { env } : {}), ...(Object.keys(headers).length > 0 ? { headers } : {}),
    } as McpServerConfig;
    const stored = Object.keys(secretEnv).length > 0 || Object.keys(secretHeaders).length > 0;
    let wroteSecrets = false;
    let saved;
    try {
      saved = editConfig(configFile, (cfg) => {
        if (cfg.mcp_servers.some((m) => m.name === name)) throw new LocalRouterError('LR_ERR_BAD_REQUEST', `an MCP server named "${name}" already exists`, { param: 'name' });
        cfg.mcp_servers.push(server);
        // Stored inside the locked edit, before the file changes: the running gateway's reload finds them.
        if (stored) {
          secrets.set(mcpSecretName(name), JSON.stringify({ env: secretEnv, headers: secretHeaders }));
          wroteSecrets = true;
        }
      });
    } catch (err) {
      // A server the file refused leaves no secrets behind.
      if (wroteSecrets) secrets.delete(mcpSecretName(name));
      throw err;
    }
    return { server: saved.mcp_servers.find((m) => m.name === name), secrets: [...Object.keys(secretEnv).map((k) => `env:${k}`), ...Object.keys(secretHeaders).map((k) => `header:${k}`)] };
  };
  const one = (call: AdminCall): unknown => {
    const [name, ...extra] = call.rest;
    if (name === undefined || extra.length > 0) throw new LocalRouterError('LR_ERR_NOT_FOUND', 'no such MCP server route');
    if (call.method === 'delete') {
      editConfig(configFile, (cfg) => {
        const before = cfg.mcp_servers.length;
        cfg.mcp_servers = cfg.mcp_servers.filter((m) => m.name !== name);
        if (cfg.mcp_servers.length === before) throw new LocalRouterError('LR_ERR_NOT_FOUND', `no MCP server named "${name.slice(0, 64)}"`);
      });
      return { removed: name, secret_removed: secrets.delete(mcpSecretName(name)) };
    }
    const enabled = call.body.enabled;
    if (typeof enabled !== 'boolean') throw new LocalRouterError('LR_ERR_BAD_REQUEST', 'enabled must be true or false', { param: 'enabled' });
    editConfig(configFile, (cfg) => {
      const m = cfg.mcp_servers.find((x) => x.name === name);
      if (m === undefined) throw new LocalRouterError('LR_ERR_NOT_FOUND', `no MCP server named "${name.slice(0, 64)}"`);
      m.enabled = enabled;
    });
    return { name, enabled };
  };
  return {
    '/api/mcp-servers': { post: adminRoute(auth, '/api/mcp-servers', add) },
    '/api/mcp-servers/*': { post: adminRoute(auth, '/api/mcp-servers', one), delete: adminRoute(auth, '/api/mcp-servers', one) },
  };
}

const ENV_NAME = /^[A-Za-z_][A-Za-z0-9_]{0,127}$/;
/** An HTTP header name (RFC 9110 token). */
const HEADER_NAME = /^[!#$%&'*+.^_`|~0-9A-Za-z-]{1,128}$/;
const MAX_PAIRS = 50;
const MAX_VALUE = 8192;

/**
 * The `field` object of `body` as name → value, each name matching `names` and each value a string
 * without control characters (it becomes an environment variable or a header on the wire).
 */
function pairs(body: Record<string, unknown>, field: string, names: RegExp): Record<string, string> {
  const v = body[field];
  if (v === undefined || v === null) return {};
  if (typeof v !== 'object' || Array.isArray(v)) throw new LocalRouterError('LR_ERR_BAD_REQUEST', `${field} must be an object of names to strings`, { param: field });
  const entries = Object.entries(v as Record<string, unknown>);
  if (entries.length > MAX_PAIRS) throw new LocalRouterError('LR_ERR_BAD_REQUEST', `${field} has more than ${MAX_PAIRS} entries`, { param: field });
  const out: Record<string, string> = {};
  for (const [k, value] of entries) {
    if (!names.test(k)) throw new LocalRouterError('LR_ERR_BAD_REQUEST', `${field}: "${k.slice(0, 64)}" is not a valid name`, { param: field });
    if (typeof value !== 'string' || value.length > MAX_VALUE || /[\u0000-\u001f\u007f]/.test(value)) {
      throw new LocalRouterError('LR_ERR_BAD_REQUEST', `${field}.${k} must be a string of at most ${MAX_VALUE} characters without control characters`, { param: field });
    }
    out[k] = value;
  }
  return out;
}
