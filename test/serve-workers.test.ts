import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import type { Topology } from '../src/config/topology.js';
import { findFreePortRange } from '../testkit/free-port-range.js';
import { eventually } from './support/gateway-fixture.js';
import { gatewayConnections } from './support/gateway-connections.js';
import { useSharedDatabase } from './support/use-shared-database.js';

interface LogLine {
  readonly msg: string;
  readonly pid: number;
  readonly worker?: number;
  readonly workerPid?: number;
}

/** The value of one sample of `name` whose labels include every pair of `labels`, summed over the matching samples. */
function sample(text: string, name: string, labels: Record<string, string> = {}): number | null {
  let sum: number | null = null;
  for (const line of text.split('\n')) {
    if (!line.startsWith(`${name}{`) && !line.startsWith(`${name} `)) continue;
    if (!Object.entries(labels).every(([k, v]) => line.includes(`${k}="${v}"`))) continue;
    sum = (sum ?? 0) + Number(line.slice(line.lastIndexOf(' ') + 1));
  }
  return sum;
}

describe('shardgate serve --workers 2 (real processes)', () => {
  it('serves on one port from two workers; /metrics sums them; a killed worker is replaced; SIGHUP reloads and SIGTERM drains both', async () => {
    const db = await useSharedDatabase('serve-workers');
    const topology = db.topology as Topology;
    const port = await findFreePortRange(1);
    const applicationName = `sg-workers-${port}`;
    const child = spawn(
      process.execPath,
      ['bin/shardgate.js', 'serve', '--config', db.topologyPath, '--port', String(port), '--host', '127.0.0.1', '--workers', '2'],
      { env: { ...process.env, LOG_LEVEL: 'info', SHARDGATE_APPLICATION_NAME: applicationName }, stdio: ['ignore', 'pipe', 'pipe'] },
    );
    const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
    let stdout = '';
    child.stdout.on('data', (d) => (stdout += d));
    const logs: LogLine[] = [];
    let partial = '';
    child.stderr.on('data', (d) => {
      const lines = (partial + String(d)).split('\n');
      partial = lines.pop()!;
      for (const line of lines) {
        try {
          logs.push(JSON.parse(line) as LogLine);
        } catch {
          // not a log line
        }
      }
    });
    const url = `http://127.0.0.1:${port}`;
    const metrics = async () => (await fetch(`${url}/metrics`)).text();
    const query = async (i: number) => {
      const r = await fetch(`${url}/graphql`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ query: `{ s${i}: shards { id } }` }),
      });
      return r.status;
    };
    try {
      await eventually(() => stdout.includes('GraphiQL:') || child.exitCode !== null, 120_000, 'the ready line');
      expect(stdout).toContain('shardgate is serving with 2 workers; GraphiQL:');
      const started = logs.filter((l) => l.msg === 'worker started');
      expect(started).toHaveLength(2);

      // Both workers serve, and each opened its own pools.
      for (let i = 0; i < 40; i++) expect(await query(i)).toBe(200);
      let text = await metrics();
      expect(sample(text, 'shardgate_workers')).toBe(2);
      // Counters are summed over the workers: every operation above is counted once, whichever worker served it.
      expect(sample(text, 'shardgate_graphql_requests_total', { operation_type: 'query', outcome: 'ok' })).toBe(40);
      expect(sample(text, 'shardgate_graphql_request_duration_seconds_count')).toBe(40);
      // Each worker's own view of the nodes is labelled with the worker, not summed.
      for (const w of started) {
        expect(sample(text, 'shardgate_node_up', { shard: '0', role: 'primary', worker: String(w.worker) })).toBe(1);
      }
      expect(sample(text, 'shardgate_worker_restarts_total')).toBe(0);

      // A worker that dies is replaced, and the other serves meanwhile.
      const victim = started[0]!;
      process.kill(victim.workerPid!, 'SIGKILL');
      await eventually(
        () => logs.some((l) => l.msg.startsWith('worker died') && l.workerPid === victim.workerPid),
        10_000,
        'the death logged',
      );
      for (let i = 40; i < 50; i++) expect(await query(i)).toBe(200);
      await eventually(() => logs.filter((l) => l.msg === 'worker started').length === 3, 90_000, 'a new worker');
      await eventually(async () => sample(await metrics(), 'shardgate_workers') === 2, 90_000, 'two workers again');
      text = await metrics();
      expect(sample(text, 'shardgate_worker_restarts_total')).toBe(1);

      // SIGHUP to the primary: every live worker reloads the topology file.
      const live = logs.filter((l) => l.msg === 'worker started' && l.workerPid !== victim.workerPid).map((l) => l.workerPid!);
      child.kill('SIGHUP');
      await eventually(
        () => live.every((pid) => logs.some((l) => l.pid === pid && l.msg.startsWith('topology reloaded'))),
        20_000,
        'both workers reloaded',
      );
      expect(await query(60)).toBe(200);

      // SIGTERM: every worker drains and closes its pools; the primary exits 0.
      child.kill('SIGTERM');
      expect(await exited).toBe(0);
      expect(logs.filter((l) => l.msg === 'worker stopped')).toHaveLength(2);
      await expect(fetch(`${url}/healthz`)).rejects.toThrow();
      for (const shard of topology.shards) {
        expect(await gatewayConnections(shard.primary, applicationName)).toBe(0);
        expect(await gatewayConnections(shard.replicas[0]!, applicationName)).toBe(0);
      }
    } catch (err) {
      console.log(JSON.stringify(logs.map((l) => [l.pid, l.workerPid, l.msg])));
      throw err;
    } finally {
      // Workers exit when their primary's channel closes; kill any left, only if it is still our primary's child.
      for (const l of logs) if (l.msg === 'worker started') killWorker(l.workerPid!, child.pid!);
      if (child.exitCode === null) child.kill('SIGKILL');
    }
  }, 420_000);

  it('refuses a bad --workers value before starting anything', async () => {
    const child = spawn(process.execPath, ['bin/shardgate.js', 'serve', '--config', '/nonexistent.json', '--workers', 'lots'], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stderr = '';
    child.stderr.on('data', (d) => (stderr += d));
    const code = await new Promise<number | null>((resolve) => child.on('exit', (c) => resolve(c)));
    expect(code).not.toBe(0);
    expect(stderr).toContain('--workers: expected an integer between 1 and 256 or "auto", got "lots"');
  });
});

function killWorker(pid: number, parent: number): void {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    if (Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]) === parent) process.kill(pid, 'SIGKILL');
  } catch {
    // already gone
  }
}
