import { Worker, type WorkerOptions } from 'node:worker_threads';

const BOOTSTRAP = new URL('./bootstrap.mjs', import.meta.url);

/**
 * Starts a worker thread on a module URL, which may be a `.ts` source: the bootstrap registers the
 * TypeScript loader inside the new thread first. `workerData` is passed through, with `__entry` added.
 */
export function spawnWorker(entry: URL, options: WorkerOptions = {}): Worker {
  const data = { ...(options.workerData as Record<string, unknown> | undefined), __entry: entry.href };
  return new Worker(BOOTSTRAP, { ...options, workerData: data });
}
