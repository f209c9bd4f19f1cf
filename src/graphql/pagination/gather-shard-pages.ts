import type { Scatter } from '../../sharding/scatter.js';
import type { ShardRoute } from '../../sharding/shard-route.js';
import { shardIdsOf } from '../../sharding/shard-route.js';
import { mergeOwnedPages } from './merge-owned-pages.js';
import { advancePositions, positionFor, uniformPositions, type ShardPositions } from './shard-positions.js';

/** A shard that could not answer its part of a page. */
export interface MissingShard {
  readonly shardId: number;
  readonly error: unknown;
}

/** One page of a keyset walk over every shard, merged. */
export interface GatheredPage<T, K> {
  /** At most `first` rows, in walk order. */
  readonly items: readonly T[];
  /** True when rows may follow: more rows answered than fit, or some shard could not answer. */
  readonly hasNextPage: boolean;
  /** True when every shard stands at the row after each item (the common case: a cursor is then that row's key). */
  readonly uniform: boolean;
  /** Where the walk stands after `items[index]` (the cursor of that edge). */
  positionsAfter(index: number): ShardPositions<K>;
  /** Where the next page starts: after the last item, or where to resume when none could be handed out; null when nothing is left. */
  readonly end: ShardPositions<K> | null;
  /** The shards that did not answer (only with `allowPartial`), by shard id. */
  readonly missing: readonly MissingShard[];
}

export interface GatherArgs<T, K> {
  readonly scatter: Scatter;
  /** Every shard of one layout, and its shard count. */
  readonly route: ShardRoute;
  readonly shardCount: number;
  /** Where the walk stands (the decoded cursor), or null on the first page. */
  readonly after: ShardPositions<K> | null;
  readonly first: number;
  /** Merge the shards that answered when others could not (`canMiss`), instead of failing the page. */
  readonly allowPartial: boolean;
  /** One shard's next `limit` rows strictly after `after` (from its start when null), in walk order. */
  fetch(shardId: number, after: K | null, limit: number): Promise<readonly T[]>;
  keyOf(row: T): K;
  /** Walk order over keys (already reversed for a descending walk). */
  compare(a: K, b: K): number;
  /** False for a row a shard holds but does not own under this layout (a reshard's copy). */
  owns(row: T, shardId: number): boolean;
  /** True for a failure that means "this shard cannot answer now" (unavailable, timed out, overloaded). */
  canMiss(error: unknown): boolean;
}

/**
 * One page over every shard: each shard returns its next `first + 1` rows
 * after its own position, all shards at once; the k-way merge keeps the
 * first `first`, the extra row says whether there is more.
 *
 * Without `allowPartial`, a shard that cannot answer fails the page: a page
 * without it would skip its rows for good if the cursor moved past them.
 * With it, the page is merged from the shards that answered and the cursor
 * keeps each missing shard's position, so later pages read it from there:
 * a walk over every page sees every row once (absent concurrent writes).
 */
export async function gatherShardPages<T, K>(args: GatherArgs<T, K>): Promise<GatheredPage<T, K>> {
  const { shardCount, compare } = args;
  const shardIds = shardIdsOf(args.route);
  const limit = args.first + 1;
  // Positions in this layout's shard ids (a cursor from another shard count is mapped by positionFor).
  const before: ShardPositions<K> = {
    shardCount,
    positions: Array.from({ length: shardCount }, (_, id) => positionFor(args.after, id, shardCount, compare)),
  };
  const fetchOne = (shardId: number) => args.fetch(shardId, before.positions[shardId] ?? null, limit);
  const pages: (readonly T[])[] = [];
  const missing: MissingShard[] = [];
  if (args.allowPartial) {
    const results = await args.scatter.settled(args.route, fetchOne);
    const fatal = results.find((r) => !r.ok && !args.canMiss(r.error));
    if (fatal && !fatal.ok) throw fatal.error;
    for (const r of results) {
      if (r.ok) pages.push(r.value);
      else {
        pages.push([]);
        missing.push({ shardId: r.shardId, error: r.error });
      }
    }
  } else {
    pages.push(...(await args.scatter.all(args.route, fetchOne)));
  }
  const missingIds = new Set(missing.map((m) => m.shardId));
  const answered = (shardId: number) => !missingIds.has(shardId);
  const rowCompare = (a: T, b: T) => compare(args.keyOf(a), args.keyOf(b));
  const merged = mergeOwnedPages(pages, limit, (row, page) => args.owns(row, shardIds[page]!), rowCompare, args.first);
  const beforeUniform = args.after === null || before.positions.every((key, _, all) => sameKey(key, all[0] ?? null, compare));
  const positionsAfter = (index: number) => advancePositions(before, answered, args.keyOf(merged.items[index]!), compare);
  const hasNextPage = merged.hasNextPage || missing.length > 0;
  let end: ShardPositions<K> | null = null;
  if (merged.items.length > 0) end = positionsAfter(merged.items.length - 1);
  else if (merged.resumeAfter !== null) end = advancePositions(before, answered, args.keyOf(merged.resumeAfter), compare);
  else if (missing.length > 0) end = args.after === null ? uniformPositions<K>(shardCount, null) : before;
  return {
    items: merged.items,
    hasNextPage,
    uniform: beforeUniform && missing.length === 0,
    positionsAfter,
    end,
    missing,
  };
}

function sameKey<K>(a: K | null, b: K | null, compare: (a: K, b: K) => number): boolean {
  if (a === null || b === null) return a === b;
  return compare(a, b) === 0;
}
