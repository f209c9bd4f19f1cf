import type { ModuleCursors, ShardPositions, UserSortKey } from '../module-api.js';

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
export interface UserCursor extends UserSortKey {
  readonly direction: UserDirection;
}

export type UserDirection = 'asc' | 'desc';

/** Where a `users` walk stands: its direction, and each shard's position. */
export interface UsersAfter {
  readonly direction: UserDirection;
  readonly positions: ShardPositions<UserSortKey>;
}

/** What the cursors need of the module API: its cursor helpers, and the userId rule of stored rows. */
export interface UserCursorKit {
  readonly cursors: ModuleCursors;
  isStoredUserId(userId: string): boolean;
}

/** The longest user key in a cursor: a 27-character instant, `|`, and a userId of at most 255 characters of up to 4 UTF-8 bytes. */
const MAX_KEY_BYTES = 27 + 1 + 255 * 4;

/**
 * The longest cursor text accepted for `shardCount` shards: a header, and
 * per shard at most one line with its key. Rejecting longer texts before
 * decoding bounds the work a forged cursor can cause.
 */
export function maxUsersCursorChars(shardCount: number, kit: UserCursorKit): number {
  const n = Math.min(Math.max(shardCount, 1), kit.cursors.maxShards);
  return Math.ceil(((16 + (n + 1) * (MAX_KEY_BYTES + 8)) * 4) / 3);
}

export function encodeUserCursor(cursor: UserCursor): string {
  return Buffer.from(`v1|${letter(cursor.direction)}|${cursor.createdAt}|${cursor.userId}`, 'utf8').toString('base64url');
}

/** The users' global order: createdAt, then userId in code point order (`COLLATE "C"`). */
export function compareUserKeys(kit: UserCursorKit): (a: UserSortKey, b: UserSortKey) => number {
  const { compareText } = kit.cursors;
  return (a, b) => {
    if (a.createdAt !== b.createdAt) return a.createdAt < b.createdAt ? -1 : 1;
    return compareText(a.userId, b.userId);
  };
}

/** The cursor for `after`: `v1` when every shard stands at one user, else `v2` (also when every shard is still at its start). */
export function encodeUsersAfter(after: UsersAfter, kit: UserCursorKit): string {
  const common = kit.cursors.commonPosition(after.positions, compareUserKeys(kit));
  if (common) return encodeUserCursor({ direction: after.direction, createdAt: common.createdAt, userId: common.userId });
  return kit.cursors.encodeText(kit.cursors.writePositions(letter(after.direction), after.positions, userKeyText(kit)));
}

/**
 * The cursor, or null when the text is not one this gateway made. Checked
 * in full after decoding, so a forged cursor is refused here and never
 * reaches PostgreSQL: the bytes must be valid UTF-8 and encode back to the
 * same text, the instant must be real, and the userId must be one a row
 * may hold.
 */
export function decodeUserCursor(text: string, kit: UserCursorKit): UserCursor | null {
  const decoded = kit.cursors.decodeText(text, 1400);
  if (decoded === null) return null;
  const parts = /^v1\|([ad])\|(.+)$/s.exec(decoded);
  if (!parts) return null;
  const key = userKeyText(kit).read(parts[2]!);
  if (!key) return null;
  return { direction: parts[1] === 'a' ? 'asc' : 'desc', ...key };
}

/**
 * A `v1` or `v2` cursor as per-shard positions (a `v1` cursor puts every
 * shard of `shardCount` at its user), or null when the text is not one this
 * gateway made for at most `shardCount`-ish shards (see maxUsersCursorChars).
 */
export function decodeUsersAfter(text: string, shardCount: number, kit: UserCursorKit): UsersAfter | null {
  const v1 = decodeUserCursor(text, kit);
  if (v1) {
    const { direction, ...key } = v1;
    return { direction, positions: kit.cursors.uniformPositions(shardCount, key) };
  }
  const decoded = kit.cursors.decodeText(text, maxUsersCursorChars(shardCount, kit));
  if (decoded === null) return null;
  const read = kit.cursors.readPositions(decoded, userKeyText(kit));
  if (!read || (read.tag !== 'a' && read.tag !== 'd')) return null;
  return { direction: read.tag === 'a' ? 'asc' : 'desc', positions: read.positions };
}

function userKeyText(kit: UserCursorKit) {
  return {
    write: (key: UserSortKey) => `${key.createdAt}|${key.userId}`,
    read: (text: string): UserSortKey | null => {
      const parts = /^([^|]+)\|(.+)$/s.exec(text);
      if (!parts) return null;
      const [, createdAt, userId] = parts as unknown as [string, string, string];
      if (!kit.cursors.isTimestamp(createdAt) || !kit.isStoredUserId(userId)) return null;
      return { createdAt, userId };
    },
  };
}

function letter(direction: UserDirection): 'a' | 'd' {
  return direction === 'asc' ? 'a' : 'd';
}
