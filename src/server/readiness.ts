import type { ShardManager } from '../sharding/shard-manager.js';

export interface Readiness {
  readonly ready: boolean;
  /** Shards whose primary cannot take writes. */
  readonly unavailableShards: { shardId: number; primary: string; reason: string | null }[];
}

/** Ready when every shard's primary can serve writes (as health checks and statements last saw it). */
export function readiness(manager: ShardManager): Readiness {
  const unavailableShards = manager
    .allShards()
    .filter((shard) => !manager.isServable(shard.primary))
    .map((shard) => {
      const health = manager.healthOf(shard.primary);
      return { shardId: shard.id, primary: shard.primary.address, reason: health.lastError ?? health.reason };
    });
  return { ready: unavailableShards.length === 0, unavailableShards };
}
