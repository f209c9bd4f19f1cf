import { describe, expect, it } from 'vitest';
import { mergeOwnedPages } from './merge-owned-pages.js';
import { mergeSorted } from './merge-sorted.js';

const cmp = (a: number, b: number) => a - b;

describe('mergeOwnedPages', () => {
  it('is the plain merge when every row is owned', () => {
    const pages = [[1, 4, 7], [2, 3, 9], [5]];
    for (const first of [0, 1, 2, 4, 6]) {
      const plain = mergeSorted(pages, cmp, first + 1);
      expect(mergeOwnedPages(pages, 3, () => true, cmp, first)).toEqual({
        items: plain.slice(0, first),
        hasNextPage: plain.length > first,
        resumeAfter: null,
      });
    }
  });

  it('drops rows a shard does not own, so a copied user appears once', () => {
    // Shard 0 holds a copy of 3, which shard 1 owns.
    const owners = new Map([
      [1, 0],
      [3, 1],
      [4, 0],
      [2, 1],
    ]);
    const result = mergeOwnedPages(
      [
        [1, 3, 4],
        [2, 3],
      ],
      4,
      (row, page) => owners.get(row) === page,
      cmp,
      10,
    );
    expect(result).toEqual({ items: [1, 2, 3, 4], hasNextPage: false, resumeAfter: null });
  });

  it('stops at the end of a full page whose hidden rows could come next, and resumes there when nothing is left', () => {
    // Shard 0's page is full (3 rows asked) but owns only 1; shard 1 has 6 and 8.
    const owns = (row: number, page: number) => (page === 0 ? row === 1 : true);
    expect(
      mergeOwnedPages(
        [
          [1, 2, 5],
          [6, 8],
        ],
        3,
        owns,
        cmp,
        2,
      ),
    ).toEqual({ items: [1], hasNextPage: true, resumeAfter: null });
    expect(
      mergeOwnedPages(
        [
          [2, 3, 5],
          [6, 8],
        ],
        3,
        () => false,
        cmp,
        2,
      ),
    ).toEqual({ items: [], hasNextPage: true, resumeAfter: 5 });
  });
});
