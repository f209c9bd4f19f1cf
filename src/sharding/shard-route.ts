import { groupKeysByShard } from './shard-id-for.js';

/**
 * Which shards an operation touches, as a value (beside NodeTarget, which
 * says which node of a shard). Produced here, in the sharding layer, and
 * consumed by `scatter`; switch on `kind` exhaustively.
 */
export type ShardRoute =
  /** Every key lives on one shard: one statement, no fan-out. */
  | { readonly kind: 'one'; readonly shardId: number; readonly keys: readonly string[] }
  /** Keys spread over several shards: one statement per shard that holds some, never one without. */
  | { readonly kind: 'some'; readonly keysByShard: ReadonlyMap<number, readonly string[]> }
  /** Every shard, because the answer may be anywhere (a page, a count): a cross-shard read. */
  | { readonly kind: 'all'; readonly shardIds: readonly number[] };

/** The route of a lookup by shard key: the shards that hold the keys, each with its keys (deduplicated, first-seen order). */
export function routeKeys(keys: Iterable<string>, shardCount: number): ShardRoute {
  const groups = groupKeysByShard(keys, shardCount);
  const [first] = groups;
  if (groups.size === 1 && first) return { kind: 'one', shardId: first[0], keys: first[1] };
  return { kind: 'some', keysByShard: groups };
}

/** Every shard, 0..N-1. */
export function routeAll(shardCount: number): ShardRoute {
  return { kind: 'all', shardIds: Array.from({ length: shardCount }, (_, i) => i) };
}

/** The shards the route touches, in route order. */
export function shardIdsOf(route: ShardRoute): readonly number[] {
  switch (route.kind) {
    case 'one':
      return [route.shardId];
    case 'some':
      return [...route.keysByShard.keys()];
    case 'all':
      return route.shardIds;
  }
}

/** The keys the route sends to `shardId` (none for `all`, which is not keyed). */
export function keysOn(route: ShardRoute, shardId: number): readonly string[] {
  switch (route.kind) {
    case 'one':
      return route.shardId === shardId ? route.keys : [];
    case 'some':
      return route.keysByShard.get(shardId) ?? [];
    case 'all':
      return [];
  }
}
