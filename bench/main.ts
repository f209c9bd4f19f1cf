import { mkdir, readdir, readFile, writeFile } from 'node:fs/promises';
import { cpus, loadavg, release, totalmem, type } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { BenchResult, PinnedPhase, PinnedResult, ScenarioResult, SideResult, TracingResult } from './bench-result.js';
import { BENCH_HELP, BenchUsageError, parseBenchArgs, type BenchOptions } from './bench-options.js';
import { cleanUpSync } from '../testkit/cleanup-at-exit.js';
import { startThrowawayCluster, type ThrowawayCluster } from '../testkit/throwaway-cluster.js';
import { prepareData, serverVersion } from './bench-cluster.js';
import { allCpus, hasTaskset, pinPids, planPinning, postgresPids, type PinningPlan } from './cpu-pinning.js';
import { measureSides, warmUp, type MeasureOptions, type Side } from './measure.js';
import { startOtlpSink, type OtlpSink } from './otlp-sink.js';
import { summarizeProfile, type CpuProfile } from './profile-summary.js';
import { evaluateTargets, formatReport, ratioOf } from './report.js';
import { buildScenarios, expectData, expectedStatements, graphqlBody, PAGE_QUERY, type Scenario, type ScenarioId } from './scenarios.js';
import { formatScaleReport, runScale } from './scale.js';
import { ServerProcess } from './server-process.js';
import { stragglerMain } from './straggler.js';

/*
 * `npm run bench`: the gateway against a plain single-database GraphQL
 * server, side by side in one run. Every server and every load round runs in
 * a child process; this process only orchestrates (and hosts the OTLP sink).
 */

const GATEWAY_ENTRY = fileURLToPath(new URL('./gateway-entry.js', import.meta.url));
const BASELINE_ENTRY = fileURLToPath(new URL('./baseline-entry.js', import.meta.url));
const SHARDS = 3;
const REPLICAS = 1;
const MAX_DEEP_PAGES = 50;
/** Compared with tracing off and on: the cheapest request (overhead shows most) and the widest fan-out. */
const TRACING_SCENARIOS: readonly ScenarioId[] = ['point', 'batch100'];
/** Measured again in the pinned phase: the scenarios with a target that the fan-out's scheduling could blur. Quick: the first only. */
const PINNED_SCENARIOS: readonly ScenarioId[] = ['point', 'batch100', 'page20'];
/** How long to wait, at most, for V8's idle GC to collect the load's garbage before the final RSS reading. */
const SETTLE_SECONDS = 60;
const NODE_ENV = 'production';

export async function runBench(opts: BenchOptions, argv: readonly string[]): Promise<BenchResult> {
  const started = Date.now();
  const loadAtStart = loadavg()[0]!;
  const progress = (line: string) => process.stderr.write(`[${((Date.now() - started) / 1000).toFixed(0).padStart(4)}s] ${line}\n`);
  const clusters: ThrowawayCluster[] = [];
  const servers: ServerProcess[] = [];
  let sink: OtlpSink | null = null;
  try {
    progress(`booting the gateway's cluster (${SHARDS} shards x (primary + ${REPLICAS} replica)) and the baseline's single PostgreSQL...`);
    const [gatewayCluster, baselineCluster] = await Promise.all([
      startThrowawayCluster({ name: 'bench-gateway', shards: SHARDS, replicas: REPLICAS }).then((c) => (clusters.push(c), c)),
      startThrowawayCluster({ name: 'bench-baseline', shards: 1, replicas: 0 }).then((c) => (clusters.push(c), c)),
    ]);
    progress(
      `seeding ${opts.users} users and their orders into both (same migrations, same rows; lower(email) index on the baseline's)...`,
    );
    const [usersPerShard] = await Promise.all([
      prepareData(gatewayCluster, opts.users, { orders: true }),
      prepareData(baselineCluster, opts.users, { orders: true, emailIndex: true }),
    ]);
    const postgres = await serverVersion(baselineCluster);

    const env = serverEnv(opts);
    const profileDir = opts.profileDir ? resolve(opts.profileDir) : null;
    if (profileDir) await mkdir(profileDir, { recursive: true });
    if (loadAtStart > cpus().length)
      progress(`warning: load average ${loadAtStart.toFixed(2)} on ${cpus().length} cores: other work will skew the figures`);
    progress('starting the gateway and the baseline servers...');
    const gateway = await ServerProcess.start({
      name: 'gateway',
      script: GATEWAY_ENTRY,
      args: ['--config', gatewayCluster.topologyPath],
      env,
      execArgv: [...opts.serverNodeOptions, ...(profileDir ? ['--cpu-prof', `--cpu-prof-dir=${profileDir}`] : [])],
    });
    servers.push(gateway);
    const baseline = await ServerProcess.start({
      name: 'baseline',
      script: BASELINE_ENTRY,
      args: ['--config', baselineCluster.topologyPath],
      env,
      execArgv: opts.serverNodeOptions,
    });
    servers.push(baseline);
    // The careful hand-written server: the same code with named (prepared) statements, on the same database.
    const careful = opts.careful
      ? await ServerProcess.start({
          name: 'careful baseline',
          script: BASELINE_ENTRY,
          args: ['--config', baselineCluster.topologyPath],
          env: { ...env, BASELINE_PREPARED: '1' },
          execArgv: opts.serverNodeOptions,
        })
      : null;
    if (careful) servers.push(careful);
    const control = opts.control
      ? await ServerProcess.start({
          name: 'gateway on the baseline database',
          script: GATEWAY_ENTRY,
          args: ['--config', baselineCluster.topologyPath],
          env,
          execArgv: opts.serverNodeOptions,
        })
      : null;
    if (control) servers.push(control);
    const gatewayAtStart = await gateway.stats();

    const deepPages = Math.min(MAX_DEEP_PAGES, Math.floor(opts.users / 20) - 2);
    const [gatewayDeepCursor, baselineDeepCursor, controlDeepCursor] = await Promise.all([
      walkPages(gateway.url, deepPages),
      walkPages(baseline.url, deepPages),
      control ? walkPages(control.url, deepPages) : undefined,
    ]);
    const all = buildScenarios({
      users: opts.users,
      shardCount: SHARDS,
      gatewayDeepCursor,
      baselineDeepCursor,
      ...(controlDeepCursor ? { controlDeepCursor } : {}),
      deepPages,
    });
    const chosen = opts.tracingOnly ? [] : opts.scenarios ? all.filter((s) => opts.scenarios!.includes(s.id)) : all;

    const sidesOf = (s: Scenario, withCareful = true): Side[] => [
      { label: 'gateway', server: gateway, bodies: s.gatewayBodies, databaseDirs: [gatewayCluster.dir] },
      ...(s.baselineBodies ? [{ label: 'baseline', server: baseline, bodies: s.baselineBodies, databaseDirs: [baselineCluster.dir] }] : []),
      ...(careful && withCareful && s.baselineBodies
        ? [{ label: 'careful', server: careful, bodies: s.baselineBodies, databaseDirs: [baselineCluster.dir] }]
        : []),
      ...(control && s.controlBodies
        ? [{ label: 'control', server: control, bodies: s.controlBodies, databaseDirs: [baselineCluster.dir] }]
        : []),
    ];
    const measure = (s: Scenario): MeasureOptions => ({
      durationSeconds: opts.durationSeconds,
      // After the warm-up pass below, a short one per scenario brings its code back to the front.
      warmupSeconds: Math.min(1, opts.warmupSeconds),
      rounds: opts.rounds,
      connections: opts.connections,
      countRequests: opts.countRequests,
      unique: s.unique,
      check: s.check,
      progress,
    });

    if (opts.warmupSeconds > 0) {
      progress(`warm-up: every scenario for ${opts.warmupSeconds} s on each server (not measured)...`);
      for (const s of chosen) await warmUp(sidesOf(s), opts.warmupSeconds, { connections: opts.connections, unique: s.unique });
    }

    const scenarios: ScenarioResult[] = [];
    for (const s of chosen) {
      progress(`${s.id}: ${s.title}`);
      const sides = sidesOf(s);
      const results = await measureSides(sides, measure(s));
      const of = (label: string) => results[sides.findIndex((side) => side.label === label)] ?? null;
      const g = of('gateway')!;
      const b = of('baseline');
      const c = of('careful');
      scenarios.push({
        id: s.id,
        title: s.title,
        gateway: g,
        baseline: b,
        ...(careful ? { careful: c, carefulRatio: ratioOf(g, c) } : {}),
        ...(control ? { control: of('control') } : {}),
        ratio: ratioOf(g, b),
        minRatio: s.minRatio,
        expectedStatements: expectedStatements(s, opts.countRequests),
      });
    }

    const tracing: TracingResult[] = [];
    const tracingScenarios = opts.tracing
      ? all.filter((s) => TRACING_SCENARIOS.includes(s.id) && (!opts.scenarios || opts.scenarios.includes(s.id)))
      : [];
    if (tracingScenarios.length > 0) {
      sink = await startOtlpSink();
      progress(`tracing: a second gateway exporting OTLP/HTTP JSON to a discarding sink at ${sink.endpoint}...`);
      const traced = await ServerProcess.start({
        name: 'gateway (tracing on)',
        script: GATEWAY_ENTRY,
        args: ['--config', gatewayCluster.topologyPath],
        env: tracingEnv(env, sink.endpoint, opts.quick),
        execArgv: opts.serverNodeOptions,
      });
      servers.push(traced);
      const offStats = await gateway.stats();
      const onStats = await traced.stats();
      for (const s of tracingScenarios) {
        progress(`tracing: ${s.title}, off vs on`);
        const postsBefore = sink.posts;
        const bytesBefore = sink.bytes;
        const [off, on] = await measureSides(
          [
            { label: 'tracing off', server: gateway, bodies: s.gatewayBodies },
            { label: 'tracing on', server: traced, bodies: s.gatewayBodies },
          ],
          measure(s),
        );
        // The batch span processor exports every few seconds: give the last batch time to arrive.
        await waitFor(() => sink!.posts > postsBefore, opts.quick ? 3_000 : 7_000);
        const posts = sink.posts - postsBefore;
        const row = (id: string, title: string, traced: SideResult): TracingResult => ({
          id,
          title,
          available: posts > 0,
          off: off!,
          on: traced,
          overhead: 1 - traced.rps / off!.rps,
          offTracerRegistered: offStats.tracerRegistered,
          onTracerRegistered: onStats.tracerRegistered,
          sinkPosts: posts,
          sinkBytes: sink!.bytes - bytesBefore,
        });
        tracing.push(row(`tracing:${s.id}`, `${s.title}, tracing off vs on`, on!));
        if (posts === 0) progress('  tracing not available: the tracing-on gateway exported nothing (is src/observability in place?)');
      }
      await traced.stop();
    }

    let pinned: PinnedPhase | undefined;
    const pinnedScenarios = opts.pinned
      ? all
          .filter((s) => PINNED_SCENARIOS.includes(s.id) && (!opts.scenarios || opts.scenarios.includes(s.id)))
          .slice(0, opts.quick ? 1 : undefined)
      : [];
    if (pinnedScenarios.length > 0) {
      const planned = planPinning(cpus().length, hasTaskset());
      if (planned.plan === null) {
        progress(`pinned phase skipped: ${planned.reason}`);
        pinned = { plan: null, skipped: planned.reason, scenarios: [] };
      } else {
        const plan = planned.plan;
        const pinnedServers = [gateway, baseline, ...(control ? [control] : [])];
        const pinAll = (p: PinningPlan | null) => {
          const every = allCpus(cpus().length);
          pinPids(
            clusters.flatMap((c) => postgresPids(c.dir)),
            p?.databases ?? every,
          );
          pinPids(
            pinnedServers.map((s) => s.pid),
            p?.servers ?? every,
          );
        };
        progress(`pinned: PostgreSQL on CPU ${plan.databases}, the servers on CPU ${plan.servers}, the load generator on CPU ${plan.load}`);
        const results: PinnedResult[] = [];
        try {
          pinAll(plan);
          for (const s of pinnedScenarios) {
            progress(`pinned ${s.id}: ${s.title}`);
            const sides = sidesOf(s, false);
            const measured = await measureSides(sides, { ...measure(s), loadCpus: plan.load });
            const of = (label: string) => measured[sides.findIndex((side) => side.label === label)] ?? null;
            const g = of('gateway')!;
            const b = of('baseline')!;
            results.push({ id: s.id, title: s.title, gateway: g, baseline: b, control: of('control'), ratio: ratioOf(g, b) ?? 0 });
          }
        } finally {
          pinAll(null);
        }
        pinned = { plan, skipped: null, scenarios: results };
      }
    }

    const atEnd = await gateway.stats();
    const settleSeconds = opts.quick ? 0 : await settle(gateway, atEnd.rssBytes, progress);
    const gatewayStats = await gateway.stats();
    const baselineStats = await baseline.stats();
    const memory = {
      gatewayRssMiB: gatewayStats.rssBytes / 2 ** 20,
      gatewayRssAtEndMiB: atEnd.rssBytes / 2 ** 20,
      gatewayAtEnd: {
        heapUsedMiB: atEnd.heapUsedBytes / 2 ** 20,
        heapTotalMiB: atEnd.heapTotalBytes / 2 ** 20,
        externalMiB: atEnd.externalBytes / 2 ** 20,
      },
      settleSeconds,
      gatewayPeakRssMiB: gatewayStats.maxRssBytes / 2 ** 20,
      gatewayStartRssMiB: gatewayAtStart.rssBytes / 2 ** 20,
      baselineRssMiB: baselineStats.rssBytes / 2 ** 20,
    };
    await Promise.all(servers.map((s) => s.stop()));
    const profile = profileDir ? await readLatestProfile(profileDir) : null;
    if (profileDir) progress(`gateway CPU profile: ${profile?.path ?? 'none written'}`);

    const cpuList = cpus();
    return {
      meta: {
        date: new Date().toISOString(),
        machine: {
          cores: cpuList.length,
          cpuModel: cpuList[0]?.model.trim() ?? 'unknown',
          memoryGiB: totalmem() / 2 ** 30,
          os: `${type()} ${release()}`,
        },
        node: process.version,
        postgres,
        command: `npm run bench${argv.length ? ` -- ${argv.join(' ')}` : ''}`,
        quick: opts.quick,
        durationSeconds: opts.durationSeconds,
        warmupSeconds: opts.warmupSeconds,
        rounds: opts.rounds,
        connections: opts.connections,
        poolMax: opts.poolMax,
        users: opts.users,
        usersPerShard,
        deepPages,
        loadAverage: { start: loadAtStart, end: loadavg()[0]! },
        nodeEnv: NODE_ENV,
        serverNodeOptions: opts.serverNodeOptions,
      },
      scenarios,
      tracing,
      ...(pinned ? { pinned } : {}),
      memory,
      targets: evaluateTargets(scenarios, tracing, memory),
      ...(profile ? { profile: summarizeProfile(profile.profile) } : {}),
    };
  } finally {
    progress('stopping servers and clusters...');
    await Promise.all(servers.map((s) => s.stop().catch(() => {})));
    await sink?.close();
    await Promise.all(clusters.map((c) => c.destroy().catch(() => {})));
  }
}

/** The servers' environment: the caller's, minus any OTEL_* (tracing stays off unless asked), plus the pool size. */
/** Date, machine, load and command of a scale run. */
function scaleHeader(argv: readonly string[]): string {
  const load = loadavg()[0]!;
  return [
    `- Date: ${new Date().toISOString()}`,
    `- Machine: ${cpus().length} x ${cpus()[0]?.model ?? 'CPU'}, ${(totalmem() / 2 ** 30).toFixed(1)} GiB, ${type()} ${release()}; load average ${load.toFixed(2)} at the end${load > cpus().length ? ' (LOADED: other work skews these figures)' : ''}`,
    `- Node ${process.version}; command: npm run bench -- ${argv.join(' ')}`,
    '',
  ].join('\n');
}

function serverEnv(opts: BenchOptions): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [key, value] of Object.entries(process.env)) if (!key.startsWith('OTEL_')) env[key] = value;
  env.SHARDGATE_POOL_MAX = String(opts.poolMax);
  env.LOG_LEVEL = 'warn';
  // As in the production image (docker/Dockerfile); graphql-js skips its development checks.
  env.NODE_ENV = NODE_ENV;
  return env;
}

function tracingEnv(env: NodeJS.ProcessEnv, endpoint: string, quick: boolean): NodeJS.ProcessEnv {
  return {
    ...env,
    // Quick rounds last a second: export sooner than the default 5 s, so the spans arrive within the run.
    ...(quick ? { OTEL_BSP_SCHEDULE_DELAY: '500' } : {}),
    OTEL_SERVICE_NAME: 'shardgate-bench',
    OTEL_TRACES_EXPORTER: 'otlp',
    OTEL_EXPORTER_OTLP_ENDPOINT: endpoint,
    OTEL_EXPORTER_OTLP_PROTOCOL: 'http/json',
    OTEL_METRICS_EXPORTER: 'none',
    OTEL_LOGS_EXPORTER: 'none',
  };
}

/** The endCursor after `pages` pages of 20, read one by one. */
async function walkPages(url: string, pages: number): Promise<string> {
  let after: string | null = null;
  for (let i = 0; i < pages; i++) {
    const response = await fetch(url, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: graphqlBody(PAGE_QUERY, { after }),
    });
    const body = (await response.json()) as { data?: { users?: { pageInfo?: { endCursor?: string } } } };
    expectData(body, 'users', (page) => typeof (page as { pageInfo?: { endCursor?: unknown } }).pageInfo?.endCursor === 'string');
    after = body.data!.users!.pageInfo!.endCursor!;
  }
  if (after === null) throw new Error('deep page: no pages walked');
  return after;
}

/**
 * Right after the load, the gateway's RSS is mostly garbage V8 has not
 * collected yet (on a machine with much memory it lets the heap grow to 4x
 * the live size). V8 collects it when the process goes idle; wait for that —
 * RSS down by a quarter — or SETTLE_SECONDS, whichever comes first.
 */
async function settle(gateway: ServerProcess, rssAtEnd: number, progress: (line: string) => void): Promise<number> {
  progress(
    `gateway RSS ${(rssAtEnd / 2 ** 20).toFixed(1)} MiB right after the load; waiting up to ${SETTLE_SECONDS} s for V8's idle GC...`,
  );
  const start = Date.now();
  while (Date.now() - start < SETTLE_SECONDS * 1000) {
    await new Promise((r) => setTimeout(r, 1000));
    if ((await gateway.stats()).rssBytes < rssAtEnd * 0.75) break;
  }
  return Math.round((Date.now() - start) / 1000);
}

async function waitFor(condition: () => boolean, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition() && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
}

async function readLatestProfile(dir: string): Promise<{ path: string; profile: CpuProfile } | null> {
  const files = (await readdir(dir)).filter((f) => f.endsWith('.cpuprofile')).sort();
  const latest = files.at(-1);
  if (!latest) return null;
  const path = join(dir, latest);
  return { path, profile: JSON.parse(await readFile(path, 'utf8')) as CpuProfile };
}

export async function main(argv: readonly string[]): Promise<number> {
  // The hedged-reads scenario runs on its own (bench/straggler.ts).
  if (argv.includes('--straggler')) return stragglerMain(argv.filter((a) => a !== '--straggler'));
  let opts: BenchOptions | null;
  try {
    opts = parseBenchArgs(argv);
  } catch (err) {
    if (!(err instanceof BenchUsageError) && !(err instanceof TypeError)) throw err;
    process.stderr.write(`error: ${err.message}\n\n${BENCH_HELP}\n`);
    return 2;
  }
  if (opts === null) {
    process.stdout.write(`${BENCH_HELP}\n`);
    return 0;
  }
  try {
    if (opts.scale) {
      const started = Date.now();
      const progress = (line: string) => process.stderr.write(`[${((Date.now() - started) / 1000).toFixed(0).padStart(4)}s] ${line}\n`);
      const scale = await runScale(
        {
          quick: opts.quick,
          durationSeconds: opts.durationSeconds,
          warmupSeconds: opts.warmupSeconds,
          rounds: opts.rounds,
          connections: opts.connections,
          poolMax: opts.poolMax,
          users: opts.users,
          cpuPercent: opts.cpuPercent,
          periodUs: opts.cpuPeriodUs,
          chart: opts.chart,
          readsOnly: opts.readsOnly,
        },
        progress,
        serverEnv(opts),
      );
      process.stdout.write(`${scaleHeader(argv)}\n${formatScaleReport(scale)}`);
      if (opts.out) await writeFile(opts.out, `${JSON.stringify(scale, null, 2)}\n`);
      return 0;
    }
    const result = await runBench(opts, argv);
    process.stdout.write(formatReport(result));
    if (opts.out) await writeFile(opts.out, `${JSON.stringify(result, null, 2)}\n`);
    return 0;
  } catch (err) {
    process.stderr.write(`bench failed: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
    return 1;
  } finally {
    cleanUpSync();
  }
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  process.exitCode = await main(process.argv.slice(2));
}
