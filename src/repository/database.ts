import { setMaxListeners } from 'node:events';
import { DEFAULT_HEDGE_OPTIONS, type HedgeOptions } from '../config/hedge-options.js';
import { DEFAULT_POOL_OPTIONS, type PoolOptions } from '../config/pool-options.js';
import { HedgeBudget } from '../sharding/hedge-budget.js';
import { hedgeDelayMs, RecentLatencies } from '../sharding/recent-latency.js';
import type { NodePosition } from '../sharding/replay-positions.js';
import { ReplayPositions } from '../sharding/replay-positions.js';
import { ProbeTimedOut, type NodeProbe } from '../sharding/node-probe.js';
import type { NodeTarget } from '../sharding/node-target.js';
import { ReadPolicy } from '../sharding/read-policy.js';
import { ReplayWatch } from '../sharding/replay-watch.js';
import type { ShardManager } from '../sharding/shard-manager.js';
import type { ShardNode } from '../sharding/shard.js';
import { TokenRouter } from '../sharding/token-router.js';
import type { WriteBuffer } from '../sharding/write-buffer.js';
import { NodeAdmission } from './admission.js';
import { ConnectionCheckout, type Checkout } from './connection-checkout.js';
import { remaining } from './deadline.js';
import { ShardUnavailableError } from './errors.js';
import { abandonedError, inFlightOf, isAbandoned } from './given-up.js';
import { raceHedge } from './race-hedge.js';
import { StatementAbandoned } from './within-deadline.js';
import { createNodePool } from './node-pool.js';
import { NodePools } from './node-pools.js';
import { NodeProbes } from './node-probes.js';
import type { RecordedLayout } from './read-recorded-layout.js';
import type { RequestScope } from './request-scope.js';
import { runOnPrimary, type PrimaryAccess } from './run-on-primary.js';
import { StatementSender } from './send-statement.js';
import { failureOutcome, ShardFailures, withDelivery } from './shard-failures.js';
import { statement, type Statement } from './statement.js';
import type { StatementObserver } from './statement-observer.js';
import { StatementObservers } from './statement-observers.js';

export type { RecordedLayout };

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
/** How long that probe may take (or the connect timeout, if shorter): a trivial statement a live node answers in milliseconds. */
const SUSPECT_PROBE_MS = 500;

const BEGIN = statement('begin', 'BEGIN', 'BEGIN', false);
const COMMIT = statement('commit', 'COMMIT', 'COMMIT', false);
const ROLLBACK = statement('rollback', 'ROLLBACK', 'ROLLBACK', false);

/**
 * The one door to PostgreSQL. Every statement the gateway sends passes
 * `runOn` or `runOnClient`, which charge the request's statement budget,
 * tell the observers (spans, metrics), bound it by the request's deadline,
 * turn "the node did not answer" into ShardUnavailableError reported to the
 * ShardManager (shard-failures.ts), and always release the connection
 * (connection-checkout.ts). Nothing else in the code base holds a pg pool.
 * The jobs behind it: node-probes.ts (the gateway's own questions to a node),
 * send-statement.ts (deadline, cancel, a write's WAL position),
 * run-on-primary.ts (the write-retry policy).
 */
export class Database {
  /** One pool per node for statements, and one single-connection pool for probes (a busy pool never looks like a dead node). */
  private readonly pools: NodePools;
  private readonly observers: StatementObservers;
  private readonly clock: () => number;
  private readonly failures: ShardFailures;
  private readonly checkout: ConnectionCheckout;
  private readonly sender: StatementSender;
  private readonly probes: NodeProbes;
  private readonly primaries: PrimaryAccess;
  private closed = false;
  /** Last known WAL positions of every node (probes, writes, token waits). */
  readonly positions = new ReplayPositions();
  private readonly tokens: TokenRouter;
  private readonly log: (event: string, fields: Record<string, unknown>) => void;
  private readonly connectWaitMs: number;
  private readonly hedgeAfter: HedgeOptions['afterMs'];
  private readonly hedgeBudget: HedgeBudget;
  /** Each node's recent statement latencies: the `auto` hedge delay. */
  private readonly latencies = new RecentLatencies();
  /** Per node, aborted (and replaced) when the node misses a probe or a statement: reads in flight there move on. */
  private readonly alarms = new Map<string, AbortController>();
  /** Nodes a slow read is probing now (one probe at a time per node). */
  private readonly aliveChecks = new Set<string>();

  constructor(
    readonly manager: ShardManager,
    options: DatabaseOptions = {},
  ) {
    const poolOptions = options.pool ?? DEFAULT_POOL_OPTIONS;
    this.observers = new StatementObservers(options.observers);
    this.clock = options.clock ?? Date.now;
    const log = options.log ?? (() => {});
    this.log = log;
    this.connectWaitMs = poolOptions.connectTimeoutMs;
    const onConnectionError = (node: ShardNode, err: Error) =>
      log('connection lost', { node: node.id, error: (err as NodeJS.ErrnoException).code ?? err.message });
    this.pools = new NodePools(
      (node, probe) => createNodePool(node, probe ? { ...poolOptions, max: 1 } : poolOptions, onConnectionError),
      (node) => new NodeAdmission(node.shardId, poolOptions.max, poolOptions.queueMax ?? DEFAULT_POOL_OPTIONS.queueMax),
    );
    this.pools.reconcile(manager.allNodes());
    const isClosed = () => this.closed;
    this.failures = new ShardFailures(manager, this.clock, log);
    const unavailable = this.failures.unavailable.bind(this.failures);
    this.checkout = new ConnectionCheckout(this.pools, poolOptions.connectTimeoutMs, this.clock, isClosed, unavailable);
    this.sender = new StatementSender(this.clock, log, unavailable);
    this.probes = new NodeProbes(this.pools, this.positions, this.clock, log, isClosed, poolOptions.connectTimeoutMs);
    this.primaries = { manager, writeBuffer: options.writeBuffer ?? null, failures: this.failures, clock: this.clock };
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
    this.observers.add(observer);
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
    return runOnPrimary(this.primaries, shardId, options?.scope, (target) => this.runOn<R>(target, stmt, params, options, true));
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
    if (targets.length === 0) throw this.failures.noNode(shardId);
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
      hedge: (signal, late) =>
        this.hedgeBudget.tryTake(late) ? this.runOn<R>(spare, stmt, params, options, false, { signal, hedge: true, failOver: true }) : null,
      onHedged: (winner) => this.observers.hedged(spare.node.shardId, winner === 'hedge' ? 'won' : 'lost'),
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
    return runOnPrimary(this.primaries, shardId, options?.scope, (target) => this.transactionOn(target, fn, options?.scope));
  }

  /** One health probe of `node` (not observed: probes are not traffic). */
  probe(node: ShardNode, timeoutMs: number): Promise<NodeProbe> {
    return this.probes.probe(node, timeoutMs);
  }

  /** A standby's replay position now (not observed: gateway bookkeeping, like probes). */
  replayPosition(node: ShardNode, timeoutMs: number): Promise<NodePosition> {
    return this.probes.replayPosition(node, timeoutMs);
  }

  /** The latest layout `shardgate reshard` recorded on `node` (a primary), or null when none was (not observed). */
  readLayout(node: ShardNode, timeoutMs: number): Promise<RecordedLayout | null> {
    return this.probes.readLayout(node, timeoutMs);
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

  /** One observed statement on a connection of its own. */
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
    // estimate made before execution.
    // A hedge is the gateway's own extra copy: it counts in the metrics, not against the client's budget.
    if (!attempt.hedge) scope?.statements.take();
    const finish = this.observers.start({
      target,
      statement: stmt,
      batchSize: options?.batchSize,
      ...(attempt.hedge ? { hedge: true } : {}),
      scope,
    });
    const watch = attempt.failOver === true && !isWrite;
    const alarm = watch ? this.alarmFor(target.node) : undefined;
    const signal = alarm && attempt.signal ? AbortSignal.any([alarm, attempt.signal]) : (alarm ?? attempt.signal);
    const sentAt = this.clock();
    const watchdog = watch ? setTimeout(() => this.checkAlive(target.node, sentAt), SUSPECT_AFTER_MS) : undefined;
    watchdog?.unref();
    const started = performance.now();
    let checkout: Checkout;
    try {
      checkout = await this.checkout.connect(target, scope, signal);
    } catch (err) {
      clearTimeout(watchdog);
      const failure = err instanceof StatementAbandoned ? abandonedError(target, err, 'not-sent') : err;
      finish(failureOutcome(failure));
      throw failure;
    }
    let broken: Error | undefined;
    let inFlight: Promise<boolean> | undefined;
    try {
      const session = isWrite ? scope?.consistency : undefined;
      const result = await this.sender.send<R>(checkout.client, target, stmt, params, scope, session !== undefined, signal);
      this.latencies.record(target.node.key, performance.now() - started);
      this.manager.recordAnswer(target.node, this.clock());
      if (result.position) {
        session?.recordWrite(result.position);
        this.positions.record(target.node, { ...result.position, at: this.clock() });
      }
      finish({ rowCount: result.rowCount, outcome: 'ok' });
      return result;
    } catch (err) {
      // A statement given up on (deadline, lost hedge, suspect node) was cancelled: its connection goes back once that settled clean.
      inFlight = inFlightOf(err);
      // Broken: the node failed under it. A deadline or an abandon before anything was sent leaves it as it was.
      if (!inFlight && err instanceof ShardUnavailableError && !isAbandoned(err)) broken = err;
      finish(failureOutcome(err));
      throw err;
    } finally {
      clearTimeout(watchdog);
      if (inFlight) {
        void inFlight.then((fit) =>
          this.checkout.release(checkout, fit ? undefined : new Error('a cancelled statement left its connection unusable')),
        );
      } else {
        this.checkout.release(checkout, broken);
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
   * A read of `node`, sent at `sentAt`, is slow: probe the node now rather
   * than at the next round, within SUSPECT_PROBE_MS. A miss is a failure of
   * the node, which sounds its alarm: the reads in flight there move to the
   * next node. Not when the node answered anything since the read was sent
   * (it is slow, not stopped), nor while another probe of it is out; never
   * skipped for the time since the last probe, which would let the reads of
   * a node frozen just after a probe wait out a whole interval.
   */
  private checkAlive(node: ShardNode, sentAt: number): void {
    if (this.closed || this.aliveChecks.has(node.key)) return;
    if ((this.manager.lastAnswerAt(node) ?? -Infinity) > sentAt) return;
    const now = this.clock();
    this.aliveChecks.add(node.key);
    this.probe(node, Math.min(SUSPECT_PROBE_MS, this.connectWaitMs))
      .finally(() => this.aliveChecks.delete(node.key))
      .then(
        () => this.manager.recordAnswer(node, this.clock()),
        (err: unknown) => {
          if (this.closed) return;
          const detail = err instanceof Error ? ((err as NodeJS.ErrnoException).code ?? err.message) : String(err);
          // Late while the node answered other statements meanwhile: slow, not stopped; its reads stay where they are.
          const miss = { startedAt: now, timedOut: err instanceof ProbeTimedOut };
          const verdict = this.manager.recordFailure(node, this.clock(), `probe during a slow read: ${detail}`, miss);
          this.log(verdict === 'slow' ? 'node slow to answer a probe during a slow read' : 'node missed a probe during a slow read', {
            node: node.id,
            detail,
          });
        },
      );
  }

  private async transactionOn<T>(target: NodeTarget, fn: (tx: Transaction) => Promise<T>, scope?: RequestScope): Promise<T> {
    const checkout = await this.checkout.connect(target);
    let broken: Error | undefined;
    let begun = false;
    const tx: Transaction = {
      execute: async <R extends object>(stmt: Statement, params: readonly unknown[]) => {
        const finish = this.observers.start({ target, statement: stmt, scope });
        try {
          const result = await this.sender.send<R>(checkout.client, target, stmt, params);
          finish({ rowCount: result.rowCount, outcome: 'ok' });
          return result;
        } catch (err) {
          if (err instanceof ShardUnavailableError) broken = err;
          finish(failureOutcome(err));
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
      this.checkout.release(checkout, broken);
    }
  }
}
