import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client';
import type { PoolStats } from '../repository/database.js';
import type { NodeTarget } from '../sharding/node-target.js';
import type { BufferOutcome } from '../sharding/write-buffer.js';
import type { StatementOutcome } from '../repository/statement-observer.js';
import type { DbOperation } from '../repository/statement.js';
import type { ShardManager } from '../sharding/shard-manager.js';
import type { ShardNode } from '../sharding/shard.js';
import type { ServedBy } from './consistency-served-by.js';
import type { GraphqlOutcome } from './graphql-outcome.js';
import { Label, Metric, PROCESS_METRICS_PREFIX } from './names.js';
import type { OperationType } from './operation-of.js';
import type { ShardUserCounts } from './shard-user-counts.js';

/** Statements take milliseconds; buckets from 0.5 ms to 5 s keep p50..p99 computable. */
export const STATEMENT_BUCKETS = [0.0005, 0.001, 0.002, 0.005, 0.01, 0.02, 0.05, 0.1, 0.2, 0.5, 1, 2, 5];
/** A scrape waits this long for a user count round; a slower one finishes in the background and the next scrape shows it. */
export const USER_COUNT_WAIT_MS = 2_000;

/** An operation is one or a few parallel rounds of statements. */
export const GRAPHQL_BUCKETS = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];

/** A registry's metrics as prom-client JSON (Registry.getMetricsAsJSON), the form workers' metrics are summed in. */
export type MetricsJson = Awaited<ReturnType<Registry['getMetricsAsJSON']>>;

/** What the gauges read at scrape time. */
export interface MetricsSources {
  readonly manager: ShardManager;
  /** Connections per node (Database.poolStats). */
  poolStats(): readonly PoolStats[];
  /** The most connections one node's pool opens (the pool option `max`); exported as the pools' capacity. @default not exported */
  readonly poolMaxPerNode?: number;
  readonly userCounts?: ShardUserCounts;
  /** The failover write buffer: writes waiting now per shard, and how each wait ended. */
  readonly writeBuffer?: {
    waiting(): ReadonlyMap<number, number>;
    onOutcome(listener: (shardId: number, outcome: BufferOutcome) => void): void;
  };
}

export interface GatewayMetricsOptions {
  /** Never the global default registry, so that tests can build many gateways. @default a new Registry */
  readonly registry?: Registry;
  /** Node.js process metrics (CPU, memory, event loop), prefixed `shardgate_`. @default false */
  readonly processMetrics?: boolean;
}

/**
 * The gateway's Prometheus metrics (names in names.ts). Counters and histograms
 * are fed as things happen (statements at the door, GraphQL operations, the
 * GraphQL layer's cross-shard hook); gauges read the ShardManager's health
 * and the pools when scraped, so they are never stale. Label values are
 * shard ids, roles, node addresses and closed enums: bounded, and never a
 * user id or query text.
 */
export class GatewayMetrics {
  readonly registry: Registry;
  private readonly shardQueries: Counter<'shard' | 'role' | 'operation' | 'outcome'>;
  private readonly shardQueryDuration: Histogram<'shard' | 'role'>;
  private readonly crossShardQueries: Counter;
  private readonly graphqlRequests: Counter<'operation_type' | 'outcome'>;
  private readonly graphqlDuration: Histogram;
  private readonly consistencyReads: Counter<'shard' | 'served_by'>;
  private readonly hedgedReads: Counter<'shard' | 'outcome'>;
  private readonly userCounts: ShardUserCounts | undefined;

  constructor(sources: MetricsSources, options: GatewayMetricsOptions = {}) {
    const registry = (this.registry = options.registry ?? new Registry());
    const registers = [registry];
    const { manager } = sources;
    this.userCounts = sources.userCounts;

    this.shardQueries = new Counter({
      name: Metric.SHARD_QUERIES_TOTAL,
      help: 'SQL statements sent to shard nodes, by shard, node role, operation (SELECT, INSERT, ...) and outcome (ok, error: refused by PostgreSQL, unavailable: the node could not serve).',
      labelNames: [Label.SHARD, Label.ROLE, Label.OPERATION, Label.OUTCOME],
      registers,
    });
    this.shardQueryDuration = new Histogram({
      name: Metric.SHARD_QUERY_DURATION_SECONDS,
      help: 'Time of a statement, from asking the pool for a connection to the result, by shard and node role.',
      labelNames: [Label.SHARD, Label.ROLE],
      buckets: STATEMENT_BUCKETS,
      registers,
    });
    new Gauge({
      name: Metric.POOL_CONNECTIONS,
      help: 'Connections of the gateway pools, summed over the nodes of a shard and role; state: active (checked out), idle, waiting (requests queued for one).',
      labelNames: [Label.SHARD, Label.ROLE, Label.STATE],
      registers,
      collect() {
        this.reset();
        const sums = new Map<string, { shard: string; role: string; active: number; idle: number; waiting: number }>();
        for (const s of sources.poolStats()) {
          const role = manager.roleOf(s.node);
          const key = `${s.node.shardId}/${role}`;
          const sum = sums.get(key) ?? { shard: String(s.node.shardId), role, active: 0, idle: 0, waiting: 0 };
          sum.active += s.active;
          sum.idle += s.idle;
          sum.waiting += s.waiting;
          sums.set(key, sum);
        }
        for (const { shard, role, active, idle, waiting } of sums.values()) {
          this.set({ shard, role, state: 'active' }, active);
          this.set({ shard, role, state: 'idle' }, idle);
          this.set({ shard, role, state: 'waiting' }, waiting);
        }
      },
    });
    const { poolMaxPerNode } = sources;
    if (poolMaxPerNode !== undefined) {
      new Gauge({
        name: Metric.POOL_CONNECTIONS_MAX,
        help: 'The most connections the gateway pools may open, summed over the nodes of a shard and role: the capacity that shardgate_pool_connections{state="active"} fills.',
        labelNames: [Label.SHARD, Label.ROLE],
        registers,
        collect() {
          this.reset();
          for (const s of sources.poolStats()) this.inc({ shard: String(s.node.shardId), role: manager.roleOf(s.node) }, poolMaxPerNode);
        },
      });
    }
    new Gauge({
      name: Metric.NODE_UP,
      help: 'Whether the node answered the last health probe or statement sent to it (1) or not (0).',
      labelNames: [Label.SHARD, Label.ROLE, Label.ADDRESS],
      registers,
      collect() {
        this.reset();
        for (const node of manager.allNodes()) {
          const health = manager.healthOf(node);
          this.set(nodeLabels(manager, node), health.checkedAt !== null && health.consecutiveFailures === 0 ? 1 : 0);
        }
      },
    });
    new Gauge({
      name: Metric.NODE_SERVING,
      help: 'Whether the gateway routes statements to the node (1) or not (0: unreachable, lagging, an old primary, a split brain, another system, a replica on an old timeline).',
      labelNames: [Label.SHARD, Label.ROLE, Label.ADDRESS],
      registers,
      collect() {
        this.reset();
        for (const node of manager.allNodes()) this.set(nodeLabels(manager, node), manager.isServable(node) ? 1 : 0);
      },
    });
    new Gauge({
      name: Metric.REPLICATION_LAG_SECONDS,
      help: 'Replay lag of each replica behind its primary, as the health checker last measured it (0 when nothing is left to replay; no sample while unknown).',
      labelNames: [Label.SHARD, Label.ADDRESS],
      registers,
      collect() {
        this.reset();
        for (const { node, lag } of replicaLags(manager)) {
          // Unknown is no sample, never a large number.
          if (lag.seconds !== null) this.set({ shard: String(node.shardId), address: node.address }, lag.seconds);
        }
      },
    });
    new Gauge({
      name: Metric.REPLICATION_LAG_BYTES,
      help: "WAL bytes between each primary's position and its replica's replay position, as last measured.",
      labelNames: [Label.SHARD, Label.ADDRESS],
      registers,
      collect() {
        this.reset();
        for (const { node, lag } of replicaLags(manager)) {
          if (lag.bytes !== null) this.set({ shard: String(node.shardId), address: node.address }, lag.bytes);
        }
      },
    });
    this.crossShardQueries = new Counter({
      name: Metric.CROSS_SHARD_QUERIES_TOTAL,
      help: 'Reads that had to ask every shard (scatter-gather): a users page, a totalCount.',
      registers,
    });
    const userCounts = this.userCounts;
    new Gauge({
      name: Metric.SHARD_USERS,
      help: 'Users stored on each shard (counted on a replica at most every 30 s by default, when scraped).',
      labelNames: [Label.SHARD],
      registers,
      // Workers of one server count the same tables: one count, not their sum.
      aggregator: 'max',
      collect() {
        this.reset();
        for (const [shard, n] of userCounts?.snapshot() ?? []) this.set({ shard: String(shard) }, n);
      },
    });
    this.graphqlRequests = new Counter({
      name: Metric.GRAPHQL_REQUESTS_TOTAL,
      help: 'GraphQL operations, by type (query, mutation, subscription, unknown) and outcome (ok; error: some field failed; invalid: refused before execution).',
      labelNames: [Label.OPERATION_TYPE, Label.OUTCOME],
      registers,
    });
    this.graphqlDuration = new Histogram({
      name: Metric.GRAPHQL_REQUEST_DURATION_SECONDS,
      help: 'Time to answer a GraphQL operation, from parsing to the result.',
      buckets: GRAPHQL_BUCKETS,
      registers,
    });
    this.consistencyReads = new Counter({
      name: Metric.CONSISTENCY_READS_TOTAL,
      help: 'Reads with a consistency token, by shard and how they were served: replica (already caught up), replica_after_wait (caught up within SHARDGATE_CONSISTENCY_WAIT_MS), primary.',
      labelNames: [Label.SHARD, Label.SERVED_BY],
      registers,
    });
    this.hedgedReads = new Counter({
      name: Metric.HEDGED_READS_TOTAL,
      help: 'Reads sent once more to another node of their shard after the hedge delay, by outcome: won (the hedge answered first) or lost.',
      labelNames: [Label.SHARD, Label.OUTCOME],
      registers,
    });
    // Zero samples from the start: the hedge-rate rule and panel divide by
    // this counter, and a series that only appears with the first hedge
    // would leave them empty on a healthy cluster.
    for (const shard of manager.allShards()) {
      for (const outcome of ['won', 'lost'] as const) this.hedgedReads.inc({ shard: String(shard.id), outcome }, 0);
    }
    const primaryChanges = new Counter({
      name: Metric.PRIMARY_CHANGES_TOTAL,
      help: "Times a shard's primary moved to another node (a failover or switchover seen by this gateway).",
      labelNames: [Label.SHARD],
      registers,
    });
    for (const shard of manager.allShards()) primaryChanges.inc({ shard: String(shard.id) }, 0);
    manager.onRolesChange((shardId, roles) => {
      if (roles.primaryChanged) primaryChanges.inc({ shard: String(shardId) });
    });
    const buffer = sources.writeBuffer;
    new Gauge({
      name: Metric.BUFFERED_WRITES,
      help: 'Writes waiting now for their shard to have a primary again.',
      labelNames: [Label.SHARD],
      registers,
      collect() {
        this.reset();
        const waiting = buffer?.waiting();
        for (const shard of manager.allShards()) this.set({ shard: String(shard.id) }, waiting?.get(shard.id) ?? 0);
      },
    });
    const bufferedTotal = new Counter({
      name: Metric.BUFFERED_WRITES_TOTAL,
      help: 'Writes that had to wait for a primary, by how the wait ended: sent (a primary came), expired (none in time, or the request deadline), overflow (the buffer was full: failed at once).',
      labelNames: [Label.SHARD, Label.OUTCOME],
      registers,
    });
    buffer?.onOutcome((shardId, outcome) => bufferedTotal.inc({ shard: String(shardId), outcome }));
    if (options.processMetrics) {
      collectDefaultMetrics({ register: registry, prefix: PROCESS_METRICS_PREFIX });
      // prom-client names three gauges `..._total`, which Prometheus reserves
      // for counters (`promtool check metrics` flags them). Each is the sum of
      // a gauge it also exports by type (`..._active_handles{type}`), so
      // nothing is lost without them.
      for (const name of ['nodejs_active_handles_total', 'nodejs_active_requests_total', 'nodejs_active_resources_total']) {
        registry.removeSingleMetric(PROCESS_METRICS_PREFIX + name);
      }
    }
  }

  get contentType(): string {
    return this.registry.contentType;
  }

  /** `target.role` is the node's role when the statement was routed. */
  recordStatement(target: NodeTarget, operation: DbOperation, outcome: StatementOutcome['outcome'], seconds: number): void {
    const shard = String(target.node.shardId);
    this.shardQueries.inc({ shard, role: target.role, operation, outcome });
    this.shardQueryDuration.observe({ shard, role: target.role }, seconds);
  }

  recordConsistencyRead(node: ShardNode, served: ServedBy): void {
    this.consistencyReads.inc({ shard: String(node.shardId), served_by: served });
  }

  recordHedgedRead(shardId: number, outcome: 'won' | 'lost'): void {
    this.hedgedReads.inc({ shard: String(shardId), outcome });
  }

  recordCrossShardQuery(): void {
    this.crossShardQueries.inc();
  }

  recordGraphqlRequest(operationType: OperationType, outcome: GraphqlOutcome, seconds: number): void {
    this.graphqlRequests.inc({ operation_type: operationType, outcome });
    this.graphqlDuration.observe(seconds);
  }

  /**
   * The text exposition. Refreshes the user counts first if stale, so their
   * statements are counted in this very scrape, but never waits long for
   * them: a hung shard must not make Prometheus time out on everything else.
   */
  async scrape(): Promise<string> {
    if (this.gather) return this.gather();
    await this.refreshUserCounts();
    return this.registry.metrics();
  }

  /** This process's metrics as prom-client JSON, user counts refreshed as for a scrape: what a worker hands to the aggregation. */
  async snapshot(): Promise<MetricsJson> {
    await this.refreshUserCounts();
    return this.registry.getMetricsAsJSON();
  }

  /**
   * Makes `scrape` answer with `gather()` instead of this registry alone: a
   * worker of a multi-process server answers /metrics for the whole server.
   */
  gatherWith(gather: () => Promise<string>): void {
    this.gather = gather;
  }

  private gather: (() => Promise<string>) | null = null;

  private async refreshUserCounts(): Promise<void> {
    const round = this.userCounts?.refreshIfStale();
    if (round) {
      let timer: NodeJS.Timeout | undefined;
      await Promise.race([round, new Promise<void>((resolve) => (timer = setTimeout(resolve, USER_COUNT_WAIT_MS)))]);
      clearTimeout(timer);
    }
  }
}

function nodeLabels(manager: ShardManager, node: ShardNode) {
  return { shard: String(node.shardId), role: manager.roleOf(node), address: node.address };
}

function replicaLags(manager: ShardManager) {
  return manager.allNodes().flatMap((node) => {
    const lag = manager.roleOf(node) === 'replica' ? manager.healthOf(node).lag : null;
    return lag ? [{ node, lag }] : [];
  });
}
