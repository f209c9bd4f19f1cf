import { parseArgs } from 'node:util';
import { SCENARIO_IDS, type ScenarioId } from './scenarios.js';

export interface BenchOptions {
  readonly quick: boolean;
  /** Seconds per measured round. */
  readonly durationSeconds: number;
  /** Unmeasured seconds of load per side before a scenario's rounds. */
  readonly warmupSeconds: number;
  /** Rounds per side (A B A B...). */
  readonly rounds: number;
  readonly connections: number;
  /** Connections per PostgreSQL node: SHARDGATE_POOL_MAX for the gateway, the baseline's pool max. */
  readonly poolMax: number;
  /** Demo users seeded on both sides. */
  readonly users: number;
  /** Requests sent one by one to count statements per request. */
  readonly countRequests: number;
  /** null: every scenario. */
  readonly scenarios: readonly ScenarioId[] | null;
  readonly tracing: boolean;
  /** Only the tracing off/on comparison: no gateway-vs-baseline scenarios, no pinned phase. */
  readonly tracingOnly: boolean;
  /** Also measure the gateway on the baseline's one database: its code's cost without the fan-out. */
  readonly control: boolean;
  /** Also measure the careful baseline (named prepared statements) beside the plain one. */
  readonly careful: boolean;
  /** Also measure the target scenarios with PostgreSQL on one core and the servers on another (taskset). */
  readonly pinned: boolean;
  /** Extra Node.js options for every server process (gateway, baseline, control), e.g. --max-old-space-size=256. */
  readonly serverNodeOptions: readonly string[];
  /** Where the JSON result goes; null: nowhere. */
  readonly out: string | null;
  /** Directory for the gateway's --cpu-prof output; null: no profile. */
  readonly profileDir: string | null;
  /** Run the scale phase (every database in its own CPU cgroup) instead of the comparison. */
  readonly scale: boolean;
  /** Scale: each database node's share of one CPU, in percent. */
  readonly cpuPercent: number;
  /** Scale: where the SVG chart of the curves goes; null: nowhere. */
  readonly chart: string | null;
  /** Scale: only the point reads by replicas (the quickest look at the read curve). */
  readonly readsOnly: boolean;
  /** Scale: the CPU cgroups' period, µs (the quota is cpuPercent of it). */
  readonly cpuPeriodUs: number;
}

export const BENCH_HELP = `Usage: npm run bench -- [options]

Boots a 3-shard cluster (primary + 1 replica each) and one unsharded
PostgreSQL, seeds the same users into both, and measures the gateway against
a plain graphql-yoga + pg server side by side (alternating rounds), plus
tracing off vs on. Prints a Markdown report; stops everything it started.

Options:
  --quick            a few seconds: tiny seed, 1 s per scenario, one round
  --duration S       seconds per round (default 6; quick 1)
  --warmup S         unmeasured warm-up per side and scenario before measuring (default 2; quick 0)
  --rounds N         rounds per side (default 2; quick 1)
  --connections N    concurrent connections of the load generator (default 16; quick 4)
  --pool-max N       connections per PostgreSQL node, both sides (default: --connections,
                     so that no request waits for a pooled connection on any node)
  --users N          users to seed (default 50000; quick 300)
  --scenarios LIST   comma-separated subset: point,batch100,page20,deepPage,createUser,entities100,
                     nestedOrders,usersByEmail
  --no-tracing       skip the tracing off/on comparison
  --tracing-only     only the tracing off/on comparison (no baseline scenarios, no pinned phase)
  --no-careful       skip the careful baseline (the same hand-written server with named,
                     prepared statements: BASELINE_PREPARED=1) measured beside the plain one
  --control          also run the gateway on the baseline's one database (a third
                     side): what the gateway's code costs, apart from the fan-out
  --no-pinned        skip the pinned phase: the target scenarios again with every
                     PostgreSQL process on CPU 0 and the server under load on CPU 1
                     (taskset), so each server's own CPU cost bounds its throughput
  --server-node-options "OPTS"
                     Node.js options for every server process, the same on both sides
                     (e.g. "--max-old-space-size=256")
  --out FILE         also write the result as JSON
  --profile DIR      run the gateway with --cpu-prof, write the profile to DIR and summarize it
  --scale            instead: every PostgreSQL node in its own CPU cgroup (root), reads by
                     replicas, writes and pages by shards, one node against both baselines,
                     serve --workers 1 vs 2 (needs \`npm run build\`); default 20000 users
  --cpu-percent P    scale: each node's share of one CPU (default 10)
  --chart FILE       scale: write the curves as an SVG chart
  --reads-only       scale: only the point reads by replicas
  --cpu-period-us N  scale: the cgroups' CPU period (default 10000; the quota is P% of it)
  -h, --help         show this help`;

export class BenchUsageError extends Error {}

/** Returns null for --help. */
export function parseBenchArgs(argv: readonly string[]): BenchOptions | null {
  const { values } = parseArgs({
    args: [...argv],
    options: {
      quick: { type: 'boolean', default: false },
      duration: { type: 'string' },
      warmup: { type: 'string' },
      rounds: { type: 'string' },
      connections: { type: 'string' },
      'pool-max': { type: 'string' },
      users: { type: 'string' },
      scenarios: { type: 'string' },
      'no-tracing': { type: 'boolean', default: false },
      'tracing-only': { type: 'boolean', default: false },
      control: { type: 'boolean', default: false },
      'no-careful': { type: 'boolean', default: false },
      'no-pinned': { type: 'boolean', default: false },
      out: { type: 'string' },
      'server-node-options': { type: 'string' },
      profile: { type: 'string' },
      scale: { type: 'boolean', default: false },
      'cpu-percent': { type: 'string' },
      chart: { type: 'string' },
      'reads-only': { type: 'boolean', default: false },
      'cpu-period-us': { type: 'string' },
      help: { type: 'boolean', short: 'h', default: false },
    },
    strict: true,
  });
  if (values.help) return null;
  const quick = values.quick === true;
  const num = (name: string, raw: string | undefined, fallback: number, min: number, max: number, integer = true): number => {
    if (raw === undefined) return fallback;
    const n = Number(raw);
    if (!Number.isFinite(n) || n < min || n > max || (integer && !Number.isInteger(n))) {
      throw new BenchUsageError(
        `--${name}: expected ${integer ? 'an integer' : 'a number'} between ${min} and ${max}, got ${JSON.stringify(raw)}`,
      );
    }
    return n;
  };
  let scenarios: ScenarioId[] | null = null;
  if (values.scenarios !== undefined) {
    scenarios = values.scenarios.split(',').map((s) => s.trim()) as ScenarioId[];
    const unknown = scenarios.filter((s) => !SCENARIO_IDS.includes(s));
    if (unknown.length > 0) throw new BenchUsageError(`--scenarios: unknown ${unknown.join(', ')} (known: ${SCENARIO_IDS.join(', ')})`);
  }
  const connections = num('connections', values.connections, quick ? 4 : 16, 1, 1000);
  return {
    quick,
    durationSeconds: num('duration', values.duration, quick ? 1 : 6, 1, 600),
    warmupSeconds: num('warmup', values.warmup, quick ? 0 : 2, 0, 600),
    rounds: num('rounds', values.rounds, quick ? 1 : 2, 1, 20),
    connections,
    poolMax: num('pool-max', values['pool-max'], connections, 1, 1000),
    users: num('users', values.users, quick ? 300 : values.scale ? 20_000 : 50_000, 200, 10_000_000),
    countRequests: quick ? 5 : 20,
    scenarios,
    tracing: values['no-tracing'] !== true,
    tracingOnly: values['tracing-only'] === true,
    control: values.control === true,
    careful: values['no-careful'] !== true,
    pinned: values['no-pinned'] !== true && values['tracing-only'] !== true,
    serverNodeOptions: (values['server-node-options'] ?? '').split(/\s+/).filter((o) => o !== ''),
    out: values.out ?? null,
    profileDir: values.profile ?? null,
    scale: values.scale === true,
    cpuPercent: num('cpu-percent', values['cpu-percent'], 10, 1, 100),
    chart: values.chart ?? null,
    readsOnly: values['reads-only'] === true,
    cpuPeriodUs: num('cpu-period-us', values['cpu-period-us'], 10_000, 1_000, 1_000_000),
  };
}
