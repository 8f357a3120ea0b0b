import { type McpServerConfig } from '../config/index.js';
import { LocalRouterError } from '../errors/index.js';
import type { AdminAuth, Routes } from '../ingress/index.js';
import { adminRoute, stringField, type AdminCall } from './admin-handler.js';
import { editConfig } from './admin-config.js';

/**
 * Upstream MCP servers in the config (their live state is `GET /api/mcp/servers`):
 * - `POST /api/mcp-servers` `{ name, transport, command?, args?, url? }`: adds one;
 * - `POST /api/mcp-servers/<name>` `{ enabled }`; `DELETE /api/mcp-servers/<name>`.
 * Secrets never come this way: a server needing one takes it from the environment (`env_from`,
 * `headers_from_env`, set in the config file) or the secret store.
 */
export function mcpServerRoutes(auth: AdminAuth, configFile: string): Routes {
  const add = (call: AdminCall): unknown => {
    const name = stringField(call.body, 'name', { max: 64 })!;
    const transport = stringField(call.body, 'transport', { max: 20 })!;
    const args = call.body.args ?? [];
    if (!Array.isArray(args) || args.some((a) => typeof a !== 'string') || args.length > 200) throw new LocalRouterError('LR_ERR_BAD_REQUEST', 'args must be a list of strings', { param: 'args' });
    const command = stringField(call.body, 'command', { optional: true, max: 2000 });
    const url = stringField(call.body, 'url', { optional: true, max: 2000 });
    const server = { name, transport, args, ...(command ? { command } : {}), ...(url ? { url } : {}) } as McpServerConfig;
    const saved = editConfig(configFile, (cfg) => {
      if (cfg.mcp_servers.some((m) => m.name === name)) throw new LocalRouterError('LR_ERR_BAD_REQUEST', `an MCP server named "${name}" already exists`, { param: 'name' });
      cfg.mcp_servers.push(server);
    });
    return { server: saved.mcp_servers.find((m) => m.name === name) };
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
      return { removed: name };
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
