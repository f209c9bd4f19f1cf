import type { Tracer } from '@opentelemetry/api';
import type { Plugin } from 'graphql-yoga';
import type { Registry } from 'prom-client';
import type { GatewayHooks } from '../graphql/context.js';
import type { Database } from '../repository/database.js';
import type { UserRepository } from '../repository/user-repository.js';
import { ReadPolicy } from '../sharding/read-policy.js';
import type { ShardManager } from '../sharding/shard-manager.js';
import type { WriteBuffer } from '../sharding/write-buffer.js';
import { GatewayMetrics } from './gateway-metrics.js';
import { ShardUserCounts } from './shard-user-counts.js';
import { StatementMetricsObserver } from './statement-metrics-observer.js';
import { StatementSpanObserver } from './statement-span-observer.js';
import { useMetrics } from './use-metrics.js';
import { useTracing } from './use-tracing.js';

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
}

export interface Observability {
  readonly metrics: GatewayMetrics;
  /** For createApp: the /metrics endpoint and operation metrics, and the operation spans when tracing. */
  readonly plugins: readonly Plugin[];
  /** For createApp: the GraphQL layer's cross-shard counter. */
  readonly hooks: GatewayHooks;
}

/**
 * Puts metrics (and spans, given a tracer) on the gateway: observers at the
 * repository's door for every statement, and the yoga plugins for every
 * operation. Pass `plugins` and `hooks` to createApp.
 */
export function observeGateway(
  shards: { readonly db: Database; readonly manager: ShardManager; readonly users: UserRepository; readonly writeBuffer?: WriteBuffer },
  options: ObserveGatewayOptions = {},
): Observability {
  const { db, manager, users } = shards;
  const userCounts = new ShardUserCounts(
    () => manager.allShards().map((s) => s.id),
    (shardId) => users.countOnShard(shardId, ReadPolicy.ReplicaPreferred),
    {
      ...(options.userCountMaxAgeMs !== undefined ? { maxAgeMs: options.userCountMaxAgeMs } : {}),
      ...(options.clock ? { clock: options.clock } : {}),
    },
  );
  const metrics = new GatewayMetrics(
    { manager, poolStats: () => db.poolStats(), userCounts, ...(shards.writeBuffer ? { writeBuffer: shards.writeBuffer } : {}) },
    { ...(options.registry ? { registry: options.registry } : {}), processMetrics: options.processMetrics ?? false },
  );
  db.addObserver(new StatementMetricsObserver(metrics));
  const plugins: Plugin[] = [useMetrics({ metrics })];
  if (options.tracer) {
    db.addObserver(new StatementSpanObserver(options.tracer, manager));
    plugins.unshift(useTracing({ tracer: options.tracer }));
  }
  return { metrics, plugins, hooks: { crossShardQuery: () => metrics.recordCrossShardQuery() } };
}
