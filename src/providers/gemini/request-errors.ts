import { LocalRouterError } from '../../errors/index.js';

/** A parameter the Gemini API cannot express: rejected with a clear 400, never dropped. */
export function unsupported(param: string, why: string): LocalRouterError {
  return new LocalRouterError('LR_ERR_UNSUPPORTED_PARAM', `${why} (the provider speaks the Gemini API)`, { param });
}

/** A request that is malformed in the OpenAI dialect itself. */
export function badRequest(param: string, message: string): LocalRouterError {
  return new LocalRouterError('LR_ERR_BAD_REQUEST', message, { param });
}

/** An upstream answer that cannot be translated. */
export function badResponse(message: string): LocalRouterError {
  return new LocalRouterError('LR_ERR_UPSTREAM_BAD_RESPONSE', message);
}

export function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** OpenAI lets every optional parameter be `null`, which means the same as leaving it out. */
export function given(v: unknown): boolean {
  return v !== undefined && v !== null;
}
