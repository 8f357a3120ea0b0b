import { getPreset } from '../presets/index.js';
import type { ModelPricing } from './catalog-types.js';
import { computeCost, type TokenUsage } from './compute-cost.js';
import { lookupModel } from './lookup-model.js';
import { normalizeModelId } from './normalize-model-id.js';

/** A price the user sets in the config for one `provider/model`, in USD per million tokens. */
export interface PriceOverride {
  input_per_mtok: number;
  output_per_mtok: number;
  cached_input_per_mtok?: number;
  cache_write_per_mtok?: number;
  reasoning_per_mtok?: number;
}

/** Config `price_overrides`: keys are `<provider name>/<model id>` (the model id may hold `/`). */
export type PriceOverrides = Readonly<Record<string, PriceOverride>>;

/** Where a price came from. `local`: a local preset, which costs nothing unless overridden. */
export type PricingSource = 'override' | 'catalog' | 'local';

export interface ResolvedPricing {
  pricing: ModelPricing;
  source: PricingSource;
}

/** A configured provider, as far as pricing cares. */
export interface PricedProvider {
  name: string;
  type: string;
}

const FREE: ModelPricing = Object.freeze({ input_per_mtok: 0, output_per_mtok: 0 });

/**
 * An override as a catalog price. It replaces the catalog's price whole: an omitted cache price
 * falls back to the override's own input price, not to the catalog's, because catalog cache
 * prices belong with catalog input prices (mixing a negotiated input price with a list cache
 * price gives nonsense such as cached tokens dearer than fresh ones).
 */
export function overrideToPricing(o: PriceOverride): ModelPricing {
  const p: ModelPricing = { input_per_mtok: o.input_per_mtok, output_per_mtok: o.output_per_mtok };
  if (o.cached_input_per_mtok !== undefined) p.cache_read_per_mtok = o.cached_input_per_mtok;
  if (o.cache_write_per_mtok !== undefined) p.cache_write_per_mtok = o.cache_write_per_mtok;
  if (o.reasoning_per_mtok !== undefined) p.reasoning_per_mtok = o.reasoning_per_mtok;
  return p;
}

/**
 * Config price overrides merged over the bundled catalog, built once per config load. For a
 * request to `provider/model` the price is, first match wins:
 * 1. the override for exactly `provider/model`, then one whose model normalises to the same key
 *    (`normalizeModelId`), so an override of `gpt-4o` also prices `gpt-4o-2024-08-06`;
 * 2. zero for a local preset (Ollama, LM Studio, llama.cpp, ...);
 * 3. `lookupModel(type, model)` from the catalog;
 * 4. none (`null`): the cost is unknown and `usage.cost` is left out.
 */
/** Distinct provider/model pairs remembered; model ids come from clients, so the memo is bounded. */
const MEMO_LIMIT = 4096;

export class PriceBook {
  #memo = new Map<string, ResolvedPricing | null>();
  #types = new Map<string, string>();
  #exact = new Map<string, Map<string, ModelPricing>>();
  #normalized = new Map<string, Map<string, ModelPricing>>();

  constructor(providers: readonly PricedProvider[], overrides: PriceOverrides = {}) {
    for (const p of providers) this.#types.set(p.name, p.type);
    for (const [key, override] of Object.entries(overrides)) {
      const slash = key.indexOf('/');
      if (slash <= 0 || slash === key.length - 1) continue;
      const provider = key.slice(0, slash);
      const model = key.slice(slash + 1);
      const pricing = overrideToPricing(override);
      mapOf(this.#exact, provider).set(model, pricing);
      const normalized = mapOf(this.#normalized, provider);
      // An exact spelling of the bare key beats other spellings that normalise to it.
      const nkey = normalizeModelId(model);
      if (!normalized.has(nkey) || model.toLowerCase() === nkey) normalized.set(nkey, pricing);
    }
  }

  /** The price of `model` on the configured provider named `provider`, or `null` when unknown. */
  pricingFor(provider: string, model: string): ResolvedPricing | null {
    // Catalog lookups normalise ids and scan tables: remember answers (the book is rebuilt on config change).
    const key = `${provider}/${model}`;
    let cached = this.#memo.get(key);
    if (cached === undefined) {
      cached = this.#resolve(provider, model);
      if (this.#memo.size >= MEMO_LIMIT) this.#memo.clear();
      this.#memo.set(key, cached);
    }
    return cached;
  }

  #resolve(provider: string, model: string): ResolvedPricing | null {
    const own = this.#exact.get(provider)?.get(model) ?? this.#normalized.get(provider)?.get(normalizeModelId(model));
    if (own !== undefined) return { pricing: own, source: 'override' };
    const type = this.#types.get(provider);
    if (type === undefined) return null;
    if (getPreset(type)?.local === true) return { pricing: FREE, source: 'local' };
    const entry = lookupModel(type, model);
    return entry?.pricing ? { pricing: entry.pricing, source: 'catalog' } : null;
  }

  /** The request's cost in USD (`usage.cost`), or `null` when the model's price is unknown. */
  costOf(provider: string, model: string, usage: TokenUsage): number | null {
    const resolved = this.pricingFor(provider, model);
    return resolved === null ? null : computeCost(resolved.pricing, usage);
  }
}

function mapOf<K, V>(outer: Map<string, Map<K, V>>, key: string): Map<K, V> {
  let inner = outer.get(key);
  if (!inner) outer.set(key, (inner = new Map()));
  return inner;
}
