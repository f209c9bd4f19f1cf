import { spawn, type ChildProcess } from 'node:child_process';
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { cpus } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { demoUser } from '../src/cli/seed-demo-users.js';
import { readClusterSpecSync } from '../src/cluster/cluster-files.js';
import { clusterNodes } from '../src/cluster/cluster-layout.js';
import { processWithChildren, runningPostmasterPid } from '../src/cluster/postmaster-process.js';
import type { Topology } from '../src/config/topology.js';
import { trackChild } from '../testkit/cleanup-at-exit.js';
import { findFreePortRange } from '../testkit/free-port-range.js';
import { destroyThrowawayCluster, startThrowawayCluster, type ThrowawayCluster } from '../testkit/throwaway-cluster.js';
import { prepareData } from './bench-cluster.js';
import { openCpuCgroups, removeStaleGroups, type CpuCgroups, type GroupUsage } from './cpu-cgroups.js';
import { databaseCpuMicrosBetween, snapshotDatabaseCpu } from './database-cpu.js';
import { runLoad } from './load.js';
import { SEQ_PLACEHOLDER, type LoadResult } from './load-spec.js';
import { graphqlBody, PAGE_QUERY } from './scenarios.js';
import { ServerProcess } from './server-process.js';

/*
 * `npm run bench -- --scale`: the seed's scaling claims, with every
 * PostgreSQL node its own "machine" (a CPU cgroup with the same quota each;
 * the gateway and the load generator are not capped):
 *
 * - point reads on one shard with 1, 2, 3 replicas (reads grow with replicas);
 * - createUser on 1, 2, 4 shards (writes grow with shards);
 * - a first page on 1, 2, 4 shards (N times the work on N times the capacity);
 * - the gateway over one capped node against the plain and the careful
 *   hand-written baselines over the same node;
 * - then, uncapped, the same one-node comparison, and the gateway with 1 and
 *   2 worker processes (`serve --workers`).
 *
 * Two clusters: one shard with 3 replicas (reads, the one-node comparisons)
 * and 4 shards without replicas (writes, pages). A configuration with fewer
 * replicas or shards is a topology file naming a subset of the nodes.
 */

const GATEWAY_ENTRY = fileURLToPath(new URL('./gateway-entry.js', import.meta.url));
const BASELINE_ENTRY = fileURLToPath(new URL('./baseline-entry.js', import.meta.url));
const SHARDGATE_BIN = fileURLToPath(new URL('../../bin/shardgate.js', import.meta.url));

export interface ScaleOptions {
  readonly quick: boolean;
  readonly durationSeconds: number;
  readonly warmupSeconds: number;
  readonly rounds: number;
  readonly connections: number;
  readonly poolMax: number;
  readonly users: number;
  /** Each node's share of one CPU, in percent. */
  readonly cpuPercent: number;
  readonly periodUs: number;
  /** Where the SVG chart goes; null: nowhere. */
  readonly chart: string | null;
  /** Only the point reads by replicas. @default false */
  readonly readsOnly?: boolean;
}

export interface ScalePoint {
  readonly label: string;
  /** Replicas or shards. */
  readonly n: number;
  readonly rps: number;
  readonly p99Ms: number;
  /** Database CPU (µs) per request over every node of the cluster. */
  readonly dbCpuUsPerReq: number | null;
  /** Reads: statements served by replicas, as a share of all (from the gateway's own metrics). */
  readonly replicaShare?: number | null;
}

export interface ScaleCurve {
  readonly id: 'reads' | 'writes' | 'pages';
  readonly title: string;
  /** Each point's target as a multiple of the first point's throughput, by n. */
  readonly target: (n: number) => number;
  readonly ideal: (n: number) => number;
  readonly points: ScalePoint[];
}

export interface OneNodeRow {
  readonly scenario: string;
  readonly capped: boolean;
  readonly gateway: ScalePoint;
  readonly plain: ScalePoint;
  readonly careful: ScalePoint;
}

export interface ScaleResult {
  readonly cgroups: string;
  readonly curves: ScaleCurve[];
  readonly oneNode: OneNodeRow[];
  readonly workers: { readonly one: ScalePoint; readonly two: ScalePoint } | { readonly skipped: string };
}

interface Body {
  readonly bodies: readonly string[];
  readonly unique: boolean;
  /** The field whose data must be present in a successful response. */
  readonly field: string;
}

const FIELDS = 'userId name email createdAt';

function pointBodies(users: number, count: number): Body {
  let state = 7;
  const next = () => (state = (Math.imul(state, 1664525) + 1013904223) >>> 0) / 0x1_0000_0000;
  const bodies = Array.from({ length: count }, () =>
    graphqlBody(`query Point($userId: ID!) { user(userId: $userId) { ${FIELDS} } }`, {
      userId: demoUser(1 + Math.floor(next() * users)).userId,
    }),
  );
  return { bodies, unique: false, field: 'user' };
}

function batchBodies(users: number, count: number, size: number): Body {
  let state = 11;
  const next = () => (state = (Math.imul(state, 1664525) + 1013904223) >>> 0) / 0x1_0000_0000;
  const bodies = Array.from({ length: count }, () => {
    const ids = new Set<string>();
    while (ids.size < size) ids.add(demoUser(1 + Math.floor(next() * users)).userId);
    return graphqlBody(`query Batch($userIds: [ID!]!) { usersByIds(userIds: $userIds) { ${FIELDS} } }`, { userIds: [...ids] });
  });
  return { bodies, unique: false, field: 'usersByIds' };
}

const CREATE: Body = {
  bodies: [
    graphqlBody(`mutation Create($input: CreateUserInput!) { createUser(input: $input) { ${FIELDS} } }`, {
      input: { userId: `scale-${SEQ_PLACEHOLDER}`, name: 'Scale User', email: `scale-${SEQ_PLACEHOLDER}@example.com` },
    }),
  ],
  unique: true,
  field: 'createUser',
};
const PAGE: Body = { bodies: [graphqlBody(PAGE_QUERY, { after: null })], unique: false, field: 'users' };

export async function runScale(opts: ScaleOptions, progress: (line: string) => void, env: NodeJS.ProcessEnv): Promise<ScaleResult> {
  const clusters: ThrowawayCluster[] = [];
  let groups: CpuCgroups | null = null;
  try {
    removeStaleGroups();
    const quota = { quotaUs: Math.round((opts.periodUs * opts.cpuPercent) / 100), periodUs: opts.periodUs };
    const opened = openCpuCgroups(quota);
    const cgroups = opened.groups
      ? `cgroup ${opened.groups.kind}: ${opts.cpuPercent}% of a CPU per node (quota ${quota.quotaUs} µs per ${quota.periodUs} µs), at ${opened.groups.root}`
      : `not capped: ${opened.reason}`;
    groups = opened.groups;
    progress(`scale: ${cgroups}`);
    if (!groups) progress('scale: the capped phases are skipped (they need a writable CPU cgroup, i.e. root); the uncapped ones run');

    progress('scale: booting 1 shard x (primary + 3 replicas) and 4 shards x primary...');
    const [reads, writes] = await Promise.all([
      startThrowawayCluster({ name: 'scale-reads', shards: 1, replicas: 3 }).then((c) => (clusters.push(c), c)),
      startThrowawayCluster({ name: 'scale-writes', shards: 4, replicas: 0 }).then((c) => (clusters.push(c), c)),
    ]);
    progress(`scale: seeding ${opts.users} users into both...`);
    await Promise.all([prepareData(reads, opts.users), prepareData(writes, opts.users)]);

    const topologyFile = (name: string, topology: Topology) => {
      const path = join(reads.dir, `scale-${name}.json`);
      writeFileSync(path, JSON.stringify(topology, null, 2));
      return path;
    };
    const r = reads.topology.shards[0]!;
    const readTopology = (replicas: number) =>
      topologyFile(`reads-${replicas}`, { shards: [{ ...r, replicas: r.replicas.slice(0, replicas) }] });
    const oneNode = topologyFile('one-node', { shards: [{ ...r, replicas: [] }] });
    const writeTopology = (shards: number) =>
      topologyFile(`writes-${shards}`, {
        shards: writes.topology.shards.slice(0, shards).map((s, shardId) => ({ ...s, shardId })),
      });

    const measure = (url: string, body: Body, dirs: readonly string[]) => measurePoint(url, body, dirs, opts);
    const point = pointBodies(opts.users, opts.quick ? 64 : 1000);
    const curves: ScaleCurve[] = [];
    const oneNodeRows: OneNodeRow[] = [];

    const withGateway = async <T>(topologyPath: string, fn: (g: ServerProcess) => Promise<T>): Promise<T> => {
      const g = await ServerProcess.start({ name: 'gateway', script: GATEWAY_ENTRY, args: ['--config', topologyPath], env });
      try {
        return await fn(g);
      } finally {
        await g.stop();
      }
    };
    const withBaseline = async <T>(prepared: boolean, fn: (b: ServerProcess) => Promise<T>): Promise<T> => {
      const b = await ServerProcess.start({
        name: prepared ? 'careful baseline' : 'baseline',
        script: BASELINE_ENTRY,
        args: ['--config', oneNode],
        env: { ...env, BASELINE_PREPARED: prepared ? '1' : '0' },
      });
      try {
        return await fn(b);
      } finally {
        await b.stop();
      }
    };
    const oneNodeComparison = async (capped: boolean) => {
      const scenarios: [string, Body][] = [['point', point]];
      if (!opts.quick) scenarios.push(['usersByIds(20)', batchBodies(opts.users, 200, 20)], ['first page', PAGE]);
      for (const [scenario, body] of scenarios) {
        progress(`scale: one ${capped ? 'capped' : 'uncapped'} node, ${scenario}: gateway, plain baseline, careful baseline`);
        const dirs = [reads.dir];
        const gateway = await withGateway(oneNode, async (g) => ({ ...(await measure(g.url, body, dirs)), label: 'gateway', n: 1 }));
        const plain = await withBaseline(false, async (b) => ({ ...(await measure(b.url, body, dirs)), label: 'plain', n: 1 }));
        const careful = await withBaseline(true, async (b) => ({ ...(await measure(b.url, body, dirs)), label: 'careful', n: 1 }));
        oneNodeRows.push({ scenario, capped, gateway, plain, careful });
      }
    };

    if (groups) {
      for (const c of clusters) capCluster(groups, c.dir);

      const readPoints: ScalePoint[] = [];
      for (const replicas of [1, 2, 3]) {
        progress(`scale: point reads, 1 shard with ${replicas} replica(s)`);
        readPoints.push(
          await withGateway(readTopology(replicas), async (g) => {
            const before = await gatewayCounters(g.url);
            const nodesBefore = groups!.usage();
            const gatewayBefore = await g.stats();
            const startedAt = performance.now();
            const m = await measure(g.url, point, [reads.dir]);
            const gatewayCpu = ((await g.stats()).cpuMicros - gatewayBefore.cpuMicros) / ((performance.now() - startedAt) * 1000);
            const after = await gatewayCounters(g.url);
            progress(
              `scale:   gateway busy ${(100 * gatewayCpu).toFixed(0)}% of a core; ${describeNodes(nodesBefore, groups!.usage())}; statements ${after.total - before.total}, hedged reads ${after.hedged - before.hedged}; ${describeLatency(before, after, opts.connections, m.rps)}`,
            );
            const total = after.total - before.total;
            return {
              ...m,
              label: `${replicas} replica(s)`,
              n: replicas,
              replicaShare: total > 0 ? (after.replica - before.replica) / total : null,
            };
          }),
        );
      }
      curves.push({
        id: 'reads',
        title: 'point reads, 1 shard, by replicas',
        target: (n) => 0.85 * n,
        ideal: (n) => n,
        points: readPoints,
      });

      if (opts.readsOnly) return { cgroups, curves, oneNode: oneNodeRows, workers: { skipped: '--reads-only' } };
      const writePoints: ScalePoint[] = [];
      const pagePoints: ScalePoint[] = [];
      for (const shards of [1, 2, 4]) {
        await withGateway(writeTopology(shards), async (g) => {
          progress(`scale: createUser, ${shards} shard(s)`);
          writePoints.push({ ...(await measure(g.url, CREATE, [writes.dir])), label: `${shards} shard(s)`, n: shards });
          progress(`scale: first page, ${shards} shard(s)`);
          pagePoints.push({ ...(await measure(g.url, PAGE, [writes.dir])), label: `${shards} shard(s)`, n: shards });
        });
      }
      curves.push({ id: 'writes', title: 'createUser, by shards', target: (n) => 0.85 * n, ideal: (n) => n, points: writePoints });
      curves.push({ id: 'pages', title: 'first page (20), by shards', target: () => 0.85, ideal: () => 1, points: pagePoints });

      await oneNodeComparison(true);
      groups.remove();
      groups = null;
    }

    await oneNodeComparison(false);

    let workers: ScaleResult['workers'];
    try {
      const full = readTopology(3);
      progress('scale: serve --workers 1 vs 2, uncapped databases, point reads');
      const accounted = async (workers: number) =>
        withServe(full, workers, async (url, pid) => {
          const machine = machineCpuTicks();
          const serve = treeCpuTicks(pid);
          const db = snapshotDatabaseCpu([reads.dir]);
          const m = await measure(url, point, [reads.dir]);
          const dbAfter = snapshotDatabaseCpu([reads.dir]);
          const busy = machineCpuTicks();
          const ticks = busy.total - machine.total;
          const share = (t: number) => `${((100 * t) / ticks).toFixed(0)}%`;
          const serveTicks = treeCpuTicks(pid) - serve;
          const dbTicks = db && dbAfter ? databaseCpuMicrosBetween(db, dbAfter) / (1e6 / CLOCK_TICKS) : 0;
          const rest = busy.busy - machine.busy - serveTicks - dbTicks;
          progress(
            `scale:   ${workers} worker(s): of the machine's ${cpus().length} cores over warm-up and rounds: busy ${share(busy.busy - machine.busy)} — serve (primary + workers) ${share(serveTicks)}, PostgreSQL ${share(dbTicks)}, the rest (load generator, this process, anything else) ${share(rest)}`,
          );
          return m;
        });
      const one = await accounted(1);
      const two = await accounted(2);
      workers = { one: { ...one, label: '1 worker', n: 1 }, two: { ...two, label: '2 workers', n: 2 } };
    } catch (err) {
      workers = { skipped: (err as Error).message };
    }

    const result: ScaleResult = { cgroups, curves, oneNode: oneNodeRows, workers };
    if (opts.chart && curves.length > 0) {
      writeFileSync(opts.chart, scaleChartSvg(curves));
      progress(`scale: chart written to ${opts.chart}`);
    }
    return result;
  } finally {
    groups?.remove();
    for (const c of clusters) await destroyThrowawayCluster(c.dir).catch(() => {});
  }
}

/** Every process of every node of the cluster in `dir` into a group of its own (named after the node). */
function capCluster(groups: CpuCgroups, dir: string): void {
  const spec = readClusterSpecSync(dir);
  if (!spec) throw new Error(`no cluster in ${dir}`);
  for (const node of clusterNodes(spec)) {
    const pid = runningPostmasterPid(node.dataDir);
    if (pid === null) throw new Error(`${node.label} is not running`);
    // The postmaster first: backends it forks from now on are born in the group.
    groups.place(`${spec.basePort}-${node.name}`, [pid]);
    groups.place(`${spec.basePort}-${node.name}`, processWithChildren(pid));
  }
}

async function measurePoint(
  url: string,
  body: Body,
  dirs: readonly string[],
  opts: ScaleOptions,
): Promise<{ rps: number; p99Ms: number; dbCpuUsPerReq: number | null }> {
  await checkOnce(url, body);
  const spec = { url, connections: opts.connections, bodies: body.bodies };
  const unique = (tag: string) => (body.unique ? { uniquePrefix: `${Date.now().toString(36)}-${tag}` } : {});
  if (opts.warmupSeconds > 0) await runLoad({ ...spec, durationSeconds: opts.warmupSeconds, ...unique('w') });
  const rounds: LoadResult[] = [];
  const before = snapshotDatabaseCpu(dirs);
  for (let i = 0; i < opts.rounds; i++) rounds.push(await runLoad({ ...spec, durationSeconds: opts.durationSeconds, ...unique(`r${i}`) }));
  const after = snapshotDatabaseCpu(dirs);
  for (const round of rounds) {
    if (round.non2xx + round.errors + round.timeouts > 0) {
      throw new Error(`${url}: ${round.non2xx} non-2xx, ${round.errors} errors, ${round.timeouts} timeouts under load`);
    }
  }
  const requests = rounds.reduce((n, r) => n + r.requests, 0);
  const rps = median(rounds.map((r) => r.rps));
  const dbCpuUsPerReq = before && after && requests > 0 ? databaseCpuMicrosBetween(before, after) / requests : null;
  return { rps, p99Ms: median(rounds.map((r) => r.p99Ms)), dbCpuUsPerReq };
}

async function checkOnce(url: string, body: Body): Promise<void> {
  const text = body.bodies[0]!.replaceAll(SEQ_PLACEHOLDER, `check-${Date.now().toString(36)}`);
  const response = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: text });
  const json = (await response.json()) as { data?: Record<string, unknown>; errors?: unknown[] };
  if (response.status !== 200 || json.errors || !json.data?.[body.field]) {
    throw new Error(`${url}: the scenario fails (${response.status}): ${JSON.stringify(json).slice(0, 300)}`);
  }
}

/** What the gateway's own metrics say so far: statements (all, to replicas, hedged) and the time spent in requests and statements. */
interface GatewayCounters {
  readonly total: number;
  readonly replica: number;
  readonly hedged: number;
  /** `shardgate_graphql_request_duration_seconds`: sum (s) and count, from the request's arrival at yoga to its answer. */
  readonly requestSeconds: number;
  readonly requests: number;
  /** `shardgate_shard_query_duration_seconds`: sum (s) and count, from the statement's admission at the door to its result. */
  readonly statementSeconds: number;
  readonly statements: number;
}

async function gatewayCounters(graphqlUrl: string): Promise<GatewayCounters> {
  const text = await (await fetch(graphqlUrl.replace(/\/graphql$/, '/metrics'))).text();
  const c = { total: 0, replica: 0, hedged: 0, requestSeconds: 0, requests: 0, statementSeconds: 0, statements: 0 };
  const value = (line: string) => Number(line.slice(line.lastIndexOf(' ') + 1));
  for (const line of text.split('\n')) {
    if (line.startsWith('shardgate_hedged_reads_total{')) c.hedged += value(line);
    else if (line.startsWith('shardgate_graphql_request_duration_seconds_sum')) c.requestSeconds += value(line);
    else if (line.startsWith('shardgate_graphql_request_duration_seconds_count')) c.requests += value(line);
    else if (line.startsWith('shardgate_shard_query_duration_seconds_sum')) c.statementSeconds += value(line);
    else if (line.startsWith('shardgate_shard_query_duration_seconds_count')) c.statements += value(line);
    else if (line.startsWith('shardgate_shard_queries_total{')) {
      c.total += value(line);
      if (line.includes('role="replica"')) c.replica += value(line);
    }
  }
  return c;
}

/**
 * Where a request's time went, on average over an interval of a closed loop
 * of `connections`: the whole trip as the load generator sees it
 * (connections / throughput), the part inside the gateway's GraphQL
 * handling, and the part inside statements (admission, checkout, the
 * database). What is left of the trip is HTTP and the event loop's queue
 * before a request is handled.
 */
function describeLatency(before: GatewayCounters, after: GatewayCounters, connections: number, rps: number): string {
  const ms = (seconds: number, n: number) => (n > 0 ? ((1000 * seconds) / n).toFixed(1) : '?');
  const requests = after.requests - before.requests;
  const statements = after.statements - before.statements;
  const trip = rps > 0 ? ((1000 * connections) / rps).toFixed(1) : '?';
  return `mean per request: trip ${trip} ms, in GraphQL ${ms(after.requestSeconds - before.requestSeconds, requests)} ms, per statement ${ms(after.statementSeconds - before.statementSeconds, statements)} ms (${(statements / Math.max(requests, 1)).toFixed(2)} per request)`;
}

/** Each capped node's CPU over an interval (ms) and the share of quota periods in which it was throttled. */
function describeNodes(before: Map<string, GroupUsage>, after: Map<string, GroupUsage>): string {
  const parts: string[] = [];
  for (const [name, end] of after) {
    const start = before.get(name) ?? { cpuNs: 0, periods: 0, throttledPeriods: 0 };
    const periods = end.periods - start.periods;
    if (periods === 0) continue;
    const throttled = (100 * (end.throttledPeriods - start.throttledPeriods)) / periods;
    parts.push(`${name.replace(/^\d+-/, '')} ${((end.cpuNs - start.cpuNs) / 1e6).toFixed(0)} ms CPU, throttled ${throttled.toFixed(0)}%`);
  }
  return parts.length > 0 ? parts.join('; ') : 'no node used its group';
}

/** `shardgate serve --workers N` as a user runs it, for the time of `fn`. */
async function withServe<T>(topologyPath: string, workers: number, fn: (url: string, pid: number) => Promise<T>): Promise<T> {
  const port = await findFreePortRange(1);
  const child: ChildProcess = spawn(
    process.execPath,
    [SHARDGATE_BIN, 'serve', '--config', topologyPath, '--port', String(port), '--host', '127.0.0.1', '--workers', String(workers)],
    { env: { ...process.env, LOG_LEVEL: 'warn', NODE_ENV: 'production' }, stdio: ['ignore', 'pipe', 'inherit'] },
  );
  trackChild(child);
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  try {
    let out = '';
    child.stdout!.on('data', (d) => (out += d));
    const deadline = Date.now() + 60_000;
    while (!out.includes('GraphiQL:')) {
      if (child.exitCode !== null || Date.now() > deadline) throw new Error(`serve --workers ${workers} did not start: ${out}`);
      await new Promise((r) => setTimeout(r, 100));
    }
    return await fn(`http://127.0.0.1:${port}/graphql`, child.pid!);
  } finally {
    if (child.exitCode === null) child.kill('SIGTERM');
    await exited;
  }
}

/** USER_HZ: /proc's unit of CPU time. */
const CLOCK_TICKS = 100;

/** The machine's CPU time so far, in ticks: all of it (idle included) and the busy part. */
function machineCpuTicks(): { total: number; busy: number } {
  const fields = readFileSync('/proc/stat', 'utf8').split('\n')[0]!.trim().split(/\s+/).slice(1).map(Number);
  const total = fields.reduce((a, b) => a + b, 0);
  // idle and iowait are not busy.
  return { total, busy: total - fields[3]! - (fields[4] ?? 0) };
}

/** CPU ticks (user + system) of `pid` and every descendant now running. */
function treeCpuTicks(pid: number): number {
  let ticks = 0;
  const stack = [pid];
  while (stack.length > 0) {
    const p = stack.pop()!;
    try {
      const stat = readFileSync(`/proc/${p}/stat`, 'utf8');
      const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      ticks += Number(fields[11]) + Number(fields[12]);
      for (const task of readdirSync(`/proc/${p}/task`)) {
        const children = readFileSync(`/proc/${p}/task/${task}/children`, 'utf8').trim();
        if (children) stack.push(...children.split(' ').map(Number));
      }
    } catch {
      // exited meanwhile
    }
  }
  return ticks;
}

function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

/** Throughput against replicas / shards, one panel per curve, each with its ideal line (first point × n, or level for pages). */
export function scaleChartSvg(curves: readonly ScaleCurve[]): string {
  const W = 300;
  const H = 240;
  const pad = { l: 56, r: 12, t: 28, b: 40 };
  const panels = curves.map((curve, i) => {
    const x0 = i * W;
    const base = curve.points[0]?.rps ?? 1;
    const ns = curve.points.map((p) => p.n);
    const maxN = Math.max(...ns);
    const maxY = Math.max(...curve.points.map((p) => p.rps), ...ns.map((n) => base * curve.ideal(n))) * 1.1 || 1;
    const px = (n: number) => x0 + pad.l + ((n - 0) / maxN) * (W - pad.l - pad.r);
    const py = (v: number) => pad.t + (1 - v / maxY) * (H - pad.t - pad.b);
    const line = (pts: [number, number][]) => pts.map(([n, v], j) => `${j ? 'L' : 'M'}${px(n).toFixed(1)},${py(v).toFixed(1)}`).join(' ');
    const ideal = line(ns.map((n) => [n, base * curve.ideal(n)]));
    const measured = line(curve.points.map((p) => [p.n, p.rps]));
    const ticksY = [0, 0.25, 0.5, 0.75, 1].map((f) => {
      const v = maxY * f;
      return `<line x1="${x0 + pad.l}" x2="${x0 + W - pad.r}" y1="${py(v).toFixed(1)}" y2="${py(v).toFixed(1)}" stroke="#eee"/><text x="${x0 + pad.l - 4}" y="${(py(v) + 4).toFixed(1)}" text-anchor="end">${Math.round(v)}</text>`;
    });
    const ticksX = ns.map((n) => `<text x="${px(n).toFixed(1)}" y="${H - pad.b + 14}" text-anchor="middle">${n}</text>`);
    const dots = curve.points.map(
      (p) =>
        `<circle cx="${px(p.n).toFixed(1)}" cy="${py(p.rps).toFixed(1)}" r="3" fill="#1f77b4"/><text x="${px(p.n).toFixed(1)}" y="${(py(p.rps) - 6).toFixed(1)}" text-anchor="middle" fill="#1f77b4">${Math.round(p.rps)}</text>`,
    );
    const axis = curve.id === 'reads' ? 'replicas' : 'shards';
    return [
      `<text x="${x0 + W / 2}" y="16" text-anchor="middle" font-weight="bold">${escapeXml(curve.title)}</text>`,
      ...ticksY,
      ...ticksX,
      `<text x="${x0 + pad.l + (W - pad.l - pad.r) / 2}" y="${H - 8}" text-anchor="middle">${axis}</text>`,
      `<path d="${ideal}" fill="none" stroke="#999" stroke-dasharray="4 3"/>`,
      `<path d="${measured}" fill="none" stroke="#1f77b4" stroke-width="2"/>`,
      ...dots,
    ].join('\n');
  });
  const width = W * curves.length;
  return `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${H + 20}" font-family="sans-serif" font-size="11">
<rect width="100%" height="100%" fill="white"/>
${panels.join('\n')}
<text x="8" y="${H + 14}" fill="#555">requests/s (y) against ${'replicas / shards'} (x); solid: measured; dashed: ideal (the first point × n; level for pages)</text>
</svg>
`;
}

function escapeXml(s: string): string {
  return s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

/** The scale phase as Markdown. */
export function formatScaleReport(r: ScaleResult): string {
  const out: string[] = ['## Scale (npm run bench -- --scale)', '', `Databases: ${r.cgroups}.`, ''];
  const fmt = (v: number | null | undefined, digits = 0) => (v === null || v === undefined ? '—' : v.toFixed(digits));
  for (const c of r.curves) {
    const base = c.points[0]?.rps ?? 0;
    out.push(
      `### ${c.title}`,
      '',
      '| configuration | req/s | × first | target | p99 ms | database CPU µs/req | reads on replicas |',
      '|---|--:|--:|--:|--:|--:|--:|',
    );
    for (const p of c.points) {
      const ratio = base > 0 ? p.rps / base : 0;
      const target = c.target(p.n);
      const met = p === c.points[0] ? '' : ratio >= target ? ' ✓' : ' ✗';
      out.push(
        `| ${p.label} | ${fmt(p.rps)} | ${ratio.toFixed(2)} | ≥ ${target.toFixed(2)}${met} | ${fmt(p.p99Ms, 1)} | ${fmt(p.dbCpuUsPerReq)} | ${p.replicaShare === undefined ? '' : p.replicaShare === null ? '—' : `${(p.replicaShare * 100).toFixed(0)}%`} |`,
      );
    }
    out.push('');
  }
  if (r.oneNode.length > 0) {
    out.push(
      '### One node: the gateway against the plain and the careful baseline',
      '',
      '| scenario | node | gateway req/s | plain req/s | careful req/s | gateway / plain | gateway / careful | database CPU µs/req gateway / plain / careful |',
      '|---|---|--:|--:|--:|--:|--:|--:|',
    );
    for (const row of r.oneNode) {
      out.push(
        `| ${row.scenario} | ${row.capped ? 'capped' : 'uncapped'} | ${fmt(row.gateway.rps)} | ${fmt(row.plain.rps)} | ${fmt(row.careful.rps)} | ${(row.gateway.rps / row.plain.rps).toFixed(2)} | ${(row.gateway.rps / row.careful.rps).toFixed(2)} | ${fmt(row.gateway.dbCpuUsPerReq)} / ${fmt(row.plain.dbCpuUsPerReq)} / ${fmt(row.careful.dbCpuUsPerReq)} |`,
      );
    }
    out.push('');
  }
  if ('skipped' in r.workers) out.push(`serve --workers: not measured (${r.workers.skipped})`, '');
  else {
    const { one, two } = r.workers;
    out.push(
      '### serve --workers, databases uncapped, point reads (1 shard, 3 replicas)',
      '',
      `1 worker ${fmt(one.rps)} req/s, 2 workers ${fmt(two.rps)} req/s: ${(two.rps / one.rps).toFixed(2)}× (target ≥ 1.60×).`,
      '',
    );
  }
  return out.join('\n');
}
