import type { ProviderEngine } from './provider-engine.js';

/**
 * The engine class, loaded on first call: it brings undici and the upstream call machinery, which
 * only the threads that call upstreams need (the actor threads, or the main thread in inline mode).
 * Imported statically from this folder's index, it would be evaluated by every thread that uses a
 * dialect or the catalog, the gateway's main thread included.
 */
export async function loadProviderEngine(): Promise<typeof ProviderEngine> {
  return (await import('./provider-engine.js')).ProviderEngine;
}
