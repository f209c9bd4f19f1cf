import type {
  BenchResult,
  MemoryResult,
  PinnedPhase,
  RoundResult,
  ScenarioResult,
  SideResult,
  TargetVerdict,
  TracingResult,
} from './bench-result.js';

/*
 * Pure functions from measurements to figures, verdicts and Markdown: no
 * I/O here, so the arithmetic and the table layout are unit-tested.
 */

export const RSS_LIMIT_MIB = 150;
export const TRACING_OFF_MAX_COST = 0.02;

/** Averages a side's rounds: throughput and percentiles are means over rounds, failures a sum. */
export function summarizeRounds(label: string, rounds: readonly RoundResult[], statementsPerRequest: number | null): SideResult {
  if (rounds.length === 0) throw new RangeError(`${label}: no rounds`);
  const mean = (pick: (r: RoundResult) => number) => rounds.reduce((sum, r) => sum + pick(r), 0) / rounds.length;
  return {
    label,
    rps: mean((r) => r.rps),
    p50Ms: mean((r) => r.p50Ms),
    p99Ms: mean((r) => r.p99Ms),
    cpuMicrosPerRequest: mean((r) => r.serverCpuMicrosPerRequest),
    systemCpuMicrosPerRequest: mean((r) => r.serverSystemCpuMicrosPerRequest),
    databaseCpuMicrosPerRequest: rounds.some((r) => r.databaseCpuMicrosPerRequest === null)
      ? null
      : mean((r) => r.databaseCpuMicrosPerRequest!),
    preemptionsPerRequest: mean((r) => r.serverPreemptionsPerRequest),
    rounds,
    failures: rounds.reduce((sum, r) => sum + r.non2xx + r.errors + r.timeouts, 0),
    statementsPerRequest,
  };
}

export function ratioOf(gateway: SideResult, baseline: SideResult | null): number | null {
  return baseline && baseline.rps > 0 ? gateway.rps / baseline.rps : null;
}

/**
 * The ratio a scenario's target applies to: against the careful baseline
 * (named, prepared statements) when it was measured, the stricter
 * comparison; else against the plain one.
 */
export function targetRatio(s: ScenarioResult): { ratio: number | null; against: 'careful' | 'plain'; baseline: SideResult | null } {
  if (s.careful !== undefined && s.careful !== null)
    return { ratio: s.carefulRatio ?? ratioOf(s.gateway, s.careful), against: 'careful', baseline: s.careful };
  return { ratio: s.ratio, against: 'plain', baseline: s.baseline };
}

export function evaluateTargets(
  scenarios: readonly ScenarioResult[],
  tracing: readonly TracingResult[],
  memory: MemoryResult,
): TargetVerdict[] {
  const verdicts: TargetVerdict[] = [];
  for (const s of scenarios) {
    if (s.minRatio === null) continue;
    const t = targetRatio(s);
    const plain = t.against === 'careful' && s.ratio !== null ? `; against the plain baseline ${s.ratio.toFixed(2)}` : '';
    verdicts.push({
      name: `${s.id}: gateway/${t.against === 'careful' ? 'careful ' : ''}baseline throughput >= ${s.minRatio.toFixed(2)}`,
      met: t.ratio === null ? null : t.ratio >= s.minRatio,
      detail:
        t.ratio === null
          ? 'no baseline figure'
          : `ratio ${t.ratio.toFixed(2)} (${fmtRps(s.gateway.rps)} vs ${fmtRps(t.baseline!.rps)} req/s)${plain}`,
    });
  }
  const wrong = scenarios.filter((s) => s.gateway.statementsPerRequest !== s.expectedStatements);
  verdicts.push({
    name: 'SQL statements per gateway request = shards touched',
    met: wrong.length === 0,
    detail:
      wrong.length === 0
        ? scenarios.map((s) => `${s.id} ${s.expectedStatements}`).join(', ')
        : wrong.map((s) => `${s.id}: ${s.gateway.statementsPerRequest ?? 'not counted'}, expected ${s.expectedStatements}`).join('; '),
  });
  // Right after the load, not once V8's idle GC has run: what an operator sees while traffic pauses.
  verdicts.push({
    name: `gateway RSS right after the load < ${RSS_LIMIT_MIB} MiB`,
    met: memory.gatewayRssAtEndMiB < RSS_LIMIT_MIB,
    detail: `${mib(memory.gatewayRssAtEndMiB)} right after the last round (${mib(memory.gatewayRssMiB)} after the run, ${mib(
      memory.gatewayPeakRssMiB,
    )} peak, ${mib(memory.gatewayStartRssMiB)} at start)`,
  });
  const available = tracing.filter((t) => t.available);
  if (tracing.length === 0 || available.length === 0) {
    verdicts.push({
      name: `tracing off costs < ${TRACING_OFF_MAX_COST * 100}% (no SDK on the off path)`,
      met: null,
      detail: tracing.length === 0 ? 'tracing not measured' : 'tracing not available: the tracing-on gateway exported no spans',
    });
  } else {
    const sdkWhenOff = tracing.some((t) => t.offTracerRegistered);
    verdicts.push({
      name: `tracing off costs < ${TRACING_OFF_MAX_COST * 100}% (no SDK on the off path)`,
      met: !sdkWhenOff,
      detail: `${sdkWhenOff ? 'a tracer provider is registered with tracing off' : 'no tracer provider registered with tracing off'}; tracing on costs ${available
        .map((t) => `${pct(t.overhead)} (${t.id})`)
        .join(', ')}`,
    });
  }
  const failed = [...scenarios.flatMap((s) => [s.gateway, s.baseline, s.careful ?? null]), ...tracing.flatMap((t) => [t.off, t.on])].filter(
    (side): side is SideResult => side !== null && side.failures > 0,
  );
  verdicts.push({
    name: 'no failed requests under load',
    met: failed.length === 0,
    detail: failed.length === 0 ? 'every response 2xx' : failed.map((s) => `${s.label}: ${s.failures}`).join(', '),
  });
  return verdicts;
}

export function formatReport(result: BenchResult): string {
  const { meta } = result;
  const lines: string[] = [];
  lines.push(`Date: ${meta.date}`);
  lines.push(
    `Machine: ${meta.machine.cores} cores (${meta.machine.cpuModel}), ${meta.machine.memoryGiB.toFixed(1)} GiB RAM, ${meta.machine.os}`,
  );
  lines.push(`Node ${meta.node}, PostgreSQL ${meta.postgres}`);
  lines.push(
    `Command: \`${meta.command}\` (servers with NODE_ENV=${meta.nodeEnv}${meta.serverNodeOptions.length ? ` and node ${meta.serverNodeOptions.join(' ')}` : ''})`,
  );
  lines.push(`Load average (1 min): ${meta.loadAverage.start.toFixed(2)} at start, ${meta.loadAverage.end.toFixed(2)} at end.`);
  lines.push(
    `Load: autocannon in a child process, ${meta.connections} connections, ${meta.rounds} round(s) of ${meta.durationSeconds} s per side, ` +
      `alternating in mirrored order (A B, B A), after a ${meta.warmupSeconds} s warm-up of every scenario on every server; pool max ${meta.poolMax} connections per PostgreSQL node on both sides.`,
  );
  lines.push(
    `Data: ${meta.users} users and their orders (0 to 10 each), identical on both sides (gateway shards: ${meta.usersPerShard.join(' / ')}); deep page = page ${meta.deepPages + 1}.`,
  );
  lines.push(...formatScenarioTable(result.scenarios));
  const controlled = result.scenarios.filter((s) => s.control && s.baseline);
  if (controlled.length > 0) {
    lines.push('');
    lines.push(
      "Control: the same gateway on the baseline's one database (one statement per request), i.e. the gateway's code without the fan-out to three shards:",
    );
    lines.push('');
    lines.push(
      '| scenario | gateway, 3 shards req/s | gateway, 1 database req/s | baseline req/s | 1 database / baseline | CPU µs/req 3 shards / 1 database / baseline | of which kernel µs/req | database CPU µs/req 3 shards / 1 database / baseline | preemptions/req 3 shards / 1 database / baseline |',
    );
    lines.push('|---|--:|--:|--:|--:|--:|--:|--:|--:|');
    for (const s of controlled) {
      const c = s.control!;
      const b = s.baseline!;
      lines.push(
        `| ${s.title} | ${fmtRps(s.gateway.rps)} | ${fmtRps(c.rps)} | ${fmtRps(b.rps)} | ${(c.rps / b.rps).toFixed(2)} | ${cpu(s.gateway)} / ${cpu(c)} / ${cpu(b)} | ${kernel(s.gateway)} / ${kernel(c)} / ${kernel(b)} | ${dbCpu(s.gateway)} / ${dbCpu(c)} / ${dbCpu(b)} | ${[
          s.gateway,
          c,
          b,
        ]
          .map((side) => side.preemptionsPerRequest.toFixed(2))
          .join(' / ')} |`,
      );
    }
  }
  if (result.pinned) lines.push(...formatPinned(result.pinned));
  if (result.tracing.length > 0) {
    lines.push('');
    lines.push(
      '| tracing | off req/s | on req/s | on costs | off p50 / p99 ms | on p50 / p99 ms | CPU µs/req off / on | tracer registered off / on | OTLP exports received |',
    );
    lines.push('|---|--:|--:|--:|--:|--:|--:|--:|--:|');
    for (const t of result.tracing) {
      lines.push(
        `| ${t.title} | ${fmtRps(t.off.rps)} | ${t.available ? fmtRps(t.on.rps) : 'tracing not available'} | ${t.available ? pct(t.overhead) : '—'} | ${latency(t.off)} | ${
          t.available ? latency(t.on) : '—'
        } | ${cpu(t.off)} / ${t.available ? cpu(t.on) : '—'} | ${yesNo(t.offTracerRegistered)} / ${yesNo(t.onTracerRegistered)} | ${t.sinkPosts} (${(t.sinkBytes / 1024).toFixed(0)} KiB) |`,
      );
    }
  }
  lines.push('');
  const m = result.memory;
  lines.push(
    `Memory: gateway RSS ${mib(m.gatewayStartRssMiB)} at start, ${mib(m.gatewayRssAtEndMiB)} right after the last round, ${mib(m.gatewayRssMiB)} ${
      m.settleSeconds === 0
        ? 'after the run'
        : `${m.settleSeconds} s later (${m.gatewayRssMiB < m.gatewayRssAtEndMiB * 0.75 ? 'V8 had collected the garbage of the load' : 'V8 had not yet collected the garbage of the load'})`
    }, peak ${mib(m.gatewayPeakRssMiB)}; baseline RSS ${mib(m.baselineRssMiB)} after the run.`,
  );
  if (m.gatewayAtEnd) {
    const { heapUsedMiB, heapTotalMiB, externalMiB } = m.gatewayAtEnd;
    lines.push(
      `Right after the last round the gateway's V8 heap held ${mib(heapUsedMiB)} (live and not yet collected) of ${mib(heapTotalMiB)} committed; ${mib(
        externalMiB,
      )} outside it (Buffers); the rest of the RSS is code, stacks and malloc.`,
    );
  }
  lines.push('');
  lines.push('Per round req/s (rounds alternate A B, B A, ...):');
  lines.push('');
  for (const s of result.scenarios) {
    lines.push(
      `- ${s.id}: gateway ${s.gateway.rounds.map((r) => fmtRps(r.rps)).join(', ')}${s.baseline ? `; baseline ${s.baseline.rounds.map((r) => fmtRps(r.rps)).join(', ')}` : ''}${
        s.careful ? `; careful ${s.careful.rounds.map((r) => fmtRps(r.rps)).join(', ')}` : ''
      }${s.control ? `; control ${s.control.rounds.map((r) => fmtRps(r.rps)).join(', ')}` : ''}`,
    );
  }
  for (const s of result.pinned?.scenarios ?? []) {
    lines.push(
      `- pinned ${s.id}: gateway ${s.gateway.rounds.map((r) => fmtRps(r.rps)).join(', ')}; baseline ${s.baseline.rounds.map((r) => fmtRps(r.rps)).join(', ')}${
        s.control ? `; control ${s.control.rounds.map((r) => fmtRps(r.rps)).join(', ')}` : ''
      }`,
    );
  }
  for (const t of result.tracing) {
    lines.push(
      `- ${t.id}: off ${t.off.rounds.map((r) => fmtRps(r.rps)).join(', ')}; on ${t.on.rounds.map((r) => fmtRps(r.rps)).join(', ')}`,
    );
  }
  lines.push('');
  lines.push('Targets:');
  lines.push('');
  for (const v of result.targets) lines.push(`- ${v.met === null ? '[n/a]' : v.met ? '[met]' : '[NOT met]'} ${v.name}: ${v.detail}`);
  if (result.profile?.length) {
    lines.push('');
    lines.push('Gateway CPU profile (self time):');
    lines.push('');
    lines.push('```');
    lines.push(...result.profile);
    lines.push('```');
  }
  return `${lines.join('\n')}\n`;
}

/**
 * The main table: the gateway against the plain baseline and, when it was
 * measured, the careful one (named statements) — both ratios; the target
 * applies to the careful ratio when there is one (see targetRatio).
 */
export function formatScenarioTable(scenarios: readonly ScenarioResult[]): string[] {
  const withCareful = scenarios.some((s) => s.careful !== undefined);
  const lines = [''];
  if (withCareful) {
    lines.push(
      'Baselines: "plain" sends unnamed statements (parsed and planned at every execution), "careful" the same SQL as named prepared statements; the target applies to the ratio against the careful one.',
    );
    lines.push('');
  }
  const labels = withCareful ? ['gateway', 'plain', 'careful'] : ['gateway', 'baseline'];
  const who = labels.join(' / ');
  const sides = (s: ScenarioResult, f: (side: SideResult) => string, separator = ' / ') =>
    [s.gateway, s.baseline, ...(withCareful ? [s.careful ?? null] : [])].map((side) => (side ? f(side) : '—')).join(separator);
  const heads = [
    'scenario',
    ...labels.map((l) => `${l} req/s`),
    ...(withCareful ? ['ratio plain', 'ratio careful'] : ['ratio']),
    'target',
    ...labels.map((l) => `${l} p50 / p99 ms`),
    `CPU µs/req ${who}`,
    `database CPU µs/req ${who}`,
    'SQL/req gateway (expected)',
    'SQL/req baseline',
  ];
  lines.push(`| ${heads.join(' | ')} |`);
  lines.push(
    `|---|${heads
      .slice(1)
      .map(() => '--:|')
      .join('')}`,
  );
  for (const s of scenarios) {
    const t = targetRatio(s);
    const cells = [
      s.title,
      sides(s, (side) => fmtRps(side.rps), ' | '),
      ...(withCareful ? [fmtRatio(s.ratio), fmtRatio(s.carefulRatio ?? null)] : [fmtRatio(s.ratio)]),
      s.minRatio === null ? '—' : `≥ ${s.minRatio.toFixed(2)} ${mark(t.ratio !== null && t.ratio >= s.minRatio)}`,
      sides(s, latency, ' | '),
      sides(s, cpu),
      sides(s, dbCpu),
      `${fmtStatements(s.gateway.statementsPerRequest)} (${s.expectedStatements})`,
      s.baseline ? fmtStatements(s.baseline.statementsPerRequest) : '—',
    ];
    lines.push(`| ${cells.join(' | ')} |`);
  }
  return lines;
}

/**
 * The pinned table. A server's core is busy `CPU per request x req/s` of the
 * time: near 100% means the server's own CPU bounds its throughput; well
 * below, the databases' core (or the load generator beside them) does.
 */
export function formatPinned(phase: PinnedPhase): string[] {
  const lines = [''];
  if (phase.plan === null) {
    lines.push(`Pinned phase skipped: ${phase.skipped ?? 'not available'}.`);
    return lines;
  }
  const { plan } = phase;
  lines.push(
    `Pinned: every PostgreSQL process on CPU ${plan.databases}, the server under load on CPU ${plan.servers}, the load generator on CPU ${plan.load} (taskset). ` +
      "Server core busy = CPU per request x req/s: near 100% means the server's own CPU bounds its throughput.",
  );
  lines.push('');
  lines.push(
    '| scenario (pinned) | gateway req/s | baseline req/s | ratio | gateway, 1 database req/s | CPU µs/req gateway / 1 database / baseline | server core busy gateway / baseline | preemptions/req gateway / baseline |',
  );
  lines.push('|---|--:|--:|--:|--:|--:|--:|--:|');
  for (const s of phase.scenarios) {
    lines.push(
      `| ${s.title} | ${fmtRps(s.gateway.rps)} | ${fmtRps(s.baseline.rps)} | ${s.ratio.toFixed(2)} | ${s.control ? fmtRps(s.control.rps) : '—'} | ${cpu(s.gateway)} / ${
        s.control ? cpu(s.control) : '—'
      } / ${cpu(s.baseline)} | ${busy(s.gateway)} / ${busy(s.baseline)} | ${s.gateway.preemptionsPerRequest.toFixed(2)} / ${s.baseline.preemptionsPerRequest.toFixed(2)} |`,
    );
  }
  return lines;
}

/** The share of one core the server used: CPU µs per request x requests per second. */
export function coreBusy(side: SideResult): number {
  return (side.cpuMicrosPerRequest * side.rps) / 1e6;
}

function busy(side: SideResult): string {
  return `${Math.round(coreBusy(side) * 100)}%`;
}

function latency(side: SideResult): string {
  return `${side.p50Ms.toFixed(1)} / ${side.p99Ms.toFixed(1)}`;
}

function cpu(side: SideResult): string {
  return Math.round(side.cpuMicrosPerRequest).toString();
}

function dbCpu(side: SideResult): string {
  return side.databaseCpuMicrosPerRequest === null ? '—' : Math.round(side.databaseCpuMicrosPerRequest).toString();
}

function kernel(side: SideResult): string {
  return Math.round(side.systemCpuMicrosPerRequest).toString();
}

function mib(n: number): string {
  return `${n.toFixed(1)} MiB`;
}

function fmtRps(rps: number): string {
  return rps >= 100 ? Math.round(rps).toString() : rps.toFixed(1);
}

function fmtStatements(n: number | null): string {
  return n === null ? '—' : Number.isInteger(n) ? String(n) : n.toFixed(2);
}

function fmtRatio(r: number | null): string {
  return r === null ? '—' : r.toFixed(2);
}

function pct(x: number): string {
  return `${(x * 100).toFixed(1)}%`;
}

function mark(ok: boolean): string {
  return ok ? '✓' : '✗';
}

function yesNo(b: boolean): string {
  return b ? 'yes' : 'no';
}
