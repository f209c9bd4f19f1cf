import { fnv1a32 } from './fnv1a32.js';

/** The shard that stores `key`: `fnv1a32(key) % shardCount` (docs/architecture.md, "Routing"). */
export function shardIdFor(key: string, shardCount: number): number {
  return fnv1a32(key) % shardCount;
}

/**
 * Keys grouped by shard, each group in first-seen order without duplicates.
 * Shards with no key are absent, so callers touch only the shards they need.
 */
export function groupKeysByShard(keys: Iterable<string>, shardCount: number): Map<number, string[]> {
  const groups = new Map<number, string[]>();
  const seen = new Set<string>();
  for (const key of keys) {
    if (seen.has(key)) continue;
    seen.add(key);
    const shardId = shardIdFor(key, shardCount);
    const group = groups.get(shardId);
    if (group) group.push(key);
    else groups.set(shardId, [key]);
  }
  return groups;
}
