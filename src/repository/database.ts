import type pg from 'pg';
import { DEFAULT_POOL_OPTIONS, type PoolOptions } from '../config/pool-options.js';
import type { NodeTarget } from '../sharding/node-target.js';
import type { ReadPolicy } from '../sharding/read-policy.js';
import type { NodeProbe } from '../sharding/replica-lag.js';
import type { ShardManager } from '../sharding/shard-manager.js';
import type { ShardNode } from '../sharding/shard.js';
import { NodeAdmission, type Release } from './admission.js';
import { classifyFailure, sqlStateOf } from './classify-error.js';
import { ShardOverloadedError, ShardUnavailableError, SqlError } from './errors.js';
import { connectionErrorOf, createNodePool } from './node-pool.js';
import type { RequestScope } from './request-scope.js';
import { statement, type Statement } from './statement.js';
import type { StatementEvent, StatementObserver, StatementOutcome } from './statement-observer.js';

export interface QueryOptions {
  /** Keys carried by a batched lookup, for spans. */
  readonly batchSize?: number;
  /** The request this statement serves: its statement budget is charged before anything is sent. */
  readonly scope?: RequestScope;
}

export interface Rows<R> {
  readonly rows: R[];
  readonly rowCount: number;
}

/** A statement runner bound to one checked-out primary connection. */
export interface Transaction {
  execute<R extends object>(stmt: Statement, params: readonly unknown[]): Promise<Rows<R>>;
}

export interface PoolStats {
  readonly node: ShardNode;
  readonly active: number;
  readonly idle: number;
  readonly waiting: number;
}

export interface DatabaseOptions {
  readonly pool?: PoolOptions;
  readonly observers?: readonly StatementObserver[];
  /** @default Date.now */
  readonly clock?: () => number;
  /** Where idle-connection errors and passive ejections are reported. */
  readonly log?: (event: string, fields: Record<string, unknown>) => void;
}

// Lag is 0 once everything received is replayed: on an idle primary the last
// replayed transaction gets old without the replica falling behind. Right after
// a replica restarts, its receive position can sit behind its replay position.
const PROBE = statement(
  'shardgate_probe',
  'SELECT',
  `SELECT pg_is_in_recovery() AS in_recovery,
          CASE WHEN pg_is_in_recovery() THEN pg_last_wal_replay_lsn()::text ELSE pg_current_wal_lsn()::text END AS lsn,
          CASE WHEN NOT pg_is_in_recovery() THEN NULL
               WHEN pg_last_wal_receive_lsn() IS NULL OR pg_last_wal_receive_lsn() <= pg_last_wal_replay_lsn() THEN 0
               ELSE extract(epoch FROM now() - pg_last_xact_replay_timestamp())::float8 END AS replay_lag_seconds`,
);

const BEGIN = statement('begin', 'BEGIN', 'BEGIN', false);
const COMMIT = statement('commit', 'COMMIT', 'COMMIT', false);
const ROLLBACK = statement('rollback', 'ROLLBACK', 'ROLLBACK', false);

/**
 * The one door to PostgreSQL. Every statement the gateway sends passes
 * `run`, which times it, tells the observers (spans, metrics), applies the
 * pools' timeouts, turns "the node did not answer" into ShardUnavailableError
 * and reports it to the ShardManager, and always releases the connection.
 * Nothing else in the code base holds a pg pool.
 */
export class Database {
  private readonly pools = new Map<string, pg.Pool>();
  /** Health probes use their own single connection per node, so a busy pool never looks like a dead node. */
  private readonly probePools = new Map<string, pg.Pool>();
  /** Per node: who may ask the pool for a connection, and a bounded queue of who waits. */
  private readonly admissions = new Map<string, NodeAdmission>();
  private readonly connectWaitMs: number;
  private readonly observers: StatementObserver[];
  private readonly clock: () => number;
  private readonly log: NonNullable<DatabaseOptions['log']>;
  private closed = false;

  constructor(
    readonly manager: ShardManager,
    options: DatabaseOptions = {},
  ) {
    const poolOptions = options.pool ?? DEFAULT_POOL_OPTIONS;
    this.observers = [...(options.observers ?? [])];
    this.clock = options.clock ?? Date.now;
    this.log = options.log ?? (() => {});
    this.connectWaitMs = poolOptions.connectTimeoutMs;
    const onConnectionError = (node: ShardNode, err: Error) =>
      this.log('connection lost', { node: node.id, error: (err as NodeJS.ErrnoException).code ?? err.message });
    for (const node of manager.allNodes()) {
      this.pools.set(node.id, createNodePool(node, poolOptions, onConnectionError));
      this.probePools.set(node.id, createNodePool(node, { ...poolOptions, max: 1 }, onConnectionError));
      this.admissions.set(node.id, new NodeAdmission(node.shardId, poolOptions.max, poolOptions.queueMax ?? DEFAULT_POOL_OPTIONS.queueMax));
    }
  }

  addObserver(observer: StatementObserver): void {
    this.observers.push(observer);
  }

  /** A write (or a STRONG read inside a write path): the shard's primary. */
  async write<R extends object>(shardId: number, stmt: Statement, params: readonly unknown[], options?: QueryOptions): Promise<Rows<R>> {
    return this.runOn(this.manager.writeTarget(shardId), stmt, params, options);
  }

  /**
   * A read by policy. Tries the candidates best first; when one cannot serve
   * (down, refusing, too slow) it is reported to the ShardManager and the
   * next one answers, so a replica that dies between two health probes costs
   * latency, not an error. Refusals by PostgreSQL itself are not retried.
   */
  async read<R extends object>(
    shardId: number,
    policy: ReadPolicy,
    stmt: Statement,
    params: readonly unknown[],
    options?: QueryOptions,
  ): Promise<Rows<R>> {
    const targets = this.manager.readTargets(shardId, policy);
    let last: unknown;
    for (const target of targets) {
      try {
        return await this.runOn<R>(target, stmt, params, options);
      } catch (err) {
        if (!(err instanceof ShardUnavailableError)) throw err;
        last = err;
      }
    }
    throw last;
  }

  /** Runs `fn` in one transaction on the shard's primary: ROLLBACK on error, connection always released. */
  async transaction<T>(shardId: number, fn: (tx: Transaction) => Promise<T>): Promise<T> {
    const target = this.manager.writeTarget(shardId);
    const { client, release } = await this.connect(target);
    let broken: Error | undefined;
    const tx: Transaction = {
      execute: async <R extends object>(stmt: Statement, params: readonly unknown[]) => {
        try {
          return await this.runOnClient<R>(client, target, stmt, params);
        } catch (err) {
          if (err instanceof ShardUnavailableError) broken = err;
          throw err;
        }
      },
    };
    try {
      await tx.execute(BEGIN, []);
      const result = await fn(tx);
      await tx.execute(COMMIT, []);
      return result;
    } catch (err) {
      if (!broken) await tx.execute(ROLLBACK, []).catch(() => {});
      throw err;
    } finally {
      // A broken connection is destroyed, not returned to the pool.
      client.release(broken ?? connectionErrorOf(client));
      release();
    }
  }

  /** One health probe of `node` (not observed: probes are not traffic). */
  async probe(node: ShardNode, timeoutMs: number): Promise<NodeProbe> {
    const pool = this.probePools.get(node.id)!;
    const result = await pool.query<{ in_recovery: boolean; lsn: string | null; replay_lag_seconds: number | null }>({
      name: PROBE.name,
      text: PROBE.text,
      query_timeout: timeoutMs,
    } as pg.QueryConfig);
    const row = result.rows[0]!;
    return { inRecovery: row.in_recovery, lsn: row.lsn, replayLagSeconds: row.replay_lag_seconds };
  }

  /** Connection counts per node, for the pool gauges. */
  poolStats(): PoolStats[] {
    return this.manager.allNodes().map((node) => {
      const pool = this.pools.get(node.id)!;
      return {
        node,
        active: pool.totalCount - pool.idleCount,
        idle: pool.idleCount,
        // Statements wait at the door's admission, never inside the pool.
        waiting: this.admissions.get(node.id)!.waiting + pool.waitingCount,
      };
    });
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    for (const node of this.manager.allNodes()) {
      this.admissions.get(node.id)?.refuseAll(new ShardUnavailableError(node.shardId, 'the gateway is shutting down'));
    }
    await Promise.all([...this.pools.values(), ...this.probePools.values()].map((p) => p.end().catch(() => {})));
  }

  private async runOn<R extends object>(target: NodeTarget, stmt: Statement, params: readonly unknown[], options?: QueryOptions): Promise<Rows<R>> {
    // Over budget: refused before it is observed or sent, so it costs nothing.
    options?.scope?.statements.take();
    const finish = this.start({ target, statement: stmt, batchSize: options?.batchSize });
    let connection: { client: pg.PoolClient; release: Release };
    try {
      connection = await this.connect(target);
    } catch (err) {
      finish(failureOutcome(err));
      throw err;
    }
    const { client, release } = connection;
    let broken: Error | undefined;
    try {
      const result = await this.query<R>(client, target, stmt, params);
      finish({ rowCount: result.rowCount, outcome: 'ok' });
      return result;
    } catch (err) {
      if (err instanceof ShardUnavailableError) broken = err;
      finish(failureOutcome(err));
      throw err;
    } finally {
      // A broken connection is destroyed, not returned to the pool.
      client.release(broken ?? connectionErrorOf(client));
      release();
    }
  }

  private async runOnClient<R extends object>(client: pg.PoolClient, target: NodeTarget, stmt: Statement, params: readonly unknown[]): Promise<Rows<R>> {
    const finish = this.start({ target, statement: stmt });
    try {
      const result = await this.query<R>(client, target, stmt, params);
      finish({ rowCount: result.rowCount, outcome: 'ok' });
      return result;
    } catch (err) {
      finish(failureOutcome(err));
      throw err;
    }
  }

  /**
   * A connection of the target node, and the admission permit that goes with
   * it. Waiting for the permit is pressure (SHARD_OVERLOADED, the node stays
   * healthy); failing to connect once admitted is a node failure.
   */
  private async connect(target: NodeTarget): Promise<{ client: pg.PoolClient; release: Release }> {
    const pool = this.pools.get(target.node.id);
    const admission = this.admissions.get(target.node.id);
    if (!pool || !admission || this.closed) throw new ShardUnavailableError(target.node.shardId, 'the gateway is shutting down');
    const release = await admission.acquire(this.connectWaitMs);
    try {
      return { client: await pool.connect(), release };
    } catch (err) {
      release();
      throw this.unavailable(target, err);
    }
  }

  private async query<R extends object>(client: pg.PoolClient, target: NodeTarget, stmt: Statement, params: readonly unknown[]): Promise<Rows<R>> {
    try {
      const config: pg.QueryConfig = stmt.prepare === false
        ? { text: stmt.text, values: params as unknown[] }
        : { name: stmt.name, text: stmt.text, values: params as unknown[] };
      const result = await client.query<R>(config);
      return { rows: result.rows, rowCount: result.rowCount ?? result.rows.length };
    } catch (err) {
      const failure = classifyFailure(err);
      if (failure.kind === 'sql') throw new SqlError(failure.sqlState, stmt.name, { cause: err });
      throw this.unavailable(target, err);
    }
  }

  /** Builds the error and tells the ShardManager (passive health: the next read avoids the node). */
  private unavailable(target: NodeTarget, err: unknown): ShardUnavailableError {
    const failure = classifyFailure(err);
    const detail = failure.kind === 'unavailable' ? failure.detail : `SQLSTATE ${failure.sqlState}`;
    this.manager.recordFailure(target.node, this.clock(), detail);
    this.log('node could not serve', { node: target.node.id, detail });
    return new ShardUnavailableError(target.node.shardId, `${target.node.id} (${target.node.address}): ${detail}`, { cause: err });
  }

  private start(event: StatementEvent): (outcome: StatementOutcome) => void {
    if (this.observers.length === 0) return noop;
    const finishers: ((o: StatementOutcome) => void)[] = [];
    for (const observer of this.observers) {
      const f = observer.onStart(event);
      if (f) finishers.push(f);
    }
    return (outcome) => {
      for (const f of finishers) f(outcome);
    };
  }
}

function noop(): void {}

function failureOutcome(err: unknown): StatementOutcome {
  return {
    rowCount: null,
    error: err,
    outcome: err instanceof ShardUnavailableError ? 'unavailable' : err instanceof ShardOverloadedError ? 'overloaded' : 'error',
    ...sqlStateOutcome(err),
  };
}

/** The SQLSTATE for spans and logs: of a refused statement, or of a node that said it cannot serve (57P01, 57014...). */
function sqlStateOutcome(err: unknown): { sqlState?: string } {
  const sqlState = err instanceof SqlError ? err.sqlState : err instanceof ShardUnavailableError ? sqlStateOf(err.cause) : undefined;
  return sqlState === undefined ? {} : { sqlState };
}
