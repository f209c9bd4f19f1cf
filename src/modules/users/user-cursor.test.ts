import { describe, expect, it } from 'vitest';
import { MODULE_CURSORS } from '../module-cursors.js';
import { MODULE_USERS } from '../module-users.js';
import {
  compareUserKeys,
  decodeUserCursor,
  decodeUsersAfter,
  encodeUserCursor,
  encodeUsersAfter,
  maxUsersCursorChars,
  type UserCursorKit,
} from './user-cursor.js';

// What the module API hands the users module at run time.
const kit: UserCursorKit = { cursors: MODULE_CURSORS, isStoredUserId: MODULE_USERS.isStoredUserId };
const decodeUserCursor_ = (text: string) => decodeUserCursor(text, kit);
const decodeUsersAfter_ = (text: string, shardCount: number) => decodeUsersAfter(text, shardCount, kit);
const encodeUsersAfter_ = (after: Parameters<typeof encodeUsersAfter>[0]) => encodeUsersAfter(after, kit);
const maxUsersCursorChars_ = (shardCount: number) => maxUsersCursorChars(shardCount, kit);

describe('user cursors', () => {
  it('round-trips, including awkward user ids', () => {
    for (const userId of ['user-1', 'a|b|c', 'ü-ñ-✓', '😀', "x' OR 1=1 --"]) {
      const c = { direction: 'desc' as const, createdAt: '2026-11-23T21:07:00.123456Z', userId };
      expect(decodeUserCursor_(encodeUserCursor(c))).toEqual(c);
    }
  });

  it('rejects anything it did not make', () => {
    const good = encodeUserCursor({ direction: 'asc', createdAt: '2026-11-23T21:07:00.123456Z', userId: 'u' });
    for (const bad of [
      '',
      'abc',
      '!!!',
      good + '=',
      Buffer.from('v1|a|yesterday|u').toString('base64url'),
      Buffer.from('v2|a|2026-11-23T21:07:00.123456Z|u').toString('base64url'),
      Buffer.from('v1|a|2026-11-23T21:07:00.123456Z|').toString('base64url'),
      'A'.repeat(5000),
    ]) {
      expect(decodeUserCursor_(bad)).toBeNull();
    }
  });
});

describe('per-shard user cursors', () => {
  const t = '2026-11-23T21:07:00.123456Z';
  it('is the v1 cursor while every shard stands at one user, v2 otherwise, and reads both back', () => {
    const key = { createdAt: t, userId: 'u|1' };
    const uniform = encodeUsersAfter_({ direction: 'asc', positions: { shardCount: 3, positions: [key, key, key] } });
    expect(uniform).toBe(encodeUserCursor({ direction: 'asc', ...key }));
    expect(decodeUsersAfter_(uniform, 3)).toEqual({ direction: 'asc', positions: { shardCount: 3, positions: [key, key, key] } });
    const behind = { createdAt: '2026-11-23T21:06:00.000000Z', userId: 'ü' };
    const mixed = { direction: 'desc' as const, positions: { shardCount: 3, positions: [key, null, behind] } };
    const text = encodeUsersAfter_(mixed);
    expect(decodeUserCursor_(text)).toBeNull();
    expect(decodeUsersAfter_(text, 3)).toEqual(mixed);
  });

  it('refuses forged or oversized v2 cursors', () => {
    const b = (s: string) => Buffer.from(s).toString('base64url');
    for (const bad of [
      b(`v2|a|3\n*|${t}|u\n1|yesterday|u`),
      b(`v2|a|3\n*|${t}|u\n7|${t}|u`),
      b(`v2|x|3\n*|${t}|u`),
      b(`v2|a|3\n*|${t}|u\u0001`),
      'A'.repeat(maxUsersCursorChars_(3) + 1),
    ]) {
      expect(decodeUsersAfter_(bad, 3)).toBeNull();
    }
    // The bound grows linearly with the shard count (one key line per shard at most).
    expect(maxUsersCursorChars_(8)).toBeGreaterThan(maxUsersCursorChars_(4));
    expect(maxUsersCursorChars_(4)).toBeLessThan(8000);
  });
});

describe('the users order', () => {
  it('orders by createdAt then userId', () => {
    const t1 = '2026-01-01T00:00:00.000001Z';
    const t2 = '2026-01-01T00:00:00.000002Z';
    expect(compareUserKeys(kit)({ createdAt: t1, userId: 'z' }, { createdAt: t2, userId: 'a' })).toBeLessThan(0);
    expect(compareUserKeys(kit)({ createdAt: t1, userId: 'b' }, { createdAt: t1, userId: 'a' })).toBeGreaterThan(0);
    expect(compareUserKeys(kit)({ createdAt: t1, userId: 'a' }, { createdAt: t1, userId: 'a' })).toBe(0);
  });
});
