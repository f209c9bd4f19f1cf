import { describe, expect, it } from 'vitest';
import type { BenchResult, MemoryResult, RoundResult, ScenarioResult, TracingResult } from './bench-result.js';
import { evaluateTargets, formatReport, formatScenarioTable, ratioOf, summarizeRounds, targetRatio } from './report.js';

function round(rps: number, p50Ms = 2, p99Ms = 9, failures = 0, cpu = 500): RoundResult {
  return {
    requests: rps * 5,
    durationSeconds: 5,
    rps,
    p50Ms,
    p99Ms,
    meanMs: p50Ms,
    non2xx: failures,
    errors: 0,
    timeouts: 0,
    serverCpuMicrosPerRequest: cpu,
    serverSystemCpuMicrosPerRequest: cpu / 4,
    databaseCpuMicrosPerRequest: cpu / 2,
    serverPreemptionsPerRequest: 0.1,
  };
}

function scenario(
  id: string,
  gatewayRps: number,
  baselineRps: number | null,
  minRatio: number | null,
  statements = 3,
  expected = 3,
): ScenarioResult {
  const gateway = summarizeRounds('gateway', [round(gatewayRps)], statements);
  const baseline = baselineRps === null ? null : summarizeRounds('baseline', [round(baselineRps)], 1);
  return { id, title: `${id} title`, gateway, baseline, ratio: ratioOf(gateway, baseline), minRatio, expectedStatements: expected };
}

const memory: MemoryResult = {
  gatewayRssMiB: 120,
  gatewayRssAtEndMiB: 170,
  settleSeconds: 20,
  gatewayPeakRssMiB: 190,
  gatewayStartRssMiB: 100,
  baselineRssMiB: 80,
};

function tracing(available: boolean, offRps = 1000, onRps = 900, offTracerRegistered = false): TracingResult {
  return {
    id: 'tracing:point',
    title: 'point, tracing off vs on',
    available,
    off: summarizeRounds('tracing off', [round(offRps)], null),
    on: summarizeRounds('tracing on', [round(onRps)], null),
    overhead: 1 - onRps / offRps,
    offTracerRegistered,
    onTracerRegistered: available,
    sinkPosts: available ? 4 : 0,
    sinkBytes: available ? 4096 : 0,
  };
}

describe('summarizeRounds', () => {
  it('averages throughput and percentiles over rounds and sums failures', () => {
    const side = summarizeRounds('gateway', [round(1000, 2, 10, 0, 400), round(1200, 4, 14, 3, 600)], 1);
    expect(side.rps).toBe(1100);
    expect(side.cpuMicrosPerRequest).toBe(500);
    expect(side.p50Ms).toBe(3);
    expect(side.p99Ms).toBe(12);
    expect(side.failures).toBe(3);
    expect(side.statementsPerRequest).toBe(1);
  });

  it('refuses no rounds', () => {
    expect(() => summarizeRounds('gateway', [], 1)).toThrow(RangeError);
  });
});

function minimalResult(): BenchResult {
  return {
    meta: {
      date: '2026-11-23T22:00:00.000Z',
      machine: { cores: 2, cpuModel: 'Test CPU', memoryGiB: 4, os: 'Linux 6' },
      node: 'v20.20.2',
      postgres: '15.18',
      command: 'npm run bench',
      quick: false,
      durationSeconds: 6,
      warmupSeconds: 2,
      rounds: 2,
      connections: 16,
      poolMax: 10,
      users: 50000,
      usersPerShard: [16000, 17000, 17000],
      deepPages: 50,
      loadAverage: { start: 0.5, end: 1.5 },
      nodeEnv: 'production',
      serverNodeOptions: [],
    },
    scenarios: [],
    tracing: [],
    memory,
    targets: [],
  };
}

describe('evaluateTargets', () => {
  it('meets a ratio target at the limit and misses it below', () => {
    const verdicts = evaluateTargets(
      [scenario('point', 950, 1000, 0.95, 1, 1), scenario('page20', 790, 1000, 0.8)],
      [tracing(true)],
      memory,
    );
    expect(verdicts.find((v) => v.name.startsWith('point:'))?.met).toBe(true);
    expect(verdicts.find((v) => v.name.startsWith('page20:'))?.met).toBe(false);
  });

  it('skips gateway-only scenarios for ratios but checks their statements', () => {
    const verdicts = evaluateTargets([scenario('entities100', 500, null, null, 2, 3)], [], memory);
    expect(verdicts.some((v) => v.name.startsWith('entities100:'))).toBe(false);
    const statements = verdicts.find((v) => v.name.startsWith('SQL statements'))!;
    expect(statements.met).toBe(false);
    expect(statements.detail).toContain('entities100: 2, expected 3');
  });

  it('checks the RSS limit on the figure right after the load and shows the others', () => {
    expect(evaluateTargets([], [], memory).find((v) => v.name.includes('RSS'))).toMatchObject({
      met: false,
      detail: '170.0 MiB right after the last round (120.0 MiB after the run, 190.0 MiB peak, 100.0 MiB at start)',
    });
    expect(evaluateTargets([], [], { ...memory, gatewayRssAtEndMiB: 149 }).find((v) => v.name.includes('RSS'))?.met).toBe(true);
  });

  it('says "tracing not available" when nothing was exported, and fails when the off path has an SDK', () => {
    const off = (t: TracingResult[]) => evaluateTargets([], t, memory).find((v) => v.name.startsWith('tracing off'))!;
    expect(off([tracing(false)])).toMatchObject({ met: null, detail: expect.stringContaining('tracing not available') });
    expect(off([tracing(true)])).toMatchObject({ met: true, detail: expect.stringContaining('tracing on costs 10.0%') });
    expect(off([tracing(true, 1000, 900, true)]).met).toBe(false);
  });

  it('reports failed requests', () => {
    const s = scenario('point', 1000, 1000, 0.95, 1, 1);
    const failing = { ...s, gateway: summarizeRounds('gateway', [round(1000, 2, 9, 7)], 1) };
    expect(evaluateTargets([failing], [], memory).find((v) => v.name.startsWith('no failed'))).toMatchObject({
      met: false,
      detail: 'gateway: 7',
    });
  });
});

describe('formatReport', () => {
  it("adds the pinned table with each server core's busy share, or says why the phase was skipped", () => {
    const g = summarizeRounds('gateway', [round(2000, 2, 9, 0, 450)], 1);
    const b = summarizeRounds('baseline', [round(2500, 2, 9, 0, 380)], 1);
    const c = summarizeRounds('control', [round(2400, 2, 9, 0, 400)], 1);
    const pinned = {
      plan: { databases: '0', servers: '1', load: '0' },
      skipped: null,
      scenarios: [{ id: 'point', title: 'point title', gateway: g, baseline: b, control: c, ratio: 0.8 }],
    };
    const text = formatReport({ ...minimalResult(), pinned });
    expect(text).toContain('every PostgreSQL process on CPU 0, the server under load on CPU 1, the load generator on CPU 0');
    expect(text).toContain('| point title | 2000 | 2500 | 0.80 | 2400 | 450 / 400 / 380 | 90% / 95% | 0.10 / 0.10 |');
    expect(text).toContain('- pinned point: gateway 2000; baseline 2500; control 2400');
    expect(formatReport({ ...minimalResult(), pinned: { plan: null, skipped: '1 core: nothing to keep apart', scenarios: [] } })).toContain(
      'Pinned phase skipped: 1 core: nothing to keep apart.',
    );
  });

  it('adds the control table when the gateway also ran on the baseline database', () => {
    const s = { ...scenario('page20', 600, 1200, 0.8), control: summarizeRounds('control', [round(1150, 2, 9, 0, 520)], 1) };
    const result = { ...minimalResult(), scenarios: [s] };
    expect(formatReport(result)).toContain(
      '| page20 title | 600 | 1150 | 1200 | 0.96 | 500 / 520 / 500 | 125 / 130 / 125 | 250 / 260 / 250 | 0.10 / 0.10 / 0.10 |',
    );
  });

  it('prints one table row per scenario, marks targets, and lists the verdicts', () => {
    const scenarios = [scenario('point', 1000, 1000, 0.95, 1, 1), scenario('entities100', 400, null, null)];
    const tracings = [tracing(false)];
    const result: BenchResult = { ...minimalResult(), scenarios, tracing: tracings, targets: evaluateTargets(scenarios, tracings, memory) };
    const text = formatReport(result);
    expect(text).toContain('| point title | 1000 | 1000 | 1.00 | ≥ 0.95 ✓ | 2.0 / 9.0 | 2.0 / 9.0 | 500 / 500 | 250 / 250 | 1 (1) | 1 |');
    expect(text).toContain('| entities100 title | 400 | — | — | — |');
    expect(text).toContain('| point, tracing off vs on | 1000 | tracing not available |');
    expect(text).toContain('- [met] point: gateway/baseline throughput >= 0.95');
    expect(text).toContain('- [n/a] tracing off costs');
    expect(text).toContain('pool max 10 connections per PostgreSQL node on both sides');
    expect(text).not.toContain('Control:');
    expect(text).toContain(
      'Memory: gateway RSS 100.0 MiB at start, 170.0 MiB right after the last round, 120.0 MiB 20 s later (V8 had collected the garbage of the load)',
    );
  });

  it('puts the careful baseline beside the plain one, both ratios, and sets the target against the careful one', () => {
    const plain = scenario('nestedOrders', 900, 1000, 0.9, 6, 6);
    const careful = summarizeRounds('careful', [round(1200, 3, 11, 0, 450)], 2);
    const s: ScenarioResult = { ...plain, careful, carefulRatio: ratioOf(plain.gateway, careful) };
    const entities = { ...scenario('entities100', 400, null, null), careful: null, carefulRatio: null };
    expect(targetRatio(s)).toMatchObject({ against: 'careful', ratio: 0.75 });
    expect(targetRatio(plain)).toMatchObject({ against: 'plain', ratio: 0.9 });
    const table = formatScenarioTable([s, entities]);
    expect(table).toContain(
      '| scenario | gateway req/s | plain req/s | careful req/s | ratio plain | ratio careful | target | gateway p50 / p99 ms | plain p50 / p99 ms | careful p50 / p99 ms | CPU µs/req gateway / plain / careful | database CPU µs/req gateway / plain / careful | SQL/req gateway (expected) | SQL/req baseline |',
    );
    expect(table).toContain('|---|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|');
    expect(table).toContain(
      '| nestedOrders title | 900 | 1000 | 1200 | 0.90 | 0.75 | ≥ 0.90 ✗ | 2.0 / 9.0 | 2.0 / 9.0 | 3.0 / 11.0 | 500 / 500 / 450 | 250 / 250 / 225 | 6 (6) | 1 |',
    );
    expect(table.find((l) => l.startsWith('| entities100 title |'))).toBe(
      '| entities100 title | 400 | — | — | — | — | — | 2.0 / 9.0 | — | — | 500 / — / — | 250 / — / — | 3 (3) | — |',
    );
    const [verdict] = evaluateTargets([s], [], memory);
    expect(verdict).toMatchObject({ name: 'nestedOrders: gateway/careful baseline throughput >= 0.90', met: false });
    expect(verdict!.detail).toBe('ratio 0.75 (900 vs 1200 req/s); against the plain baseline 0.90');
  });
});
