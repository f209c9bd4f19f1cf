/** One node's connection pool. From the environment (see gateway-options.ts), with these defaults. */
export interface PoolOptions {
  /**
   * Connections per node. A request holds at most one connection per node at
   * a time (one statement per shard it touches, all shards at once), so this
   * is how many requests a node serves at once before the next ones queue.
   * 16 lets 16 concurrent requests fan out to every shard without queueing,
   * and keeps 5 gateways per node (80 connections) inside PostgreSQL's
   * default max_connections of 100. @default 16
   */
  readonly max: number;
  /** Give up connecting (or waiting for a free connection) after this long. @default 1000 */
  readonly connectTimeoutMs: number;
  /**
   * Statements that may wait for a free connection of one node; one more
   * fails at once with SHARD_OVERLOADED instead of queueing. @default 500
   */
  readonly queueMax: number;
  /** Server-side `statement_timeout`; the client gives up 500 ms later. @default 5000 */
  readonly statementTimeoutMs: number;
  /** Close connections idle this long. @default 30000 */
  readonly idleTimeoutMs: number;
  /** `application_name`, seen in pg_stat_activity. @default "shardgate" */
  readonly applicationName: string;
}

export const DEFAULT_POOL_OPTIONS: PoolOptions = Object.freeze({
  max: 16,
  connectTimeoutMs: 1000,
  queueMax: 500,
  statementTimeoutMs: 5000,
  idleTimeoutMs: 30_000,
  applicationName: 'shardgate',
});
