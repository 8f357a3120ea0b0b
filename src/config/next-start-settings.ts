import type { Config } from './schema.js';

/**
 * Settings a running gateway reads once, at start: a reload that changes one of them leaves it as
 * it was until the next start, so the gateway says so. Everything else applies live (the tables,
 * providers, strategies and MCP are rebuilt; `monitoring.log_bodies` and `log_body_max_bytes` are
 * passed on). `monitoring.enabled` opens or closes the whole store, the others size its writer and
 * timers at start.
 */
const AT_START = {
  server: ['host', 'port', 'execution', 'actors', 'classifier_timeout_ms'],
  monitoring: ['enabled', 'log_retention_days', 'flush_interval_ms', 'log_max_mb'],
} as const;

/** The start-only settings (`section.key`) whose value differs between the config the gateway started with and the reloaded one. */
export function settingsForNextStart(started: Config, next: Config): string[] {
  const changed: string[] = [];
  for (const section of Object.keys(AT_START) as (keyof typeof AT_START)[]) {
    const before = started[section] as Record<string, unknown>;
    const after = next[section] as Record<string, unknown>;
    for (const key of AT_START[section]) if (before[key] !== after[key]) changed.push(`${section}.${key}`);
  }
  return changed;
}

/**
 * The most bytes of each request and response body the request log keeps under `config` (0: none).
 * `running`: whether monitoring runs (it is decided at start, so a reload passes the running state).
 */
export function logBodyBytesOf(config: Config, running = config.monitoring.enabled): number {
  const m = config.monitoring;
  return running && m.log_bodies ? m.log_body_max_bytes : 0;
}
