import { describe, expect, it } from 'vitest';
import { compareCodePoints } from './compare-code-points.js';
import { mergeSorted } from './merge-sorted.js';

describe('ordering', () => {
  it('compares like PostgreSQL COLLATE "C" (UTF-8 byte order)', () => {
    const words = ['b', 'a', 'ab', '', 'Z', 'é', '\uffff', '😀', '\ue000', 'a\u0000'];
    const bytewise = [...words].sort((x, y) => Buffer.compare(Buffer.from(x), Buffer.from(y)));
    expect([...words].sort(compareCodePoints)).toEqual(bytewise);
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
