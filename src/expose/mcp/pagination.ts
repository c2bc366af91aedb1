/**
 * Cursor pagination for MCP list results: the cursor is opaque to clients (the offset of the next page,
 * base64url), a page holds at most `size` items, and the last page has no `nextCursor`.
 */
import { INVALID_PARAMS, ProtocolError } from './tools.js';

export const DEFAULT_PAGE_SIZE = 100;

export function page<T>(items: readonly T[], cursor: unknown, size: number): { items: T[]; nextCursor?: string } {
  const start = cursor === undefined || cursor === null ? 0 : offsetOf(cursor);
  if (start > items.length) throw badCursor(cursor);
  const end = Math.min(items.length, start + size);
  return { items: items.slice(start, end), ...(end < items.length ? { nextCursor: Buffer.from(String(end)).toString('base64url') } : {}) };
}

function offsetOf(cursor: unknown): number {
  if (typeof cursor !== 'string' || !/^[A-Za-z0-9_-]{1,16}$/.test(cursor)) throw badCursor(cursor);
  const text = Buffer.from(cursor, 'base64url').toString('latin1');
  if (!/^(0|[1-9][0-9]{0,9})$/.test(text)) throw badCursor(cursor);
  return Number(text);
}

function badCursor(cursor: unknown): ProtocolError {
  return new ProtocolError(INVALID_PARAMS, `Invalid cursor ${JSON.stringify(cursor)}: pass the nextCursor of the previous page as it was given (NR_ERR_MCP_CURSOR)`);
}
