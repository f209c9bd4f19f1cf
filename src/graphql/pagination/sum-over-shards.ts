import { ShardOverloadedError, ShardTimeoutError, ShardUnavailableError } from '../../repository/errors.js';
import type { ShardManager } from '../../sharding/shard-manager.js';
import type { MissingShard } from './gather-shard-pages.js';

/** A shard that cannot answer now (down, too slow for the deadline, or overloaded): a partial page goes on without it. */
export function isShardMissing(error: unknown): boolean {
  return error instanceof ShardUnavailableError || error instanceof ShardTimeoutError || error instanceof ShardOverloadedError;
}

/**
 * A sum over every shard (a page's `totalCount`), all at once, over the
 * shards as they are now (the gateway may have adopted a new layout since
 * the page was read). Without `allowPartial` a shard that cannot answer
 * fails the sum; with it, the sum is over the shards that answered and the
 * others are returned for their errors.
 */
export async function sumOverShards(
  manager: ShardManager,
  count: (shardId: number) => Promise<number>,
  allowPartial: boolean,
): Promise<{ total: number; missing: readonly MissingShard[] }> {
  const route = manager.routeAll();
  if (!allowPartial) {
    const counts = await manager.scatter.all(route, count);
    return { total: counts.reduce((a, b) => a + b, 0), missing: [] };
  }
  const results = await manager.scatter.settled(route, count);
  const fatal = results.find((r) => !r.ok && !isShardMissing(r.error));
  if (fatal && !fatal.ok) throw fatal.error;
  let total = 0;
  const missing: MissingShard[] = [];
  for (const r of results) {
    if (r.ok) total += r.value;
    else missing.push({ shardId: r.shardId, error: r.error });
  }
  return { total, missing };
}
