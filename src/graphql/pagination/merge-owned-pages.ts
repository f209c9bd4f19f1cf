import { mergeSorted } from './merge-sorted.js';

export interface OwnedMerge<T> {
  /** At most `first` rows, in order. */
  readonly items: T[];
  readonly hasNextPage: boolean;
  /** When no row could be returned but there is more: continue after this (not returned) row. */
  readonly resumeAfter: T | null;
}

/**
 * The k-way merge of shard pages when a shard may also hold rows it does not
 * own: while a reshard runs, a database holds copies of users that move to
 * it, and until the cleanup the originals of users that left. Those rows are
 * dropped (`owns`), so that no user appears twice. A page that came back full
 * (`fetched` rows) may hide more of its shard's own rows after its last row,
 * so the merge stops there; with fewer than `first` rows the page is then
 * short but says there is more (and, when empty, where to continue). With
 * every row owned it is exactly the plain merge. Pure.
 */
export function mergeOwnedPages<T>(
  pages: readonly (readonly T[])[],
  fetched: number,
  owns: (row: T, page: number) => boolean,
  compare: (a: T, b: T) => number,
  first: number,
): OwnedMerge<T> {
  const owned = pages.map((rows, i) => rows.filter((row) => owns(row, i)));
  let frontier: T | null = null;
  for (const rows of pages) {
    const last = rows[rows.length - 1];
    if (rows.length >= fetched && last !== undefined && (frontier === null || compare(last, frontier) < 0)) frontier = last;
  }
  let merged = mergeSorted(owned, compare, first + 1);
  if (frontier !== null) merged = merged.filter((row) => compare(row, frontier!) <= 0);
  if (merged.length > first) return { items: merged.slice(0, first), hasNextPage: true, resumeAfter: null };
  if (frontier === null) return { items: merged, hasNextPage: false, resumeAfter: null };
  return { items: merged, hasNextPage: true, resumeAfter: merged.length === 0 ? frontier : null };
}
