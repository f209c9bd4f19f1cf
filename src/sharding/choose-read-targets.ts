import type { NodeTarget } from './node-target.js';
import { ReadPolicy } from './read-policy.js';
import type { ShardNode } from './shard.js';

/** A shard's nodes by observed role: at most one primary, and the replicas that follow it. */
export interface ShardRoleView {
  readonly primary: ShardNode | null;
  readonly replicas: readonly ShardNode[];
}

/** What narrows the replicas a read may use, beyond health. */
export interface ReadFilter {
  /**
   * The request's staleness bound: false for a replica lagging more than it
   * (as last measured). With no replica that qualifies, the primary serves.
   */
  readonly fresh?: (node: ShardNode) => boolean;
  /**
   * True for a replica that missed its last probe or statement but is not
   * ejected yet: it goes after the primary, so a node that stopped answering
   * is not handed new reads while the health checker makes sure.
   */
  readonly suspect?: (node: ShardNode) => boolean;
}

/**
 * The nodes a read may use, best first. The caller tries them in order and
 * moves on only when a node cannot serve (unreachable), so the list encodes the
 * whole fallback policy:
 *
 * - `PrimaryOnly`: the primary.
 * - `ReplicaPreferred`: the healthy replicas, rotated by `turn` (round-robin),
 *   then the primary as the last resort. With no healthy replica the primary
 *   comes first, tagged `no-healthy-replica`. Replicas that are not `fresh`
 *   enough are left out (the primary comes first, `stale-replicas`, when that
 *   leaves none); `suspect` replicas come after the primary.
 *
 * Empty when no node can serve (no primary, for `PrimaryOnly`). Pure: health
 * is asked through `isHealthy`, the rotation comes in as `turn`.
 */
export function chooseReadTargets(
  shard: ShardRoleView,
  policy: ReadPolicy,
  isHealthy: (node: ShardNode) => boolean,
  turn: number,
  filter: ReadFilter = {},
): NodeTarget[] {
  const primary = shard.primary;
  switch (policy) {
    case ReadPolicy.PrimaryOnly:
      return primary ? [{ node: primary, role: 'primary', reason: 'strong-read' }] : [];
    case ReadPolicy.ReplicaPreferred: {
      const healthy = shard.replicas.filter(isHealthy);
      const { fresh, suspect } = filter;
      const usable = fresh ? healthy.filter(fresh) : healthy;
      if (usable.length === 0) {
        if (!primary) return [];
        return [{ node: primary, role: 'primary', reason: healthy.length > 0 ? 'stale-replicas' : 'no-healthy-replica' }];
      }
      const first = suspect ? usable.filter((n) => !suspect(n)) : usable;
      const last = suspect ? usable.filter((n) => suspect(n)) : [];
      const targets: NodeTarget[] = [];
      const start = first.length === 0 ? 0 : ((turn % first.length) + first.length) % first.length;
      for (let i = 0; i < first.length; i++) {
        targets.push({ node: first[(start + i) % first.length]!, role: 'replica', reason: 'replica-read' });
      }
      if (primary) targets.push({ node: primary, role: 'primary', reason: first.length === 0 ? 'no-healthy-replica' : 'replica-failed' });
      for (const node of last) targets.push({ node, role: 'replica', reason: 'suspect-replica' });
      return targets;
    }
  }
}
