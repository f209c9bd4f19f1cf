import type { ServingRole, ShardNode } from './shard.js';

/**
 * Why a statement went to the node it went to. Spans carry it, so a read
 * served by a primary says whether the client asked for it or the replicas
 * could not serve.
 */
export type TargetReason =
  /** Writes always go to the shard's primary, as observed. */
  | 'write'
  /** A healthy replica, chosen round-robin. */
  | 'replica-read'
  /** The client asked for STRONG consistency. */
  | 'strong-read'
  /** No replica of the shard is healthy (or none is configured): fail open to the primary. */
  | 'no-healthy-replica'
  /** The replica chosen first failed during this request; the primary answered instead. */
  | 'replica-failed'
  /** A read with a consistency token: a replica known to have replayed the token's position. */
  | 'token-replica'
  /** A read with a consistency token: a replica that caught up while the read waited for it. */
  | 'token-replica-after-wait'
  /** A read with a consistency token that no replica could serve in time (or from another history). */
  | 'token-primary';

/** The routing decision for one statement, as a value: which node, in which observed role, and why. */
export interface NodeTarget {
  readonly node: ShardNode;
  /** The node's role when the statement was routed (what metrics and spans report). */
  readonly role: ServingRole;
  readonly reason: TargetReason;
}
