import type { RoundResult, SideResult } from './bench-result.js';
import { databaseCpuMicrosBetween, snapshotDatabaseCpu } from './database-cpu.js';
import { runLoad } from './load.js';
import { SEQ_PLACEHOLDER } from './load-spec.js';
import { summarizeRounds } from './report.js';
import type { ServerProcess } from './server-process.js';

/** One server in a comparison, with the bodies it gets. */
export interface Side {
  readonly label: string;
  readonly server: ServerProcess;
  readonly bodies: readonly string[];
  /** The clusters whose PostgreSQL processes serve this side, for database CPU per request. */
  readonly databaseDirs?: readonly string[];
}

export interface MeasureOptions {
  readonly durationSeconds: number;
  readonly warmupSeconds: number;
  readonly rounds: number;
  readonly connections: number;
  /** Requests sent one by one to count statements per request. */
  readonly countRequests: number;
  readonly unique: boolean;
  /** Throws unless the parsed response is a success of this scenario. */
  readonly check: (body: unknown) => void;
  readonly progress: (line: string) => void;
  /** CPUs (a taskset list) for the load generator; absent: wherever the kernel puts it. */
  readonly loadCpus?: string;
}

const runTag = Date.now().toString(36);
let uniqueRuns = 0;

/**
 * Measures the sides of one scenario: each side's statements per request
 * (which also checks its responses), a warm-up per side, then the rounds
 * alternating between the sides in mirrored order (A B B A A B...), so that
 * a drift of the machine over the rounds falls equally on every side.
 */
export async function measureSides(sides: readonly Side[], opts: MeasureOptions): Promise<SideResult[]> {
  const statements: (number | null)[] = [];
  for (const side of sides) statements.push(await statementsPerRequest(side, opts));
  if (opts.warmupSeconds > 0) {
    for (const side of sides) await load(side, opts.warmupSeconds, opts);
  }
  const rounds: RoundResult[][] = sides.map(() => []);
  for (let round = 1; round <= opts.rounds; round++) {
    // A B, then B A: a drift of the machine over the rounds falls equally on every side.
    const order = [...sides.keys()];
    if (round % 2 === 0) order.reverse();
    for (const i of order) {
      const side = sides[i]!;
      const dbBefore = side.databaseDirs ? snapshotDatabaseCpu(side.databaseDirs) : null;
      const before = await side.server.stats();
      const loaded = await load(side, opts.durationSeconds, opts);
      const after = await side.server.stats();
      const dbAfter = side.databaseDirs ? snapshotDatabaseCpu(side.databaseDirs) : null;
      const requests = Math.max(1, loaded.requests);
      const result: RoundResult = {
        ...loaded,
        serverCpuMicrosPerRequest: (after.cpuMicros - before.cpuMicros) / requests,
        serverSystemCpuMicrosPerRequest: (after.systemCpuMicros - before.systemCpuMicros) / requests,
        databaseCpuMicrosPerRequest: dbBefore && dbAfter ? databaseCpuMicrosBetween(dbBefore, dbAfter) / requests : null,
        serverPreemptionsPerRequest: (after.involuntaryContextSwitches - before.involuntaryContextSwitches) / requests,
      };
      rounds[i]!.push(result);
      opts.progress(
        `  ${side.label.padEnd(11)} round ${round}/${opts.rounds}: ${result.rps.toFixed(0).padStart(6)} req/s, p50 ${result.p50Ms.toFixed(1)} ms, p99 ${result.p99Ms.toFixed(
          1,
        )} ms, server CPU ${result.serverCpuMicrosPerRequest.toFixed(0)} µs/req (kernel ${result.serverSystemCpuMicrosPerRequest.toFixed(0)})` +
          (result.databaseCpuMicrosPerRequest === null ? '' : `, databases ${result.databaseCpuMicrosPerRequest.toFixed(0)} µs/req`) +
          (result.non2xx + result.errors + result.timeouts > 0
            ? `, ${result.non2xx} non-2xx, ${result.errors} errors, ${result.timeouts} timeouts`
            : ''),
      );
    }
  }
  return sides.map((side, i) => summarizeRounds(side.label, rounds[i]!, statements[i]!));
}

/** Unmeasured load on every side, so that the measured rounds run JIT-compiled code. */
export async function warmUp(
  sides: readonly Side[],
  seconds: number,
  opts: Pick<MeasureOptions, 'connections' | 'unique' | 'loadCpus'>,
): Promise<void> {
  for (const side of sides) await load(side, seconds, opts);
}

function load(side: Side, durationSeconds: number, opts: Pick<MeasureOptions, 'connections' | 'unique' | 'loadCpus'>) {
  return runLoad(
    {
      url: side.server.url,
      connections: opts.connections,
      durationSeconds,
      bodies: side.bodies,
      ...(opts.unique ? { uniquePrefix: `${runTag}-${++uniqueRuns}` } : {}),
    },
    opts.loadCpus,
  );
}

/** Sends `countRequests` requests one at a time, checks every response, and divides the statements the server counted by them. */
async function statementsPerRequest(side: Side, opts: MeasureOptions): Promise<number> {
  await side.server.resetStatements();
  const prefix = `${runTag}-count-${++uniqueRuns}`;
  for (let i = 0; i < opts.countRequests; i++) {
    let body = side.bodies[i % side.bodies.length]!;
    if (opts.unique) body = body.replaceAll(SEQ_PLACEHOLDER, `${prefix}-${i}`);
    const response = await fetch(side.server.url, { method: 'POST', headers: { 'content-type': 'application/json' }, body });
    if (!response.ok) throw new Error(`${side.label}: HTTP ${response.status}: ${(await response.text()).slice(0, 300)}`);
    try {
      opts.check(await response.json());
    } catch (err) {
      throw new Error(`${side.label}: ${err instanceof Error ? err.message : String(err)}`);
    }
  }
  const { statements } = await side.server.stats();
  return statements / opts.countRequests;
}
