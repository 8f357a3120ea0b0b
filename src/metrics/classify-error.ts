import { ERROR_CODES, type ErrorCode } from '../errors/index.js';
import { ERROR_CLASS, type ErrorClass } from './request-record.js';

/**
 * The ERROR_CLASS of a finished request or attempt from its HTTP status and the gateway's error
 * code: a code of ours is classed as the error table's `metricsClass` says; an upstream 4xx passed
 * through (no code of ours) counts as an upstream error.
 */
export function classifyError(status: number, code: string | null): ErrorClass {
  if (status === 499) return ERROR_CLASS.cancelled;
  if (code !== null) {
    if (!Object.hasOwn(ERROR_CODES, code)) return status >= 500 || status === 0 ? ERROR_CLASS.internal : ERROR_CLASS.client;
    return ERROR_CLASS[ERROR_CODES[code as ErrorCode].metricsClass];
  }
  if (status < 400) return ERROR_CLASS.none;
  return ERROR_CLASS.upstreamStatus;
}
