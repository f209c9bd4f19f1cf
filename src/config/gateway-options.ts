import { z } from 'zod';
import { ConfigError } from './config-error.js';
import { envInteger, envPositiveNumber, envProblems, envText } from './env-values.js';
import type { Env } from './load-topology.js';
import { DEFAULT_FAILOVER_OPTIONS, type FailoverOptions } from './failover-options.js';
import { DEFAULT_HEALTH_OPTIONS, type HealthOptions } from './health-options.js';
import { DEFAULT_POOL_OPTIONS, type PoolOptions } from './pool-options.js';
import { loadRequestSafetyOptions, type RequestSafetyOptions } from './request-safety-options.js';

/** Tuning that is not topology: pools, timeouts, health checking. From the environment, with defaults. */
export interface GatewayOptions {
  readonly pool: PoolOptions;
  readonly health: HealthOptions;
  readonly failover: FailoverOptions;
  /** Limits, CSRF/CORS, introspection, trusted documents. */
  readonly safety: RequestSafetyOptions;
}

/** Every variable the options read, with its bounds. Other variables are ignored. */
const envSchema = z.object({
  SHARDGATE_POOL_MAX: envInteger(1, 1000),
  SHARDGATE_CONNECT_TIMEOUT_MS: envInteger(50, 600_000),
  SHARDGATE_POOL_QUEUE_MAX: envInteger(0, 1_000_000),
  SHARDGATE_STATEMENT_TIMEOUT_MS: envInteger(50, 3_600_000),
  SHARDGATE_IDLE_TIMEOUT_MS: envInteger(0, 3_600_000),
  SHARDGATE_APPLICATION_NAME: envText(),
  SHARDGATE_HEALTH_INTERVAL_MS: envInteger(50, 600_000),
  SHARDGATE_HEALTH_TIMEOUT_MS: envInteger(50, 600_000),
  SHARDGATE_HEALTH_FAILURES_TO_EJECT: envInteger(1, 100),
  SHARDGATE_MAX_REPLICA_LAG_SECONDS: envPositiveNumber(),
  SHARDGATE_FAILOVER_BUFFER_MS: envInteger(0, 600_000),
  SHARDGATE_FAILOVER_BUFFER_MAX: envInteger(1, 1_000_000),
});

/** Reads the options from `env`. Throws ConfigError naming every bad variable and what it holds. */
export function loadGatewayOptions(env: Env = process.env): GatewayOptions {
  const problems: string[] = [];
  const parsed = envSchema.safeParse(env);
  if (!parsed.success) problems.push(...envProblems(parsed.error.issues, env));
  // Option groups with loaders of their own add their problems here, so that one run names every bad variable.
  let safety: RequestSafetyOptions | null = null;
  try {
    safety = loadRequestSafetyOptions(env);
  } catch (err) {
    if (!(err instanceof ConfigError)) throw err;
    problems.push(...err.problems);
  }
  if (!parsed.success || problems.length > 0 || !safety) throw new ConfigError(problems.join('\n'), problems);
  const e = parsed.data;
  const pool: PoolOptions = {
    max: e.SHARDGATE_POOL_MAX ?? DEFAULT_POOL_OPTIONS.max,
    connectTimeoutMs: e.SHARDGATE_CONNECT_TIMEOUT_MS ?? DEFAULT_POOL_OPTIONS.connectTimeoutMs,
    queueMax: e.SHARDGATE_POOL_QUEUE_MAX ?? DEFAULT_POOL_OPTIONS.queueMax,
    statementTimeoutMs: e.SHARDGATE_STATEMENT_TIMEOUT_MS ?? DEFAULT_POOL_OPTIONS.statementTimeoutMs,
    idleTimeoutMs: e.SHARDGATE_IDLE_TIMEOUT_MS ?? DEFAULT_POOL_OPTIONS.idleTimeoutMs,
    applicationName: e.SHARDGATE_APPLICATION_NAME ?? DEFAULT_POOL_OPTIONS.applicationName,
  };
  const health: HealthOptions = {
    intervalMs: e.SHARDGATE_HEALTH_INTERVAL_MS ?? DEFAULT_HEALTH_OPTIONS.intervalMs,
    timeoutMs: e.SHARDGATE_HEALTH_TIMEOUT_MS ?? DEFAULT_HEALTH_OPTIONS.timeoutMs,
    failuresToEject: e.SHARDGATE_HEALTH_FAILURES_TO_EJECT ?? DEFAULT_HEALTH_OPTIONS.failuresToEject,
    maxLagSeconds: e.SHARDGATE_MAX_REPLICA_LAG_SECONDS ?? DEFAULT_HEALTH_OPTIONS.maxLagSeconds,
  };
  const failover: FailoverOptions = {
    bufferMs: e.SHARDGATE_FAILOVER_BUFFER_MS ?? DEFAULT_FAILOVER_OPTIONS.bufferMs,
    bufferMax: e.SHARDGATE_FAILOVER_BUFFER_MAX ?? DEFAULT_FAILOVER_OPTIONS.bufferMax,
  };
  return Object.freeze({ pool: Object.freeze(pool), health: Object.freeze(health), failover: Object.freeze(failover), safety });
}

/** For one-shot commands (migrate, seed): a shard without a primary is an error to report now, not a failover to wait out. */
export function withoutFailoverBuffer(options: GatewayOptions): GatewayOptions {
  return Object.freeze({ ...options, failover: Object.freeze({ ...options.failover, bufferMs: 0 }) });
}
