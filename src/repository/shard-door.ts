import type { ReadPolicy } from '../sharding/read-policy.js';
import type { Database, Rows, Transaction } from './database.js';
import { LayoutRetry } from './layout-retry.js';
import type { RequestScope } from './request-scope.js';
import type { Statement } from './statement.js';

/**
 * The narrow face of the door for an entity stored with its owner (a user):
 * routing by userId, reads by policy, and writes and transactions on the
 * owner's shard, every statement charged to the request it serves. Spans,
 * metrics, deadlines, consistency tokens, the statement budget, write
 * buffering during a failover and the retry after a layout change come with
 * it; a caller cannot leave them out.
 */
export class ShardDoor {
  constructor(
    private readonly db: Database,
    /** Sends a write again, routed afresh, when a reshard's layout guard refused it. @default none: such a write fails */
    private readonly layout: LayoutRetry = new LayoutRetry(() => null),
    private readonly scope?: RequestScope,
  ) {}

  /** The same door, charging every statement to `scope` (one GraphQL request). */
  forRequest(scope: RequestScope): ShardDoor {
    return new ShardDoor(this.db, this.layout, scope);
  }

  /** The shard that stores `userId` and everything it owns, under the current layout. */
  shardIdOf(userId: string): number {
    return this.db.manager.shardIdOf(userId);
  }

  /** One statement on a node of `shardId` chosen by `policy` (and the request's consistency token). */
  read<R extends object>(
    shardId: number,
    policy: ReadPolicy,
    stmt: Statement,
    params: readonly unknown[],
    options: { batchSize?: number } = {},
  ): Promise<Rows<R>> {
    return this.db.read<R>(shardId, policy, stmt, params, this.options(options));
  }

  /**
   * One write to the shard of `userId`'s group, on its primary: `work` gets
   * the shard and a write function, and is run again, routed afresh, when a
   * reshard's guard refused the write (nothing was written).
   */
  writeFor<T>(
    userId: string,
    work: (shardId: number, write: <R extends object>(stmt: Statement, params: readonly unknown[]) => Promise<Rows<R>>) => Promise<T>,
  ): Promise<T> {
    return this.layout.run(
      () => {
        const shardId = this.shardIdOf(userId);
        return work(shardId, (stmt, params) => this.db.write(shardId, stmt, params, this.options()));
      },
      () => this.shardIdOf(userId),
      this.scope?.deadline,
    );
  }

  /** A transaction on the primary of `userId`'s shard (see Database.transaction for when `fn` may run twice). */
  transactionFor<T>(userId: string, fn: (tx: Transaction, shardId: number) => Promise<T>): Promise<T> {
    return this.layout.run(
      () => {
        const shardId = this.shardIdOf(userId);
        return this.db.transaction(shardId, (tx) => fn(tx, shardId), this.options());
      },
      () => this.shardIdOf(userId),
      this.scope?.deadline,
    );
  }

  /** A write to one shard that is not one user's (bulk loads): no layout retry. */
  writeOnShard<R extends object>(shardId: number, stmt: Statement, params: readonly unknown[]): Promise<Rows<R>> {
    return this.db.write<R>(shardId, stmt, params, this.options());
  }

  private options(extra: { batchSize?: number } = {}) {
    return this.scope ? { ...extra, scope: this.scope } : extra;
  }
}
