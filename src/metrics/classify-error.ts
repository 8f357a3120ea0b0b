import { ERROR_CODES, type ErrorCode } from '../errors/index.js';
import { ERROR_CLASS, type ErrorClass } from './request-record.js';

/**
 * The ERROR_CLASS of a finished request or attempt from its HTTP status and the gateway's error
 * code. Upstream 4xx passed through count as upstream errors; our own codes say what failed.
 */
export function classifyError(status: number, code: string | null): ErrorClass {
  if (status === 499) return ERROR_CLASS.cancelled;
  if (code !== null) {
    if (code === 'LR_ERR_UPSTREAM_STATUS') return ERROR_CLASS.upstreamStatus;
    if (code === 'LR_ERR_UPSTREAM_UNREACHABLE' || code === 'LR_ERR_UPSTREAM_BAD_RESPONSE') return ERROR_CLASS.upstreamUnreachable;
    if (code === 'LR_ERR_UPSTREAM_TIMEOUT') return ERROR_CLASS.timeout;
    const known = ERROR_CODES[code as ErrorCode];
    if (known === undefined) return status >= 500 || status === 0 ? ERROR_CLASS.internal : ERROR_CLASS.client;
    return known.status >= 500 ? ERROR_CLASS.internal : ERROR_CLASS.client;
  }
  if (status < 400) return ERROR_CLASS.none;
  return ERROR_CLASS.upstreamStatus;
}
