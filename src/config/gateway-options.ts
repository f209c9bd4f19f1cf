import { z } from 'zod';
import { ConfigError } from './config-error.js';
import { envBoolean, envInteger, envIntegerOrAuto, envNumber, envOrigins, envPositiveNumber, envProblems, envText } from './env-values.js';
import { DEFAULT_HEDGE_OPTIONS, type HedgeOptions } from './hedge-options.js';
import type { Env } from './load-topology.js';
import { DEFAULT_FAILOVER_OPTIONS, type FailoverOptions } from './failover-options.js';
import { DEFAULT_HEALTH_OPTIONS, type HealthOptions } from './health-options.js';
import { DEFAULT_POOL_OPTIONS, type PoolOptions } from './pool-options.js';
import { DEFAULT_REQUEST_OPTIONS, type RequestOptions } from './request-options.js';
import {
  DEFAULT_OPERATION_LIMITS,
  DEFAULT_REQUEST_SAFETY,
  type OperationLimits,
  type RequestSafetyOptions,
} from './request-safety-options.js';
import { loadTrustedDocuments, type TrustedDocuments } from './trusted-documents.js';

/** Tuning that is not topology: pools, timeouts, health checking, request deadlines and safety. From the environment, with defaults. */
export interface GatewayOptions {
  readonly pool: PoolOptions;
  readonly health: HealthOptions;
  /** Writes waiting for a primary during a failover. */
  readonly failover: FailoverOptions;
  /** Deadlines and consistency-token waits. */
  readonly request: RequestOptions;
  /** Limits, CSRF/CORS, introspection, trusted documents. */
  readonly safety: RequestSafetyOptions;
  /** Hedged replica reads. @default DEFAULT_HEDGE_OPTIONS */
  readonly hedge?: HedgeOptions;
  /** The email lookup (docs/email-lookup.md). */
  readonly emails: EmailOptions;
}

export interface EmailOptions {
  /** An email (case-insensitive) belongs to at most one user across all shards: SHARDGATE_UNIQUE_EMAILS. @default false */
  readonly unique: boolean;
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
  SHARDGATE_REQUEST_TIMEOUT_MS: envInteger(1, 3_600_000),
  SHARDGATE_CONSISTENCY_WAIT_MS: envInteger(0, 60_000),
  SHARDGATE_MAX_DEPTH: envInteger(1, 100),
  SHARDGATE_MAX_ALIASES: envInteger(0, 10_000),
  SHARDGATE_MAX_TOKENS: envInteger(10, 1_000_000),
  SHARDGATE_MAX_STATEMENTS: envInteger(1, 100_000),
  SHARDGATE_MAX_REPRESENTATIONS: envInteger(1, 1_000_000),
  SHARDGATE_MAX_BODY_BYTES: envInteger(1024, 100 * 1024 * 1024),
  SHARDGATE_CORS_ORIGINS: envOrigins(),
  SHARDGATE_INTROSPECTION: envBoolean(),
  SHARDGATE_TRUSTED_DOCUMENTS: envText(),
  SHARDGATE_HEDGE_AFTER_MS: envIntegerOrAuto(1, 600_000),
  SHARDGATE_HEDGE_BUDGET_PERCENT: envNumber(0, 100),
  SHARDGATE_UNIQUE_EMAILS: envBoolean(),
});

/** Reads the options from `env`. Throws ConfigError naming every bad variable and what it holds. */
export function loadGatewayOptions(env: Env = process.env): GatewayOptions {
  const problems: string[] = [];
  const parsed = envSchema.safeParse(env);
  if (!parsed.success) problems.push(...envProblems(parsed.error.issues, env));
  // The trusted documents file is read even when other variables are bad, so that one run names every problem.
  const trustedDocuments = readTrustedDocuments(
    parsed.success ? parsed.data.SHARDGATE_TRUSTED_DOCUMENTS : env.SHARDGATE_TRUSTED_DOCUMENTS,
    problems,
  );
  if (!parsed.success || problems.length > 0) throw new ConfigError(problems.join('\n'), problems);
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
  const request: RequestOptions = {
    timeoutMs: e.SHARDGATE_REQUEST_TIMEOUT_MS ?? DEFAULT_REQUEST_OPTIONS.timeoutMs,
    consistencyWaitMs: e.SHARDGATE_CONSISTENCY_WAIT_MS ?? DEFAULT_REQUEST_OPTIONS.consistencyWaitMs,
  };
  const limits: OperationLimits = {
    maxDepth: e.SHARDGATE_MAX_DEPTH ?? DEFAULT_OPERATION_LIMITS.maxDepth,
    maxAliases: e.SHARDGATE_MAX_ALIASES ?? DEFAULT_OPERATION_LIMITS.maxAliases,
    maxTokens: e.SHARDGATE_MAX_TOKENS ?? DEFAULT_OPERATION_LIMITS.maxTokens,
    maxStatements: e.SHARDGATE_MAX_STATEMENTS ?? DEFAULT_OPERATION_LIMITS.maxStatements,
    maxRepresentations: e.SHARDGATE_MAX_REPRESENTATIONS ?? DEFAULT_OPERATION_LIMITS.maxRepresentations,
    maxBodyBytes: e.SHARDGATE_MAX_BODY_BYTES ?? DEFAULT_OPERATION_LIMITS.maxBodyBytes,
  };
  const safety: RequestSafetyOptions = {
    limits: Object.freeze(limits),
    corsOrigins: Object.freeze(e.SHARDGATE_CORS_ORIGINS ?? [...DEFAULT_REQUEST_SAFETY.corsOrigins]),
    introspection: e.SHARDGATE_INTROSPECTION ?? DEFAULT_REQUEST_SAFETY.introspection,
    trustedDocuments,
  };
  const hedge: HedgeOptions = {
    afterMs: e.SHARDGATE_HEDGE_AFTER_MS ?? DEFAULT_HEDGE_OPTIONS.afterMs,
    budgetPercent: e.SHARDGATE_HEDGE_BUDGET_PERCENT ?? DEFAULT_HEDGE_OPTIONS.budgetPercent,
  };
  return Object.freeze({
    hedge: Object.freeze(hedge),
    pool: Object.freeze(pool),
    health: Object.freeze(health),
    failover: Object.freeze(failover),
    request: Object.freeze(request),
    safety: Object.freeze(safety),
    emails: Object.freeze({ unique: e.SHARDGATE_UNIQUE_EMAILS ?? false }),
  });
}

/** For one-shot commands (migrate, seed): a shard without a primary is an error to report now, not a failover to wait out. */
export function withoutFailoverBuffer(options: GatewayOptions): GatewayOptions {
  return Object.freeze({ ...options, failover: Object.freeze({ ...options.failover, bufferMs: 0 }) });
}

/** The documents of SHARDGATE_TRUSTED_DOCUMENTS, or null when unset; a bad file adds its problems. */
function readTrustedDocuments(path: string | undefined, problems: string[]): TrustedDocuments | null {
  if (path === undefined || path === '') return null;
  try {
    return loadTrustedDocuments(path);
  } catch (err) {
    if (!(err instanceof ConfigError)) throw err;
    problems.push(...err.problems.map((p) => `SHARDGATE_TRUSTED_DOCUMENTS: ${p}`));
    return null;
  }
}
