import type { ShardPosition } from './consistency-token.js';
import type { NodePosition } from './replay-positions.js';

/**
 * How a read that must see a token's position for its shard is served, as a
 * value:
 *
 * - `replica`: a healthy replica on the token's history has replayed at
 *   least the position (as last known): read there.
 * - `wait`: replicas on the token's history are behind (or not known yet):
 *   wait a little for one of them, then read the primary.
 * - `primary`: no replica can ever serve it: the token comes from another
 *   history (a failover, a rebuilt shard), the shard's history is not known
 *   yet, or there is no healthy replica.
 */
export type TokenRead<N> =
  | { readonly kind: 'replica'; readonly node: N }
  | { readonly kind: 'wait'; readonly candidates: readonly N[] }
  | { readonly kind: 'primary'; readonly why: 'other-history' | 'unknown-history' | 'no-replica' };

/** The shard's current history: its primary's system identifier and timeline. */
export interface ShardHistory {
  readonly systemId: bigint;
  readonly timeline: number;
}

/**
 * Pure. `replicas` are the healthy replicas in round-robin order, with what
 * is known of their positions; the first that qualifies wins.
 */
export function chooseTokenRead<N>(
  wanted: ShardPosition,
  history: ShardHistory | null,
  replicas: readonly { readonly node: N; readonly position: NodePosition | null }[],
): TokenRead<N> {
  if (history === null) return { kind: 'primary', why: 'unknown-history' };
  if (history.systemId !== wanted.systemId || history.timeline !== wanted.timeline) return { kind: 'primary', why: 'other-history' };
  const onHistory = replicas.filter(
    (r) => r.position === null || (r.position.systemId === wanted.systemId && r.position.timeline === wanted.timeline),
  );
  const ready = onHistory.find((r) => r.position !== null && r.position.lsn >= wanted.lsn);
  if (ready) return { kind: 'replica', node: ready.node };
  if (onHistory.length === 0) return { kind: 'primary', why: 'no-replica' };
  return { kind: 'wait', candidates: onHistory.map((r) => r.node) };
}
