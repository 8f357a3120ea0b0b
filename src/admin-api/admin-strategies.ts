import { existsSync, readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { installRoot, loadConfig, type StrategyConfig } from '../config/index.js';
import { LocalRouterError } from '../errors/index.js';
import type { AdminAuth, GatewayState, Routes } from '../ingress/index.js';
import { compileAccessRules } from '../routing/index.js';
import { adminRoute, stringField, type AdminCall } from './admin-handler.js';
import { editConfig } from './admin-config.js';

/** A shipped classifier as the strategy editor shows it: its name and calibration curve. */
interface ClassifierInfo {
  name: string;
  /** `percentiles[p]`: the score below which p% of held-out prompts fall (so threshold t sends 1 - p/100 to the strong list). */
  percentiles: number[];
  models: Record<string, string> | null;
}

const IMPLICIT_DEFAULT: StrategyConfig = { name: 'default', allow: ['*'], deny: [], limits: [], auto: { models: [], strong_models: [], weak_models: [] } };

/**
 * Strategies:
 * - `GET /api/strategies`: every strategy (the implicit `default` included), which clients follow
 *   each, the model ids known now, and the shipped classifiers with their calibration curves;
 * - `POST /api/strategies` `{ strategy }`: creates or replaces one (validated like the config file);
 * - `DELETE /api/strategies/<name>` (refused while a client follows it);
 * - `POST /api/strategy-preview` `{ strategy }`: which known models a client of it may use.
 */
export function strategyRoutes(auth: AdminAuth, configFile: string, modelsDir = path.join(installRoot(), 'models')): Routes {
  const list = async (call: AdminCall): Promise<unknown> => {
    const cfg = loadConfig(configFile);
    const strategies = cfg.strategies.some((s) => s.name === 'default') ? cfg.strategies : [IMPLICIT_DEFAULT, ...cfg.strategies];
    return {
      strategies: strategies.map((s) => ({ ...s, clients: cfg.clients.filter((c) => (c.strategy ?? cfg.default_strategy) === s.name).map((c) => c.name) })),
      default_strategy: cfg.default_strategy,
      models: await knownModels(call.state),
      classifiers: classifiers(modelsDir),
      mcp_servers: cfg.mcp_servers.map((m) => m.name),
    };
  };
  const save = (call: AdminCall): unknown => {
    const s = call.body.strategy;
    if (typeof s !== 'object' || s === null || Array.isArray(s)) throw new LocalRouterError('LR_ERR_BAD_REQUEST', 'strategy must be an object', { param: 'strategy' });
    const next = s as StrategyConfig;
    const name = stringField(s as Record<string, unknown>, 'name', { max: 64 })!;
    const saved = editConfig(configFile, (cfg) => {
      const i = cfg.strategies.findIndex((x) => x.name === name);
      if (i >= 0) cfg.strategies[i] = next;
      else cfg.strategies.push(next);
    });
    return { strategy: saved.strategies.find((x) => x.name === name) };
  };
  const remove = (call: AdminCall): unknown => {
    const [name, ...extra] = call.rest;
    if (name === undefined || extra.length > 0) throw new LocalRouterError('LR_ERR_NOT_FOUND', 'no such strategy route');
    editConfig(configFile, (cfg) => {
      const users = cfg.clients.filter((c) => c.strategy === name).map((c) => c.name);
      if (users.length > 0) throw new LocalRouterError('LR_ERR_BAD_REQUEST', `strategy "${name}" is followed by: ${users.join(', ')}`);
      if (cfg.default_strategy === name) throw new LocalRouterError('LR_ERR_BAD_REQUEST', `strategy "${name}" is the default strategy`);
      const before = cfg.strategies.length;
      cfg.strategies = cfg.strategies.filter((s) => s.name !== name);
      if (cfg.strategies.length === before) throw new LocalRouterError('LR_ERR_NOT_FOUND', `no strategy named "${name.slice(0, 64)}"`);
    });
    return { removed: name };
  };
  const preview = async (call: AdminCall): Promise<unknown> => {
    const s = call.body.strategy as Partial<StrategyConfig> | undefined;
    const allow = patterns(s?.allow, 'allow') ?? ['*'];
    const deny = patterns(s?.deny, 'deny') ?? [];
    const mayUse = compileAccessRules(allow, deny);
    const models = await knownModels(call.state);
    return { allowed: models.filter((m) => mayUse(m)), denied: models.filter((m) => !mayUse(m)) };
  };
  return {
    '/api/strategies': { get: adminRoute(auth, '/api/strategies', list), post: adminRoute(auth, '/api/strategies', save) },
    '/api/strategies/*': { delete: adminRoute(auth, '/api/strategies', remove) },
    '/api/strategy-preview': { post: adminRoute(auth, '/api/strategy-preview', preview) },
  };
}

function patterns(v: unknown, name: string): string[] | undefined {
  if (v === undefined) return undefined;
  if (!Array.isArray(v) || v.some((x) => typeof x !== 'string' || x.length === 0 || x.length > 300) || v.length > 1000) {
    throw new LocalRouterError('LR_ERR_BAD_REQUEST', `${name} must be a list of model patterns`, { param: name });
  }
  return v as string[];
}

/** `provider/model` ids the gateway knows now (the providers' lists and the config's). */
async function knownModels(state: GatewayState): Promise<string[]> {
  const entries = await state.directory.list();
  return [...new Set(entries.map((e) => e.id))].sort();
}

/** The classifiers shipped in models/ (`router-<name>.json` model cards). */
export function classifiers(dir: string): ClassifierInfo[] {
  if (!existsSync(dir)) return [];
  const out: ClassifierInfo[] = [];
  for (const file of readdirSync(dir)) {
    const m = /^router-([a-z0-9_-]+)\.json$/.exec(file);
    if (m === null) continue;
    try {
      const card = JSON.parse(readFileSync(path.join(dir, file), 'utf8')) as { calibration?: { percentiles?: unknown }; models?: Record<string, string> };
      const p = card.calibration?.percentiles;
      out.push({ name: m[1]!, percentiles: Array.isArray(p) && p.every((x) => typeof x === 'number') ? p as number[] : [], models: card.models ?? null });
    } catch {
      // A damaged card: the classifier is listed without a curve.
      out.push({ name: m[1]!, percentiles: [], models: null });
    }
  }
  return out;
}

