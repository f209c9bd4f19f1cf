import type { NodeTarget } from '../sharding/node-target.js';
import type { ShardManager } from '../sharding/shard-manager.js';
import type { WriteBuffer, WriteSlot } from '../sharding/write-buffer.js';
import { remaining } from './deadline.js';
import { ShardTimeoutError, ShardUnavailableError } from './errors.js';
import type { RequestScope } from './request-scope.js';
import type { ShardFailures } from './shard-failures.js';

/** What the write-retry policy needs from the door. */
export interface PrimaryAccess {
  readonly manager: ShardManager;
  /** Null: a write fails at once when its shard has no primary. */
  readonly writeBuffer: WriteBuffer | null;
  readonly failures: ShardFailures;
  readonly clock: () => number;
}

/**
 * The write-retry policy: runs `work` on the shard's primary, waiting for one
 * in the write buffer while there is none. `work` is run again on the next
 * primary only when nothing of it can have been applied (it never reached a
 * node, or a standby refused it: 25006); an outcome that is unknown (the
 * connection broke after it was sent) is never retried.
 */
export async function runOnPrimary<T>(
  access: PrimaryAccess,
  shardId: number,
  scope: RequestScope | undefined,
  work: (target: NodeTarget) => Promise<T>,
): Promise<T> {
  const { manager, writeBuffer, failures, clock } = access;
  if (!writeBuffer) {
    const target = manager.writeTarget(shardId);
    if (!target) throw failures.noNode(shardId);
    return work(target);
  }
  const attempt = writeBuffer.attempt(shardId, scope?.deadline);
  let failed: NodeTarget | undefined;
  let lastError: ShardUnavailableError | undefined;
  try {
    for (;;) {
      const slot: WriteSlot = await attempt.next(failed);
      // The request's deadline, not the buffer's limit, ended the wait: the client's budget ran out.
      if (!slot.ok && slot.why === 'expired' && remaining(scope?.deadline, clock()) <= 0) {
        throw new ShardTimeoutError(
          shardId,
          lastError ? `${lastError.detail} (no primary before the deadline)` : 'no primary before the deadline',
        );
      }
      if (!slot.ok) throw lastError && slot.why === 'off' ? lastError : failures.noPrimary(shardId, slot, lastError);
      try {
        return await work(slot.target);
      } catch (err) {
        if (!(err instanceof ShardUnavailableError) || (err.delivery !== 'not-sent' && err.delivery !== 'read-only')) throw err;
        failed = slot.target;
        lastError = err;
      }
    }
  } finally {
    attempt.end();
  }
}
