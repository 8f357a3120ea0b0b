import path from 'node:path';
import { Worker, type WorkerOptions } from 'node:worker_threads';

const BOOTSTRAP = new URL('./bootstrap.mjs', import.meta.url);

/**
 * The URL of module `name` in the same folder as `base` (an `import.meta.url`), with `base`'s own
 * extension: `.js` in the compiled build under dist/, `.ts` when the sources run through tsx.
 */
export function moduleBeside(base: string, name: string): URL {
  return new URL(`./${name}${path.extname(new URL(base).pathname)}`, base);
}

/**
 * Starts a worker thread on a module URL. Compiled `.js` entries start directly; a `.ts` source
 * (tests, scripts) starts through a bootstrap that registers the TypeScript loader inside the new
 * thread first. `workerData` is passed through, with `__entry` added for the bootstrap.
 */
export function spawnWorker(entry: URL, options: WorkerOptions = {}): Worker {
  if (!entry.pathname.endsWith('.ts')) return new Worker(entry, options);
  const data = { ...(options.workerData as Record<string, unknown> | undefined), __entry: entry.href };
  return new Worker(BOOTSTRAP, { ...options, workerData: data });
}
