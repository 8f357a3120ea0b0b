import { LocalRouterError } from '../../errors/index.js';
import type { TranslateContext } from '../adapter.js';

/** A parameter Cohere's API cannot express: rejected with a clear 400, never dropped. */
export function unsupported(ctx: TranslateContext, param: string, why: string): LocalRouterError {
  return new LocalRouterError('LR_ERR_UNSUPPORTED_PARAM',
    `${why} (provider "${ctx.provider.name}" speaks Cohere's v2 API)`, { param });
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
