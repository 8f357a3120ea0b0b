/**
 * @module routing
 * Where a request goes: model resolution against the configured providers and the client's rights.
 */
export { resolveModel, type ResolvedModel, type ModelLookup } from './resolve-model.js';
