/**
 * K-way merge of lists that are each sorted by `compare`, keeping the first
 * `limit` items. Shard pages are short (≤ 101 rows) and few, so a linear scan
 * of the list heads beats a heap here.
 */
export function mergeSorted<T>(lists: readonly (readonly T[])[], compare: (a: T, b: T) => number, limit: number): T[] {
  const heads = lists.map(() => 0);
  const out: T[] = [];
  while (out.length < limit) {
    let best = -1;
    for (let i = 0; i < lists.length; i++) {
      const list = lists[i]!;
      if (heads[i]! >= list.length) continue;
      if (best === -1 || compare(list[heads[i]!]!, lists[best]![heads[best]!]!) < 0) best = i;
    }
    if (best === -1) break;
    out.push(lists[best]![heads[best]!]!);
    heads[best]!++;
  }
  return out;
}
