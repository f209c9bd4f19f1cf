import type { HealthPolicy } from '../config/health-options.js';
import type { ReplicaLag } from './replica-lag.js';

/** Why a node is not used. */
export type EjectReason =
  /** Probes or statements failed `failuresToEject` times in a row. */
  | 'unreachable'
  /** A replica further behind than `maxLagSeconds`. */
  | 'lagging';

/**
 * A node's health, a value. `unknown` (no probe yet) is servable: the gateway
 * probes every node once before it serves, and a node that was never seen must
 * not make a fresh process refuse reads.
 */
export interface NodeHealth {
  readonly status: 'unknown' | 'healthy' | 'ejected';
  /** Set when `status` is `ejected`. */
  readonly reason: EjectReason | null;
  readonly consecutiveFailures: number;
  /** When `status` last changed (ms, from the injected clock). */
  readonly since: number | null;
  /** When the last probe or statement outcome was recorded. */
  readonly checkedAt: number | null;
  readonly lastError: string | null;
  /** Replicas: the lag last measured (kept while ejected, for operators). */
  readonly lag: ReplicaLag | null;
}

export const INITIAL_HEALTH: NodeHealth = Object.freeze({
  status: 'unknown',
  reason: null,
  consecutiveFailures: 0,
  since: null,
  checkedAt: null,
  lastError: null,
  lag: null,
});

export function isServable(health: NodeHealth): boolean {
  return health.status !== 'ejected';
}

/** A probe (or statement) succeeded. One success re-admits an ejected node, unless it lags. (Roles are decided apart: decide-shard-roles.ts.) */
export function afterSuccess(prev: NodeHealth, now: number, policy: HealthPolicy, observed: { lag?: ReplicaLag | null } = {}): NodeHealth {
  const lag = observed.lag === undefined ? prev.lag : observed.lag;
  let reason: EjectReason | null = null;
  if (policy.maxLagSeconds !== null && lag !== null && lag.seconds !== null && lag.seconds > policy.maxLagSeconds) reason = 'lagging';
  const status = reason === null ? 'healthy' : 'ejected';
  return {
    status,
    reason,
    consecutiveFailures: 0,
    since: status === prev.status && reason === prev.reason ? prev.since : now,
    checkedAt: now,
    lastError: reason === null ? null : prev.lastError,
    lag,
  };
}

/** A probe or statement failed to reach the node. Ejects after `failuresToEject` in a row. */
export function afterFailure(prev: NodeHealth, now: number, policy: HealthPolicy, error: string): NodeHealth {
  const consecutiveFailures = prev.consecutiveFailures + 1;
  const eject = consecutiveFailures >= policy.failuresToEject || prev.status === 'ejected';
  const status = eject ? 'ejected' : prev.status;
  const reason = eject ? 'unreachable' : prev.reason;
  return {
    status,
    reason,
    consecutiveFailures,
    since: status === prev.status && reason === prev.reason ? prev.since : now,
    checkedAt: now,
    lastError: error,
    lag: prev.lag,
  };
}

/**
 * How an attempt to reach a node missed: when it began, and whether it ran
 * out of time (a connect or probe timeout) rather than being refused or
 * broken (a refused connection, a reset, a node-level SQLSTATE).
 */
export interface Miss {
  readonly startedAt: number;
  readonly timedOut: boolean;
}

/**
 * Whether a miss is the node's failure or only its slowness. A node that
 * refused or broke the attempt failed. A node that let it time out failed
 * only if it answered nothing else since the attempt began: a node throttled
 * (a CPU quota, a noisy neighbour) keeps answering other statements and
 * probes, only late, and ejecting it would move its share of the reads to
 * the others and leave its capacity unused; a node that stopped (a frozen
 * host, SIGSTOP, a black-holed route) answers nothing at all, so it is still
 * counted as failed at its first miss. Pure.
 */
export function judgeMiss(miss: Miss | undefined, lastAnswerAt: number | null): 'slow' | 'failed' {
  if (!miss?.timedOut) return 'failed';
  return lastAnswerAt !== null && lastAnswerAt > miss.startedAt ? 'slow' : 'failed';
}
