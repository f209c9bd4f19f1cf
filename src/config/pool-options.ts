/** One node's connection pool. From the environment (see gateway-options.ts), with these defaults. */
export interface PoolOptions {
  /** Connections per node. @default 10 */
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
  max: 10,
  connectTimeoutMs: 1000,
  queueMax: 500,
  statementTimeoutMs: 5000,
  idleTimeoutMs: 30_000,
  applicationName: 'shardgate',
});
