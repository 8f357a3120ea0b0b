import { ErrorCode, McpError } from '@modelcontextprotocol/sdk/types.js';

/** One page of a merged list, and the cursor of the next page when there is one. */
export interface Page<T> {
  items: T[];
  nextCursor: string | undefined;
}

/**
 * Pages a merged list outward. The cursor is opaque to clients (`lr1.<offset>`, base64url); an
 * unknown cursor is a JSON-RPC "invalid params" error, as the spec asks.
 */
export function paginate<T>(items: readonly T[], cursor: string | undefined, pageSize: number): Page<T> {
  const start = cursor === undefined ? 0 : decodeCursor(cursor);
  const end = Math.min(items.length, start + pageSize);
  return { items: items.slice(start, end), nextCursor: end < items.length ? encodeCursor(end) : undefined };
}

export function encodeCursor(offset: number): string {
  return Buffer.from(`lr1.${offset}`).toString('base64url');
}

function decodeCursor(cursor: string): number {
  const text = Buffer.from(cursor, 'base64url').toString('utf8');
  const m = /^lr1\.(\d{1,9})$/.exec(text);
  if (m === null) throw new McpError(ErrorCode.InvalidParams, 'Invalid cursor');
  return Number(m[1]);
}
