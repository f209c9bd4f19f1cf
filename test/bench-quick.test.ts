import { execFileSync, spawn } from 'node:child_process';
import { chmodSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { BenchResult } from '../bench/bench-result.js';

/*
 * `npm run bench -- --quick`: the benchmark's own clusters (not the shared
 * test cluster), a tiny seed, one 1 s round per side. Not a performance
 * test: it proves the bench runs end to end, produces a row for every
 * scenario, counts statements right (the shards each request touches), and
 * leaves nothing behind.
 */

const ROOT = resolve(import.meta.dirname, '..');
const MAIN = join(ROOT, 'dist-bench/bench/main.js');

/** The bench compiles apart from the product (bench/tsconfig.json): build it when it is missing or older than its sources. */
function ensureBuilt(): void {
  const newestSource = (dir: string): number =>
    Math.max(
      0,
      ...readdirSync(dir, { withFileTypes: true }).map((e) =>
        e.isDirectory() ? newestSource(join(dir, e.name)) : e.name.endsWith('.ts') ? statSync(join(dir, e.name)).mtimeMs : 0,
      ),
    );
  const newest = Math.max(...['src', 'bench', 'testkit'].map((dir) => newestSource(join(ROOT, dir))));
  if (existsSync(MAIN) && statSync(MAIN).mtimeMs >= newest) return;
  execFileSync(process.execPath, [join(ROOT, 'node_modules/typescript/bin/tsc'), '-p', 'bench/tsconfig.json'], {
    cwd: ROOT,
    stdio: 'inherit',
  });
}

interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
}

function runQuickBench(out: string, tmp: string): Promise<Run> {
  return new Promise((resolveRun, reject) => {
    // The bench's temp directories (its clusters) go under `tmp`, so the test can see that it removed them.
    const child = spawn(process.execPath, [MAIN, '--quick', '--out', out], {
      cwd: ROOT,
      env: { ...process.env, TMPDIR: tmp },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    // SIGTERM lets the bench stop its servers and clusters itself.
    const timer = setTimeout(() => child.kill('SIGTERM'), 300_000);
    child.once('error', reject);
    child.once('exit', (code) => {
      clearTimeout(timer);
      resolveRun({ code, stdout, stderr });
    });
  });
}

describe('npm run bench -- --quick', () => {
  let tmp: string;
  let run: Run;
  let result: BenchResult;

  beforeAll(async () => {
    ensureBuilt();
    tmp = mkdtempSync(join(tmpdir(), 'shardgate-bench-quick-'));
    // PostgreSQL runs as the postgres user when the tests run as root: it must be able to reach its directories.
    chmodSync(tmp, 0o755);
    const out = join(tmp, 'quick.json');
    run = await runQuickBench(out, tmp);
    if (run.code !== 0) throw new Error(`bench exited with ${run.code}:\n${run.stderr.slice(-3000)}`);
    result = JSON.parse(readFileSync(out, 'utf8')) as BenchResult;
  }, 340_000);

  afterAll(() => {
    if (tmp) rmSync(tmp, { recursive: true, force: true });
  });

  it('produces a result row for every scenario, gateway against baseline', () => {
    expect(result.meta.quick).toBe(true);
    expect(result.scenarios.map((s) => s.id)).toEqual([
      'point',
      'batch100',
      'page20',
      'deepPage',
      'createUser',
      'entities100',
      'nestedOrders',
      'usersByEmail',
    ]);
    for (const s of result.scenarios) {
      expect(s.gateway.rps, s.id).toBeGreaterThan(0);
      expect(s.gateway.rounds, s.id).toHaveLength(1);
      if (s.id === 'entities100') {
        expect(s.baseline).toBeNull();
        expect(s.careful).toBeNull();
      } else {
        expect(s.baseline?.rps, s.id).toBeGreaterThan(0);
        expect(s.ratio, s.id).toBeGreaterThan(0);
        // The careful baseline (named statements) beside the plain one, both ratios reported.
        expect(s.careful?.rps, s.id).toBeGreaterThan(0);
        expect(s.carefulRatio, s.id).toBeGreaterThan(0);
      }
    }
    expect(result.tracing.map((t) => t.id)).toEqual(['tracing:point', 'tracing:batch100']);
    for (const t of result.tracing) {
      expect(t.off.rps).toBeGreaterThan(0);
      expect(t.on.rps).toBeGreaterThan(0);
      expect(t.offTracerRegistered).toBe(false);
    }
    expect(result.memory.gatewayRssMiB).toBeGreaterThan(0);
  });

  it('measures the point lookup again with PostgreSQL and the servers on separate cores, when the machine has two', () => {
    const pinned = result.pinned!;
    if (pinned.plan === null) {
      expect(pinned.skipped).toBeTruthy();
      expect(run.stdout).toContain('Pinned phase skipped');
      return;
    }
    expect(pinned.scenarios.map((s) => s.id)).toEqual(['point']);
    const [point] = pinned.scenarios;
    for (const side of [point!.gateway, point!.baseline]) {
      expect(side.rps).toBeGreaterThan(0);
      expect(side.cpuMicrosPerRequest).toBeGreaterThan(0);
      expect(side.failures).toBe(0);
    }
    expect(point!.gateway.statementsPerRequest).toBe(1);
    expect(run.stdout).toContain('| scenario (pinned) |');
  });

  it('counts as many SQL statements per gateway request as shards touched (createUser: the email claim and the row), and one per baseline request (two for nested orders)', () => {
    const statements = Object.fromEntries(result.scenarios.map((s) => [s.id, s.gateway.statementsPerRequest]));
    // Nested orders: the users and their orders, one statement each per shard; by email: the lookup, then the owner unless it lives beside it.
    expect(statements).toEqual({
      point: 1,
      batch100: 3,
      page20: 3,
      deepPage: 3,
      createUser: 2,
      entities100: 3,
      nestedOrders: 6,
      // 1 for an email whose lookup row is beside its owner, 2 otherwise: averaged over the counted requests.
      usersByEmail: expect.any(Number),
    });
    expect(statements.usersByEmail).toBeGreaterThanOrEqual(1);
    expect(statements.usersByEmail).toBeLessThanOrEqual(2);
    for (const s of result.scenarios) {
      expect(s.expectedStatements, s.id).toBe(s.gateway.statementsPerRequest);
      // The baseline's DataLoader batches every user's orders into one statement beside the users'.
      if (s.baseline) expect(s.baseline.statementsPerRequest, s.id).toBe(s.id === 'nestedOrders' ? 2 : 1);
      if (s.careful) expect(s.careful.statementsPerRequest, s.id).toBe(s.baseline!.statementsPerRequest);
    }
    expect(result.targets.find((t) => t.name.startsWith('SQL statements'))?.met).toBe(true);
  });

  it('answers every request under load and prints the report with a verdict per target', () => {
    expect(result.targets.find((t) => t.name.startsWith('no failed'))?.met).toBe(true);
    expect(run.stdout).toContain('| scenario | gateway req/s | plain req/s | careful req/s | ratio plain | ratio careful |');
    expect(run.stdout).toMatch(/- \[(met|NOT met|n\/a)\] page20: gateway\/careful baseline throughput >= 0\.80/);
  });

  it('stops its servers and removes its clusters', () => {
    expect(readdirSync(tmp).filter((name) => name.startsWith('shardgate-bench-'))).toEqual([]);
    expect(run.stderr).toContain('stopping servers and clusters...');
  });
});
