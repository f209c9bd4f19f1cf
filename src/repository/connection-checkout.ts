import type pg from 'pg';
import type { Miss } from '../sharding/node-health.js';
import type { NodeTarget } from '../sharding/node-target.js';
import type { Release } from './admission.js';
import { remaining } from './deadline.js';
import { ShardTimeoutError, ShardUnavailableError, type Delivery } from './errors.js';
import { connectionErrorOf } from './node-pool.js';
import { CLOCK_SLACK_MS } from './node-probes.js';
import type { NodePools } from './node-pools.js';
import type { RequestScope } from './request-scope.js';
import { connectWithin, DeadlineExceeded, StatementAbandoned } from './within-deadline.js';

/** A connection checked out of a node's pool, and what gives back its pool lease and admission permit. */
export interface Checkout {
  readonly client: pg.PoolClient;
  readonly giveBack: Release;
}

/**
 * Checking a connection out of a node's pool, with the admission permit that
 * goes with it, and giving both back.
 */
export class ConnectionCheckout {
  constructor(
    private readonly pools: NodePools,
    /** The longest a statement waits for admission (pressure, not failure, when it runs out). */
    private readonly connectWaitMs: number,
    private readonly clock: () => number,
    private readonly isClosed: () => boolean,
    /** Builds (and reports) the error of a node that could not be connected to. */
    private readonly unavailable: (target: NodeTarget, err: unknown, delivery: Delivery, miss?: Miss) => ShardUnavailableError,
    /** The pools' connect timeout: a connect that fails this late ran out of time, it was not refused. */
    private readonly connectTimeoutMs: number = connectWaitMs,
  ) {}

  /**
   * A connection of the target node, within what remains of the request's
   * deadline (waiting counts); give it back with `release`. Waiting for the
   * permit is pressure, never a node failure: SHARD_OVERLOADED when the queue
   * is full or the connection wait ran out, SHARD_TIMEOUT when the request's
   * deadline ran out first. Failing to connect once admitted is a node
   * failure, and the statement was never sent. `signal` ends any wait with
   * StatementAbandoned (the read moved to another node).
   */
  async connect(target: NodeTarget, scope?: RequestScope, signal?: AbortSignal): Promise<Checkout> {
    const { node } = target;
    if (this.isClosed()) throw new ShardUnavailableError(node.shardId, 'the gateway is shutting down');
    const left = remaining(scope?.deadline, this.clock());
    if (left <= 0) throw new ShardTimeoutError(node.shardId, 'deadline passed before a connection was asked for');
    const lease = this.pools.checkout(node);
    if (!lease) {
      // Removed by a topology reload after this statement was routed: it went nowhere.
      throw new ShardUnavailableError(node.shardId, `${node.id} left the topology`, { delivery: 'not-sent' });
    }
    let permit: Release;
    try {
      const deadlineFirst = left <= this.connectWaitMs;
      permit = await lease.admission.acquire(
        Math.min(this.connectWaitMs, left),
        deadlineFirst
          ? () => new ShardTimeoutError(node.shardId, `${node.id}: deadline exceeded while waiting for a connection`)
          : undefined,
        signal,
      );
    } catch (err) {
      lease.release();
      throw err;
    }
    const giveBack = () => {
      permit();
      lease.release();
    };
    const ms = remaining(scope?.deadline, this.clock());
    if (ms <= 0) {
      giveBack();
      throw new ShardTimeoutError(node.shardId, `${node.id}: deadline passed while waiting for a connection`);
    }
    const startedAt = this.clock();
    try {
      // Admitted, the pool never queues: this is only connecting (or an idle connection).
      const client =
        ms === Number.POSITIVE_INFINITY && !signal ? await lease.pool.connect() : await connectWithin(lease.pool, ms, giveBack, signal);
      return { client, giveBack };
    } catch (err) {
      // Too late: permit and lease go back once the late connection attempt has settled (connectWithin).
      if (err instanceof DeadlineExceeded) throw new ShardTimeoutError(node.shardId, `${node.id}: ${err.message}`);
      if (err instanceof StatementAbandoned) throw err;
      giveBack();
      // pg's connect timeout carries no code; a connect that fails only after it ran out of time (a slow node may still answer others).
      const timedOut = this.clock() - startedAt >= this.connectTimeoutMs - CLOCK_SLACK_MS;
      throw this.unavailable(target, err, 'not-sent', { startedAt, timedOut });
    }
  }

  /** Gives a connection back; a broken one (by a statement, or found dead by its error listener) is destroyed, not returned to the pool. */
  release({ client, giveBack }: Checkout, broken: Error | undefined): void {
    client.release(broken ?? connectionErrorOf(client));
    giveBack();
  }
}
