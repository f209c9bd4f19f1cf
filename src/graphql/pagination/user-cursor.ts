import { isTimestamp } from '../../repository/timestamp.js';
import type { SortDirection, SortKey } from '../../repository/user.js';
import { storedUserId } from '../validate-input.js';

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
  return Buffer.from(`v1|${cursor.direction === 'asc' ? 'a' : 'd'}|${cursor.createdAt}|${cursor.userId}`, 'utf8').toString('base64url');
}

/**
 * The cursor, or null when the text is not one this gateway made. Checked
 * in full after decoding, so a forged cursor is refused here and never
 * reaches PostgreSQL: the bytes must be valid UTF-8 and encode back to the
 * same text, the instant must be real, and the userId must be one a row
 * may hold (`storedUserId`).
 */
export function decodeUserCursor(text: string): UserCursor | null {
  if (text.length === 0 || text.length > 1400 || !/^[A-Za-z0-9_-]+$/.test(text)) return null;
  const bytes = Buffer.from(text, 'base64url');
  const decoded = bytes.toString('utf8');
  // Invalid UTF-8 decodes to U+FFFD; a non-canonical base64url text decodes like another.
  if (!Buffer.from(decoded, 'utf8').equals(bytes) || bytes.toString('base64url') !== text) return null;
  const parts = /^v1\|([ad])\|([^|]+)\|(.+)$/s.exec(decoded);
  if (!parts) return null;
  const [, dir, createdAt, userId] = parts as unknown as [string, string, string, string];
  if (!isTimestamp(createdAt) || !isValidUserId(userId)) return null;
  return { direction: dir === 'a' ? 'asc' : 'desc', createdAt, userId };
}

function isValidUserId(userId: string): boolean {
  try {
    storedUserId('after', userId);
    return true;
  } catch {
    return false;
  }
}
