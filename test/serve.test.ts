import { spawn } from 'node:child_process';
import { Agent, request } from 'node:http';
import { describe, expect, it } from 'vitest';
import type { Topology } from '../src/config/topology.js';
import { findFreePortRange } from '../testkit/free-port-range.js';
import { gatewayConnections } from './support/gateway-connections.js';
import { useSharedDatabase } from './support/use-shared-database.js';
import { directQuery } from '../testkit/pg-session.js';

describe('shardgate serve (a real process)', () => {
  it('serves, then on SIGTERM finishes in-flight requests, closes every pool and exits 0', async () => {
    const db = await useSharedDatabase('serve');
    const topology = db.topology as Topology;
    const port = await findFreePortRange(1);
    const applicationName = `sg-serve-${port}`;
    const { child, exited, stdout } = await startServe(db.topologyPath, port, {
      LOG_LEVEL: 'silent',
      SHARDGATE_APPLICATION_NAME: applicationName,
    });
    try {
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
      // The signal lands while the burst is being served (a fixed delay raced the requests' arrival).
      await Promise.race(inFlight.map((p) => p.catch(() => undefined)));
      child.kill('SIGTERM');
      const responses = await Promise.allSettled(inFlight);
      const answered = responses.filter((r) => r.status === 'fulfilled' && r.value.status === 200);
      expect(answered.length).toBeGreaterThan(0);
      // Started before the drain: answered. Arrived after it on a kept-alive connection: refused unstarted, to be retried.
      for (const r of responses) if (r.status === 'fulfilled') expect([200, 503]).toContain(r.value.status);

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

describe('shardgate serve: SIGTERM under load on keep-alive connections', () => {
  it('16 writers: every request sent on a kept-alive connection gets an HTTP status (served, or 503 connection: close), none is reset; no acknowledged write is lost', async () => {
    const db = await useSharedDatabase('drain');
    const topology = db.topology as Topology;
    const migrated = spawn(process.execPath, ['bin/shardgate.js', 'migrate', '--config', db.topologyPath], { stdio: 'ignore' });
    expect(await new Promise((resolve) => migrated.on('exit', resolve))).toBe(0);
    const port = await findFreePortRange(1);
    const { child, exited } = await startServe(db.topologyPath, port, { LOG_LEVEL: 'silent' });
    try {
      // 16 clients, each on its own kept-alive connection, writing as fast as they are answered.
      const CLIENTS = 16;
      interface Answer {
        userId: string;
        status: number | null;
        connection: string | undefined;
        sentAt: number;
        /** The error when there is no status: ECONNREFUSED (a new connection after the drain) is the only one allowed. */
        error?: string;
      }
      const answers: Answer[] = [];
      let running = true;
      const clients = Array.from({ length: CLIENTS }, async (_, c) => {
        const agent = new Agent({ keepAlive: true, maxSockets: 1 });
        let seq = 0;
        while (running) {
          const userId = `drain-${c}-${seq++}`;
          const body = JSON.stringify({
            query: `mutation { createUser(input: { userId: "${userId}", name: "D", email: "d@example.com" }) { userId } }`,
          });
          const sentAt = Date.now();
          const answer = await new Promise<Answer>((resolve) => {
            const req = request(
              {
                host: '127.0.0.1',
                port,
                path: '/graphql',
                method: 'POST',
                agent,
                headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) },
              },
              (res) => {
                res.resume();
                res.on('end', () => resolve({ userId, status: res.statusCode ?? null, connection: res.headers.connection, sentAt }));
              },
            );
            req.on('error', (err: NodeJS.ErrnoException) =>
              resolve({
                userId,
                status: null,
                connection: undefined,
                sentAt,
                error: `${err.code ?? ''} ${err.message} (${req.reusedSocket ? 'kept-alive' : 'new'} connection)`,
              }),
            );
            req.end(body);
          });
          answers.push(answer);
          // The server is gone, or said it is shutting down: send elsewhere (a load balancer would), not here again.
          if (answer.status === null || answer.status === 503) break;
        }
        agent.destroy();
      });
      // Every client has had answers on its kept-alive connection (bounded: a busy machine is slow).
      const warm = Date.now() + 20_000;
      while (
        Array.from({ length: CLIENTS }, (_, c) => answers.filter((a) => a.userId.startsWith(`drain-${c}-`)).length).some((n) => n < 3)
      ) {
        if (Date.now() > warm) throw new Error('the clients did not get going');
        await new Promise((r) => setTimeout(r, 50));
      }
      const killedAt = Date.now();
      child.kill('SIGTERM');
      expect(await exited).toBe(0);
      running = false;
      await Promise.all(clients);

      // Per connection: requests answered normally (kept alive), then at most one
      // answer to the request in flight when the drain began, which says
      // `connection: close`; then nothing more is started: any request that
      // still arrives is refused unstarted (503), and new connections are refused.
      for (let c = 0; c < CLIENTS; c++) {
        const mine = answers.filter((a) => a.userId.startsWith(`drain-${c}-`));
        const firstDrained = mine.findIndex((a) => a.status !== 200 || a.connection === 'close');
        expect(firstDrained, `client ${c} never saw the drain`).toBeGreaterThan(0);
        expect(mine.slice(0, firstDrained).every((a) => a.status === 200 && a.connection !== 'close')).toBe(true);
        const drained = mine.slice(firstDrained);
        const drainedOk = drained.filter((a) => a.status === 200);
        expect(drainedOk.length).toBeLessThanOrEqual(1);
        for (const a of drainedOk) expect(a.connection).toBe('close');
        for (const a of drained) expect([200, 503, null]).toContain(a.status);
        for (const a of drained.filter((x) => x.status === 503)) expect(a.connection).toBe('close');
      }
      expect(answers.filter((a) => a.status === 200).length).toBeGreaterThan(20);
      // A request fully sent on a connection the server kept alive is answered: only a new connection may be refused.
      const unanswered = answers.filter((a) => a.status === null);
      expect(unanswered.filter((a) => !a.error?.startsWith('ECONNREFUSED')).map((a) => ({ ...a, sentAt: a.sentAt - killedAt }))).toEqual(
        [],
      );
      expect(answers.filter((a) => a.status === 503).length, 'the drain refused the requests that arrived').toBeGreaterThan(0);
      // The drain starts as the signal is handled, not when the 10 s grace runs out.
      expect(answers.filter((a) => a.status === 200 && a.sentAt > killedAt + 2000)).toEqual([]);

      // Every acknowledged write is stored; nothing refused or unanswered was started after the drain began.
      const stored = new Set<string>();
      for (const shard of topology.shards) {
        const rows = await directQuery<{ user_id: string }>(
          { ...shard.primary, dbname: db.dbname },
          `SELECT user_id FROM users WHERE user_id LIKE 'drain-%'`,
        );
        for (const r of rows) stored.add(r.user_id);
      }
      for (const a of answers.filter((x) => x.status === 200)) expect(stored.has(a.userId), a.userId).toBe(true);
      for (const a of answers.filter((x) => x.status === 503)) expect(stored.has(a.userId), a.userId).toBe(false);
    } finally {
      if (child.exitCode === null) child.kill('SIGKILL');
    }
  });
});

/** A real `shardgate serve` on `port` of 127.0.0.1, once it says it serves; killed if it does not start. */
async function startServe(topologyPath: string, port: number, env: Record<string, string>) {
  const child = spawn(
    process.execPath,
    ['bin/shardgate.js', 'serve', '--config', topologyPath, '--port', String(port), '--host', '127.0.0.1'],
    {
      env: { ...process.env, ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  );
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  let stdout = '';
  child.stdout.on('data', (d) => (stdout += d));
  const deadline = Date.now() + 20_000;
  while (!stdout.includes('GraphiQL:')) {
    if (Date.now() > deadline || child.exitCode !== null) {
      child.kill('SIGKILL');
      throw new Error(`serve did not start: ${stdout}`);
    }
    await new Promise((r) => setTimeout(r, 50));
  }
  return { child, exited, stdout };
}
