/** One provider's models as last fetched. */
interface ProviderModels {
  static: string[];
  fetched: string[];
  fetchedAt: number;
  refreshing: Promise<void> | null;
  lastError: string | null;
}

export interface DirectoryEntry {
  id: string;
  provider: string;
  model: string;
}

/**
 * The models each provider offers: the config's static list plus the upstream's own list, fetched
 * through `fetchModels`, cached for `ttlMs` and refreshed in the background (a stale list keeps
 * serving while the refresh runs).
 */
export class ModelDirectory {
  #providers = new Map<string, ProviderModels>();
  #order: string[] = [];
  #fetchModels: (provider: string) => Promise<string[]>;
  #ttlMs: number;

  constructor(fetchModels: (provider: string) => Promise<string[]>, ttlMs = 5 * 60_000) {
    this.#fetchModels = fetchModels;
    this.#ttlMs = ttlMs;
  }

  /** Sets the provider list (config order) with their static models; fetched lists of kept providers survive. */
  setProviders(list: { name: string; models: string[] }[]): void {
    const next = new Map<string, ProviderModels>();
    for (const p of list) {
      const old = this.#providers.get(p.name);
      next.set(p.name, old ? { ...old, static: p.models } : { static: p.models, fetched: [], fetchedAt: 0, refreshing: null, lastError: null });
    }
    this.#providers = next;
    this.#order = list.map((p) => p.name);
  }

  providerNames(): readonly string[] {
    return this.#order;
  }

  providersListing(model: string): readonly string[] {
    const out: string[] = [];
    for (const name of this.#order) {
      const p = this.#providers.get(name)!;
      if (p.static.includes(model) || p.fetched.includes(model)) out.push(name);
    }
    return out;
  }

  knowsModels(provider: string): boolean {
    const p = this.#providers.get(provider);
    return p !== undefined && (p.static.length > 0 || p.fetched.length > 0);
  }

  /** Every known model; waits for lists never fetched yet, refreshes stale ones in the background. */
  async list(): Promise<DirectoryEntry[]> {
    const now = Date.now();
    const waits: Promise<void>[] = [];
    for (const [name, p] of this.#providers) {
      if (p.fetchedAt === 0) waits.push(this.#refresh(name, p));
      else if (now - p.fetchedAt > this.#ttlMs) void this.#refresh(name, p);
    }
    await Promise.all(waits);
    const out: DirectoryEntry[] = [];
    for (const name of this.#order) {
      const p = this.#providers.get(name)!;
      for (const model of new Set([...p.static, ...p.fetched])) out.push({ id: `${name}/${model}`, provider: name, model });
    }
    return out;
  }

  lastError(provider: string): string | null {
    return this.#providers.get(provider)?.lastError ?? null;
  }

  #refresh(name: string, p: ProviderModels): Promise<void> {
    p.refreshing ??= this.#fetchModels(name).then(
      (models) => { p.fetched = models; p.lastError = null; },
      (err: Error) => { p.lastError = err.message; },
    ).finally(() => { p.fetchedAt = Date.now(); p.refreshing = null; });
    return p.refreshing;
  }
}
