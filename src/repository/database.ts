import type pg from 'pg';
import { setMaxListeners } from 'node:events';
import { DEFAULT_HEDGE_OPTIONS, type HedgeOptions } from '../config/hedge-options.js';
import { DEFAULT_POOL_OPTIONS, type PoolOptions } from '../config/pool-options.js';
import { HedgeBudget } from '../sharding/hedge-budget.js';
import { hedgeDelayMs, RecentLatencies } from '../sharding/recent-latency.js';
import type { NodeTarget } from '../sharding/node-target.js';
import { ReadPolicy } from '../sharding/read-policy.js';
import type { NodeProbe } from '../sharding/replica-lag.js';
import type { ShardManager } from '../sharding/shard-manager.js';
import type { ShardNode } from '../sharding/shard.js';
import { positionFromPg, type ShardPosition } from '../sharding/consistency-token.js';
import { ReplayPositions, type NodePosition } from '../sharding/replay-positions.js';
import { ReplayWatch } from '../sharding/replay-watch.js';
import { TokenRouter } from '../sharding/token-router.js';
import type { WriteBuffer, WriteSlot } from '../sharding/write-buffer.js';
import { NodeAdmission, type Release } from './admission.js';
import { classifyFailure, deliveryOfFailure, sqlStateOf } from './classify-error.js';
import { remaining } from './deadline.js';
import { ShardOverloadedError, ShardTimeoutError, ShardUnavailableError, SqlError, type Delivery } from './errors.js';
import { connectionErrorOf, createNodePool } from './node-pool.js';
import { NodePools } from './node-pools.js';
import type { RequestScope } from './request-scope.js';
import { sendCancelRequest } from './send-cancel-request.js';
import { LAYOUT_TABLE_PRESENT, SELECT_LATEST_LAYOUT } from './reshard-statements.js';
import { statement, type Statement } from './statement.js';
import type { StatementEvent, StatementObserver, StatementOutcome } from './statement-observer.js';
import { REPLAY_POSITION, WAL_POSITION, type PositionRow } from './wal-position.js';
import { raceHedge } from './race-hedge.js';
import { reclaimable } from './reclaim-connection.js';
import { connectWithin, DeadlineExceeded, runWithin, StatementAbandoned } from './within-deadline.js';

export interface QueryOptions {
  /** Keys carried by a batched lookup, for spans. */
  readonly batchSize?: number;
  /**
   * The request this statement serves: its statement budget is charged
   * before anything is sent, its deadline bounds every wait (for a primary,
   * a connection, a caught-up replica) and statement, its consistency token
   * steers reads and collects writes.
   */
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

/** A layout recorded by `shardgate reshard`: its epoch and topology document (without passwords). */
export interface RecordedLayout {
  readonly epoch: number;
  readonly topology: unknown;
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
  /**
   * Holds writes while their shard has no primary, and retries the ones that
   * never reached one. Without it a write fails at once when there is none.
   */
  readonly writeBuffer?: WriteBuffer;
  /** Hedged replica reads. @default DEFAULT_HEDGE_OPTIONS */
  readonly hedge?: HedgeOptions;
}

/** How one copy of a statement is sent: what may end it early, and whether it is a hedge. */
interface Attempt {
  /** Aborts when the caller gives up on this copy (its hedge answered first). */
  readonly signal?: AbortSignal;
  /** The second copy of a hedged read: not charged to the request's statement budget, a span of its own. */
  readonly hedge?: boolean;
  /** Another node can serve this read: give it up as soon as its node misses a probe. */
  readonly failOver?: boolean;
}

/**
 * A read that has not answered after this long has its node probed at once
 * (when another node could serve it): a node that stopped answering (a frozen
 * host, SIGSTOP) then costs a read about this plus one probe timeout, not a
 * statement timeout.
 */
const SUSPECT_AFTER_MS = 250;

/** The connection a statement given up on (deadline, lost hedge) still holds: whether it comes back fit for the pool. */
const reclaims = new WeakMap<Error, Promise<boolean>>();
/** Errors of statements the gateway gave up on itself (a lost hedge, a suspect node): outcome `cancelled`. */
const abandoned = new WeakSet<Error>();

// One statement, so that role, timeline and positions describe one moment
// (recovery is read once: a promotion in the middle must not mix the two forms).
// Timeline: a primary's is the first 8 hex digits of its current WAL file; a
// standby's is the one its WAL receiver gets, or its last restartpoint's when
// it streams from nobody (its primary is gone). Lag is 0 once everything
// received is replayed: on an idle primary the last replayed transaction gets
// old without the replica falling behind. Right after a replica restarts, its
// receive position can sit behind its replay position.
const PROBE = statement(
  'shardgate_probe',
  'SELECT',
  `WITH s AS MATERIALIZED (SELECT pg_is_in_recovery() AS r)
   SELECT s.r AS in_recovery,
          (SELECT system_identifier::text FROM pg_control_system()) AS system_identifier,
          CASE WHEN s.r THEN COALESCE((SELECT received_tli FROM pg_stat_wal_receiver), (SELECT timeline_id FROM pg_control_checkpoint()))
               ELSE ('x' || substr(pg_walfile_name(pg_current_wal_lsn()), 1, 8))::bit(32)::int END AS timeline,
          CASE WHEN s.r THEN pg_last_wal_replay_lsn()::text ELSE pg_current_wal_lsn()::text END AS lsn,
          CASE WHEN NOT s.r THEN NULL
               WHEN pg_last_wal_receive_lsn() IS NULL OR pg_last_wal_receive_lsn() <= pg_last_wal_replay_lsn() THEN 0
               ELSE extract(epoch FROM now() - pg_last_xact_replay_timestamp())::float8 END AS replay_lag_seconds
   FROM s`,
);
const UNDEFINED_TABLE = '42P01';

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
  /** One pool per node for statements, and one single-connection pool for probes (a busy pool never looks like a dead node). */
  private readonly pools: NodePools;
  private readonly observers: StatementObserver[];
  private readonly clock: () => number;
  private readonly log: NonNullable<DatabaseOptions['log']>;
  private readonly writeBuffer: WriteBuffer | null;
  private readonly connectWaitMs: number;
  private closed = false;
  /** Last known WAL positions of every node (probes, writes, token waits). */
  readonly positions = new ReplayPositions();
  private readonly tokens: TokenRouter;
  private readonly hedgeAfter: HedgeOptions['afterMs'];
  private readonly hedgeBudget: HedgeBudget;
  /** Each node's recent statement latencies: the `auto` hedge delay. */
  private readonly latencies = new RecentLatencies();
  /** Per node, aborted (and replaced) when the node misses a probe or a statement: reads in flight there move on. */
  private readonly alarms = new Map<string, AbortController>();
  /** Per node, when a slow read last asked for a probe of it (at most one per SUSPECT_AFTER_MS). */
  private readonly aliveChecks = new Map<string, number>();

  constructor(
    readonly manager: ShardManager,
    options: DatabaseOptions = {},
  ) {
    const poolOptions = options.pool ?? DEFAULT_POOL_OPTIONS;
    this.observers = [...(options.observers ?? [])];
    this.clock = options.clock ?? Date.now;
    this.log = options.log ?? (() => {});
    this.writeBuffer = options.writeBuffer ?? null;
    const onConnectionError = (node: ShardNode, err: Error) =>
      this.log('connection lost', { node: node.id, error: (err as NodeJS.ErrnoException).code ?? err.message });
    this.connectWaitMs = poolOptions.connectTimeoutMs;
    this.pools = new NodePools(
      (node, probe) => createNodePool(node, probe ? { ...poolOptions, max: 1 } : poolOptions, onConnectionError),
      (node) => new NodeAdmission(node.shardId, poolOptions.max, poolOptions.queueMax ?? DEFAULT_POOL_OPTIONS.queueMax),
    );
    this.pools.reconcile(manager.allNodes());
    const watch = new ReplayWatch(this.positions, (node, timeoutMs) => this.replayPosition(node, timeoutMs));
    this.tokens = new TokenRouter(manager, this.positions, watch);
    const hedge = options.hedge ?? DEFAULT_HEDGE_OPTIONS;
    this.hedgeAfter = hedge.afterMs;
    this.hedgeBudget = new HedgeBudget(hedge.budgetPercent);
    manager.onHealthChange((node, next, previous) => {
      if (next.consecutiveFailures <= previous.consecutiveFailures) return;
      const alarm = this.alarms.get(node.key);
      if (!alarm) return;
      this.alarms.delete(node.key);
      alarm.abort(new Error(`${node.id} did not answer a probe or a statement`));
    });
  }

  /**
   * After a topology reload: opens pools for new nodes; the pools of removed
   * nodes close once the statements running on them finish.
   */
  reconcilePools(): void {
    if (this.closed) return;
    this.pools.reconcile(this.manager.allNodes());
    this.latencies.retain(new Set(this.manager.allNodes().map((n) => n.key)));
  }

  addObserver(observer: StatementObserver): void {
    this.observers.push(observer);
  }

  /**
   * A write: the shard's primary as observed. While the shard has none it
   * waits in the write buffer; a write that never reached a primary, or that
   * a standby refused (25006), is retried on the new one; a write whose
   * outcome is unknown (the connection broke after it was sent) is not.
   * With a consistency session in the scope, the primary's WAL position
   * after the commit comes back in the same round trip and joins the token.
   */
  async write<R extends object>(shardId: number, stmt: Statement, params: readonly unknown[], options?: QueryOptions): Promise<Rows<R>> {
    return this.onPrimary(shardId, options?.scope, (target) => this.runOn<R>(target, stmt, params, options, true));
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
    const scope = options?.scope;
    const wanted = policy === ReadPolicy.ReplicaPreferred ? (scope?.consistency?.positionFor(shardId) ?? null) : null;
    const narrow = scope?.maxStalenessMs === undefined ? {} : { maxStalenessMs: scope.maxStalenessMs };
    const targets = wanted
      ? await this.tokens.targets(shardId, wanted, Math.min(scope!.consistency!.waitMs, remaining(scope?.deadline, this.clock())), narrow)
      : this.manager.readTargets(shardId, policy, narrow);
    if (targets.length === 0) throw this.noNode(shardId);
    let last: unknown;
    for (let i = 0; i < targets.length; i++) {
      const target = targets[i]!;
      const failOver = i < targets.length - 1;
      try {
        // EVENTUAL reads (token reads included) may be hedged to the next node that may serve them; STRONG never.
        const spare =
          i === 0 && policy === ReadPolicy.ReplicaPreferred && this.hedgeBudget.enabled
            ? targets.find((t, j) => j > 0 && t.reason !== 'suspect-replica' && t.node.key !== target.node.key)
            : undefined;
        if (spare) return await this.hedgedRead<R>(target, spare, stmt, params, options);
        return await this.runOn<R>(target, stmt, params, options, false, { failOver });
      } catch (err) {
        if (!(err instanceof ShardUnavailableError)) throw err;
        last = err;
      }
    }
    throw last;
  }

  /**
   * One read raced against its hedge (see raceHedge): when the first node
   * has not answered after the hedge delay and the budget has a hedge left,
   * the read goes to `spare` too; the first answer is used and the other
   * copy is cancelled on its server, its connection back in the pool once
   * the cancel has settled.
   */
  private hedgedRead<R extends object>(
    target: NodeTarget,
    spare: NodeTarget,
    stmt: Statement,
    params: readonly unknown[],
    options?: QueryOptions,
  ): Promise<Rows<R>> {
    this.hedgeBudget.onRead();
    return raceHedge<Rows<R>>({
      first: (signal) => this.runOn<R>(target, stmt, params, options, false, { signal, failOver: true }),
      delayMs: hedgeDelayMs(this.hedgeAfter, this.latencies.p95(target.node.key)),
      hedge: (signal) =>
        this.hedgeBudget.tryTake() ? this.runOn<R>(spare, stmt, params, options, false, { signal, hedge: true, failOver: true }) : null,
      onHedged: (winner) => {
        for (const observer of this.observers) observer.onHedge?.(spare.node.shardId, winner === 'hedge' ? 'won' : 'lost');
      },
    });
  }

  /**
   * Runs `fn` in one transaction on the shard's primary: ROLLBACK on error,
   * connection always released. Like a write, it waits for a primary; it is
   * run again (so `fn` may run twice) only when nothing of it can have been
   * applied: no connection, a failed BEGIN, a standby's refusal (25006), or
   * a connection found broken before a statement could be written to it (the
   * transaction dies with the connection).
   */
  async transaction<T>(shardId: number, fn: (tx: Transaction) => Promise<T>, options?: QueryOptions): Promise<T> {
    return this.onPrimary(shardId, options?.scope, (target) => this.transactionOn(target, fn));
  }

  private async transactionOn<T>(target: NodeTarget, fn: (tx: Transaction) => Promise<T>): Promise<T> {
    const checkout = await this.connect(target);
    const { client } = checkout;
    let broken: Error | undefined;
    let begun = false;
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
      try {
        await tx.execute(BEGIN, []);
        begun = true;
      } catch (err) {
        // Nothing was done yet: as good as never sent.
        throw err instanceof ShardUnavailableError ? withDelivery(err, err.delivery === 'read-only' ? 'read-only' : 'not-sent') : err;
      }
      const result = await fn(tx);
      await tx.execute(COMMIT, []);
      return result;
    } catch (err) {
      if (begun && !broken) await tx.execute(ROLLBACK, []).catch(() => {});
      throw err;
    } finally {
      this.release(checkout, broken);
    }
  }

  /**
   * Runs `work` on the shard's primary, waiting for one in the write buffer
   * and retrying where that is safe (see `write`).
   */
  private async onPrimary<T>(shardId: number, scope: RequestScope | undefined, work: (target: NodeTarget) => Promise<T>): Promise<T> {
    if (!this.writeBuffer) {
      const target = this.manager.writeTarget(shardId);
      if (!target) throw this.noNode(shardId);
      return work(target);
    }
    const attempt = this.writeBuffer.attempt(shardId, scope?.deadline);
    let failed: NodeTarget | undefined;
    let lastError: ShardUnavailableError | undefined;
    try {
      for (;;) {
        const slot: WriteSlot = await attempt.next(failed);
        // The request's deadline, not the buffer's limit, ended the wait: the client's budget ran out.
        if (!slot.ok && slot.why === 'expired' && remaining(scope?.deadline, this.clock()) <= 0) {
          throw new ShardTimeoutError(
            shardId,
            lastError ? `${lastError.detail} (no primary before the deadline)` : 'no primary before the deadline',
          );
        }
        if (!slot.ok) throw lastError && slot.why === 'off' ? lastError : this.noPrimary(shardId, slot, lastError);
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

  /** One health probe of `node` (not observed: probes are not traffic). */
  async probe(node: ShardNode, timeoutMs: number): Promise<NodeProbe> {
    const pool = this.pools.probePool(node);
    if (!pool || this.closed) throw new Error(`${node.id} is no longer in the topology`);
    const result = await pool.query<{
      in_recovery: boolean;
      system_identifier: string;
      timeline: number;
      lsn: string | null;
      replay_lag_seconds: number | null;
    }>({ name: PROBE.name, text: PROBE.text, query_timeout: timeoutMs } as pg.QueryConfig);
    const row = result.rows[0]!;
    const probe: NodeProbe = {
      inRecovery: row.in_recovery,
      timeline: row.timeline,
      systemIdentifier: row.system_identifier,
      lsn: row.lsn,
      replayLagSeconds: row.replay_lag_seconds,
    };
    if (row.lsn !== null && row.timeline !== null) {
      try {
        const p = positionFromPg(node.shardId, { lsn: row.lsn, timeline: row.timeline, system_identifier: row.system_identifier });
        this.positions.record(node, { systemId: p.systemId, timeline: p.timeline, lsn: p.lsn, at: this.clock() });
      } catch (err) {
        // Token bookkeeping never fails a probe: without a position, token reads of this node go to the primary.
        this.log('unexpected WAL position', { node: node.id, error: (err as Error).message });
      }
    }
    return probe;
  }

  /** A standby's replay position now (not observed: gateway bookkeeping, like probes). */
  async replayPosition(node: ShardNode, timeoutMs: number): Promise<NodePosition> {
    const pool = this.pools.probePool(node);
    if (!pool || this.closed) throw new Error(`${node.id} is no longer in the topology`);
    const { rows } = await pool.query<PositionRow>({
      name: REPLAY_POSITION.name,
      text: REPLAY_POSITION.text,
      query_timeout: timeoutMs,
    } as pg.QueryConfig);
    const row = rows[0]!;
    if (row.lsn === null || row.timeline === null) throw new Error(`${node.id} is not replaying WAL`);
    const p = positionFromPg(node.shardId, { lsn: row.lsn, timeline: row.timeline, system_identifier: row.system_identifier });
    return { systemId: p.systemId, timeline: p.timeline, lsn: p.lsn, at: this.clock() };
  }

  /**
   * The latest layout `shardgate reshard` recorded on `node` (a primary), or
   * null when none was (no table yet). On the probe connection, not observed:
   * like a probe, it is not traffic.
   */
  async readLayout(node: ShardNode, timeoutMs: number): Promise<RecordedLayout | null> {
    const pool = this.pools.probePool(node);
    if (!pool || this.closed) throw new Error(`${node.id} is no longer in the topology`);
    // Asked first, so that a database that was never resharded logs no error each interval.
    const present = await pool.query<{ present: boolean }>({ text: LAYOUT_TABLE_PRESENT.text, query_timeout: timeoutMs } as pg.QueryConfig);
    if (!present.rows[0]?.present) return null;
    try {
      const result = await pool.query<RecordedLayout>({ text: SELECT_LATEST_LAYOUT.text, query_timeout: timeoutMs } as pg.QueryConfig);
      return result.rows[0] ?? null;
    } catch (err) {
      if ((err as { code?: unknown }).code === UNDEFINED_TABLE) return null;
      throw err;
    }
  }

  /** Connection counts per node, for the pool gauges. */
  poolStats(): PoolStats[] {
    return this.manager.allNodes().flatMap((node) => {
      const pool = this.pools.pool(node);
      const admission = this.pools.admission(node);
      if (!pool || !admission) return [];
      return {
        node,
        active: pool.totalCount - pool.idleCount,
        idle: pool.idleCount,
        // Statements wait at the door's admission, never inside the pool.
        waiting: admission.waiting + pool.waitingCount,
      };
    });
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await this.pools.closeAll((node) => new ShardUnavailableError(node.shardId, 'the gateway is shutting down'));
  }

  private async runOn<R extends object>(
    target: NodeTarget,
    stmt: Statement,
    params: readonly unknown[],
    options?: QueryOptions,
    isWrite = false,
    attempt: Attempt = {},
  ): Promise<Rows<R>> {
    const scope = options?.scope;
    // Over budget: refused before it is observed or sent, so it costs nothing.
    // A write's WAL position rides behind it on the same connection, within
    // this one call: the pair is one statement for the budget, as for the
    // estimate made before execution. A hedge is the gateway's own extra
    // copy: it counts in the metrics, not against the client's budget.
    if (!attempt.hedge) scope?.statements.take();
    const finish = this.start({ target, statement: stmt, batchSize: options?.batchSize, ...(attempt.hedge ? { hedge: true } : {}) });
    const watch = attempt.failOver === true && !isWrite;
    const alarm = watch ? this.alarmFor(target.node) : undefined;
    const signal = alarm && attempt.signal ? AbortSignal.any([alarm, attempt.signal]) : (alarm ?? attempt.signal);
    const watchdog = watch ? setTimeout(() => this.checkAlive(target.node), SUSPECT_AFTER_MS) : undefined;
    watchdog?.unref();
    const started = performance.now();
    let checkout: Checkout;
    try {
      checkout = await this.connect(target, scope, signal);
    } catch (err) {
      clearTimeout(watchdog);
      const failure = err instanceof StatementAbandoned ? this.abandon(target, err, 'not-sent') : err;
      finish(outcomeOf(failure));
      throw failure;
    }
    let broken: Error | undefined;
    let inFlight: Promise<boolean> | undefined;
    try {
      const session = isWrite ? scope?.consistency : undefined;
      const result = await this.query<R>(checkout.client, target, stmt, params, scope, session !== undefined, signal);
      this.latencies.record(target.node.key, performance.now() - started);
      if (result.position) {
        session?.recordWrite(result.position);
        this.positions.record(target.node, { ...result.position, at: this.clock() });
      }
      finish({ rowCount: result.rowCount, outcome: 'ok' });
      return result;
    } catch (err) {
      // A statement given up on (deadline, lost hedge) was cancelled: its connection goes back once that settled clean.
      inFlight = err instanceof Error ? reclaims.get(err) : undefined;
      // Broken: the node failed under it. A deadline or an abandon before anything was sent leaves it as it was.
      if (!inFlight && err instanceof ShardUnavailableError && !abandoned.has(err)) broken = err;
      finish(outcomeOf(err));
      throw err;
    } finally {
      clearTimeout(watchdog);
      if (inFlight) {
        void inFlight.then((fit) =>
          this.release(checkout, fit ? undefined : new Error('a cancelled statement left its connection unusable')),
        );
      } else {
        this.release(checkout, broken);
      }
    }
  }

  /** This node's alarm: aborted when the node misses a probe or a statement (see the constructor). */
  private alarmFor(node: ShardNode): AbortSignal {
    let alarm = this.alarms.get(node.key);
    if (!alarm) {
      alarm = new AbortController();
      // Every read in flight on the node listens: not a leak.
      setMaxListeners(0, alarm.signal);
      this.alarms.set(node.key, alarm);
    }
    return alarm.signal;
  }

  /**
   * A read of `node` is slow: probe the node now rather than at the next
   * round, within the connect timeout. A miss is a failure of the node, which
   * sounds its alarm: the reads in flight there move to the next node.
   */
  private checkAlive(node: ShardNode): void {
    const now = this.clock();
    const last = this.aliveChecks.get(node.key);
    if (this.closed || (last !== undefined && now - last < Math.max(SUSPECT_AFTER_MS, this.connectWaitMs))) return;
    this.aliveChecks.set(node.key, now);
    this.probe(node, this.connectWaitMs).then(
      () => {},
      (err: unknown) => {
        if (this.closed) return;
        const detail = err instanceof Error ? ((err as NodeJS.ErrnoException).code ?? err.message) : String(err);
        this.log('node missed a probe during a slow read', { node: node.id, detail });
        this.manager.recordFailure(node, this.clock(), `probe during a slow read: ${detail}`);
      },
    );
  }

  /** The error of a statement the gateway gave up on itself: not a failure of the node (nothing is reported), outcome `cancelled`. */
  private abandon(target: NodeTarget, err: StatementAbandoned, delivery: Delivery): ShardUnavailableError {
    const failure = new ShardUnavailableError(target.node.shardId, `${target.node.id}: ${err.message}`, { cause: err, delivery });
    abandoned.add(failure);
    return failure;
  }

  private async runOnClient<R extends object>(
    client: pg.PoolClient,
    target: NodeTarget,
    stmt: Statement,
    params: readonly unknown[],
  ): Promise<Rows<R>> {
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
   * Checks a connection of the target node out, with the admission permit
   * that goes with it, within what remains of the request's deadline
   * (waiting counts); give both back with `release`. Waiting for the permit
   * is pressure, never a node failure: SHARD_OVERLOADED when the queue is
   * full or the connection wait ran out, SHARD_TIMEOUT when the request's
   * deadline ran out first. Failing to connect once admitted is a node
   * failure, and the statement was never sent.
   */
  private async connect(target: NodeTarget, scope?: RequestScope, signal?: AbortSignal): Promise<Checkout> {
    const { node } = target;
    if (this.closed) throw new ShardUnavailableError(node.shardId, 'the gateway is shutting down');
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
      throw this.unavailable(target, err, 'not-sent');
    }
  }

  /** Gives a connection back; a broken one (by a statement, or found dead by its error listener) is destroyed, not returned to the pool. */
  private release({ client, giveBack }: Checkout, broken: Error | undefined): void {
    client.release(broken ?? connectionErrorOf(client));
    giveBack();
  }

  /**
   * One statement (and, for a write with a session, the WAL position right
   * behind it on the same connection: pipelined, one round trip), within
   * what remains of the deadline. When time runs out the server is asked to
   * cancel the statement, so PostgreSQL stops working on it.
   */
  private async query<R extends object>(
    client: pg.PoolClient,
    target: NodeTarget,
    stmt: Statement,
    params: readonly unknown[],
    scope?: RequestScope,
    withPosition = false,
    signal?: AbortSignal,
  ): Promise<Rows<R> & { position?: ShardPosition }> {
    // A connection found dead before the statement went out (a node that just
    // crashed, its pooled connections not yet dropped): the statement was never sent.
    const dead = connectionErrorOf(client);
    if (dead) throw this.unavailable(target, dead, 'not-sent');
    const ms = remaining(scope?.deadline, this.clock());
    if (ms <= 0) throw new ShardTimeoutError(target.node.shardId, 'deadline passed before the statement was sent');
    if (signal?.aborted) throw this.abandon(target, new StatementAbandoned(signal.reason), 'not-sent');
    let work: Promise<unknown> | undefined;
    let cancelDone: Promise<boolean> = Promise.resolve(false);
    try {
      const config: pg.QueryConfig =
        stmt.prepare === false
          ? { text: stmt.text, values: params as unknown[] }
          : { name: stmt.name, text: stmt.text, values: params as unknown[] };
      // Queued in this order on the connection: the position is read after the write has committed.
      const write = client.query<R>(config);
      const position = withPosition ? client.query<PositionRow>({ name: WAL_POSITION.name, text: WAL_POSITION.text }) : null;
      // Settled either way, so that a failed write never leaves an unhandled rejection behind.
      const both = Promise.all([write, position?.catch(() => null) ?? null]);
      work = both;
      const [result, positionResult] =
        ms === Number.POSITIVE_INFINITY && !signal
          ? await both
          : await runWithin(both, ms, () => (cancelDone = this.cancel(target, client)), signal);
      const after = positionResult ? this.positionOf(target, positionResult.rows[0]) : null;
      return { rows: result.rows, rowCount: result.rowCount ?? result.rows.length, ...(after ? { position: after } : {}) };
    } catch (err) {
      if (err instanceof DeadlineExceeded || err instanceof StatementAbandoned) {
        const failure =
          err instanceof DeadlineExceeded
            ? new ShardTimeoutError(target.node.shardId, `${target.node.id}: ${err.message}`)
            : this.abandon(target, err, 'unknown');
        // Cancelled on the server: the connection is kept if the statement comes back canceled (or answered) and the cancel request is done.
        if (work) reclaims.set(failure, reclaimable(work, cancelDone));
        throw failure;
      }
      const failure = classifyFailure(err);
      if (failure.kind === 'sql') throw new SqlError(failure.sqlState, stmt.name, { cause: err });
      throw this.unavailable(target, err, deliveryOfFailure(err, withPosition));
    }
  }

  /** The position a write's follow-up statement returned; null (logged) when it is not one. */
  private positionOf(target: NodeTarget, row: PositionRow | undefined): ShardPosition | null {
    try {
      if (!row?.lsn || row.timeline === null) throw new Error('no position');
      return positionFromPg(target.node.shardId, { lsn: row.lsn, timeline: row.timeline, system_identifier: row.system_identifier });
    } catch (err) {
      this.log('no WAL position after a write', { node: target.node.id, error: (err as Error).message });
      return null;
    }
  }

  /** Asks the node to cancel what `client`'s backend runs; the outcome is only logged. */
  private cancel(target: NodeTarget, client: pg.PoolClient): Promise<boolean> {
    const { processID, secretKey } = client as unknown as { processID: number | null; secretKey: number | null };
    if (processID === null || secretKey === null) return Promise.resolve(false);
    const { host, port } = target.node.config;
    return sendCancelRequest(host, port, processID, secretKey, 1_000).then((sent) => {
      if (!sent) this.log('could not send a cancel request', { node: target.node.id, pid: processID });
      return sent;
    });
  }

  /**
   * Builds the error and tells the ShardManager (passive health: the next read
   * avoids the node). A read-only refusal is not a failure to reach the node:
   * it is a standby now, which the probe that the write buffer triggers will see.
   */
  private unavailable(target: NodeTarget, err: unknown, delivery: Delivery): ShardUnavailableError {
    const failure = classifyFailure(err);
    const detail = failure.kind === 'unavailable' ? failure.detail : `SQLSTATE ${failure.sqlState}`;
    if (delivery !== 'read-only') this.manager.recordFailure(target.node, this.clock(), detail);
    this.log('node could not serve', { node: target.node.id, detail });

    return new ShardUnavailableError(target.node.shardId, `${target.node.id}: ${detail}`, { cause: err, delivery });
  }

  /** No node of the shard may serve the statement (no primary, a split brain, no replica for a read). */
  private noNode(shardId: number): ShardUnavailableError {
    const reason = this.manager.noWriteReason(shardId);
    return new ShardUnavailableError(shardId, reason === 'SPLIT_BRAIN' ? 'split brain: more than one primary' : 'no node can serve', {
      ...(reason === 'SPLIT_BRAIN' ? { reason } : {}),
    });
  }

  /** The write found no primary in time (or no room to wait); `last` is what its own attempt met, if it made one. */
  private noPrimary(
    shardId: number,
    slot: Extract<WriteSlot, { ok: false }>,
    last: ShardUnavailableError | undefined,
  ): ShardUnavailableError {
    const why =
      slot.reason === 'SPLIT_BRAIN'
        ? 'split brain: more than one primary'
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

/** A connection checked out of a node's pool, and what gives back its pool lease and admission permit. */
interface Checkout {
  readonly client: pg.PoolClient;
  readonly giveBack: Release;
}

function noop(): void {}

/** A failure's outcome for the observers; `cancelled` when the gateway gave up on the statement itself. */
function outcomeOf(err: unknown): StatementOutcome {
  if (err instanceof Error && abandoned.has(err)) return { rowCount: null, error: err, outcome: 'cancelled' };
  return failureOutcome(err);
}

function failureOutcome(err: unknown): StatementOutcome {
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
function withDelivery(err: ShardUnavailableError, delivery: Delivery): ShardUnavailableError {
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
