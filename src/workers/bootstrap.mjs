// Entry of every worker thread started from TypeScript sources: loader hooks are per thread in
// Node 20, so the worker registers tsx itself before importing its real entry module.
import { workerData } from 'node:worker_threads';

const entry = workerData?.__entry;
if (typeof entry !== 'string') throw new Error('worker bootstrap: workerData.__entry missing');
if (entry.endsWith('.ts')) {
  const { register } = await import('tsx/esm/api');
  register();
}
await import(entry);
