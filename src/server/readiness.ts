import type { ShardManager } from '../sharding/shard-manager.js';

export interface Readiness {
  readonly ready: boolean;
  /** Shards that cannot take writes now. */
  readonly unavailableShards: { shardId: number; primary: string | null; reason: string | null }[];
  /**
   * Nodes out of recovery that serve nothing (an old primary back on a
   * superseded timeline, a split brain's claimants, a primary of another
   * system): they do not make the gateway unready by themselves, but an
   * operator must deal with them.
   */
  readonly fencedNodes: { shardId: number; address: string; role: 'FENCED'; reason: string }[];
}

/**
 * Ready when every shard has a primary to take its writes, as observed by
 * the health checks and statements. For a shard without one: the last node
 * known as its primary, and why (`SPLIT_BRAIN`, or what that node last said).
 */
export function readiness(manager: ShardManager): Readiness {
  const unavailableShards = manager
    .allShards()
    .filter((shard) => {
      const target = manager.writeTarget(shard.id);
      return target === null || !manager.isReachable(target.node);
    })
    .map((shard) => {
      const roles = manager.rolesOf(shard.id);
      const last = roles.primary ?? roles.memory.lastPrimary ?? shard.primary;
      const health = manager.healthOf(last);
      const reason = roles.noWriteReason === 'SPLIT_BRAIN' ? 'SPLIT_BRAIN' : (health.lastError ?? health.reason ?? roles.noWriteReason);
      return { shardId: shard.id, primary: last.address, reason };
    });
  const fencedNodes = manager
    .allNodes()
    .filter((node) => manager.roleOf(node) === 'fenced')
    .map((node) => ({
      shardId: node.shardId,
      address: node.address,
      role: 'FENCED' as const,
      // A configured primary never probed while another node is primary has no exclusion of its own kind.
      reason: manager.exclusionOf(node) ?? 'superseded',
    }));
  return { ready: unavailableShards.length === 0, unavailableShards, fencedNodes };
}
