import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { originOf, runningInstance, type Config } from '../config/index.js';

/**
 * Where the gateway of this data directory answers: the address its pid file records while it runs
 * (whatever `--port` it was started with), else the configured one (a wildcard bind is reached on
 * loopback; `$LOCALROUTER_PORT` of `env` overrides the configured port).
 */
export function gatewayOrigin(config: Config, home: string | undefined, env: NodeJS.ProcessEnv): string {
  const running = home === undefined ? null : runningInstance(home);
  if (running !== null && running.port > 0) return originOf(running);
  const host = config.server.host === '0.0.0.0' || config.server.host === '::' ? '127.0.0.1' : config.server.host;
  return `http://${host.includes(':') ? `[${host}]` : host}:${env.LOCALROUTER_PORT ?? config.server.port}`;
}

/**
 * `GET <apiPath>` on the running gateway with the admin token from the data dir; the parsed JSON, or
 * null when no gateway answers (not running, no token yet, an error status, or a 2 s timeout).
 */
export async function fetchAdmin<T>(home: string, config: Config, apiPath: string, env: NodeJS.ProcessEnv, method: 'GET' | 'POST' = 'GET'): Promise<T | null> {
  const tokenFile = path.join(home, 'admin-token');
  if (!existsSync(tokenFile)) return null;
  try {
    const res = await fetch(`${gatewayOrigin(config, home, env)}${apiPath}`, {
      method, headers: { authorization: `Bearer ${readFileSync(tokenFile, 'utf8').trim()}` }, signal: AbortSignal.timeout(2000),
    });
    return res.ok ? await res.json() as T : null;
  } catch {
    return null;
  }
}
