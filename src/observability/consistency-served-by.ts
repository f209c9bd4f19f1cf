import type { TargetReason } from '../sharding/node-target.js';

/** How a read with a consistency token was served: the `served_by` label and span attribute. */
export type ServedBy = 'replica' | 'replica_after_wait' | 'primary';

/** Null for statements that are not token reads. */
export function servedBy(reason: TargetReason): ServedBy | null {
  switch (reason) {
    case 'token-replica':
      return 'replica';
    case 'token-replica-after-wait':
      return 'replica_after_wait';
    case 'token-primary':
      return 'primary';
    default:
      return null;
  }
}
