/**
 * @module model
 * The bottom layer: plain vocabulary and checks every other folder may use. Imports nothing.
 */
export { DEFAULT_MAX_JSON_DEPTH, withinJsonDepth, withinValueDepth } from './json-budget.js';
export { headerSafe, labelSafe, modelIdProblem } from './safe-text.js';
export { emptyUsage, totalTokens, type Usage } from './usage.js';
export type { ModelPrice, Operation, ProviderRuntime, WireProtocol } from './provider-runtime.js';
export type { ErrorCode, PlainError } from './plain-error.js';
export type { Attempt } from './attempt.js';
export type {
  CallCandidate, CallController, CallHandler, CallRequest, ClientDialectName, EngineStats, UpstreamEngine,
} from './engine.js';
