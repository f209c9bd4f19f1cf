import { isTimestamp } from '../../repository/timestamp.js';
import type { SortDirection, SortKey } from '../../repository/user.js';

/**
 * The opaque cursor of `users`: the sort key of the last user seen and the
 * direction it was read in, as base64url text. It carries everything the
 * next page needs (keyset, no OFFSET), so a deep page costs what the first
 * costs and inserts elsewhere cannot shift it.
 *
 * Format (versioned so it can change): `v1|a|<createdAt>|<userId>`, `a`/`d`.
 */
export interface UserCursor extends SortKey {
  readonly direction: SortDirection;
}

export function encodeUserCursor(cursor: UserCursor): string {
  return Buffer.from(`v1|${cursor.direction === 'asc' ? 'a' : 'd'}|${cursor.createdAt}|${cursor.userId}`, 'utf8').toString(
    'base64url',
  );
}

/** The cursor, or null when the text is not one this gateway made. */
export function decodeUserCursor(text: string): UserCursor | null {
  if (text.length === 0 || text.length > 1400 || !/^[A-Za-z0-9_-]+$/.test(text)) return null;
  const decoded = Buffer.from(text, 'base64url').toString('utf8');
  const parts = /^v1\|([ad])\|([^|]+)\|(.+)$/s.exec(decoded);
  if (!parts) return null;
  const [, dir, createdAt, userId] = parts as unknown as [string, string, string, string];
  if (!isTimestamp(createdAt) || userId.length === 0 || [...userId].length > 255) return null;
  return { direction: dir === 'a' ? 'asc' : 'desc', createdAt, userId };
}
