import { LocalRouterError } from '../errors/index.js';
import type { TranslateContext } from './adapter.js';

/** A parameter the provider's API cannot express: rejected with a clear 400, never dropped. */
export function unsupportedParam(ctx: TranslateContext, param: string, why: string, api: string): LocalRouterError {
  return new LocalRouterError('LR_ERR_UNSUPPORTED_PARAM', `${why} (provider "${ctx.provider.name}" speaks ${api})`, { param });
}

/** A request that is malformed in the OpenAI dialect itself. */
export function badRequest(param: string, message: string): LocalRouterError {
  return new LocalRouterError('LR_ERR_BAD_REQUEST', message, { param });
}

export function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** OpenAI lets every optional parameter be `null`, which means the same as leaving it out. */
export function given(v: unknown): boolean {
  return v !== undefined && v !== null;
}
