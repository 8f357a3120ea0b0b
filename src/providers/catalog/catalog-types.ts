/**
 * Prices in US dollars per million tokens, as providers publish them. `cache_read` is what a
 * prompt token served from the provider's prompt cache costs, `cache_write` what a prompt token
 * written into it costs (Anthropic), `reasoning` a separate price for reasoning tokens where one
 * exists. An absent optional price means "same as input" (cache) or "same as output" (reasoning).
 */
export interface ModelPricing {
  input_per_mtok: number;
  output_per_mtok: number;
  cache_read_per_mtok?: number;
  cache_write_per_mtok?: number;
  reasoning_per_mtok?: number;
}

/**
 * What a model can do. `structured_output` is `null` (unknown) throughout the current snapshot:
 * its source has no such flag, and guessing would make the gateway refuse or accept requests
 * wrongly. `embeddings` is derived from the model id (it contains "embed"), for the same reason.
 */
export interface ModelCapabilities {
  tools: boolean;
  vision: boolean;
  reasoning: boolean;
  embeddings: boolean;
  structured_output: boolean | null;
}

/** One model as stored in `catalog.json`. */
export interface CatalogEntry {
  name: string;
  context_length: number | null;
  max_output: number | null;
  pricing: ModelPricing | null;
  capabilities: ModelCapabilities;
}

/** Where a snapshot came from and when it was taken. */
export interface CatalogSource {
  package: string;
  version: string;
  license: string;
  upstream: string;
}

/** The shape of `catalog.json`, written by `scripts/build-catalog.ts`. */
export interface CatalogFile {
  source: CatalogSource;
  /** Day the snapshot was generated (UTC, YYYY-MM-DD). */
  generated_at: string;
  /** Newest `last_updated` among the source's models: how fresh the prices really are. */
  data_updated_through: string;
  price_unit: 'USD per 1M tokens';
  /** Keyed by our provider type; `source_id` is the models.dev provider it was built from. */
  providers: Record<string, { source_id: string; models: Record<string, CatalogEntry> }>;
}
