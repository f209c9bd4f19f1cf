import type { LoadResult } from './load-spec.js';

/** A load round, with the CPU the server spent on it. */
export interface RoundResult extends LoadResult {
  /** The server process's CPU time (user + system, all threads) per 2xx response. */
  readonly serverCpuMicrosPerRequest: number;
  /** The part of it spent in the kernel. */
  readonly serverSystemCpuMicrosPerRequest: number;
  /** CPU of every PostgreSQL process the server's cluster runs, per 2xx response; null when not measured. */
  readonly databaseCpuMicrosPerRequest: number | null;
  /** How often per response the server was preempted by another process (PostgreSQL, the load generator). */
  readonly serverPreemptionsPerRequest: number;
}

/** One server's figures in one scenario, over its rounds. */
export interface SideResult {
  /** "gateway", "baseline", "tracing off", "tracing on". */
  readonly label: string;
  /** Mean of the rounds' 2xx responses per second. */
  readonly rps: number;
  /** Mean of the rounds' medians. */
  readonly p50Ms: number;
  /** Mean of the rounds' 99th percentiles. */
  readonly p99Ms: number;
  /** Mean over rounds of the server's CPU per request: throughput on a saturated machine follows it. */
  readonly cpuMicrosPerRequest: number;
  /** The part of it spent in the kernel (system calls), mean over rounds. */
  readonly systemCpuMicrosPerRequest: number;
  /** Mean over rounds of the databases' CPU per request (every process of the side's cluster); null when not measured. */
  readonly databaseCpuMicrosPerRequest: number | null;
  /** Mean over rounds of the server's involuntary context switches per request. */
  readonly preemptionsPerRequest: number;
  readonly rounds: readonly RoundResult[];
  /** Non-2xx responses, connection errors and timeouts over all rounds. */
  readonly failures: number;
  /** SQL statements per request, counted on the server over a fixed number of requests; null when not counted. */
  readonly statementsPerRequest: number | null;
}

export interface ScenarioResult {
  readonly id: string;
  readonly title: string;
  readonly gateway: SideResult;
  /** null: gateway-only. */
  readonly baseline: SideResult | null;
  /**
   * The control, with --control: the same gateway code on the baseline's one
   * unsharded database (one statement per request), separating the cost of
   * the gateway's code from the cost of fanning out to three shards.
   */
  readonly control?: SideResult | null;
  /**
   * The careful baseline (the same hand-written server with named, prepared
   * statements) on the same database; absent when not measured (--no-careful),
   * null for a gateway-only scenario.
   */
  readonly careful?: SideResult | null;
  /** gateway.rps / careful.rps; absent or null as `careful`. */
  readonly carefulRatio?: number | null;
  /** gateway.rps / baseline.rps. */
  readonly ratio: number | null;
  readonly minRatio: number | null;
  /** What the gateway must send per request: the shards the request touches. */
  readonly expectedStatements: number;
}

/**
 * The pinned phase: PostgreSQL (both clusters) on one core, the server under
 * load on another. Each server then has a core to itself, so its throughput
 * follows its own CPU per request, apart from the scheduling cost of
 * sharing cores with the databases it fans out to.
 */
export interface PinnedResult {
  readonly id: string;
  readonly title: string;
  readonly gateway: SideResult;
  readonly baseline: SideResult;
  readonly control: SideResult | null;
  /** gateway.rps / baseline.rps. */
  readonly ratio: number;
}

export interface PinnedPhase {
  /** taskset CPU lists; null when the phase could not run (see `skipped`). */
  readonly plan: { readonly databases: string; readonly servers: string; readonly load: string } | null;
  readonly skipped: string | null;
  readonly scenarios: readonly PinnedResult[];
}

export interface TracingResult {
  readonly id: string;
  readonly title: string;
  /** False when the tracing-on gateway exported nothing (observability not built in). */
  readonly available: boolean;
  readonly off: SideResult;
  readonly on: SideResult;
  /** 1 - on.rps / off.rps. */
  readonly overhead: number;
  /** A tracer provider was registered in the tracing-off gateway (it should not be). */
  readonly offTracerRegistered: boolean;
  readonly onTracerRegistered: boolean;
  /** OTLP export requests the sink received while the tracing-on gateway was measured. */
  readonly sinkPosts: number;
  readonly sinkBytes: number;
}

export interface BenchMeta {
  readonly date: string;
  readonly machine: { readonly cores: number; readonly cpuModel: string; readonly memoryGiB: number; readonly os: string };
  readonly node: string;
  readonly postgres: string;
  readonly command: string;
  readonly quick: boolean;
  readonly durationSeconds: number;
  readonly warmupSeconds: number;
  readonly rounds: number;
  readonly connections: number;
  /** Connections per PostgreSQL node, the same for the gateway's pools and the baseline's pool. */
  readonly poolMax: number;
  readonly users: number;
  readonly usersPerShard: readonly number[];
  readonly deepPages: number;
  /** 1-minute load average when the run started and ended: other work on the machine skews the figures. */
  readonly loadAverage: { readonly start: number; readonly end: number };
  /** NODE_ENV of both servers (the production image sets "production"). */
  readonly nodeEnv: string;
  /** Extra Node.js options of the server processes (both sides). */
  readonly serverNodeOptions: readonly string[];
}

export interface MemoryResult {
  /** The gateway's RSS once the run is over and V8 has collected the garbage of the load (its idle GC), or after a bounded wait. */
  readonly gatewayRssMiB: number;
  /** The gateway's RSS right after its last load round: mostly garbage V8 has not collected yet. */
  readonly gatewayRssAtEndMiB: number;
  /** What the RSS right after the load holds: the live V8 heap, the heap V8 has committed, memory outside it. */
  readonly gatewayAtEnd?: { readonly heapUsedMiB: number; readonly heapTotalMiB: number; readonly externalMiB: number };
  /** Seconds waited between the two. */
  readonly settleSeconds: number;
  readonly gatewayPeakRssMiB: number;
  /** The gateway's RSS before any load. */
  readonly gatewayStartRssMiB: number;
  readonly baselineRssMiB: number;
}

export interface TargetVerdict {
  readonly name: string;
  /** null: could not be measured in this run. */
  readonly met: boolean | null;
  readonly detail: string;
}

export interface BenchResult {
  readonly meta: BenchMeta;
  readonly scenarios: readonly ScenarioResult[];
  readonly tracing: readonly TracingResult[];
  /** Absent when not asked for (--no-pinned). */
  readonly pinned?: PinnedPhase;
  readonly memory: MemoryResult;
  readonly targets: readonly TargetVerdict[];
  /** Top self-time entries of the gateway's CPU profile, when --profile was given. */
  readonly profile?: readonly string[];
}
