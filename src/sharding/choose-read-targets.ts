import type { NodeTarget } from './node-target.js';
import { ReadPolicy } from './read-policy.js';
import type { Shard, ShardNode } from './shard.js';

/**
 * The nodes a read may use, best first. The caller tries them in order and
 * moves on only when a node cannot serve (unreachable), so the list encodes the
 * whole fallback policy:
 *
 * - `PrimaryOnly`: the primary.
 * - `ReplicaPreferred`: the healthy replicas, rotated by `turn` (round-robin),
 *   then the primary as the last resort. With no healthy replica the primary
 *   comes first, tagged `no-healthy-replica`.
 *
 * Pure: health is asked through `isServable`, the rotation comes in as `turn`.
 */
export function chooseReadTargets(
  shard: Shard,
  policy: ReadPolicy,
  isServable: (node: ShardNode) => boolean,
  turn: number,
): NodeTarget[] {
  switch (policy) {
    case ReadPolicy.PrimaryOnly:
      return [{ node: shard.primary, reason: 'strong-read' }];
    case ReadPolicy.ReplicaPreferred: {
      const healthy = shard.replicas.filter(isServable);
      if (healthy.length === 0) return [{ node: shard.primary, reason: 'no-healthy-replica' }];
      const start = ((turn % healthy.length) + healthy.length) % healthy.length;
      const targets: NodeTarget[] = [];
      for (let i = 0; i < healthy.length; i++) {
        targets.push({ node: healthy[(start + i) % healthy.length]!, reason: 'replica-read' });
      }
      targets.push({ node: shard.primary, reason: 'replica-failed' });
      return targets;
    }
  }
}
