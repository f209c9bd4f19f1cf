import type { NodeTarget } from './node-target.js';
import { ReadPolicy } from './read-policy.js';
import type { ShardNode } from './shard.js';

/** A shard's nodes by observed role: at most one primary, and the replicas that follow it. */
export interface ShardRoleView {
  readonly primary: ShardNode | null;
  readonly replicas: readonly ShardNode[];
}

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
 * Empty when no node can serve (no primary, for `PrimaryOnly`). Pure: health
 * is asked through `isHealthy`, the rotation comes in as `turn`.
 */
export function chooseReadTargets(
  shard: ShardRoleView,
  policy: ReadPolicy,
  isHealthy: (node: ShardNode) => boolean,
  turn: number,
): NodeTarget[] {
  const primary = shard.primary;
  switch (policy) {
    case ReadPolicy.PrimaryOnly:
      return primary ? [{ node: primary, role: 'primary', reason: 'strong-read' }] : [];
    case ReadPolicy.ReplicaPreferred: {
      const healthy = shard.replicas.filter(isHealthy);
      if (healthy.length === 0) return primary ? [{ node: primary, role: 'primary', reason: 'no-healthy-replica' }] : [];
      const start = ((turn % healthy.length) + healthy.length) % healthy.length;
      const targets: NodeTarget[] = [];
      for (let i = 0; i < healthy.length; i++) {
        targets.push({ node: healthy[(start + i) % healthy.length]!, role: 'replica', reason: 'replica-read' });
      }
      if (primary) targets.push({ node: primary, role: 'primary', reason: 'replica-failed' });
      return targets;
    }
  }
}
