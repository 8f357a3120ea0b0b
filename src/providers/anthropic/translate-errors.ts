import { LocalRouterError } from '../../errors/index.js';

/** A parameter the target cannot express: rejected (400, `param` set), never dropped. */
export function unsupported(param: string, what: string): LocalRouterError {
  return new LocalRouterError('LR_ERR_UNSUPPORTED_PARAM', `${what} (parameter "${param}")`, { param });
}

/** A malformed request. */
export function badRequest(param: string, message: string): LocalRouterError {
  return new LocalRouterError('LR_ERR_BAD_REQUEST', message, { param });
}

export function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** True for a value that asks for nothing: absent, null, false, 0, "", [] or {}. */
export function isUnset(v: unknown): boolean {
  if (v === undefined || v === null || v === false || v === 0 || v === '') return true;
  if (Array.isArray(v)) return v.length === 0;
  return isRecord(v) && Object.keys(v).length === 0;
}

/**
 * A `data:` URL split into its media type and base64 payload; null when it is not base64 (a
 * percent-encoded data URL cannot be sent as a base64 source without re-encoding its meaning).
 */
export function parseDataUrl(url: string): { mediaType: string; data: string } | null {
  const comma = url.indexOf(',');
  if (!url.startsWith('data:') || comma === -1) return null;
  const meta = url.slice(5, comma).split(';');
  if (!meta.includes('base64')) return null;
  return { mediaType: (meta[0] || 'text/plain').toLowerCase(), data: url.slice(comma + 1) };
}
