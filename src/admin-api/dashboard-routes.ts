import path from 'node:path';
import { installRoot } from '../config/index.js';
import type { AdminAuth, Routes } from '../ingress/index.js';
import type { SecretStore } from '../secrets/index.js';
import { clientRoutes } from './admin-clients.js';
import { providerConfigRoutes, type ListModels } from './admin-provider-config.js';
import { strategyRoutes } from './admin-strategies.js';
import { mcpServerRoutes } from './admin-mcp-servers.js';
import { skillRoutes } from './admin-skills.js';
import { sessionRoutes } from './ui-session-routes.js';
import { UiAssets, uiRoutes } from './ui-static.js';

export interface DashboardOptions {
  auth: AdminAuth;
  /** The config file the dashboard edits (through the same locked writes as the CLI). */
  configFile: string;
  secrets: SecretStore;
  /** A provider's model ids, asked of it now (the connection test). */
  listModels: ListModels;
  /** The built dashboard; `dist/ui` of the installation by default. */
  uiDir?: string;
}

/**
 * Everything the web dashboard needs besides the stats API: its files at `/`, the session calls and
 * the config-editing admin calls. All admin calls take the admin token or a dashboard session.
 */
export function dashboardRoutes(opts: DashboardOptions): Routes {
  const assets = new UiAssets(opts.uiDir ?? path.join(installRoot(), 'dist', 'ui'));
  return {
    ...uiRoutes(assets, opts.auth.sessions),
    ...sessionRoutes(opts.auth),
    ...clientRoutes(opts.auth, opts.configFile),
    ...providerConfigRoutes(opts.auth, opts.configFile, opts.secrets, opts.listModels),
    ...strategyRoutes(opts.auth, opts.configFile),
    ...mcpServerRoutes(opts.auth, opts.configFile, opts.secrets),
    ...skillRoutes(opts.auth, opts.configFile),
  };
}
