import { shardIdFor } from '../../src/sharding/shard-id-for.js';

/** Candidates tried before giving up: with N shards about one in N lands on each, so this never runs out for N <= 64. */
const MAX_TRIES = 100_000;

/**
 * A user id `${prefix}-${i}` that the gateway routes to `shardId` of
 * `shardCount` (the `skip`-th such id, counting from 0), found with the
 * gateway's own routing function.
 */
export function idOnShard(shardId: number, shardCount: number, prefix: string, skip = 0): string {
  for (let i = 0, found = 0; i < MAX_TRIES; i++) {
    const id = `${prefix}-${i}`;
    if (shardIdFor(id, shardCount) === shardId && found++ === skip) return id;
  }
  throw new Error(`no id with prefix ${prefix} on shard ${shardId} of ${shardCount} in ${MAX_TRIES} tries`);
}
