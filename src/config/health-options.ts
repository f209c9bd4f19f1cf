/** When a node stops being used (see src/sharding/node-health.ts, which applies it). */
export interface HealthPolicy {
  /** Consecutive failures (probes or statements) that eject a node. @default 2 */
  readonly failuresToEject: number;
  /** Replicas lagging more than this many seconds are ejected; null never ejects for lag. @default null */
  readonly maxLagSeconds: number | null;
}

export const DEFAULT_HEALTH_POLICY: HealthPolicy = Object.freeze({ failuresToEject: 2, maxLagSeconds: null });

/** The health policy, and how often and how patiently the health checker probes. */
export interface HealthOptions extends HealthPolicy {
  /** Time between health rounds. @default 1000 */
  readonly intervalMs: number;
  /** A probe slower than this fails. @default 1000 */
  readonly timeoutMs: number;
}

export const DEFAULT_HEALTH_OPTIONS: HealthOptions = Object.freeze({ ...DEFAULT_HEALTH_POLICY, intervalMs: 1000, timeoutMs: 1000 });
