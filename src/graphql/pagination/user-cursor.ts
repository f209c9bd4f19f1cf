import { isTimestamp } from '../../repository/timestamp.js';
import type { SortDirection, SortKey } from '../../repository/user.js';
import { storedUserId } from '../validate-input.js';
import { compareSortKeys } from './compare-sort-keys.js';
import { commonPosition, MAX_CURSOR_SHARDS, readPositions, writePositions, type KeyText, type ShardPositions } from './shard-positions.js';

/**
 * The opaque cursor of `users`: the sort key of the last user seen and the
 * direction it was read in, as base64url text. It carries everything the
 * next page needs (keyset, no OFFSET), so a deep page costs what the first
 * costs and inserts elsewhere cannot shift it.
 *
 * Formats (versioned so they can change): `v1|a|<createdAt>|<userId>` (`a`/`d`)
 * when every shard stands at that user, which is always the case unless a
 * page was served without some shards (`allowPartialResults`); then `v2`
 * (see `writePositions`), which keeps each shard's own position.
 */
export interface UserCursor extends SortKey {
  readonly direction: SortDirection;
}

/** Where a `users` walk stands: its direction, and each shard's position. */
export interface UsersAfter {
  readonly direction: SortDirection;
  readonly positions: ShardPositions<SortKey>;
}

/** The longest user key in a cursor: a 27-character instant, `|`, and a userId of at most 255 characters of up to 4 UTF-8 bytes. */
const MAX_KEY_BYTES = 27 + 1 + 255 * 4;

/**
 * The longest cursor text accepted for `shardCount` shards: a header, and
 * per shard at most one line with its key. Rejecting longer texts before
 * decoding bounds the work a forged cursor can cause.
 */
export function maxUsersCursorChars(shardCount: number): number {
  const n = Math.min(Math.max(shardCount, 1), MAX_CURSOR_SHARDS);
  return Math.ceil(((16 + (n + 1) * (MAX_KEY_BYTES + 8)) * 4) / 3);
}

export function encodeUserCursor(cursor: UserCursor): string {
  return Buffer.from(`v1|${letter(cursor.direction)}|${cursor.createdAt}|${cursor.userId}`, 'utf8').toString('base64url');
}

/** The cursor for `after`: `v1` when every shard stands at one user, else `v2` (also when every shard is still at its start). */
export function encodeUsersAfter(after: UsersAfter): string {
  const common = commonPosition(after.positions, compareSortKeys);
  if (common) return encodeUserCursor({ direction: after.direction, ...common });
  return Buffer.from(writePositions(letter(after.direction), after.positions, USER_KEY), 'utf8').toString('base64url');
}

/**
 * The cursor, or null when the text is not one this gateway made. Checked
 * in full after decoding, so a forged cursor is refused here and never
 * reaches PostgreSQL: the bytes must be valid UTF-8 and encode back to the
 * same text, the instant must be real, and the userId must be one a row
 * may hold (`storedUserId`).
 */
export function decodeUserCursor(text: string): UserCursor | null {
  const decoded = decodeText(text, 1400);
  if (decoded === null) return null;
  const parts = /^v1\|([ad])\|(.+)$/s.exec(decoded);
  if (!parts) return null;
  const key = USER_KEY.read(parts[2]!);
  if (!key) return null;
  return { direction: parts[1] === 'a' ? 'asc' : 'desc', ...key };
}

/**
 * A `v1` or `v2` cursor as per-shard positions (a `v1` cursor puts every
 * shard of `shardCount` at its user), or null when the text is not one this
 * gateway made for at most `shardCount`-ish shards (see maxUsersCursorChars).
 */
export function decodeUsersAfter(text: string, shardCount: number): UsersAfter | null {
  const v1 = decodeUserCursor(text);
  if (v1) {
    const { direction, ...key } = v1;
    return { direction, positions: { shardCount, positions: Array.from({ length: shardCount }, () => key) } };
  }
  const decoded = decodeText(text, maxUsersCursorChars(shardCount));
  if (decoded === null) return null;
  const read = readPositions(decoded, USER_KEY);
  if (!read || (read.tag !== 'a' && read.tag !== 'd')) return null;
  return { direction: read.tag === 'a' ? 'asc' : 'desc', positions: read.positions };
}

const USER_KEY: KeyText<SortKey> = {
  write: (key) => `${key.createdAt}|${key.userId}`,
  read: (text) => {
    const parts = /^([^|]+)\|(.+)$/s.exec(text);
    if (!parts) return null;
    const [, createdAt, userId] = parts as unknown as [string, string, string];
    if (!isTimestamp(createdAt) || !isValidUserId(userId)) return null;
    return { createdAt, userId };
  },
};

function letter(direction: SortDirection): 'a' | 'd' {
  return direction === 'asc' ? 'a' : 'd';
}

/** The UTF-8 text of a canonical base64url string of at most `maxChars`, or null. */
function decodeText(text: string, maxChars: number): string | null {
  if (text.length === 0 || text.length > maxChars || !/^[A-Za-z0-9_-]+$/.test(text)) return null;
  const bytes = Buffer.from(text, 'base64url');
  const decoded = bytes.toString('utf8');
  // Invalid UTF-8 decodes to U+FFFD; a non-canonical base64url text decodes like another.
  if (!Buffer.from(decoded, 'utf8').equals(bytes) || bytes.toString('base64url') !== text) return null;
  return decoded;
}

function isValidUserId(userId: string): boolean {
  try {
    storedUserId('after', userId);
    return true;
  } catch {
    return false;
  }
}
