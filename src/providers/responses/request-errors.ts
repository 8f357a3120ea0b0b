import { LocalRouterError } from '../../errors/index.js';

/** A malformed request field: LR_ERR_BAD_REQUEST (400) naming the field. */
export function badParam(message: string, param: string): LocalRouterError {
  return new LocalRouterError('LR_ERR_BAD_REQUEST', message, { param });
}

/** A well-formed field the gateway cannot honour: LR_ERR_UNSUPPORTED_PARAM (400) naming the field. */
export function unsupportedParam(message: string, param: string): LocalRouterError {
  return new LocalRouterError('LR_ERR_UNSUPPORTED_PARAM', message, { param });
}

export function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** `undefined` and `null` both mean "not set" in the Responses API. */
export function isUnset(v: unknown): v is null | undefined {
  return v === undefined || v === null;
}
