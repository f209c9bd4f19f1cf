import { z } from 'zod';
import { DEFAULT_POOL_OPTIONS, type PoolOptions } from '../repository/node-pool.js';
import { DEFAULT_HEALTH_POLICY, type HealthPolicy } from '../sharding/node-health.js';
import { DEFAULT_FAILOVER_OPTIONS, type FailoverOptions } from './failover-options.js';
import { ConfigError } from './config-error.js';
import type { Env } from './load-topology.js';

/** Tuning that is not topology: pools, timeouts, health checking. From the environment, with defaults. */
export interface GatewayOptions {
  readonly pool: PoolOptions;
  readonly health: HealthPolicy & {
    /** Time between health rounds. @default 1000 */
    readonly intervalMs: number;
    /** A probe slower than this fails. @default 1000 */
    readonly timeoutMs: number;
  };
  readonly failover: FailoverOptions;
}

const VARIABLES = {
  SHARDGATE_POOL_MAX: ['pool', 'max', 1, 1000],
  SHARDGATE_CONNECT_TIMEOUT_MS: ['pool', 'connectTimeoutMs', 50, 600_000],
  SHARDGATE_STATEMENT_TIMEOUT_MS: ['pool', 'statementTimeoutMs', 50, 3_600_000],
  SHARDGATE_IDLE_TIMEOUT_MS: ['pool', 'idleTimeoutMs', 0, 3_600_000],
  SHARDGATE_HEALTH_INTERVAL_MS: ['health', 'intervalMs', 50, 600_000],
  SHARDGATE_HEALTH_TIMEOUT_MS: ['health', 'timeoutMs', 50, 600_000],
  SHARDGATE_HEALTH_FAILURES_TO_EJECT: ['health', 'failuresToEject', 1, 100],
  SHARDGATE_FAILOVER_BUFFER_MS: ['failover', 'bufferMs', 0, 600_000],
  SHARDGATE_FAILOVER_BUFFER_MAX: ['failover', 'bufferMax', 1, 1_000_000],
} as const;

export const GATEWAY_OPTION_VARIABLES = [...Object.keys(VARIABLES), 'SHARDGATE_MAX_REPLICA_LAG_SECONDS'];

export function loadGatewayOptions(env: Env = process.env): GatewayOptions {
  const pool: Record<string, number | string> = { ...DEFAULT_POOL_OPTIONS };
  const health: Record<string, number | null> = { ...DEFAULT_HEALTH_POLICY, intervalMs: 1000, timeoutMs: 1000 };
  const failover: Record<string, number> = { ...DEFAULT_FAILOVER_OPTIONS };
  const groups: Record<string, Record<string, unknown>> = { pool, health, failover };
  const problems: string[] = [];
  for (const [name, [group, key, min, max]] of Object.entries(VARIABLES)) {
    const raw = env[name];
    if (raw === undefined || raw === '') continue;
    const parsed = z.coerce.number().int().min(min).max(max).safeParse(raw);
    if (!parsed.success) problems.push(`${name}: expected an integer between ${min} and ${max}, got ${JSON.stringify(raw)}`);
    else groups[group]![key] = parsed.data;
  }
  const lag = env.SHARDGATE_MAX_REPLICA_LAG_SECONDS;
  if (lag !== undefined && lag !== '') {
    const parsed = z.coerce.number().positive().safeParse(lag);
    if (!parsed.success) problems.push(`SHARDGATE_MAX_REPLICA_LAG_SECONDS: expected a positive number, got ${JSON.stringify(lag)}`);
    else health.maxLagSeconds = parsed.data;
  }
  if (env.SHARDGATE_APPLICATION_NAME) pool.applicationName = env.SHARDGATE_APPLICATION_NAME;
  if (problems.length > 0) throw new ConfigError(problems.join('\n'), problems);
  return Object.freeze({
    pool: Object.freeze(pool) as unknown as PoolOptions,
    health: Object.freeze(health) as unknown as GatewayOptions['health'],
    failover: Object.freeze(failover) as unknown as FailoverOptions,
  });
}
