import os from 'node:os';
import path from 'node:path';

/** The data directory: `$LOCALROUTER_HOME` (a leading `~` is expanded) or `~/.localrouter`, absolute. */
export function resolveHome(env: NodeJS.ProcessEnv = process.env): string {
  const fromEnv = env.LOCALROUTER_HOME?.trim();
  if (fromEnv) return path.resolve(expandTilde(fromEnv));
  return path.join(os.homedir(), '.localrouter');
}

/** `<home>/config.yaml`. */
export function configPath(home: string): string {
  return path.join(path.resolve(home), 'config.yaml');
}

function expandTilde(p: string): string {
  if (p === '~') return os.homedir();
  if (p.startsWith('~/')) return path.join(os.homedir(), p.slice(2));
  return p;
}
