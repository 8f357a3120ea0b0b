/**
 * @module model
 * The bottom layer: plain vocabulary and checks every other folder may use. Imports nothing.
 */
export { DEFAULT_MAX_JSON_DEPTH, withinJsonDepth, withinValueDepth } from './json-budget.js';
export { headerSafe, labelSafe, modelIdProblem } from './safe-text.js';
