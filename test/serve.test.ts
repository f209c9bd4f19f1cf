import { spawn } from 'node:child_process';
import pg from 'pg';
import { describe, expect, it } from 'vitest';
import type { Topology } from '../src/config/topology.js';
import { findFreePortRange } from '../testkit/free-port-range.js';
import { useSharedDatabase } from './support/use-shared-database.js';

/** Connections the gateway holds on a node, seen from PostgreSQL itself. */
async function gatewayConnections(node: Topology['shards'][number]['primary'], applicationName: string): Promise<number> {
  const client = new pg.Client({ host: node.host, port: node.port, user: node.user, database: 'postgres' });
  client.on('error', () => {});
  await client.connect();
  try {
    const { rows } = await client.query<{ n: number }>('SELECT count(*)::int AS n FROM pg_stat_activity WHERE application_name = $1', [applicationName]);
    return rows[0]!.n;
  } finally {
    await client.end();
  }
}

describe('shardgate serve (a real process)', () => {
  it('serves, then on SIGTERM finishes in-flight requests, closes every pool and exits 0', async () => {
    const db = await useSharedDatabase('serve');
    const topology = db.topology as Topology;
    const port = await findFreePortRange(1);
    const applicationName = `sg-serve-${port}`;
    const child = spawn(process.execPath, ['bin/shardgate.js', 'serve', '--config', db.topologyPath, '--port', String(port), '--host', '127.0.0.1'], {
      env: { ...process.env, LOG_LEVEL: 'silent', SHARDGATE_APPLICATION_NAME: applicationName },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
    try {
      let stdout = '';
      child.stdout.on('data', (d) => (stdout += d));
      const deadline = Date.now() + 20_000;
      while (!stdout.includes('GraphiQL:')) {
        if (Date.now() > deadline) throw new Error(`serve did not start: ${stdout}`);
        await new Promise((r) => setTimeout(r, 50));
      }
      expect(stdout).toContain(`shardgate is serving 3 shard(s); GraphiQL: http://localhost:${port}/graphql`);
      const url = `http://127.0.0.1:${port}`;
      const ready = await fetch(`${url}/readyz`);
      expect(ready.status).toBe(200);
      const query = (i: number) =>
        fetch(`${url}/graphql`, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify({ query: `{ shards { id } u${i}: user(userId: "u${i}") { userId } }` }),
        });
      await query(0);
      expect(await gatewayConnections(topology.shards[0]!.primary, applicationName)).toBeGreaterThan(0);

      // Requests in flight when the signal arrives still get their answers.
      const inFlight = Array.from({ length: 20 }, (_, i) => query(i));
      await new Promise((r) => setTimeout(r, 5));
      child.kill('SIGTERM');
      const responses = await Promise.allSettled(inFlight);
      const answered = responses.filter((r) => r.status === 'fulfilled' && r.value.status === 200);
      expect(answered.length).toBeGreaterThan(0);
      for (const r of responses) if (r.status === 'fulfilled') expect(r.value.status).toBe(200);

      expect(await exited).toBe(0);
      await expect(fetch(`${url}/healthz`)).rejects.toThrow();
      for (const shard of topology.shards) {
        expect(await gatewayConnections(shard.primary, applicationName)).toBe(0);
        expect(await gatewayConnections(shard.replicas[0]!, applicationName)).toBe(0);
      }
    } finally {
      if (child.exitCode === null) child.kill('SIGKILL');
    }
  });
});
