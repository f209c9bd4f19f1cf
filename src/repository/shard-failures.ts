import type { Miss } from '../sharding/node-health.js';
import type { NodeTarget } from '../sharding/node-target.js';
import type { ShardManager } from '../sharding/shard-manager.js';
import type { WriteSlot } from '../sharding/write-buffer.js';
import { classifyFailure, sqlStateOf } from './classify-error.js';
import { ShardOverloadedError, ShardTimeoutError, ShardUnavailableError, SqlError, type Delivery } from './errors.js';
import { isAbandoned } from './given-up.js';
import type { StatementOutcome } from './statement-observer.js';

const SPLIT_BRAIN = 'split brain: more than one primary';

/**
 * The errors the door builds when a shard cannot serve, and the passive
 * health report that goes with a node that failed: every "this node could
 * not serve" passes `unavailable`, so none is forgotten by the ShardManager.
 */
export class ShardFailures {
  constructor(
    private readonly manager: ShardManager,
    private readonly clock: () => number,
    private readonly log: (event: string, fields: Record<string, unknown>) => void,
  ) {}

  /**
   * Builds the error and tells the ShardManager (passive health: the next read
   * avoids the node), with `miss` when the attempt may have only been slow. A read-only refusal is not a failure to reach the node:
   * it is a standby now, which the probe that the write buffer triggers will see.
   */
  unavailable(target: NodeTarget, err: unknown, delivery: Delivery, miss?: Miss): ShardUnavailableError {
    const failure = classifyFailure(err);
    const detail = failure.kind === 'unavailable' ? failure.detail : `SQLSTATE ${failure.sqlState}`;
    // A connect that timed out while the node answered other statements meanwhile is slowness: the node is not reported failed (judgeMiss).
    const verdict = delivery !== 'read-only' ? this.manager.recordFailure(target.node, this.clock(), detail, miss) : 'failed';
    this.log(verdict === 'slow' ? 'node too slow to serve' : 'node could not serve', { node: target.node.id, detail });
    return new ShardUnavailableError(target.node.shardId, `${target.node.id}: ${detail}`, { cause: err, delivery });
  }

  /** No node of the shard may serve the statement (no primary, a split brain, no replica for a read). */
  noNode(shardId: number): ShardUnavailableError {
    const reason = this.manager.noWriteReason(shardId);
    return new ShardUnavailableError(shardId, reason === 'SPLIT_BRAIN' ? SPLIT_BRAIN : 'no node can serve', {
      ...(reason === 'SPLIT_BRAIN' ? { reason } : {}),
    });
  }

  /** The write found no primary in time (or no room to wait); `last` is what its own attempt met, if it made one. */
  noPrimary(shardId: number, slot: Extract<WriteSlot, { ok: false }>, last: ShardUnavailableError | undefined): ShardUnavailableError {
    const why =
      slot.reason === 'SPLIT_BRAIN'
        ? SPLIT_BRAIN
        : slot.why === 'overflow'
          ? 'no primary, and the write buffer is full'
          : slot.why === 'expired'
            ? 'no primary in time'
            : 'no primary';
    return new ShardUnavailableError(shardId, last ? `${last.detail} (${why})` : why, {
      ...(last ? { cause: last.cause } : {}),
      ...(slot.reason === 'SPLIT_BRAIN' ? { reason: 'SPLIT_BRAIN' as const } : {}),
    });
  }
}

/** How a failed statement is reported to the observers (spans, metrics). */
export function failureOutcome(err: unknown): StatementOutcome {
  // The gateway gave up on it itself (a hedge's other copy answered, its node missed a probe).
  if (isAbandoned(err)) return { rowCount: null, error: err, outcome: 'cancelled' };
  return {
    rowCount: null,
    error: err,
    outcome:
      err instanceof ShardUnavailableError
        ? 'unavailable'
        : err instanceof ShardTimeoutError
          ? 'timeout'
          : err instanceof ShardOverloadedError
            ? 'overloaded'
            : 'error',
    ...sqlStateOutcome(err),
  };
}

/** The same error, with what is now known of its delivery. */
export function withDelivery(err: ShardUnavailableError, delivery: Delivery): ShardUnavailableError {
  if (err.delivery === delivery) return err;
  return new ShardUnavailableError(err.shardId, err.detail, {
    cause: err.cause,
    delivery,
    ...(err.reason ? { reason: err.reason } : {}),
  });
}

/** The SQLSTATE for spans and logs: of a refused statement, or of a node that said it cannot serve (57P01, 57014...). */
function sqlStateOutcome(err: unknown): { sqlState?: string } {
  const sqlState = err instanceof SqlError ? err.sqlState : err instanceof ShardUnavailableError ? sqlStateOf(err.cause) : undefined;
  return sqlState === undefined ? {} : { sqlState };
}
