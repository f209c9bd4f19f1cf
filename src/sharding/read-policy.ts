/**
 * How a read picks its node. Named values instead of booleans, so a call
 * site says what it wants (`ReadPolicy.PrimaryOnly`), not `read(id, true)`.
 */
export const ReadPolicy = {
  /**
   * A healthy replica, round-robin. When no replica is healthy (or the shard
   * has none) the read goes to the primary: fail open on purpose, since a
   * fresher answer beats an error. May lag behind writes.
   */
  ReplicaPreferred: 'replica-preferred',
  /** The primary only: read-after-write guaranteed (GraphQL `STRONG`). */
  PrimaryOnly: 'primary-only',
} as const;

export type ReadPolicy = (typeof ReadPolicy)[keyof typeof ReadPolicy];

/** The GraphQL `ReadConsistency` enum, mapped onto the policies. */
export type ReadConsistency = 'EVENTUAL' | 'STRONG';

export function readPolicyFor(consistency: ReadConsistency): ReadPolicy {
  switch (consistency) {
    case 'EVENTUAL':
      return ReadPolicy.ReplicaPreferred;
    case 'STRONG':
      return ReadPolicy.PrimaryOnly;
  }
}
