import { LocalRouterError } from '../../errors/index.js';
import type { TranslateContext } from '../adapter.js';
import { unsupportedParam } from '../request-errors.js';

export { badRequest, given, isObject } from '../request-errors.js';

/** A parameter Ollama's native API cannot express: rejected with a clear 400, never dropped. */
export function unsupported(ctx: TranslateContext, param: string, why: string): LocalRouterError {
  return unsupportedParam(ctx, param, why, "Ollama's native API");
}
