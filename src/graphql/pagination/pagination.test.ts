import { describe, expect, it } from 'vitest';
import { compareCodePoints, compareSortKeys } from './compare-sort-keys.js';
import { mergeSorted } from './merge-sorted.js';
import { decodeUserCursor, encodeUserCursor } from './user-cursor.js';

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
