/**
 * @module providers/presets
 * The provider preset table (data, not code): base URL, wire protocol, auth style, key variable and
 * model-list path of every provider type, plus the probe behind `localrouter providers detect`.
 */
export {
  PRESETS,
  PROVIDER_TYPES,
  LOCAL_PROVIDER_TYPES,
  getPreset,
  isProviderType,
  modelsUrl,
  type ProviderPreset,
  type ProviderType,
  type LocalProviderType,
  type Protocol,
  type AuthStyle,
} from './presets.js';
export { parseModelList } from './parse-model-list.js';
export { detectLocalProviders, type DetectOptions, type DetectedProvider } from './detect-local-providers.js';
