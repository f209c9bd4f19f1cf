import { describe, expect, it } from 'vitest';
import { compareCodePoints, compareSortKeys } from './compare-sort-keys.js';
import { mergeSorted } from './merge-sorted.js';
import { decodeUserCursor, decodeUsersAfter, encodeUserCursor, encodeUsersAfter, maxUsersCursorChars } from './user-cursor.js';

describe('user cursors', () => {
  it('round-trips, including awkward user ids', () => {
    for (const userId of ['user-1', 'a|b|c', 'ü-ñ-✓', '😀', "x' OR 1=1 --"]) {
      const c = { direction: 'desc' as const, createdAt: '2026-11-23T21:07:00.123456Z', userId };
      expect(decodeUserCursor(encodeUserCursor(c))).toEqual(c);
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
      expect(decodeUserCursor(bad)).toBeNull();
    }
  });
});

describe('per-shard user cursors', () => {
  const t = '2026-11-23T21:07:00.123456Z';
  it('is the v1 cursor while every shard stands at one user, v2 otherwise, and reads both back', () => {
    const key = { createdAt: t, userId: 'u|1' };
    const uniform = encodeUsersAfter({ direction: 'asc', positions: { shardCount: 3, positions: [key, key, key] } });
    expect(uniform).toBe(encodeUserCursor({ direction: 'asc', ...key }));
    expect(decodeUsersAfter(uniform, 3)).toEqual({ direction: 'asc', positions: { shardCount: 3, positions: [key, key, key] } });
    const behind = { createdAt: '2026-11-23T21:06:00.000000Z', userId: 'ü' };
    const mixed = { direction: 'desc' as const, positions: { shardCount: 3, positions: [key, null, behind] } };
    const text = encodeUsersAfter(mixed);
    expect(decodeUserCursor(text)).toBeNull();
    expect(decodeUsersAfter(text, 3)).toEqual(mixed);
  });

  it('refuses forged or oversized v2 cursors', () => {
    const b = (s: string) => Buffer.from(s).toString('base64url');
    for (const bad of [
      b(`v2|a|3\n*|${t}|u\n1|yesterday|u`),
      b(`v2|a|3\n*|${t}|u\n7|${t}|u`),
      b(`v2|x|3\n*|${t}|u`),
      b(`v2|a|3\n*|${t}|u\u0001`),
      'A'.repeat(maxUsersCursorChars(3) + 1),
    ]) {
      expect(decodeUsersAfter(bad, 3)).toBeNull();
    }
    // The bound grows linearly with the shard count (one key line per shard at most).
    expect(maxUsersCursorChars(8)).toBeGreaterThan(maxUsersCursorChars(4));
    expect(maxUsersCursorChars(4)).toBeLessThan(8000);
  });
});

describe('ordering', () => {
  it('compares like PostgreSQL COLLATE "C" (UTF-8 byte order)', () => {
    const words = ['b', 'a', 'ab', '', 'Z', 'é', '\uffff', '😀', '\ue000', 'a\u0000'];
    const bytewise = [...words].sort((x, y) => Buffer.compare(Buffer.from(x), Buffer.from(y)));
    expect([...words].sort(compareCodePoints)).toEqual(bytewise);
  });

  it('orders by createdAt then userId', () => {
    const t1 = '2026-01-01T00:00:00.000001Z';
    const t2 = '2026-01-01T00:00:00.000002Z';
    expect(compareSortKeys({ createdAt: t1, userId: 'z' }, { createdAt: t2, userId: 'a' })).toBeLessThan(0);
    expect(compareSortKeys({ createdAt: t1, userId: 'b' }, { createdAt: t1, userId: 'a' })).toBeGreaterThan(0);
    expect(compareSortKeys({ createdAt: t1, userId: 'a' }, { createdAt: t1, userId: 'a' })).toBe(0);
  });
});

describe('mergeSorted', () => {
  const cmp = (a: number, b: number) => a - b;
  it('merges sorted lists and stops at the limit', () => {
    expect(
      mergeSorted(
        [
          [1, 4, 7],
          [2, 5, 8],
          [3, 6, 9],
        ],
        cmp,
        5,
      ),
    ).toEqual([1, 2, 3, 4, 5]);
    expect(mergeSorted([[1, 4], [], [2]], cmp, 10)).toEqual([1, 2, 4]);
    expect(mergeSorted([], cmp, 3)).toEqual([]);
    expect(mergeSorted([[1]], cmp, 0)).toEqual([]);
  });

  it('equals sorting the union, for random inputs', () => {
    for (let round = 0; round < 50; round++) {
      const lists = Array.from({ length: 1 + (round % 5) }, () =>
        Array.from({ length: Math.floor(Math.random() * 20) }, () => Math.floor(Math.random() * 100)).sort(cmp),
      );
      const limit = Math.floor(Math.random() * 40);
      expect(mergeSorted(lists, cmp, limit)).toEqual(lists.flat().sort(cmp).slice(0, limit));
    }
  });
});
