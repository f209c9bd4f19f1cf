import type { Tracer } from '@opentelemetry/api';
import type { Plugin } from 'graphql-yoga';
import type { Registry } from 'prom-client';
import type { Database } from '../repository/database.js';
import type { ShardManager } from '../sharding/shard-manager.js';
import type { WriteBuffer } from '../sharding/write-buffer.js';
import { GatewayMetrics } from './gateway-metrics.js';
import { ShardUserCounts } from './shard-user-counts.js';
import { StatementMetricsObserver } from './statement-metrics-observer.js';
import { StatementSpanObserver } from './statement-span-observer.js';
import { useObservability } from './use-observability.js';

export interface ObserveGatewayOptions {
  /** Spans for operations and statements. Null or absent: no span code is installed at all. @default null */
  readonly tracer?: Tracer | null;
  /** @default a new Registry */
  readonly registry?: Registry;
  /** Node.js process metrics, prefixed `shardgate_`. @default false */
  readonly processMetrics?: boolean;
  /** `shardgate_shard_users` is counted when scraped, at most this often. @default 30000 */
  readonly userCountMaxAgeMs?: number;
  /** @default Date.now */
  readonly clock?: () => number;
  /** Each node's pool size (the pool option `max`), exported as `shardgate_pool_connections_max`. @default not exported */
  readonly poolMaxPerNode?: number;
}

export interface Observability {
  readonly metrics: GatewayMetrics;
  /** For createApp: the /metrics endpoint and operation metrics, and the operation spans when tracing (one plugin). */
  readonly plugins: readonly Plugin[];
}

/**
 * Puts metrics (and spans, given a tracer) on the gateway: observers at the
 * repository's door for every statement, and the yoga plugins for every
 * operation, and counts the cross-shard reads the ShardManager scatters.
 * Pass `plugins` to createApp.
 */
export function observeGateway(
  gateway: {
    readonly db: Database;
    readonly manager: ShardManager;
    /** Users stored on a shard, for `shardgate_shard_users` (counted when scraped, see ShardUserCounts). */
    readonly countUsers: (shardId: number) => Promise<number>;
    /** The failover write buffer, for `shardgate_buffered_writes` and `shardgate_buffered_writes_total`. */
    readonly writeBuffer?: WriteBuffer;
  },
  options: ObserveGatewayOptions = {},
): Observability {
  const { db, manager, countUsers } = gateway;
  const userCounts = new ShardUserCounts(() => manager.allShards().map((s) => s.id), countUsers, {
    ...(options.userCountMaxAgeMs !== undefined ? { maxAgeMs: options.userCountMaxAgeMs } : {}),
    ...(options.clock ? { clock: options.clock } : {}),
  });
  const metrics = new GatewayMetrics(
    {
      manager,
      poolStats: () => db.poolStats(),
      userCounts,
      ...(options.poolMaxPerNode !== undefined ? { poolMaxPerNode: options.poolMaxPerNode } : {}),
      ...(gateway.writeBuffer ? { writeBuffer: gateway.writeBuffer } : {}),
    },
    { ...(options.registry ? { registry: options.registry } : {}), processMetrics: options.processMetrics ?? false },
  );
  db.addObserver(new StatementMetricsObserver(metrics));
  if (options.tracer) db.addObserver(new StatementSpanObserver(options.tracer, manager));
  const plugins: Plugin[] = [useObservability({ metrics, tracer: options.tracer ?? null })];
  manager.onScatter((route) => {
    if (route.kind === 'all') metrics.recordCrossShardQuery();
  });
  return { metrics, plugins };
}
